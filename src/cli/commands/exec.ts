/**
 * `fwcfg exec LOADER.bin --file NAME=PATH ... --firmware F [--writable NAME=PATH ...] [--no-dma] [--no-s3]
 * [--file-slots N] [--place FILE=ADDR ...] [--out DIR] [--json]`, or `fwcfg exec CASE_DIR --firmware F ...`:
 * a script on the conformance corpus's machine (q35, 2 GiB, QEMU's own ACPI off), a case directory run
 * exactly as its case.json says.
 */
import { statSync } from 'node:fs';
import { Command } from '@commander-js/extra-typings';
import { toHex } from '../../bytes.js';
import { UsageError } from '../../errors.js';
import { LOADER_FILE } from '../../loader/constants.js';
import type { QemuMachine } from '../../qemu/machine.js';
import { boot, type FirmwareName } from '../../simulate/boot.js';
import { loadCase } from '../../simulate/corpus-case.js';
import { caseMachine, execMachine, type ExecFile } from '../../simulate/exec-machine.js';
import { guestFor } from '../../simulate/fwcfg-access.js';
import { policyFor } from '../../simulate/options.js';
import { readBytes } from '../../vectors/vector.js';
import { bootAccount, firmwareJson, writeAllocations } from '../boot-output.js';
import { firmwareOption, jsonOption, outDirOption, placeOption, scriptMachineOptions, type ScriptMachineValues } from '../options.js';
import { jsonText } from '../output.js';
import { examples, type CliCommand } from '../program.js';
import { inputPath, placementMap } from '../values.js';

/** A loader file with its --file/--writable bytes, or a case directory, as the machine it runs on. */
export function scriptMachine(input: string, o: ScriptMachineValues): { machine: QemuMachine; caseId?: string; title?: string; target?: string } {
  if (statSync(input).isDirectory()) {
    for (const [flag, set] of [
      ['--file', o.file !== undefined],
      ['--writable', o.writable !== undefined],
      ['--no-dma', !o.dma],
      ['--no-s3', !o.s3],
      ['--file-slots', o.fileSlots !== undefined],
    ] as const) {
      if (set) throw new UsageError('USAGE', `${flag} goes with a loader file; ${input} is a case directory and its case.json says how the machine is set up`);
    }
    const c = loadCase(input);
    return { machine: caseMachine(c, policyFor(undefined)), caseId: c.id, title: c.json.title, ...(c.target !== undefined ? { target: c.target.name } : {}) };
  }
  const files: ExecFile[] = [
    { name: LOADER_FILE, data: readBytes(input, 'loader') },
    ...(o.file ?? []).map(({ name, path }) => ({ name, data: readBytes(path, `file ${name}`) })),
    ...(o.writable ?? []).map(({ name, path }) => ({ name, data: readBytes(path, `writable file ${name}`).slice(), writable: true })),
  ];
  return { machine: execMachine(files, policyFor(undefined), { dma: o.dma, s3: o.s3, ...(o.fileSlots !== undefined ? { fileSlots: o.fileSlots } : {}) }) };
}

/** One line on the machine, so the reader knows what the script ran on. */
export function machineLine(m: QemuMachine): string {
  const states = m.device.fileItem('etc/system-states')?.data;
  const s3 = states != null && states.length === 6 && (states[3]! & 0x80) !== 0;
  return `on q35, 2 GiB, QEMU's own ACPI off; fw_cfg DMA ${m.device.dmaEnabled ? 'on' : 'off'}, S3 ${s3 ? 'on' : 'off'}, ${m.device.fileSlots} file slots (${m.device.fileCount} used)`;
}

export const execCommand: CliCommand = {
  name: 'exec',
  build: (cli) =>
    scriptMachineOptions(new Command('exec')
      .summary("run a loader script (or a conformance case) through a firmware's executor on the corpus's machine")
      .description(
        "Run a loader script through a firmware's executor, on the machine the conformance corpus ran real firmware on (q35, 2 GiB, QEMU's own ACPI off, QEMU's standard fw_cfg files), the script's files injected as -fw_cfg name=...,file=... does. Given a case directory (spec-vectors/firmware-conformance/<case>), runs it exactly as its case.json says: files in order, the write-pointer target's preset, DMA, S3, file slots.",
      )
      .argument('<LOADER.bin|CASE_DIR>', 'the loader script (with --file for the files it names), or a conformance case directory', inputPath('', 'a loader script or a case directory'))
      .addOption(firmwareOption('the firmware whose executor runs the script')))
      .addOption(placeOption())
      .addOption(outDirOption("write each allocated file's final bytes as DIR/<file>.bin"))
      .addOption(jsonOption())
      .addHelpText(
        'after',
        examples(
          'fwcfg exec spec-vectors/firmware-conformance/write-pointer-no-dma-s3-disabled --firmware ovmf',
          'fwcfg exec loader.bin --file etc/acpi/tables=tables.bin --file etc/acpi/rsdp=rsdp.bin --firmware seabios --no-dma',
        ),
      )
      .action((input, o) => {
        const run = scriptMachine(input, o);
        const { machine } = run;
        const { report, memory } = boot(machine, { firmware: o.firmware as FirmwareName, placements: placementMap(o.place) }, guestFor);
        // every file the guest may write (the WRITE_POINTER targets), given or QEMU's own
        const writableFiles: Record<string, string> = {};
        for (const r of machine.device.fileRecords()) {
          const it = machine.device.fileItem(r.name)!;
          if (it.allowWrite) writableFiles[r.name] = toHex(it.data ?? new Uint8Array(0));
        }
        const written = o.out !== undefined ? writeAllocations(o.out, report, memory) : [];
        if (o.json === true) {
          return void cli.io.out(jsonText({ ...(run.caseId !== undefined ? { case: run.caseId } : {}), firmware: firmwareJson(report), writableFiles, ...(written.length > 0 ? { written } : {}) }));
        }
        let text = run.caseId !== undefined ? `case ${run.caseId}: ${run.title}\n` : `${input}\n`;
        text += `${machineLine(machine)}\n\n${bootAccount(report, { loaderFrom: 'script' })}`;
        for (const [name, bytes] of Object.entries(writableFiles)) text += `writable ${name} now holds ${bytes}${name === run.target ? ' (the case\'s WRITE_POINTER target)' : ''}\n`;
        for (const w of written) text += `wrote ${w}\n`;
        cli.io.out(text);
      }),
};
