// Every case of the real-firmware corpus through the emulated executors, pinned to the real bases.
import test from 'ava';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { toHex } from '../src/bytes.js';
import { boot } from '../src/simulate/boot.js';
import { loadCase, type CorpusCase } from '../src/simulate/corpus-case.js';
import { execMachine } from '../src/simulate/exec-machine.js';
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
  log: { warnings?: { text: string }[] };
  allocations: Record<string, { copies: Copy[] }>;
  rsdp: { address: string } | null;
  tables: { signature: string; address: string; length?: number; checksum_ok?: boolean }[];
  write_pointer: { after_hex: string };
}

function run(c: CorpusCase, firmware: 'seabios' | 'ovmf', placements: Map<string, number>) {
  const files = c.files.map((f) => ({ ...f }));
  if (c.target !== undefined) files.push({ name: c.target.name, data: c.target.preset.slice(), writable: true });
  const machine = execMachine(files, policyFor(undefined), { dma: c.dma });
  const b = boot(machine, { firmware, placements }, guestFor);
  const wp = c.target === undefined ? undefined : toHex(machine.device.fileItem(c.target.name)!.data!);
  return { ...b, wp };
}

test('the corpus is here: 27 cases, both firmwares', (t) => {
  t.is(cases.length, 27);
});

for (const id of cases) {
  test(`${id}: SeaBIOS model = real SeaBIOS 1.16.2 (warnings, bases, bytes, write-back, RSDP, tables)`, (t) => {
    const c = loadCase(join(CORPUS, id));
    const o = JSON.parse(readFileSync(join(c.dir, 'seabios/outcome.json'), 'utf8')) as Outcome;
    const pins = new Map<string, number>();
    for (const [file, a] of Object.entries(o.allocations)) if (a.copies.length === 1) pins.set(file, hexNum(a.copies[0]!.base));
    const { report, memory, wp } = run(c, 'seabios', pins);
    t.deepEqual(report.warnings, (o.log.warnings ?? []).map((w) => w.text), 'warnings');
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
    const { report, memory, wp } = run(c, 'ovmf', new Map());
    t.is(report.outcome !== 'hung', o.run.completed, `completed (ours: ${report.outcome} ${report.warnings.join('; ')})`);
    t.is(wp, o.write_pointer.after_hex, 'write-back');
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
