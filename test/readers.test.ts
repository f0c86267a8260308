// The readers of outside directories: path safety, schema errors that name the file and the
// JSON path, consistency checks, and the in-memory source reading exactly what the directory holds.
import test from 'ava';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { profileFromCapture } from '../src/conformance/generator.js';
import { InputError } from '../src/errors.js';
import { machineFromVector } from '../src/qemu/from-vector.js';
import { loadCase } from '../src/simulate/corpus-case.js';
import { policyFor } from '../src/simulate/options.js';
import { simulateRebuild } from '../src/simulate/rebuild-story.js';
import { DirectorySource, MemorySource, readTree, safeRelativePath, unsafePathReason } from '../src/vectors/file-source.js';
import { loadItemsCapture } from '../src/vectors/items-capture.js';
import { Vector } from '../src/vectors/vector.js';
import { fwcfg } from './helpers/cli.js';
import { QEMU_VECTORS, ROOT, vectorConfigs } from './helpers/paths.js';

const CAPTURE_DIRS = ['fwcfg-device', 'fwcfg-captures'].flatMap((p) =>
  readdirSync(join(ROOT, 'spec-vectors', p), { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'transcripts')
    .map((d) => join(ROOT, 'spec-vectors', p, d.name)),
);
const CORPUS = join(ROOT, 'spec-vectors/firmware-conformance');
const CASE_DIRS = readdirSync(CORPUS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => join(CORPUS, d.name));

const utf8 = new TextEncoder();

/** A real directory in memory with its JSON file edited. */
function edited(dir: string, file: string, edit: (j: any) => void, label = ''): MemorySource {
  const files = readTree(dir);
  const json = JSON.parse(new TextDecoder().decode(files.get(file)!));
  edit(json);
  files.set(file, utf8.encode(JSON.stringify(json)));
  return new MemorySource(files, label);
}

// ------------------------------------------------------------------ path safety

test('path safety: absolute paths, ".." segments, NUL and backslashes are refused, with the reason', (t) => {
  const cases: [string, string | undefined][] = [
    ['before/etc_table-loader.bin', undefined],
    ['./before//x.bin', undefined],
    ['/etc/passwd', 'is absolute'],
    ['C:/x', 'is absolute'],
    ['../x', 'has a ".." segment'],
    ['before/../../x', 'has a ".." segment'],
    ['a\0b', 'contains a NUL byte'],
    ['..\\x', 'contains a backslash'],
    ['', 'is empty'],
    ['./', 'names no file'],
  ];
  for (const [path, why] of cases) t.is(unsafePathReason(path), why, JSON.stringify(path));
  t.is(safeRelativePath('./before//x.bin', 'v'), 'before/x.bin');
  t.throws(() => safeRelativePath('../x', 'v'), { instanceOf: InputError, code: 'UNSAFE_PATH', message: 'v: path "../x" has a ".." segment' });
});

test('an in-memory source refuses unsafe names, serves copies, and names files as the directory would', (t) => {
  t.throws(() => new MemorySource({ '/abs.bin': new Uint8Array(1) }, 'mem'), { code: 'UNSAFE_PATH', message: 'mem: path "/abs.bin" is absolute' });
  const src = new MemorySource({ 'a/b.bin': Uint8Array.of(1, 2) }, 'mem');
  t.throws(() => src.read('../a/b.bin', 'blob'), { code: 'UNSAFE_PATH', message: 'mem: path "../a/b.bin" has a ".." segment' });
  t.throws(() => src.read('a/c.bin', 'blob'), { code: 'READ_FAILED', message: 'cannot read blob mem/a/c.bin: no such file' });
  t.false(src.has('../a/b.bin'));
  t.true(src.has('./a//b.bin'));
  const copy = src.read('a/b.bin', 'blob');
  copy[0] = 9;
  t.deepEqual(src.read('a/b.bin', 'blob'), Uint8Array.of(1, 2));
});

test('a directory source never leaves its root, not even through a symbolic link', (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-src-'));
  try {
    const root = join(tmp, 'root');
    mkdirSync(root);
    writeFileSync(join(root, 'inside.bin'), Uint8Array.of(7));
    writeFileSync(join(tmp, 'secret.bin'), Uint8Array.of(1));
    symlinkSync(join(tmp, 'secret.bin'), join(root, 'out.bin'));
    symlinkSync('inside.bin', join(root, 'alias.bin'));
    const src = new DirectorySource(root);
    t.deepEqual(src.read('inside.bin', 'blob'), Uint8Array.of(7));
    t.deepEqual(src.read('alias.bin', 'blob'), Uint8Array.of(7), 'a link that stays inside is fine');
    t.throws(() => src.read('out.bin', 'blob'), { code: 'UNSAFE_PATH', message: `${join(root, 'out.bin')}: leads outside ${root} (a symbolic link)` });
    t.throws(() => src.read('../secret.bin', 'blob'), { code: 'UNSAFE_PATH', message: `${root}: path "../secret.bin" has a ".." segment` });
    t.throws(() => src.read('nope.bin', 'blob'), { code: 'READ_FAILED', message: `cannot read blob ${join(root, 'nope.bin')}: no such file` });
    t.false(src.has('out.bin'));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------ schemas

const Q35 = join(QEMU_VECTORS, 'q35');

test('manifest.json: every mismatch is a typed error naming the file and the JSON path', (t) => {
  const cases: [(m: any) => void, string, string][] = [
    [(m) => (m.stages.before.roms[2].fw_cfg_size = '12'), 'BAD_MANIFEST', 'stages.before.roms[2].fw_cfg_size: expected a non-negative integer below 2^32, got "12"'],
    [(m) => (m.stages.before.roms[0].path = '../../x'), 'UNSAFE_PATH', 'stages.before.roms[0].path: path "../../x" has a ".." segment'],
    [(m) => (m.stages.after.roms[1].path = '/etc/passwd'), 'UNSAFE_PATH', 'stages.after.roms[1].path: path "/etc/passwd" is absolute'],
    [(m) => delete m.stages.before.fw_cfg_directory, 'BAD_MANIFEST', 'stages.before.fw_cfg_directory: expected an array, got nothing'],
    [(m) => (m.stages.before.fw_cfg_directory[0].size_at_add = 2 ** 32), 'BAD_MANIFEST', 'stages.before.fw_cfg_directory[0].size_at_add: expected a non-negative integer below 2^32, got 4294967296'],
    [(m) => (m.stages.before.fw_cfg_directory[0].key = '0x10000'), 'BAD_MANIFEST', 'stages.before.fw_cfg_directory[0].key: expected a 16-bit hex number ("0x..."), got "0x10000"'],
    [(m) => (m.stages.after.ramblock[0].used = -1), 'BAD_MANIFEST', 'stages.after.ramblock[0].used: expected a non-negative integer, got -1'],
    [(m) => (m.stages.after.ramblock[0].used = 0.5), 'BAD_MANIFEST', 'stages.after.ramblock[0].used: expected a non-negative integer, got 0.5'],
    [(m) => (m.stages.after.ramblock[0].used = 2 ** 53), 'BAD_MANIFEST', 'stages.after.ramblock[0].used: expected a non-negative integer, got 9007199254740992'],
    [(m) => (m.stages.before.ramblock[0].max = 1), 'BAD_MANIFEST', 'stages.before.ramblock[0]: used 2147483648 is larger than max 1'],
    [(m) => (m.stages.before.roms[1].fw_cfg_size = 8192), 'BAD_MANIFEST', 'stages.before.roms[1]: fw_cfg_size 8192 is larger than used_length 4096'],
    [(m) => (m.stages['after-ovmf'].qmp_vm_generation_id = 'nope'), 'BAD_MANIFEST', 'stages.after-ovmf.qmp_vm_generation_id: expected a GUID, got "nope"'],
    [(m) => (m.stages['odd stage'] = 1), 'BAD_MANIFEST', 'stages["odd stage"]: expected an object, got 1'],
    [(m) => (m.stages = []), 'BAD_MANIFEST', 'stages: expected an object, got []'],
    [(m) => (m.machine_type = 35), 'BAD_MANIFEST', 'machine_type: expected a string, got 35'],
  ];
  for (const [edit, code, message] of cases) {
    t.throws(() => Vector.load(edited(Q35, 'manifest.json', edit)), { instanceOf: InputError, code, message: `manifest.json: ${message}` });
  }
  const notJson = new MemorySource({ 'manifest.json': utf8.encode('{"stages": ') });
  t.throws(() => Vector.load(notJson), { code: 'BAD_JSON', message: /^manifest\.json: not valid JSON \(/ });
  t.throws(() => Vector.load(new MemorySource({ 'manifest.json': utf8.encode('[]') })), { code: 'BAD_MANIFEST', message: 'manifest.json: expected an object, got []' });
});

test('manifest.json: a blob shorter than its row says is refused when read', (t) => {
  const files = readTree(Q35);
  files.set('before/etc_table-loader.bin', new Uint8Array(100));
  const v = Vector.load(new MemorySource(files, 'q35'));
  t.throws(() => v.romBytes('before', 'etc/table-loader'), { code: 'SHORT_BLOB', message: 'q35/before/etc_table-loader.bin: 100 bytes, manifest says the file is 4096' });
  t.throws(() => v.stage('toString'), { code: 'NO_STAGE' });
});

const REF_Q35 = join(ROOT, 'spec-vectors/fwcfg-captures/q35');

test('items.json: every mismatch is a typed error naming the file and the JSON path', (t) => {
  const cases: [(j: any) => void, string, string][] = [
    [(j) => (j.items[3].size = 1.5), 'BAD_CAPTURE', 'items[3].size: expected a non-negative integer below 2^32, got 1.5'],
    [(j) => (j.items[0].kind = 'bogus'), 'BAD_CAPTURE', 'items[0].kind: expected one of "well-known", "arch", "file", got "bogus"'],
    [(j) => (j.items[0].bin = '/etc/passwd'), 'UNSAFE_PATH', 'items[0].bin: path "/etc/passwd" is absolute'],
    [(j) => (j.items[0].key = 'zero'), 'BAD_CAPTURE', 'items[0].key: expected a 16-bit hex number ("0x..."), got "zero"'],
    [(j) => (j.layout = 'pci'), 'BAD_CAPTURE', 'layout: expected one of "io", "mmio", got "pci"'],
    [(j) => (j.mmio_base = 12), 'BAD_CAPTURE', 'mmio_base: expected a 64-bit hex number ("0x..."), got 12'],
    [(j) => (j.memory_contents[0].bin = 'memory/../../x.bin'), 'UNSAFE_PATH', 'memory_contents[0].bin: path "memory/../../x.bin" has a ".." segment'],
    [(j) => (j.memory_map.memory[0].size = '0x0'), 'BAD_CAPTURE', 'memory_map.memory[0]: size is 0'],
    [(j) => (j.memory_map.memory[1].start = '0x0'), 'BAD_CAPTURE', 'memory_map.memory[1] (pc.rom) overlaps memory[0] (pc.ram)'],
    [(j) => (j.memory_map.io[0].start = '0xffffffffffffffff'), 'BAD_CAPTURE', 'memory_map.io[0]: ends past 2^64'],
    [(j) => (j.items[1].key = '0x0000'), 'BAD_CAPTURE', "items[1]: key 0x0000 is also items[0]'s"],
    [(j) => (j.items[0].size = 5), 'BAD_CAPTURE', 'items[0]: 0x0000-signature.bin is 4 bytes, items.json says 5'],
    [(j) => (j.rebuild.items[0].sha256 = '0'.repeat(64)), 'BAD_CAPTURE', 'rebuild.items[0]: rebuild/0x0022-etc_acpi_rsdp.bin does not match its sha256'],
  ];
  for (const [edit, code, message] of cases) {
    t.throws(() => loadItemsCapture(edited(REF_Q35, 'items.json', edit)), { instanceOf: InputError, code, message: `items.json: ${message}` });
  }
});

test('a capture whose memory map has no RAM is refused by the sequence generator (it was a TypeError)', (t) => {
  const noRam = loadItemsCapture(edited(REF_Q35, 'items.json', (j) => j.memory_map.memory.forEach((r: { kind: string }) => r.kind === 'ram' && (r.kind = 'i/o')), 'q35'));
  t.throws(() => profileFromCapture(noRam), { instanceOf: InputError, code: 'NO_SCRATCH', message: "q35: the memory map has no RAM range of at least 0x110000 bytes for the generator's scratch area" });
  t.is(profileFromCapture(loadItemsCapture(REF_Q35)).scratch, 0x100000n + 0x8000000n, 'a real machine keeps its scratch area (128 MiB into its largest RAM range)');
});

test('case.json: every mismatch is a typed error naming the file and the JSON path; gzip is bounded', (t) => {
  const baseline = join(CORPUS, 'baseline');
  const cases: [(c: any) => void, string, string][] = [
    [(c) => (c.fw_cfg_files[0].size = -1), 'BAD_CASE', 'fw_cfg_files[0].size: expected a non-negative integer below 2^32, got -1'],
    [(c) => (c.fw_cfg_files[0].path = '../acpi-only/rsdp.bin'), 'UNSAFE_PATH', 'fw_cfg_files[0].path: path "../acpi-only/rsdp.bin" has a ".." segment'],
    [(c) => (c.observation.write_pointer_target_preset_hex = 'abc'), 'BAD_CASE', 'observation.write_pointer_target_preset_hex: expected hex bytes (an even number of hex digits), got "abc"'],
    [(c) => delete c.qemu, 'BAD_CASE', 'qemu: expected an object, got nothing'],
  ];
  for (const [edit, code, message] of cases) t.throws(() => loadCase(edited(baseline, 'case.json', edit)), { instanceOf: InputError, code, message: `case.json: ${message}` });

  const bomb = edited(baseline, 'case.json', (c) => Object.assign(c.fw_cfg_files[0], { path: 'bomb.gz', gzip: true, size: 20 }));
  const files = new Map([...bomb.entries(), ['bomb.gz', new Uint8Array(gzipSync(new Uint8Array(1 << 20)))]]);
  t.throws(() => loadCase(new MemorySource(files)), { code: 'BAD_CASE', message: 'bomb.gz inflates past the 20 bytes case.json says' });
  const notGzip = edited(baseline, 'case.json', (c) => (c.fw_cfg_files[0].gzip = true));
  t.throws(() => loadCase(notGzip), { code: 'BAD_CASE', message: /^rsdp\.bin is not valid gzip \(/ });
});

test('the CLI turns a hostile capture directory into one line on stderr and exit 2', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-hostile-'));
  try {
    const vec = join(tmp, 'vec');
    cpSync(Q35, vec, { recursive: true });
    const m = JSON.parse(readFileSync(join(vec, 'manifest.json'), 'utf8'));
    m.stages.before.roms[1].path = '../../../etc/hostname';
    writeFileSync(join(vec, 'manifest.json'), JSON.stringify(m));
    const cap = join(tmp, 'cap');
    cpSync(REF_Q35, cap, { recursive: true });
    const j = JSON.parse(readFileSync(join(cap, 'items.json'), 'utf8'));
    j.items[2].size = '16';
    writeFileSync(join(cap, 'items.json'), JSON.stringify(j));
    for (const argv of [['lint', vec], ['simulate', vec, '--firmware', 'none'], ['lint', cap], ['qtest', cap]]) {
      const r = await fwcfg(...argv);
      t.is(r.code, 2, argv.join(' '));
      t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
      t.regex(r.stderr, argv[1] === vec ? /manifest\.json: stages\.before\.roms\[1\]\.path: path "\.\.\/\.\.\/\.\.\/etc\/hostname" has a "\.\." segment/ : /items\.json: items\[2\]\.size: expected a non-negative integer below 2\^32, got "16"/);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------ memory equals directory

test('every real vector reads the same from memory as from its directory', (t) => {
  const policy = policyFor(undefined);
  for (const config of vectorConfigs()) {
    const dir = join(QEMU_VECTORS, config);
    const disk = Vector.load(dir);
    const mem = Vector.load(new MemorySource(readTree(dir), dir));
    t.deepEqual(mem.manifest, disk.manifest, config);
    t.is(mem.dir, disk.dir);
    for (const stage of disk.stageNames) {
      for (const rom of disk.stage(stage).roms) {
        t.deepEqual(mem.romBytes(stage, rom.fw_cfg_file), disk.romBytes(stage, rom.fw_cfg_file), `${config}/${stage} ${rom.fw_cfg_file}`);
        t.deepEqual(mem.romBlock(stage, rom.fw_cfg_file), disk.romBlock(stage, rom.fw_cfg_file));
      }
    }
    t.deepEqual(machineFromVector(mem, { policy, hostPageSize: 0x1000 }).infoRamblock(), machineFromVector(disk, { policy, hostPageSize: 0x1000 }).infoRamblock(), config);
    t.deepEqual(simulateRebuild(mem, { policy, hostPageSize: 0x1000, reset: true }), simulateRebuild(disk, { policy, hostPageSize: 0x1000, reset: true }), config);
  }
});

test('every real item capture and conformance case reads the same from memory as from its directory', (t) => {
  for (const dir of CAPTURE_DIRS) {
    const disk = loadItemsCapture(dir);
    const mem = loadItemsCapture(new MemorySource(readTree(dir), dir));
    t.deepEqual(mem, disk, dir);
    t.true(disk.items.length > 0);
  }
  for (const dir of CASE_DIRS) t.deepEqual(loadCase(new MemorySource(readTree(dir), dir)), loadCase(dir), dir);
  t.true(CASE_DIRS.length >= 27);
});
