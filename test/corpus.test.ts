// Every case of the real-firmware corpus through the emulated executors, pinned to the real bases.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../src/bytes.js';
import { realVerdict } from '../src/bootreal/verdict.js';
import { boot } from '../src/simulate/boot.js';
import { loadCase, type CorpusCase } from '../src/simulate/corpus-case.js';
import { caseMachine } from '../src/simulate/exec-machine.js';
import { guestFor } from '../src/simulate/fwcfg-access.js';
import { policyFor } from '../src/simulate/options.js';
import { ROOT } from './helpers/paths.js';

const CORPUS = join(ROOT, 'spec-vectors/firmware-conformance');
const cases = readdirSync(CORPUS, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const hexNum = (s: string) => parseInt(s, 16);

interface Copy {
  base: string;
  length: number;
  path: string;
}
interface Outcome {
  run: { completed: boolean };
  fw_cfg: { readback?: Record<string, { bytes_hex: string }>; directory: { name: string; size: number }[]; loader_selected: boolean };
  log: { warnings?: { text: string }[] };
  allocations: Record<string, { copies: Copy[] }>;
  rsdp: { address: string } | null;
  tables: { signature: string; address: string; length?: number; checksum_ok?: boolean }[];
  write_pointer: { after_hex: string; observed: string };
}

/** What the real run shows of the firmware's verdict (OVMF's inferred from its effects). */
function verdictOf(o: Outcome, firmware: 'seabios' | 'ovmf') {
  return realVerdict({
    firmware,
    completed: o.run.completed,
    loaderSize: o.fw_cfg.directory.find((d) => d.name === 'etc/table-loader')?.size,
    loaderSelected: o.fw_cfg.loader_selected,
    warnings: o.log.warnings?.length ?? 0,
    loaderTablesInstalled: o.tables.some((t) => t.signature !== 'RSDT' && t.signature !== 'XSDT'),
    writeBackKept: o.write_pointer.observed === 'written',
  });
}

function run(c: CorpusCase, firmware: 'seabios' | 'ovmf', placements: Map<string, number>, o: Outcome) {
  // the machine `fwcfg exec CASE_DIR` runs: files in order, the preset, DMA, S3 and file slots as case.json says
  const machine = caseMachine(c, policyFor(undefined));
  // S3 on or off (-global ICH9-LPC.disable_s3=1): etc/system-states as the real QEMU served it
  const states = o.fw_cfg?.readback?.['etc/system-states']?.bytes_hex;
  const ours = toHex(machine.device.fileItem('etc/system-states')!.data!);
  if (states !== undefined && states !== ours) throw new Error(`${c.id}: etc/system-states ${ours}, the real QEMU served ${states}`);
  const b = boot(machine, { firmware, placements }, guestFor);
  const wp = c.target === undefined ? undefined : toHex(machine.device.fileItem(c.target.name)!.data!);
  return { ...b, wp };
}

test('the corpus is here: the 27 copied cases and the generated ones, each recorded on both firmwares', (t) => {
  const generated = execFileSync(process.execPath, [join(ROOT, 'scripts/gen-conformance-cases.mjs'), '--list'], { encoding: 'utf8' }).trim().split('\n');
  const copied = cases.filter((id) => !generated.includes(id));
  t.is(copied.length, 27, 'copied verbatim from shared/vectors');
  t.deepEqual(cases.filter((id) => generated.includes(id)), [...generated].sort(), 'every generated case is here');
  t.true(cases.length >= 40);
  for (const id of cases) for (const fw of ['seabios', 'ovmf']) t.true(existsSync(join(CORPUS, id, fw, 'outcome.json')), `${id}/${fw}/outcome.json`);
});

test('the generated cases are what scripts/gen-conformance-cases.mjs writes; its standard payload is the copied baseline', (t) => {
  // --check exits non-zero and names every file that differs
  const out = execFileSync(process.execPath, [join(ROOT, 'scripts/gen-conformance-cases.mjs'), '--check'], { encoding: 'utf8' });
  t.regex(out, /^\d+ generated cases and the standard payload agree with the files on disk\n$/);
});

for (const id of cases) {
  test(`${id}: SeaBIOS model = real SeaBIOS 1.16.2 (warnings, bases, bytes, write-back, RSDP, tables)`, (t) => {
    const c = loadCase(join(CORPUS, id));
    const o = JSON.parse(readFileSync(join(c.dir, 'seabios/outcome.json'), 'utf8')) as Outcome;
    const pins = new Map<string, number>();
    for (const [file, a] of Object.entries(o.allocations)) if (a.copies.length === 1) pins.set(file, hexNum(a.copies[0]!.base));
    const { report, memory, wp } = run(c, 'seabios', pins, o);
    t.deepEqual(report.warnings, (o.log.warnings ?? []).map((w) => w.text), 'warnings');
    t.is(report.outcome, verdictOf(o, 'seabios'), 'verdict');
    for (const [file, a] of Object.entries(o.allocations)) {
      const ours = report.allocations.filter((x) => x.file === file);
      t.is(ours.length, a.copies.length, `${file}: number of copies`);
      for (const copy of a.copies) {
        t.true(ours.some((x) => x.base === hexNum(copy.base)), `${file} at ${copy.base}`);
        t.deepEqual(memory.read(hexNum(copy.base), copy.length), new Uint8Array(readFileSync(join(c.dir, 'seabios', copy.path))), `${file} final bytes`);
      }
    }
    t.is(wp, o.write_pointer.after_hex, 'write-back');
    t.is(report.rsdp?.address ?? null, o.rsdp === null ? null : hexNum(o.rsdp.address), 'RSDP');
    t.deepEqual(report.tables.map((x) => x.signature), o.tables.map((x) => x.signature), 'tables an OS finds');
    const loaderTables = report.tables.filter((x) => x.source === 'loader');
    t.deepEqual(loaderTables.map((x) => x.address), o.tables.slice(0, loaderTables.length).map((x) => hexNum(x.address)));
  });

  test(`${id}: OVMF model = real OVMF 2022.11 (completion, installed tables, write-back, kept blobs)`, (t) => {
    const c = loadCase(join(CORPUS, id));
    const o = JSON.parse(readFileSync(join(c.dir, 'ovmf/outcome.json'), 'utf8')) as Outcome;
    const { report, memory, wp } = run(c, 'ovmf', new Map(), o);
    t.is(report.outcome !== 'hung', o.run.completed, `completed (ours: ${report.outcome} ${report.warnings.join('; ')})`);
    t.is(wp, o.write_pointer.after_hex, 'write-back');
    t.is(report.outcome, verdictOf(o, 'ovmf'), 'verdict (real: inferred from the tables installed and the write-back kept)');
    if (!o.run.completed) return;
    t.is(report.rsdp?.address ?? null, o.rsdp === null ? null : hexNum(o.rsdp.address), 'RSDP');
    t.deepEqual(report.tables.map((x) => x.signature).sort(), o.tables.map((x) => x.signature).sort(), 'tables an OS finds');
    if (report.tables.length <= 22) {
      t.deepEqual(report.tables.map((x) => [x.signature, x.address]), o.tables.map((x) => [x.signature, hexNum(x.address)]), 'where they are');
      for (const tb of o.tables) {
        const path = join(c.dir, 'ovmf/os-tables', `${tb.signature}@${tb.address.slice(2).padStart(8, '0')}.bin`);
        if (existsSync(path)) t.deepEqual(memory.read(hexNum(tb.address), tb.length!), new Uint8Array(readFileSync(path)), `${tb.signature} bytes`);
      }
    }
    for (const [file, a] of Object.entries(o.allocations)) {
      for (const copy of a.copies) {
        const ours = report.allocations.find((x) => x.file === file);
        t.is(ours?.base, hexNum(copy.base), `${file}: kept at ${copy.base}`);
        t.deepEqual(memory.read(hexNum(copy.base), copy.length), new Uint8Array(readFileSync(join(c.dir, 'ovmf', copy.path))), `${file} final bytes`);
      }
    }
  });
}
