/** `fwcfg asm LISTING [-o OUT]`: text listing or its JSON form back to bytes. */
import { FwCfgError, ListingSyntaxError } from '../../errors.js';
import { encodeLoader } from '../../loader/codec.js';
import { parseLoaderText } from '../../loader/parse-text.js';
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
    entries = parseLoaderText(text, path);
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

