/**
 * `fwcfg tables (VECTOR_DIR | CAPTURE_DIR | LOADER.bin --file NAME=PATH ... | CASE_DIR) --firmware F --out DIR [--json]`:
 * boots as `simulate`/`exec` do and writes every table the OS would find as
 * SIG.dat (SIG2.dat, ... for repeats), the form acpidump -b writes and iasl -d reads.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.js';
import type { FirmwareReport } from '../../firmware/report.js';
import type { GuestMemory } from '../../memory/guest-memory.js';
import { boot, type FirmwareName } from '../../simulate/boot.js';
import { itemsCaptureFor } from '../../simulate/captures.js';
import { simulateFirmware } from '../../simulate/firmware-run.js';
import { guestFor } from '../../simulate/fwcfg-access.js';
import { policyFor, releaseOf } from '../../simulate/options.js';
import { openVector } from '../../vectors/configuration.js';
import { firmwareOption, hostPageOption, jsonOption, outDirOption, placeOption, qemuOption, scriptMachineOptions } from '../options.js';
import { hx, jsonText, makeOutputDir, writeOutput } from '../output.js';
import { examples, type CliCommand } from '../program.js';
import { inputPath, placementMap } from '../values.js';
import { scriptMachine } from './exec.js';

export const tablesCommand: CliCommand = {
  name: 'tables',
  build: (cli) =>
    scriptMachineOptions(new Command('tables')
      .summary('write every ACPI table the OS would find as SIG.dat files (for iasl -d)')
      .description(
        'Boot as simulate (a vector or capture) or exec (a loader script or a conformance case) do, and write every table the OS would find, as acpidump -b names them: SIG.dat, SIG2.dat for a second table of the same signature, ... (iasl -d reads them).',
      )
      .argument('<INPUT>', 'a vector or capture directory, a conformance case directory, or a loader script (with --file)', inputPath('', 'a vector, capture, case or loader script'))
      .addOption(firmwareOption())
      .addOption(outDirOption('where the tables are written').makeOptionMandatory())
      .addOption(qemuOption())
      .addOption(hostPageOption()))
      .addOption(placeOption())
      .addOption(jsonOption())
      .addHelpText('after', examples('fwcfg tables spec-vectors/qemu-7.2/q35 --firmware seabios --out /tmp/q35-tables', 'fwcfg tables spec-vectors/firmware-conformance/baseline --firmware ovmf --out /tmp/baseline-tables'))
      .action((input, o) => {
        const firmware = o.firmware as FirmwareName;
        const placements = placementMap(o.place);
        let report: FirmwareReport | null;
        let memory: GuestMemory | undefined;
        if (statSync(input).isDirectory() && !existsSync(join(input, 'case.json'))) {
          for (const [flag, v] of [['--file', o.file], ['--writable', o.writable], ['--file-slots', o.fileSlots]] as const) if (v !== undefined) throw new UsageError('USAGE', `${flag} goes with a loader file; ${input} brings its own machine`);
          if (!o.dma || !o.s3) throw new UsageError('USAGE', `${o.dma ? '--no-s3' : '--no-dma'} goes with a loader file; ${input} brings its own machine`);
          const vector = openVector(input);
          const items = itemsCaptureFor(vector, undefined);
          const sim = simulateFirmware(vector, { policy: policyFor(o.qemu ?? releaseOf(vector)), hostPageSize: o.hostPage ?? 0x1000, firmware, placements, ...(items ? { items } : {}) });
          if (sim.report.qemuError !== null) throw new UsageError('QEMU_ABORT', `QEMU aborts before the firmware runs the loader: ${sim.report.qemuError.split('\n').at(-1)}`);
          report = sim.report.firmware;
          memory = sim.memory;
        } else {
          if (o.qemu !== undefined || o.hostPage !== undefined) throw new UsageError('USAGE', `${o.qemu !== undefined ? '--qemu' : '--host-page'} goes with a vector or capture; a script runs on the corpus's QEMU 7.2 machine`);
          const b = boot(scriptMachine(input, o).machine, { firmware, placements }, guestFor);
          report = b.report;
          memory = b.memory;
        }
        makeOutputDir(o.out);
        const seen = new Map<string, number>();
        const written: { signature: string; path: string; address: number; length: number }[] = [];
        // SeaBIOS's fallback: tables it built itself rather than QEMU's (written like the others)
        const firmwareOwn: string[] = [];
        for (const t of memory === undefined ? [] : (report?.tables ?? [])) {
          const n = (seen.get(t.signature) ?? 0) + 1;
          seen.set(t.signature, n);
          const path = join(o.out, `${t.signature}${n === 1 ? '' : n}.dat`);
          writeOutput(path, memory!.read(t.address, t.length));
          written.push({ signature: t.signature, path, address: t.address, length: t.length });
          if (t.source === 'firmware') firmwareOwn.push(t.signature);
        }
        if (o.json === true) return void cli.io.out(jsonText({ written, firmwareOwn }));
        let text = written.map((w) => `${w.path}  ${w.signature} at ${hx(w.address)}, ${w.length} bytes\n`).join('');
        if (firmwareOwn.length > 0) text += `the firmware's own tables (no valid RSDP came out of the loader): ${firmwareOwn.join(', ')}\n`;
        if (written.length === 0) text += 'the OS would find no ACPI tables; nothing written\n';
        cli.io.out(text);
      }),
};
