// SeaBIOS-semantics execution of the seed's loader, a maximal synthetic script, and the checksum kernel.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sum8, sum8Portable } from '../src/acpi/checksum.js';
import { packageRoot } from '../src/vectors/package-root.js';
import type { FwCfgDirEntry, FwCfgGuest } from '../src/firmware/fwcfg-guest.js';
import { SEABIOS_1_16_2 } from '../src/firmware/records/seabios.js';
import { runSeaBios } from '../src/firmware/seabios.js';
import { BiosLinker } from '../src/loader/linker.js';
import { allocateBacking } from '../src/memory/backing.js';
import { FrozenBytes, GuestMemory } from '../src/memory/guest-memory.js';
import { defineCase, do_not_optimize } from './harness.js';
import { fnv1a, nativeInputs, tableDigest } from './native.js';
import { machineFromVector } from '../src/qemu/from-vector.js';
import { boot } from '../src/simulate/boot.js';
import { vectorFileContents } from '../src/simulate/captures.js';
import { guestFor } from '../src/simulate/fwcfg-access.js';
import { policyFor } from '../src/simulate/options.js';
import { Vector } from '../src/vectors/vector.js';

/**
 * fw_cfg served from host memory: the executor's semantics without the device's cost. The files
 * never change, so they are FrozenBytes and a read is GuestMemory.load: the bytes of a write(),
 * without storing the zero pages of a file (most of the 128 KiB tables blob) over guest pages that
 * are still zero.
 */
function directGuest(files: Map<string, Uint8Array>, memory: GuestMemory): FwCfgGuest {
  const dir: FwCfgDirEntry[] = [...files].map(([name, data], i) => ({ name, size: data.length, select: 0x20 + i }));
  const bySelect = new Map(dir.map((d) => [d.select, FrozenBytes.copyOf(files.get(d.name)!)]));
  return {
    dma: true,
    directory: () => dir,
    readItem: (select, length, dest) => memory.load(dest, bySelect.get(select)!, 0, length),
    // numbered items (the CPU count, NUMA, ...) are not served here: zeros, as QEMU reads an absent key
    readBytes: (select, offset, length) => {
      const out = new Uint8Array(length);
      const item = bySelect.get(select)?.view();
      if (item !== undefined) out.set(item.slice(offset, offset + length));
      return out;
    },
    writeItem: () => 'done',
  };
}

const vec = join(packageRoot(), 'spec-vectors/qemu-7.2/seed');
const rom = (stage: string, f: string, n: number) => readFileSync(join(vec, stage, f)).subarray(0, n);
// the script QEMU 7.2 created for the seed (before/): 4096 bytes = 32 commands, the tables and the
// RSDP at their fw_cfg sizes; what SeaBIOS reads and copies in one boot
const seedFiles = new Map<string, Uint8Array>([
  ['etc/acpi/rsdp', rom('before', 'etc_acpi_rsdp.bin', 20)],
  ['etc/acpi/tables', rom('before', 'etc_acpi_tables.bin', 0x20000)],
  ['etc/table-loader', rom('before', 'etc_table-loader.bin', 0x1000)],
  ['etc/acpi/nvdimm-mem', new Uint8Array(4096)],
  ['etc/vmgenid_guid', new Uint8Array(4096)],
  ['etc/vmgenid_addr', new Uint8Array(8)],
]);
const profile = SEABIOS_1_16_2.profile({ family: 'q35', arch: 'x86_64', lowRam: { start: 0, end: 0x80000000 }, numa: true, s3: true });
const q35 = { facts: { family: 'q35' as const, arch: 'x86_64' as const, lowRam: { start: 0, end: 0x80000000 }, numa: true, s3: true }, platform: { pciexbar: 0xb0000000 } };
const regions = [
  { name: 'low', start: 0, size: 0xa0000 },
  { name: 'shadow', start: 0xe0000, size: 0x20000 },
  { name: 'high', start: 0x7e000000, size: 0x2000000 },
];
const memory = new GuestMemory(regions.map((r) => ({ ...r, kind: 'ram' as const })));
const seedGuest = directGuest(seedFiles, memory);
const seedRun = () => runSeaBios({ memory, fw: seedGuest }, profile, q35);
defineCase({
  group: 'SeaBIOS execution',
  name: 'seed loader (before/, 32 commands, 128 KiB tables)',
  units: 1,
  unit: 'run',
  targetNsPerUnit: 10_000,
  fn: () => do_not_optimize(seedRun()),
});
// The same run timed as the C reference times its own: back to back in batches of SEED_BATCH, one
// figure per batch. The case above times each run alone, between mitata's heap probes
// (getHeapStatistics before and after every sample), which the C runs never pay.
const SEED_BATCH = 100;
defineCase({
  group: 'SeaBIOS execution',
  name: `seed loader, batches of ${SEED_BATCH} runs (as the C reference is timed)`,
  units: SEED_BATCH,
  unit: 'run',
  targetNsPerUnit: 10_000,
  fn: () => {
    let r;
    for (let i = 0; i < SEED_BATCH; i++) r = seedRun();
    return do_not_optimize(r);
  },
});
// the same boot in C (bench/native/reference.c): same files, regions and zones
nativeInputs.exec = {
  regions,
  zoneHigh: profile.zoneHigh,
  zoneTmp: profile.tmpHigh,
  zoneFseg: profile.fsegRoom,
  fsegEnd: profile.fsegZoneEnd,
  files: seedFiles,
  expect: () => {
    const r = seedRun();
    return {
      rsdp: r.rsdp?.address ?? 0,
      warnings: r.warnings.length,
      allocated: r.allocations.length,
      digest: fnv1a(r.allocations.map((a) => memory.read(a.base, a.length))),
      tables: r.tables.length,
      tablesDigest: tableDigest(r.tables),
    };
  },
  run: seedRun,
};

