/** `fwcfg exec LOADER.bin --file NAME=PATH ... --firmware seabios|ovmf|uboot [--writable NAME=PATH ...] [--place FILE=ADDR ...] [--out DIR] [--json]` */
import { toHex } from '../../bytes.js';
import { LOADER_FILE } from '../../loader/constants.js';
import { boot, parseFirmware } from '../../simulate/boot.js';
import { execMachine, type ExecFile } from '../../simulate/exec-machine.js';
import { guestFor } from '../../simulate/fwcfg-access.js';
import { policyFor } from '../../simulate/options.js';
import { readBytes } from '../../vectors/vector.js';
import { namedPaths, onePositional, parse } from '../args.js';
import { bootAccount, firmwareJson, placements, writeAllocations } from '../boot-output.js';
import { jsonText, type Io } from '../output.js';

export const usage = 'fwcfg exec LOADER.bin --file NAME=PATH ... --firmware seabios|ovmf|uboot [--writable NAME=PATH ...] [--place FILE=ADDR ...] [--out DIR] [--json]';

export function exec(argv: string[], io: Io): number {
  const { values, positionals } = parse('exec', argv, {
    file: { type: 'string', multiple: true },
    writable: { type: 'string', multiple: true },
    firmware: { type: 'string' },
    place: { type: 'string', multiple: true },
    out: { type: 'string' },
    json: { type: 'boolean' },
  });
  const loaderPath = onePositional('exec', positionals, 'loader file');
  const firmware = parseFirmware(values['firmware'] as string | undefined);
  const files: ExecFile[] = [
    { name: LOADER_FILE, data: readBytes(loaderPath, 'loader') },
    ...namedPaths('exec', 'file', values['file']).map(({ name, path }) => ({ name, data: readBytes(path, `file ${name}`) })),
    ...namedPaths('exec', 'writable', values['writable']).map(({ name, path }) => ({ name, data: readBytes(path, `writable file ${name}`).slice(), writable: true })),
  ];
  const machine = execMachine(files, policyFor(undefined));
  const { report, memory } = boot(machine, { firmware, placements: placements('exec', values['place']) }, guestFor);
  // every file the guest may write (the WRITE_POINTER targets), given or QEMU's own
  const writableFiles: Record<string, string> = {};
  for (const r of machine.device.fileRecords()) {
    const it = machine.device.fileItem(r.name)!;
    if (it.allowWrite) writableFiles[r.name] = toHex(it.data ?? new Uint8Array(0));
  }
  const written = typeof values['out'] === 'string' ? writeAllocations(values['out'], report, memory) : [];
  if (values['json'] === true) {
    io.out(jsonText({ firmware: firmwareJson(report), writableFiles, ...(written.length > 0 ? { written } : {}) }));
    return 0;
  }
  let text = bootAccount(report);
  for (const [name, bytes] of Object.entries(writableFiles)) text += `writable ${name} now holds ${bytes}\n`;
  for (const w of written) text += `wrote ${w}\n`;
  io.out(text);
  return 0;
}
