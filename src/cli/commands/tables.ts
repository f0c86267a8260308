/**
 * `fwcfg tables (VECTOR_DIR | LOADER.bin --file NAME=PATH ...) --firmware X --out DIR [--json]`:
 * boots as `simulate`/`exec` do and writes every table the OS would find as
 * SIG.dat (SIG2.dat, ... for repeats), the form acpidump -b writes and iasl -d reads.
 */
import { openVector } from '../../vectors/configuration.js';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import type { FirmwareReport } from '../../firmware/report.js';
import { LOADER_FILE } from '../../loader/constants.js';
import type { GuestMemory } from '../../memory/guest-memory.js';
import { boot, parseFirmware } from '../../simulate/boot.js';
import { itemsCaptureFor } from '../../simulate/captures.js';
import { execMachine, type ExecFile } from '../../simulate/exec-machine.js';
import { simulateFirmware } from '../../simulate/firmware-run.js';
import { guestFor } from '../../simulate/fwcfg-access.js';
import { hostPageFor, policyFor, releaseOf } from '../../simulate/options.js';
import { readBytes } from '../../vectors/vector.js';
import { namedPaths, onePositional, parse } from '../args.js';
import { placements } from '../boot-output.js';
import { jsonText, writeOutput, type Io } from '../output.js';

export const usage = 'fwcfg tables (VECTOR_DIR | CAPTURE_DIR | LOADER.bin --file NAME=PATH ...) --firmware seabios|ovmf|uboot --out DIR [--qemu V] [--place FILE=ADDR ...] [--json]';

export function tables(argv: string[], io: Io): number {
  const { values, positionals } = parse('tables', argv, {
    file: { type: 'string', multiple: true },
    writable: { type: 'string', multiple: true },
    firmware: { type: 'string' },
    qemu: { type: 'string' },
    'host-page': { type: 'string' },
    place: { type: 'string', multiple: true },
    out: { type: 'string' },
    json: { type: 'boolean' },
  });
  const input = onePositional('tables', positionals, 'vector directory or loader file');
  const out = values['out'];
  if (typeof out !== 'string') throw new UsageError('USAGE', 'tables: --out DIR is required');
  const firmware = parseFirmware(values['firmware'] as string | undefined);
  const place = placements('tables', values['place']);
  let report: FirmwareReport | null;
  let memory: GuestMemory | undefined;
  let isDir = false;
  try {
    isDir = statSync(input).isDirectory();
  } catch {
    /* readBytes reports it */
  }
  if (isDir) {
    const vector = openVector(input);
    const items = itemsCaptureFor(vector, undefined);
    const sim = simulateFirmware(vector, { policy: policyFor((values['qemu'] as string | undefined) ?? releaseOf(vector)), hostPageSize: hostPageFor(values['host-page'] as string | undefined), firmware, placements: place, ...(items ? { items } : {}) });
    if (sim.report.qemuError !== null) throw new UsageError('QEMU_ABORT', `QEMU aborts before the firmware runs the loader: ${sim.report.qemuError.split('\n').at(-1)}`);
    report = sim.report.firmware;
    memory = sim.memory;
  } else {
    const files: ExecFile[] = [
      { name: LOADER_FILE, data: readBytes(input, 'loader') },
      ...namedPaths('tables', 'file', values['file']).map(({ name, path }) => ({ name, data: readBytes(path, `file ${name}`) })),
      ...namedPaths('tables', 'writable', values['writable']).map(({ name, path }) => ({ name, data: readBytes(path, `writable file ${name}`).slice(), writable: true })),
    ];
    const b = boot(execMachine(files, policyFor(undefined)), { firmware, placements: place }, guestFor);
    report = b.report;
    memory = b.memory;
  }
  try {
    mkdirSync(out, { recursive: true });
  } catch (err) {
    throw new UsageError('WRITE_FAILED', `cannot create ${out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const seen = new Map<string, number>();
  const written: { signature: string; path: string; address: number; length: number }[] = [];
  // SeaBIOS's fallback: tables it built itself rather than QEMU's (written like the others)
  const firmwareOwn: string[] = [];
  for (const t of memory === undefined ? [] : (report?.tables ?? [])) {
    const n = (seen.get(t.signature) ?? 0) + 1;
    seen.set(t.signature, n);
    const path = join(out, `${t.signature}${n === 1 ? '' : n}.dat`);
    writeOutput(path, memory!.read(t.address, t.length));
    written.push({ signature: t.signature, path, address: t.address, length: t.length });
    if (t.source === 'firmware') firmwareOwn.push(t.signature);
  }
  if (values['json'] === true) io.out(jsonText({ written, firmwareOwn }));
  else {
    let text = written.map((w) => `${w.path}  ${w.signature} at 0x${w.address.toString(16)}, ${w.length} bytes\n`).join('');
    if (firmwareOwn.length > 0) text += `the firmware's own tables (no valid RSDP came out of the loader): ${firmwareOwn.join(', ')}\n`;
    if (written.length === 0) text += 'the OS would find no ACPI tables\n';
    io.out(text);
  }
  return 0;
}
