// The reference captures (written by `fwcfg capture` from the real QEMU) against the shared ones, and the format's reader.
import test from 'ava';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeLoader } from '../src/loader/codec.js';
import { loadItemsCapture } from '../src/vectors/items-capture.js';
import { CONFIGS, REFERENCE_DIR, referenceCapture, sharedCapture } from './helpers/machines.js';
import { QEMU_VECTORS } from './helpers/paths.js';

for (const config of CONFIGS) {
  test(`${config}: fwcfg capture served every item the shared capture has, byte for byte, and nothing else`, (t) => {
    const ours = referenceCapture(config);
    const theirs = sharedCapture(config);
    t.deepEqual(
      ours.items.map((i) => [i.key, i.name, i.kind, i.size]),
      theirs.items.map((i) => [i.key, i.name, i.kind, i.size]),
    );
    ours.items.forEach((it, i) => t.deepEqual(it.bytes, theirs.items[i]!.bytes, it.name));
    // the same empty keys (the shared list also names empty files)
    const emptyKeys = (c: typeof ours) => (c.json['empty_keys_probed'] as string[]).filter((k) => /^0x(00[01]|80)/.test(k));
    t.deepEqual(emptyKeys(ours), emptyKeys(theirs));
    t.is(ours.json.capture_format, 2);
    t.truthy(ours.memoryMap);
    t.true(ours.memoryMap!.memory.length > 3);
  });
}

test('writability as a guest measures it: only the files QEMU 7.2 makes writable', (t) => {
  const writable = (c: string) => referenceCapture(c).items.filter((i) => i.writable).map((i) => i.name);
  t.deepEqual(writable('q35'), ['etc/smi/requested-features']);
  t.deepEqual(writable('seed'), ['etc/smi/requested-features', 'etc/vmgenid_addr']);
  t.deepEqual(writable('q35-userfiles'), ['etc/smi/requested-features']);
  t.deepEqual(writable('pc'), []);
  t.deepEqual(writable('virt'), []);
  // no DMA: a guest cannot try
  t.true(referenceCapture('pc-i440fx-2.0').items.every((i) => i.writable === undefined));
});

test('memory contents: SeaBIOS at 0xe0000 and below 4 GiB on x86 (same bytes through both mappings), the DTB on virt', (t) => {
  const q35 = referenceCapture('q35').memoryContents!;
  t.deepEqual(q35.map((c) => c.address), [0xe0000n, 0xfffd2000n]);
  // both mappings of pc.bios: 0xe0000-0xfffff is its last 128 KiB, 0xfffd2000 its non-zero tail below 4 GiB
  t.is(q35[0]!.bytes.length, 0x20000);
  t.deepEqual(q35[1]!.bytes.subarray(q35[1]!.bytes.length - 0x20000), q35[0]!.bytes);
  t.deepEqual([...q35[1]!.bytes.subarray(-16, -11)], [0xea, 0x5b, 0xe0, 0x00, 0xf0], 'the reset vector: jmp f000:e05b');
  const virt = referenceCapture('virt').memoryContents!;
  t.deepEqual(virt.map((c) => c.address), [0x40000000n]);
  t.deepEqual([...virt[0]!.bytes.subarray(0, 4)], [0xd0, 0x0d, 0xfe, 0xed]);
});

test('--rebuild on seed: PCIEXBAR programmed, the loader grows to 0x2000 (34 commands), equal to what SeaBIOS read in the boot capture', (t) => {
  const seed = referenceCapture('seed');
  t.deepEqual(seed.json.rebuild!.size_changes, [{ name: 'etc/table-loader', before: 4096, after: 8192 }]);
  t.deepEqual(seed.json.rebuild!.how.slice(0, 4), ['outl 0xcf8 0x80000064', 'outl 0xcfc 0x0', 'outl 0xcf8 0x80000060', 'outl 0xcfc 0xb0000001']);
  const loader = seed.rebuilt!.find((r) => r.name === 'etc/table-loader')!.bytes;
  t.is(decodeLoader(loader).filter((e) => e.type !== 'padding').length, 34);
  const booted = readFileSync(join(QEMU_VECTORS, 'seed', 'after', 'etc_table-loader.bin'));
  t.deepEqual(loader, new Uint8Array(booted.subarray(0, loader.length)));
  t.deepEqual(seed.json.rebuild!.ramblock_after!.find((r) => r.name === '/rom@etc/table-loader'), { name: '/rom@etc/table-loader', used: 8192, max: 65536 });
  // plain q35: the same steps change nothing
  t.deepEqual(referenceCapture('q35').json.rebuild!.size_changes, []);
});

test('the reader checks the extensions: bad hex, a missing or altered memory file', (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-capfmt-'));
  try {
    const dir = join(tmp, 'q35');
    cpSync(join(REFERENCE_DIR, 'q35'), dir, { recursive: true });
    const json = JSON.parse(readFileSync(join(dir, 'items.json'), 'utf8'));
    const edit = (f: (j: typeof json) => void) => {
      const j = structuredClone(json);
      f(j);
      writeFileSync(join(dir, 'items.json'), JSON.stringify(j));
    };
    edit((j) => (j.memory_map.memory[0].start = 'zero'));
    t.throws(() => loadItemsCapture(dir), { code: 'BAD_CAPTURE', message: /items\.json: memory_map\.memory\[0\]\.start: expected a 64-bit hex number \("0x\.\.\."\), got "zero"$/ });
    edit((j) => (j.memory_contents[0].sha256 = '0'.repeat(64)));
    t.throws(() => loadItemsCapture(dir), { code: 'BAD_CAPTURE', message: /memory_contents\[0\].*does not match its sha256/ });
    edit((j) => (j.memory_contents[1].bin = 'memory/missing.bin'));
    t.throws(() => loadItemsCapture(dir), { code: 'READ_FAILED', message: /missing\.bin: no such file/ });
    edit((j) => delete j.memory_map.io);
    t.throws(() => loadItemsCapture(dir), { code: 'BAD_CAPTURE', message: /items\.json: memory_map\.io: expected an array, got nothing$/ });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('both directory formats are told apart (items.json captures, manifest.json vectors)', async (t) => {
  const { detectCaptureKind } = await import('../src/vectors/capture-kind.js');
  t.is(detectCaptureKind(join(REFERENCE_DIR, 'q35')), 'items');
  t.is(detectCaptureKind(join(QEMU_VECTORS, 'q35')), 'vector');
  t.throws(() => detectCaptureKind(REFERENCE_DIR), { code: 'NO_VECTOR', message: /neither a QEMU vector \(manifest\.json\) nor a capture \(items\.json\)/ });
  t.throws(() => detectCaptureKind(join(REFERENCE_DIR, 'nope')), { code: 'NO_VECTOR', message: /no such directory/ });
});
