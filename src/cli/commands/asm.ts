/** `fwcfg asm LISTING [-o OUT]`: text listing or its JSON form back to bytes. */
import { Command, Option } from '@commander-js/extra-typings';
import { FwCfgError, ListingSyntaxError } from '../../errors.js';
import { encodeLoader } from '../../loader/codec.js';
import { parseLoaderText } from '../../loader/parse-text.js';
import { readBytes } from '../../vectors/vector.js';
import { writeOutput } from '../output.js';
import { examples, type CliCommand } from '../program.js';
import { inputFile, outputFile } from '../values.js';

export const asmCommand: CliCommand = {
  name: 'asm',
  build: (cli) =>
    new Command('asm')
      .summary("assemble a listing (disasm's text or JSON, or a capture's loader.txt) back to loader bytes")
      .description("Assemble a loader listing (disasm's text or --json form, or a capture's loader.txt) back to the 128-byte commands, byte-identical for every real blob.")
      .argument('<LISTING>', 'the listing to assemble (- for standard input)', inputFile('', 'a listing', true))
      .addOption(new Option('-o, --output <FILE>', 'write the bytes to FILE instead of standard output, e.g. -o loader.bin').argParser(outputFile('--output')))
      .addHelpText('after', examples('fwcfg asm spec-vectors/qemu-7.2/seed/before/loader.txt -o /tmp/seed-commands.bin', 'fwcfg disasm LOADER.bin --json | fwcfg asm - > copy.bin'))
      .action((path, opts) => {
        const text = new TextDecoder('utf-8', { fatal: false }).decode(readBytes(path, 'listing'));
        let entries;
        try {
          entries = parseLoaderText(text, path);
        } catch (err) {
          if (err instanceof ListingSyntaxError) throw new FwCfgError(err.code, `${path}: ${err.message}`);
          throw err;
        }
        const bytes = encodeLoader(entries);
        if (opts.output !== undefined) writeOutput(opts.output, bytes);
        else cli.io.outBytes(bytes);
      }),
};
