/**
 * `fwcfg qtest CAPTURE_DIR [--machine NAME]`: QEMU's qtest line protocol on
 * stdin/stdout, answered by the emulated device and guest memory loaded from
 * the capture. A capture without a memory map (the shared format) borrows the
 * one of the reference capture named by --machine (default: the capture's
 * own config name).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.js';
import { machineFromCapture } from '../../qemu/emulated-machine.js';
import { QtestEndpoint } from '../../qtest/endpoint.js';
import { serveQtestLines } from '../../qtest/serve.js';
import { loadItemsCapture } from '../../vectors/items-capture.js';
import { packageRoot } from '../../vectors/package-root.js';
import { examples, type CliCommand } from '../program.js';
import { inputDir, oneOf } from '../values.js';

export function referenceMachines(): string[] {
  const dir = join(packageRoot(), 'spec-vectors', 'fwcfg-captures');
  return existsSync(dir) ? readdirSync(dir).filter((d) => existsSync(join(dir, d, 'items.json'))).sort() : [];
}

export const qtestCommand: CliCommand = {
  name: 'qtest',
  build: (cli) => {
    const known = referenceMachines();
    return new Command('qtest')
      .summary("answer QEMU's qtest protocol on stdin/stdout from a capture, as QEMU would")
      .description("Answer QEMU's qtest line protocol (outb, readl, write, b64read, ...) on standard input and output with the emulated fw_cfg device and the guest memory a capture recorded, replying exactly as QEMU 7.2's -qtest does.")
      .argument('<CAPTURE_DIR>', 'an fw_cfg item capture (items.json), e.g. spec-vectors/fwcfg-device/q35', inputDir('', 'an fw_cfg item capture'))
      .addOption(
        new Option('--machine <NAME>', `borrow the memory map of this reference capture (${known.join(', ')}; default: the capture's own configuration), e.g. --machine virt`).argParser(oneOf('--machine', known)),
      )
      .addHelpText('after', examples("printf 'outw 0x510 0x0000\\ninb 0x511\\n' | fwcfg qtest spec-vectors/fwcfg-device/q35"))
      .action(async (dir, o) => {
        const capture = loadItemsCapture(dir);
        let options = {};
        if (o.machine !== undefined || capture.memoryMap === undefined) {
          const name = o.machine ?? capture.json.config;
          if (!known.includes(name)) throw new UsageError('USAGE', `${dir} has no memory map and its configuration ${JSON.stringify(name)} is no reference capture; give --machine (${known.join(', ')})`);
          const ref = loadItemsCapture(join(packageRoot(), 'spec-vectors', 'fwcfg-captures', name));
          if (ref.json.layout !== capture.json.layout) throw new UsageError('USAGE', `--machine ${name} is an ${ref.json.layout} machine, ${dir} is ${capture.json.layout}`);
          options = { memoryMap: ref.memoryMap, memoryContents: ref.memoryContents };
          if (o.machine !== undefined && capture.memoryMap !== undefined) capture.memoryMap = undefined;
        }
        const endpoint = new QtestEndpoint(machineFromCapture(capture, options));
        await serveQtestLines(endpoint, cli.io.input ?? process.stdin, (s) => cli.io.out(s));
      });
  },
};
