/** A listing in either form: JSON (an array) or the text listing. What `fwcfg asm` reads. */
import { InputError } from '../errors.js';
import type { LoaderEntry } from './entry.js';
import { loaderFromJson } from './json.js';
import { parseListing } from './listing.js';

export function parseLoaderText(text: string, where = 'listing'): LoaderEntry[] {
  if (/^\s*\[\s*[{\]]/.test(text)) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new InputError('BAD_JSON', `${where}: not valid JSON (${(err as Error).message})`);
    }
    return loaderFromJson(json);
  }
  return parseListing(text);
}
