// `fwcfg boot-real`: the observer's parts on real recorded data, the command's contract, and — when QEMU, SeaBIOS and
// OVMF are installed — real boots of a representative subset of the corpus, each required to equal the outcome the
// other team's harness recorded (all cases: scripts/boot-real-corpus.mjs).
import test from 'ava';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { bootRealObserved } from '../src/bootreal/boot-real.js';
import { efiConfigurationAcpi, rsdpCandidates } from '../src/bootreal/acpi-roots.js';
import { findCopies, patchMask } from '../src/bootreal/blob-copies.js';
import { compareOutcomes, outcomeFromDir, outcomeFromFiles } from '../src/bootreal/compare.js';
import { caseBootInput, caseOutcomeOptions } from '../src/bootreal/corpus-input.js';
import { logWarnings } from '../src/bootreal/firmware-log.js';
import { ramImageOf } from '../src/bootreal/ram-image.js';
import { decodeLoader } from '../src/loader/codec.js';
import { liveQemuPids } from '../src/qemu/live/qemu-process.js';
import { loadCase } from '../src/simulate/corpus-case.js';
import { fwcfg } from './helpers/cli.js';
import { live, why } from './helpers/real-firmware.js';
import { ROOT } from './helpers/paths.js';

const CORPUS = join(ROOT, 'spec-vectors/firmware-conformance');
const MiB = 0x100000;


test('every copy of a blob is found, outside the bytes the script patches, and nothing else', (t) => {
  const c = loadCase(join(CORPUS, 'baseline'));
  const entries = decodeLoader(c.files.find((f) => f.name === 'etc/table-loader')!.data);
  const tables = c.files.find((f) => f.name === 'etc/acpi/tables')!.data;
  const mask = patchMask(entries, 'etc/acpi/tables', tables.length);
  // the bytes the script changed in SeaBIOS's real copy are exactly masked ones
  const real = readFileSync(join(c.dir, 'seabios/mem/tables@7ffffe00.bin'));
  for (let i = 0; i < tables.length; i++) if (real[i] !== tables[i]) t.is(mask[i], 1, `byte 0x${i.toString(16)} changed but is not patchable`);
  const ram = Buffer.alloc(16 * MiB);
  ram.set(real, 0x7e0000);
  ram.set(tables, 0x400000); // an unpatched copy matches too
  const decoy = Buffer.from(real);
  decoy[0x10] ^= 1; // one unpatchable byte off
  ram.set(decoy, 0x900000);
  t.deepEqual(findCopies(ramImageOf(ram), tables, mask), { bases: [0x400000, 0x7e0000], locatable: true });
  t.deepEqual(findCopies(ramImageOf(ram), new Uint8Array(64).fill(0xee), new Uint8Array(64)), { bases: [], locatable: false }, 'too uniform to tell apart');
  t.deepEqual(findCopies(ramImageOf(ram), new Uint8Array(0), new Uint8Array(0)), { bases: [], locatable: false });
});

test('RSDP candidates: checksum-valid signatures, 16-byte aligned for a BIOS scan', (t) => {
  const rsdp = readFileSync(join(CORPUS, 'baseline/seabios/mem/rsdp@000f59e0.bin'));
  const ram = Buffer.alloc(2 * MiB);
  ram.set(rsdp, 0xf59e0);
  ram.set(rsdp, 0x100008); // misaligned
  const broken = Buffer.from(rsdp);
  broken[8]! ^= 1;
  ram.set(broken, 0xe0000);
  const image = ramImageOf(ram);
  t.deepEqual(rsdpCandidates(image, 0xe0000, 0x100000), [0xf59e0]);
  t.deepEqual(rsdpCandidates(image, 0, ram.length, 1), [0xf59e0, 0x100008]);
});

