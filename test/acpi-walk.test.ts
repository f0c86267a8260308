// The OS's ACPI walk on hand-built layouts: many tables (past the walk's scan-by-address limit), each
// reached twice, a FADT reached twice (its links followed once), a bad checksum, a short table, a pointer to nowhere.
import test from 'ava';
import { nothingKnown, scanForRsdp, walkTableList, walkTables, type RsdpInfo } from '../src/acpi/walk.js';
import { GuestMemory } from '../src/memory/guest-memory.js';

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

/** A table header with a checksum that holds (or not), `length` bytes long. */
function table(m: GuestMemory, at: number, signature: string, length: number, sound = true): void {
  m.write(at, ascii(signature));
  m.writeU32LE(at + 4, length);
  let sum = 0;
  for (const b of m.read(at, length)) sum += b;
  m.writeU8(at + 9, (m.readU8(at + 9) - sum + (sound ? 0 : 1)) & 0xff);
}

const rsdp = (rsdt: number, xsdt: number | null): RsdpInfo => ({ address: 0, revision: 2, oemId: 'TEST', rsdtAddress: rsdt, xsdtAddress: xsdt, length: 36, checksumOk: true, extendedChecksumOk: true });

test('forty tables, each in the RSDT and the XSDT: found once, in first-reference order, with both references', (t) => {
  const m = GuestMemory.flat(0x100000);
  const n = 40;
  const at = (i: number) => 0x10000 + i * 0x100;
  for (let i = 0; i < n; i++) table(m, at(i), `T${String(i).padStart(3, '0')}`, 36 + i, i !== 7);
  // the RSDT lists them in order, the XSDT backwards
  m.writeU32LE(0x8000 + 4, 36 + 4 * n);
  for (let i = 0; i < n; i++) m.writeU32LE(0x8000 + 36 + 4 * i, at(i));
  table(m, 0x8000, 'RSDT', 36 + 4 * n);
  m.writeU32LE(0x9000 + 4, 36 + 8 * n);
  for (let i = 0; i < n; i++) m.writeU32LE(0x9000 + 36 + 8 * i, at(n - 1 - i));
  table(m, 0x9000, 'XSDT', 36 + 8 * n);

  const walk = walkTables(m, rsdp(0x8000, 0x9000));
  t.deepEqual(walk.problems, []);
  t.is(walk.tables.length, n + 2);
  t.deepEqual(walk.tables.map((x) => x.signature), ['RSDT', ...Array.from({ length: n }, (_, i) => `T${String(i).padStart(3, '0')}`), 'XSDT']);
  for (let i = 0; i < n; i++) {
    const x = walk.tables[1 + i]!;
    t.is(x.address, at(i));
    t.is(x.length, 36 + i);
    t.deepEqual(x.referencedBy, [`RSDT[${i}]`, `XSDT[${n - 1 - i}]`]);
    t.is(x.checksumOk, i !== 7);
  }
});

test('a FADT reached from both roots has its FACS and DSDT followed once; short tables and holes are problems', (t) => {
  const m = GuestMemory.flat(0x100000);
  table(m, 0x3000, 'FACS', 64);
  table(m, 0x4000, 'DSDT', 100);
  m.writeU32LE(0x2000 + 36, 0x3000);
  m.writeU32LE(0x2000 + 40, 0x4000);
  m.writeU32LE(0x2000 + 140, 0x4000); // X_DSDT: the same DSDT
  table(m, 0x2000, 'FACP', 244);
  table(m, 0x5000, 'SHRT', 20); // shorter than a header
  m.writeU32LE(0x8000 + 36, 0x2000);
  m.writeU32LE(0x8000 + 40, 0x5000);
  m.writeU32LE(0x8000 + 44, 0x200000); // past the end of memory
  table(m, 0x8000, 'RSDT', 48);
  m.writeU32LE(0x9000 + 36, 0x2000);
  table(m, 0x9000, 'XSDT', 44);

  const walk = walkTables(m, rsdp(0x8000, 0x9000));
  t.deepEqual(
    walk.tables.map((x) => [x.signature, x.referencedBy]),
    [
      ['RSDT', ['RSDP.RSDT']],
      ['FACP', ['RSDT[0]', 'XSDT[0]']],
      ['FACS', ['FACP.FIRMWARE_CTRL']],
      ['DSDT', ['FACP.DSDT', 'FACP.X_DSDT']],
      ['XSDT', ['RSDP.XSDT']],
    ],
  );
  t.true(walk.tables.every((x) => x.checksumOk));
  t.is(walk.problems.length, 2);
  t.is(walk.problems[0], 'RSDT[1] -> 0x5000: SHRT with length 20, too short for a table');
  t.regex(walk.problems[1]!, /^RSDT\[2\] -> 0x200000: /);
});

