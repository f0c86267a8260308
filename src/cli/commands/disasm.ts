/** `fwcfg disasm LOADER.bin [--json] [--file NAME=PATH ...] [--hexdump]` */
import { readU32LE, toHex } from '../../bytes.js';
import { LoaderFormatError } from '../../errors.js';
import { tableAnnotator } from '../../loader/annotate.js';
import { decodeLoader } from '../../loader/codec.js';
import { fieldSpans } from '../../loader/layout.js';
import { loaderToJson } from '../../loader/json.js';
import { formatEntryLine, formatListing, listingHeader } from '../../loader/listing.js';
import { validateLoaderBytes } from '../../loader/validate.js';
import { readBytes } from '../../vectors/vector.js';
import { namedPaths, onePositional, parse } from '../args.js';
import { jsonText, type Io } from '../output.js';

export const usage = 'fwcfg disasm LOADER.bin [--json] [--file NAME=PATH ...] [--hexdump]';

export function disasm(argv: string[], io: Io): number {
  const { values, positionals } = parse('disasm', argv, {
    json: { type: 'boolean' },
    hexdump: { type: 'boolean' },
    file: { type: 'string', multiple: true },
  });
  const path = onePositional('disasm', positionals, 'loader file');
  const bytes = readBytes(path, 'loader');
  const files = new Map(namedPaths('disasm', 'file', values['file']).map(({ name, path: p }) => [name, readBytes(p, `file ${name}`)]));
  let entries;
  try {
    entries = decodeLoader(bytes);
  } catch (err) {
    if (err instanceof LoaderFormatError) throw new LoaderFormatError(err.code, `${path}: ${err.message}`);
    throw err;
  }
  const annotate = files.size > 0 ? tableAnnotator(files) : undefined;
  if (values['json'] === true) {
    io.out(jsonText(loaderToJson(entries, annotate)));
    return 0;
  }
  if (values['hexdump'] === true) {
    io.out(hexdump(bytes, entries.length, (i) => formatEntryLine(entries[i]!, i, annotate?.(entries[i]!))));
    return 0;
  }
  const header = [`${path}`, ...listingHeader(entries)];
  let text = formatListing(entries, annotate === undefined ? { header } : { header, annotate });
  for (const issue of validateLoaderBytes(bytes)) text += `# ${issue.severity} [${issue.index}] ${issue.code}: ${issue.message}\n`;
  io.out(text);
  return 0;
}

/** Each entry's 128 bytes, 16 per row, followed by its field map (offsets from the buffer-layout description). */
function hexdump(bytes: Uint8Array, count: number, title: (i: number) => string): string {
  let s = '';
  for (let i = 0; i < count; i++) {
    const base = i * 128;
    s += title(i) + '\n';
    for (let row = 0; row < 128; row += 16) {
      const chunk = bytes.subarray(base + row, base + row + 16);
      const hexPart = toHex(chunk).replace(/(..)(?!$)/g, '$1 ');
      const ascii = String.fromCharCode(...chunk).replace(/[^\x20-\x7e]/g, '.');
      s += `  ${row.toString(16).padStart(4, '0')}  ${hexPart}  |${ascii}|\n`;
    }
    const spans = fieldSpans(readU32LE(bytes, base)).map((f) => `${f.name}@0x${f.offset.toString(16)}+${f.size}`);
    s += `  fields: ${spans.join(' ')}\n`;
  }
  return s;
}
