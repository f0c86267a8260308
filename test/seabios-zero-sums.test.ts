// The ACPI walk after SeaBIOS's loader skips summing a table only while the loader's checksum over exactly
// its bytes still holds (GuestMemory.mark): every table's checksumOk is held here to a plain byte sum of
// guest memory after the run, on the seed's script with commands added after its checksums.
import test from 'ava';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FwCfgGuest } from '../src/firmware/fwcfg-guest.js';
import { SEABIOS_1_16_2 } from '../src/firmware/records/seabios.js';
import { runSeaBios } from '../src/firmware/seabios.js';
import { decodeLoader, encodeLoader } from '../src/loader/codec.js';
import type { LoaderEntry } from '../src/loader/entry.js';
import { GuestMemory } from '../src/memory/guest-memory.js';
import { QEMU_VECTORS } from './helpers/paths.js';

const before = (f: string, n: number) => new Uint8Array(readFileSync(join(QEMU_VECTORS, 'seed', 'before', f)).subarray(0, n));
const seedScript = decodeLoader(before('etc_table-loader.bin', 0x1000));
const facts = { family: 'q35' as const, arch: 'x86_64' as const, lowRam: { start: 0, end: 0x80000000 }, numa: true, s3: true };
const profile = SEABIOS_1_16_2.profile(facts);

/** The seed's files served from host memory, with `script` as etc/table-loader; the run's report and memory. */
function run(script: readonly LoaderEntry[]) {
  const files = new Map<string, Uint8Array>([
    ['etc/acpi/rsdp', before('etc_acpi_rsdp.bin', 20)],
    ['etc/acpi/tables', before('etc_acpi_tables.bin', 0x20000)],
    ['etc/table-loader', encodeLoader(script)],
    ['etc/acpi/nvdimm-mem', new Uint8Array(4096)],
    ['etc/vmgenid_guid', new Uint8Array(4096)],
    ['etc/vmgenid_addr', new Uint8Array(8)],
  ]);
  const memory = new GuestMemory([
    { name: 'low', start: 0, size: 0xa0000, kind: 'ram' },
    { name: 'shadow', start: 0xe0000, size: 0x20000, kind: 'ram' },
    { name: 'high', start: 0x7e000000, size: 0x2000000, kind: 'ram' },
  ]);
  const dir = [...files].map(([name, data], i) => ({ name, size: data.length, select: 0x20 + i }));
  const fw: FwCfgGuest = {
    dma: true,
    directory: () => dir,
    readItem: (select, length, dest) => memory.write(dest, files.get(dir[select - 0x20]!.name)!.subarray(0, length)),
    readBytes: (_s, _o, length) => new Uint8Array(length),
    writeItem: () => 'done',
  };
  return { report: runSeaBios({ memory, fw }, profile, { facts, platform: { pciexbar: 0xb0000000 } }), memory };
}

/** What an OS's own byte loop says of each table the walk found (a FACS, whatever its bytes say, has no checksum). */
function plainSums(r: ReturnType<typeof run>): boolean[] {
  const facs = new Set(r.report.tables.filter((t) => t.signature === 'FACP').flatMap((t) => [r.memory.readU32LE(t.address + 36), r.memory.readU32LE(t.address + 132)]));
  return r.report.tables.map((t) => facs.has(t.address) || r.memory.read(t.address, t.length).reduce((s, b) => (s + b) & 0xff, 0) === 0);
}

test('the seed as QEMU wrote it: every table sums to zero, and the walk says so', (t) => {
  const r = run(seedScript);
  t.is(r.report.tables.length, 12);
  t.deepEqual(r.report.tables.map((x) => x.checksumOk), plainSums(r));
  t.true(r.report.tables.every((x) => x.checksumOk));
});

test('a pointer added into the DSDT after its checksum: the walk sees the DSDT fail', (t) => {
  const r = run([...seedScript, { type: 'addPointer', destFile: 'etc/acpi/tables', srcFile: 'etc/acpi/tables', offset: 0x60, size: 4 }]);
  const dsdt = r.report.tables.find((x) => x.signature === 'DSDT')!;
  t.false(dsdt.checksumOk);
  t.deepEqual(r.report.tables.map((x) => x.checksumOk), plainSums(r));
});

test('property: commands added after the checksums leave every checksumOk equal to a plain sum of memory', (t) => {
  const extra = fc.oneof(
    fc.record({ type: fc.constant('addPointer' as const), destFile: fc.constantFrom('etc/acpi/tables', 'etc/acpi/rsdp'), srcFile: fc.constant('etc/acpi/tables'), offset: fc.integer({ min: 0, max: 0x3c00 }), size: fc.constantFrom(1, 2, 4, 8) }),
    fc.record({ type: fc.constant('addChecksum' as const), file: fc.constant('etc/acpi/tables'), offset: fc.integer({ min: 0, max: 0x3c00 }), start: fc.integer({ min: 0, max: 0x3c00 }), length: fc.integer({ min: 0, max: 0x400 }) }),
  );
  fc.assert(
    fc.property(fc.array(extra, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: seedScript.length }), (added, at) => {
      const r = run([...seedScript.slice(0, at), ...added, ...seedScript.slice(at)]);
      t.deepEqual(r.report.tables.map((x) => x.checksumOk), plainSums(r));
    }),
    { numRuns: 150 },
  );
});
