/** `fwcfg disasm LOADER.bin [--json | --hexdump] [--file NAME=PATH ...]` */
import { Command, Option } from '@commander-js/extra-typings';
import { readU32LE, toHex } from '../../bytes.js';
import { LoaderFormatError } from '../../errors.js';
import { tableAnnotator } from '../../loader/annotate.js';
import { decodeLoader } from '../../loader/codec.js';
import { fieldSpans } from '../../loader/layout.js';
import { loaderToJson } from '../../loader/json.js';
import { formatEntryLine, formatListing, listingHeader } from '../../loader/listing.js';
import { validateLoaderBytes } from '../../loader/validate.js';
import { readBytes } from '../../vectors/vector.js';
import { fileOption, jsonOption } from '../options.js';
import { jsonText } from '../output.js';
import { examples, type CliCommand } from '../program.js';
import { inputFile } from '../values.js';

export const disasmCommand: CliCommand = {
  name: 'disasm',
  build: (cli) =>
    new Command('disasm')
      .summary('list a loader script (etc/table-loader) one command per line')
      .description('List the 128-byte commands of a loader script, one per line, with what in it no QEMU could have written.')
      .argument('<LOADER.bin>', 'the loader script (etc/table-loader bytes; - for standard input)', inputFile('', 'a loader script', true))
      .addOption(jsonOption().conflicts('hexdump'))
      .addOption(new Option('--hexdump', "each entry's 128 bytes with its field map"))
      .addOption(fileOption('annotate pointer and checksum offsets with the ACPI table they fall in (FACP+0x24)'))
      .addHelpText(
        'after',
        examples(
          'fwcfg disasm spec-vectors/qemu-7.2/seed/after/etc_table-loader.bin --file etc/acpi/tables=spec-vectors/qemu-7.2/seed/after/etc_acpi_tables.bin',
          'fwcfg disasm spec-vectors/qemu-7.2/seed/before/etc_table-loader.bin --json',
        ),
      )
      .action((path, opts) => {
        const bytes = readBytes(path, 'loader');
        const files = new Map((opts.file ?? []).map(({ name, path: p }) => [name, readBytes(p, `file ${name}`)]));
        let entries;
        try {
          entries = decodeLoader(bytes);
        } catch (err) {
          if (err instanceof LoaderFormatError) throw new LoaderFormatError(err.code, `${path}: ${err.message}`);
          throw err;
        }
        const annotate = files.size > 0 ? tableAnnotator(files) : undefined;
        if (opts.json === true) return void cli.io.out(jsonText(loaderToJson(entries, annotate)));
        if (opts.hexdump === true) return void cli.io.out(hexdump(bytes, entries.length, (i) => formatEntryLine(entries[i]!, i, annotate?.(entries[i]!))));
        const header = [`${path}`, ...listingHeader(entries)];
        let text = formatListing(entries, annotate === undefined ? { header } : { header, annotate });
        for (const issue of validateLoaderBytes(bytes)) text += `# ${issue.severity} [${issue.index}] ${issue.code}: ${issue.message}\n`;
        cli.io.out(text);
      }),
};

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