test('the EFI configuration table is read from a system table whose CRC32 holds', (t) => {
  const ram = Buffer.alloc(MiB);
  const st = 0x10000;
  const table = 0x20000;
  ram.write('IBI SYST', st, 'latin1');
  ram.writeUInt32LE(0x00020046, st + 8);
  ram.writeUInt32LE(0x78, st + 12);
  ram.writeBigUInt64LE(2n, st + 0x68);
  ram.writeBigUInt64LE(BigInt(table), st + 0x70);
  // ACPI 1.0 then ACPI 2.0 GUIDs, as OVMF's table held them (corpus baseline: 1.0 at the lower entry)
  Buffer.from('302d9deb882dd3119a160090273fc14d', 'hex').copy(ram, table);
  ram.writeBigUInt64LE(0x7fb7e000n, table + 16);
  Buffer.from('71e86888f1e4d311bc220080c73c8881', 'hex').copy(ram, table + 24);
  ram.writeBigUInt64LE(0x7fb7e014n, table + 40);
  t.deepEqual(efiConfigurationAcpi(ramImageOf(ram)), [], 'CRC not set: not a system table');
  ram.writeUInt32LE(crc32(ram.subarray(st, st + 0x78)), st + 16);
  t.deepEqual(efiConfigurationAcpi(ramImageOf(ram)), [
    { entry: table + 24, guid: 'ACPI 2.0', rsdp: 0x7fb7e014 },
    { entry: table, guid: 'ACPI 1.0', rsdp: 0x7fb7e000 },
  ]);
});

test("SeaBIOS's warnings are read from its real debug log as the corpus lists them", (t) => {
  for (const id of ['allocate-zone-3', 'checksum-range-past-end', 'write-pointer-no-dma', 'baseline']) {
    const dir = join(CORPUS, id, 'seabios');
    const outcome = JSON.parse(readFileSync(join(dir, 'outcome.json'), 'utf8')) as { log: { warnings: unknown[] } };
    t.deepEqual(logWarnings(readFileSync(join(dir, 'debug.log'), 'latin1')), outcome.log.warnings, id);
  }
});

test('comparing outcomes: a recording equals itself; a changed copy, base or write-back is reported', (t) => {
  const dir = join(CORPUS, 'baseline/seabios');
  const rec = outcomeFromDir(dir);
  t.deepEqual(compareOutcomes(rec, outcomeFromDir(dir)), []);
  const json = JSON.parse(readFileSync(join(dir, 'outcome.json'), 'utf8')) as Record<string, any>;
  json['write_pointer']['after_hex'] = '0000000000000000';
  json['allocations']['etc/acpi/rsdp']['copies'][0]['base'] = '0xf59d0';
  const files = new Map<string, Uint8Array>([['mem/tables@7ffffe00.bin', new Uint8Array(512)]]);
  const d = compareOutcomes(rec, outcomeFromFiles(json, files));
  t.true(d.some((x) => x.startsWith('write-back')));
  t.true(d.some((x) => x.startsWith('etc/acpi/rsdp: copies at')));
  t.true(d.some((x) => x.startsWith('etc/acpi/tables@0x7ffffe00: final bytes')));
});

test.serial('without QEMU on PATH boot-real is skipped: one line, exit 77', async (t) => {
  const saved = process.env['PATH'];
  const empty = mkdtempSync(join(tmpdir(), 'fwcfg-nopath-'));
  process.env['PATH'] = empty;
  try {
    const c = join(CORPUS, 'baseline');
    const r = await fwcfg('boot-real', join(c, 'loader.bin'), '--file', `etc/acpi/rsdp=${join(c, 'rsdp.bin')}`, '--firmware', 'seabios');
    t.is(r.code, 77);
    t.is(r.stderr, 'fwcfg: boot-real skipped: qemu-system-x86_64 not found on PATH\n');
    t.is(r.stdout, '');
  } finally {
    process.env['PATH'] = saved;
    rmSync(empty, { recursive: true, force: true });
  }
});

