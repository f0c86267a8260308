/** `fwcfg asm LISTING [-o OUT]`: text listing or its JSON form back to bytes. */
import { FwCfgError, InputError, ListingSyntaxError } from '../../errors.js';
import { encodeLoader } from '../../loader/codec.js';
import { loaderFromJson } from '../../loader/json.js';
import { parseListing } from '../../loader/listing.js';
import { readBytes } from '../../vectors/vector.js';
import { onePositional, parse } from '../args.js';
import { writeOutput, type Io } from '../output.js';

export const usage = 'fwcfg asm LISTING [-o OUT]';

export function asm(argv: string[], io: Io): number {
  const { values, positionals } = parse('asm', argv, { output: { type: 'string', short: 'o' } });
  const path = onePositional('asm', positionals, 'listing');
  const text = new TextDecoder('utf-8', { fatal: false }).decode(readBytes(path, 'listing'));
  let entries;
  try {
    entries = parseAny(text, path);
  } catch (err) {
    if (err instanceof ListingSyntaxError) throw new FwCfgError(err.code, `${path}: ${err.message}`);
    throw err;
  }
  const bytes = encodeLoader(entries);
  const out = values['output'];
  if (typeof out === 'string') writeOutput(out, bytes);
  else io.outBytes(bytes);
  return 0;
}

function parseAny(text: string, path: string) {
  if (/^\s*\[\s*[{\]]/.test(text)) {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new InputError('BAD_JSON', `${path}: not valid JSON (${(err as Error).message})`);
    }
    return loaderFromJson(json);
  }
  return parseListing(text);
}