test('walkTableList: the same tables and problems as walkTables, each in the maker\'s shape, and a FADT reached twice followed once', (t) => {
  const m = GuestMemory.flat(0x100000);
  table(m, 0x3000, 'FACS', 64);
  table(m, 0x4000, 'DSDT', 100, false);
  m.writeU32LE(0x2000 + 36, 0x3000);
  m.writeU32LE(0x2000 + 40, 0x4000);
  table(m, 0x2000, 'FACP', 244);
  m.writeU32LE(0x8000 + 36, 0x2000);
  m.writeU32LE(0x8000 + 40, 0x200000); // past the end of memory
  table(m, 0x8000, 'RSDT', 44);
  m.writeU32LE(0x9000 + 36, 0x2000);
  table(m, 0x9000, 'XSDT', 44);
  const root = rsdp(0x8000, 0x9000);
  const full = walkTables(m, root);
  let made = 0;
  const list = walkTableList(m, root, nothingKnown, (signature, address, length, checksumOk) => ({ signature, address, length, checksumOk, n: made++ }));
  t.deepEqual(
    list.tables,
    full.tables.map((x, n) => ({ signature: x.signature, address: x.address, length: x.length, checksumOk: x.checksumOk, n })),
  );
  t.deepEqual(list.tables.map((x) => x.signature), ['RSDT', 'FACP', 'FACS', 'DSDT', 'XSDT']);
  t.is(made, 5, 'one record per table, none for a second reference');
  t.false(list.tables[3]!.checksumOk);
  t.deepEqual(list.problems, full.problems);
  t.is(list.problems.length, 1);
});

/** An RSDP at `at`: ACPI 1.0 (20 bytes) or 2.0 (36), its checksums made to hold unless told. */
function rsdpAt(m: GuestMemory, at: number, revision: 0 | 2, opts: { badSum?: boolean; badExtended?: boolean; length?: number } = {}): void {
  m.write(at, ascii('RSD PTR '));
  m.writeU8(at + 15, revision);
  m.writeU32LE(at + 16, 0x8000);
  const fix = (len: number, sumAt: number, off: number) => {
    let s = 0;
    for (const b of m.read(at, len)) s += b;
    m.writeU8(at + sumAt, (m.readU8(at + sumAt) - s + off) & 0xff);
  };
  fix(20, 8, opts.badSum ? 1 : 0);
  if (revision === 2) {
    m.writeU32LE(at + 20, opts.length ?? 36);
    fix(36, 32, opts.badExtended ? 1 : 0);
  }
}

test('the RSDP scan takes the lowest 16-aligned RSDP whose checksums hold, in one region or across two', (t) => {
  for (const split of [false, true]) {
    // the zone [0xf0000, 0xf1000), or the same addresses as two regions meeting at 0xf0800
    const m = split
      ? new GuestMemory([
          { name: 'a', start: 0xf0000, size: 0x800, kind: 'ram' },
          { name: 'b', start: 0xf0800, size: 0x800, kind: 'ram' },
        ])
      : new GuestMemory([{ name: 'f', start: 0xf0000, size: 0x1000, kind: 'ram' }]);
    rsdpAt(m, 0xf0108, 0); // not 16-aligned: never looked at
    rsdpAt(m, 0xf0200, 0, { badSum: true });
    rsdpAt(m, 0xf0300, 2, { badExtended: true });
    rsdpAt(m, 0xf0400, 2, { length: 0x1000 }); // runs past the end of the zone
    rsdpAt(m, 0xf0900, 2);
    rsdpAt(m, 0xf0a00, 0);
    const found = scanForRsdp(m, 0xf0001, 0xf1000);
    t.is(found?.address, 0xf0900, split ? 'two regions' : 'one region');
    t.is(found?.revision, 2);
    t.is(scanForRsdp(m, 0xf0910, 0xf1000)?.address, 0xf0a00);
    t.is(scanForRsdp(m, 0xf0a10, 0xf1000), undefined);
    t.is(scanForRsdp(m, 0xf0a00, 0xf0a13), undefined, 'no room for 20 bytes');
    t.is(scanForRsdp(m, 0xf0a00, 0xf0a14)?.address, 0xf0a00);
  }
});