test('boot-real: bad input is one line and exit 2', async (t) => {
  const c = join(CORPUS, 'baseline');
  const noFw = await fwcfg('boot-real', join(c, 'loader.bin'));
  t.is(noFw.code, 2);
  t.regex(noFw.stderr, /^fwcfg: boot-real: --firmware <NAME> is required \(usage: fwcfg boot-real /);
  const uboot = await fwcfg('boot-real', join(c, 'loader.bin'), '--firmware', 'uboot');
  t.is(uboot.code, 2);
  const noFile = await fwcfg('boot-real', join(c, 'nope.bin'), '--firmware', 'seabios');
  t.is(noFile.code, 2);
  t.regex(noFile.stderr, /^fwcfg: .*nope\.bin.*\n$/);
  const timeout = await fwcfg('boot-real', join(c, 'loader.bin'), '--firmware', 'seabios', '--timeout', 'soon');
  t.is(timeout.code, 2);
});

live(`boot-real on baseline (SeaBIOS): exec's JSON shape, the real bases and write-back, --out equal to the recording${why}`, async (t) => {
  const c = join(CORPUS, 'baseline');
  const out = mkdtempSync(join(tmpdir(), 'fwcfg-bootreal-test-'));
  try {
    const preset = join(out, 'preset.bin');
    writeFileSync(preset, Buffer.from('a55aa55aa55aa55a', 'hex'));
    const files = ['--file', `etc/acpi/rsdp=${join(c, 'rsdp.bin')}`, '--file', `etc/acpi/tables=${join(c, 'tables.bin')}`, '--file', `etc/fwconf/probe=${join(c, 'etc_fwconf_probe.bin')}`];
    const r = await fwcfg('boot-real', join(c, 'loader.bin'), ...files, '--writable', `etc/smi/requested-features=${preset}`, '--firmware', 'seabios', '--json', '--out', join(out, 'seabios'));
    t.is(r.code, 0, r.stderr);
    t.regex(r.stderr, /boot-real: starting qemu-system-x86_64/);
    const ours = JSON.parse(r.stdout) as { firmware: Record<string, unknown>; writableFiles: Record<string, string> };
    const exec = JSON.parse((await fwcfg('exec', join(c, 'loader.bin'), ...files, '--writable', `etc/smi/requested-features=${preset}`, '--firmware', 'seabios', '--json')).stdout) as typeof ours;
    t.deepEqual(Object.keys(ours.firmware), Object.keys(exec.firmware), 'the same JSON shape as fwcfg exec');
    const recorded = JSON.parse(readFileSync(join(c, 'seabios/outcome.json'), 'utf8')) as { allocations: Record<string, { copies: { base: string }[] }>; write_pointer: { after_hex: string }; rsdp: { address: string } };
    const allocations = ours.firmware['allocations'] as { file: string; base: number }[];
    t.deepEqual(
      allocations.map((a) => [a.file, a.base]),
      Object.entries(recorded.allocations).map(([file, a]) => [file, parseInt(a.copies[0]!.base, 16)]),
      'the bases the real firmware chose',
    );
    t.is(ours.writableFiles['etc/smi/requested-features'], recorded.write_pointer.after_hex);
    t.is((ours.firmware['rsdp'] as { address: number }).address, parseInt(recorded.rsdp.address, 16));
    t.deepEqual(compareOutcomes(outcomeFromDir(join(c, 'seabios')), outcomeFromDir(join(out, 'seabios'))), []);
    t.true(existsSync(join(out, 'seabios/mem/tables@7ffffe00.bin')));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  t.deepEqual(liveQemuPids(), [], 'QEMU cleaned up');
});

/** One of each kind of outcome: D4 (empty roots), D5 (dropped DSDT, opaque blob kept), D1 (SeaBIOS's own tables), warnings, a rollback, a new case. */
const SUBSET: [string, 'seabios' | 'ovmf'][] = [
  ['baseline', 'ovmf'],
  ['checksum-prefilled-dsdt', 'ovmf'],
  ['write-pointer-no-dma', 'ovmf'],
  ['empty-script', 'seabios'],
  ['allocate-zone-3', 'seabios'],
  ['allocate-duplicate', 'seabios'],
];

for (const [id, firmware] of SUBSET) {
  live(`boot-real on ${id} (${firmware}) equals the recorded outcome${why}`, async (t) => {
    const c = loadCase(join(CORPUS, id));
    const r = await bootRealObserved(caseBootInput(c, firmware), caseOutcomeOptions(c));
    t.deepEqual(compareOutcomes(outcomeFromDir(join(c.dir, firmware)), outcomeFromFiles(r.outcome.json, r.outcome.files)), []);
    t.deepEqual(liveQemuPids(), []);
  });
}
