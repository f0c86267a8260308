/**
 * `fwcfg qtest CAPTURE_DIR [--machine NAME]`: QEMU's qtest line protocol on
 * stdin/stdout, answered by the emulated device and guest memory loaded from
 * the capture. A capture without a memory map (the shared format) borrows the
 * one of the reference capture named by --machine (default: the capture's
 * own config name).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { machineFromCapture } from '../../qemu/emulated-machine.js';
import { QtestEndpoint } from '../../qtest/endpoint.js';
import { serveQtestLines } from '../../qtest/serve.js';
import { loadItemsCapture } from '../../vectors/items-capture.js';
import { onePositional, parse } from '../args.js';
import type { Io } from '../output.js';
import { packageRoot } from '../../vectors/package-root.js';

export const usage = 'fwcfg qtest CAPTURE_DIR [--machine q35|pc|virt|seed|q35-userfiles|pc-i440fx-2.0]';

export function referenceMachines(): string[] {
  const dir = join(packageRoot(), 'spec-vectors', 'fwcfg-captures');
  return existsSync(dir) ? readdirSync(dir).filter((d) => existsSync(join(dir, d, 'items.json'))).sort() : [];
}

export async function qtest(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse('qtest', argv, { machine: { type: 'string' } });
  const dir = onePositional('qtest', positionals, 'capture directory');
  const capture = loadItemsCapture(dir);
  const wanted = values['machine'] as string | undefined;
  const known = referenceMachines();
  if (wanted !== undefined && !known.includes(wanted)) throw new UsageError('USAGE', `qtest: --machine ${JSON.stringify(wanted)} is not one of ${known.join(', ')}`);
  let options = {};
  if (wanted !== undefined || capture.memoryMap === undefined) {
    const name = wanted ?? capture.json.config;
    if (!known.includes(name)) throw new UsageError('USAGE', `qtest: ${dir} has no memory map; give --machine (${known.join(', ')})`);
    const ref = loadItemsCapture(join(packageRoot(), 'spec-vectors', 'fwcfg-captures', name));
    if (ref.json.layout !== capture.json.layout) throw new UsageError('USAGE', `qtest: --machine ${name} is an ${ref.json.layout} machine, ${dir} is ${capture.json.layout}`);
    options = { memoryMap: ref.memoryMap, memoryContents: ref.memoryContents };
    if (wanted !== undefined && capture.memoryMap !== undefined) capture.memoryMap = undefined;
  }
  const endpoint = new QtestEndpoint(machineFromCapture(capture, options));
  await serveQtestLines(endpoint, io.input ?? process.stdin, (s) => io.out(s));
  return 0;
}