// the same boot as a user runs it: the seed machine, SeaBIOS through FwCfgDriver (port selects,
// DMA descriptors, the device's transfer engine) into a fresh guest memory each run
const seedMachine = machineFromVector(Vector.load(vec), { policy: policyFor('7.2'), hostPageSize: 0x1000, fileContents: vectorFileContents(Vector.load(vec), 'after', undefined) });
defineCase({
  group: 'SeaBIOS execution',
  name: 'seed boot through the device (driver, DMA, fresh memory)',
  units: 1,
  unit: 'run',
  fn: () => {
    const b = boot(seedMachine, { firmware: 'seabios' }, guestFor);
    b.memory.release();
    return do_not_optimize(b.report);
  },
});

// a maximal script: 512 entries over a 2 MiB tables blob (1 ALLOCATE, pointers and checksums)
const big = new Uint8Array(0x200000);
const linker = new BiosLinker();
linker.allocate('etc/acpi/tables', big, 64, false);
for (let i = 0; linker.entries().length < 512; i++) {
  const table = (i * 4096) % (0x200000 - 4096);
  if (i % 2 === 0) linker.addPointer('etc/acpi/tables', table + 36, 4, 'etc/acpi/tables', table);
  else linker.addChecksum('etc/acpi/tables', table, 4096, table + 9);
}
const maxFiles = new Map<string, Uint8Array>([
  ['etc/acpi/tables', big],
  ['etc/table-loader', linker.encode()],
]);
const maxGuest = directGuest(maxFiles, memory);
const touched = 0x200000 + 256 * 4096; // the blob copy, then every summed range
defineCase({
  group: 'SeaBIOS execution',
  name: 'maximal script: 512 entries over 2 MiB',
  units: 512,
  unit: 'entry',
  bytes: touched,
  fn: () => do_not_optimize(runSeaBios({ memory, fw: maxGuest }, profile, q35)),
});

// the checksum kernel over 2 MiB, beside a copy of the same bytes
const N = 0x200000;
const src = allocateBacking(N);
for (let i = 0; i < N; i++) src[i] = (i * 7) & 0xff;
const dst = new Uint8Array(N);
const plain = src.slice();
defineCase({ group: 'checksum 2 MiB', name: 'TypedArray.set 2 MiB (memcpy limit)', baseline: true, bytes: N, fn: () => dst.set(src) });
defineCase({ group: 'checksum 2 MiB', name: 'sum8: wasm SIMD in guest memory', bytes: N, targetBandwidthRatio: 0.5, fn: () => do_not_optimize(sum8(src)) });
defineCase({ group: 'checksum 2 MiB', name: 'sum8: portable SWAR (plain buffer)', bytes: N, fn: () => do_not_optimize(sum8Portable(plain)) });
defineCase({
  group: 'checksum 2 MiB',
  name: 'byte loop (for scale)',
  bytes: N,
  fn: () => {
    let s = 0;
    for (let i = 0; i < N; i++) s += plain[i]!;
    return do_not_optimize(s & 0xff);
  },
});
