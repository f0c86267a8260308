// OVMF's per-command functions, one case per status each can return (QemuFwCfgAcpi.c's @retval lists).
import { OVMF_2022_11 } from '../src/firmware/records/ovmf.js';
import test from 'ava';
import { checksumByte } from '../src/acpi/checksum.js';
import { decodeEntry, encodeEntry } from '../src/loader/codec.js';
import type { AddChecksum, AddPointer, Allocate, LoaderEntry, WritePointer } from '../src/loader/entry.js';
import type { FwCfgGuest } from '../src/firmware/fwcfg-guest.js';
import { AcpiTableProtocol } from '../src/firmware/ovmf-acpi-table-protocol.js';
import {
  collectAllocationsRestrictedTo32Bit,
  processCmdAddChecksum,
  processCmdAddPointer,
  processCmdAllocate,
  processCmdWritePointer,
  undoCmdWritePointer,
} from '../src/firmware/ovmf-commands.js';
import { allocateS3Context, transferS3ContextToBootScript } from '../src/firmware/ovmf-s3.js';
import { INSTALLED_TABLES_MAX, newSecondPass, process2ndPassCmdAddPointer } from '../src/firmware/ovmf-second-pass.js';
import { isHung } from '../src/firmware/ovmf-status.js';
import { freeTableOnlyBlobs, rollBack } from '../src/firmware/ovmf-teardown.js';
import { newLoaderState, type OvmfLoaderState } from '../src/firmware/ovmf-tracker.js';
import { PAGE } from '../src/firmware/page-allocator.js';
import { ovmfProfile } from '../src/firmware/profiles.js';
import { emptyReport, type FirmwareReport } from '../src/firmware/report.js';
import type { GuestMemory } from '../src/memory/guest-memory.js';
import type { QemuMachine } from '../src/qemu/machine.js';
import { firmwareMemory } from '../src/simulate/boot.js';
import { execMachine, type ExecFile } from '../src/simulate/exec-machine.js';
import { driverScratch, guestFor } from '../src/simulate/fwcfg-access.js';
import { policyFor } from '../src/simulate/options.js';

const MiB = 0x100000;
const profile = ovmfProfile();

interface Rig {
  machine: QemuMachine;
  memory: GuestMemory;
  state: OvmfLoaderState;
  report: FirmwareReport;
  /** Every fw_cfg write the firmware made, in order: [select, offset, bytes]. */
  writes: [number, number, number[]][];
}

/** An exec machine with `files`, OVMF's memory, its fw_cfg driver (writes logged), and a fresh loader state. */
function rig(t: { teardown(fn: () => void): void }, files: ExecFile[], dma = true): Rig {
  const machine = execMachine(files, policyFor(undefined), dma ? {} : { dma: false });
  const ranges = [
    { start: profile.reclaim.bottom - 2 * MiB, end: profile.nvs.top + MiB },
    { start: profile.generalTop - 24 * MiB, end: profile.generalTop },
  ];
  const memory = firmwareMemory(machine, ranges, new Map());
  t.teardown(() => memory.release());
  const inner = guestFor(machine, memory, OVMF_2022_11, driverScratch(machine));
  const writes: Rig['writes'] = [];
  const fw: FwCfgGuest = {
    dma: inner.dma,
    directory: () => inner.directory(),
    readItem: (select, length, dest) => inner.readItem(select, length, dest),
    readBytes: (select, offset, length) => inner.readBytes(select, offset, length),
    writeItem(select, offset, data) {
      writes.push([select, offset, [...data]]);
      return inner.writeItem(select, offset, data);
    },
  };
  const report = emptyReport('ovmf');
  return { machine, memory, report, writes, state: newLoaderState(memory, fw, undefined, profile, report) };
}

const bytes = (n: number, from = 1) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);
const allocate = (file: string, align = 64): Allocate => ({ type: 'allocate', file, align, zone: 1 });
const addPointer = (destFile: string, srcFile: string, offset: number, size: number): AddPointer => ({ type: 'addPointer', destFile, srcFile, offset, size });
const addChecksum = (file: string, offset: number, start: number, length: number): AddChecksum => ({ type: 'addChecksum', file, offset, start, length });
const writePointer = (destFile: string, srcFile: string, dstOffset: number, srcOffset: number, size: number): WritePointer => ({ type: 'writePointer', destFile, srcFile, dstOffset, srcOffset, size });

/** The entry as read from a script whose name field at `at` has no NUL in its 56 bytes. */
function unterminated<E extends LoaderEntry>(e: E, at: 4 | 60): E {
  const raw = new Uint8Array(128);
  encodeEntry(e, raw);
  raw.fill(0x78, at, at + 56);
  return decodeEntry(raw) as E;
}

/** A table of `length` bytes with signature `sig` and a valid checksum. */
function table(sig: string, length = 36): Uint8Array {
  const t = new Uint8Array(length);
  t.set(Array.from(sig, (c) => c.charCodeAt(0)));
  new DataView(t.buffer).setUint32(4, length, true);
  t[8] = 1;
  t[9] = checksumByte(t);
  return t;
}

/** A blob holding 8-byte pointers (relative to itself, one per table) followed by the tables. */
function tablesBlob(tables: Uint8Array[]): { data: Uint8Array; pointers: number[] } {
  const head = 8 * tables.length;
  const data = new Uint8Array(head + tables.reduce((n, x) => n + x.length, 0));
  const dv = new DataView(data.buffer);
  let at = head;
  tables.forEach((x, i) => {
    dv.setBigUint64(8 * i, BigInt(at), true);
    data.set(x, at);
    at += x.length;
  });
  return { data, pointers: tables.map((_, i) => 8 * i) };
}

// ---- pass 0

test('collectAllocationsRestrictedTo32Bit: EFI_SUCCESS, and an unterminated pointee name of an 8-byte pointer is not its business', (t) => {
  const entries = [allocate('a'), unterminated(addPointer('a', 'a', 0, 8), 60)];
  t.deepEqual(collectAllocationsRestrictedTo32Bit(entries), { status: 'EFI_SUCCESS' });
});

test('collectAllocationsRestrictedTo32Bit: EFI_PROTOCOL_ERROR at the narrow pointer whose pointee name is not NUL-terminated', (t) => {
  const entries = [allocate('a'), addPointer('a', 'a', 0, 8), unterminated(addPointer('a', 'a', 0, 4), 60)];
  t.deepEqual(collectAllocationsRestrictedTo32Bit(entries), { status: 'EFI_PROTOCOL_ERROR', reason: 'malformed file name', index: 2 });
});

// ---- ALLOCATE

test('processCmdAllocate: EFI_SUCCESS reads the file into fresh NVS pages, zeroes the tail, tracks the blob', (t) => {
  const r = rig(t, [{ name: 'etc/test/blob', data: bytes(100) }]);
  r.memory.fill(profile.nvs.top - PAGE, PAGE, 0xee);
  t.deepEqual(processCmdAllocate(r.state, allocate('etc/test/blob'), 3), { status: 'EFI_SUCCESS' });
  const base = profile.nvs.top - PAGE;
  t.deepEqual(r.state.blobs.get('etc/test/blob'), { name: 'etc/test/blob', base, size: 100, hostsOnlyTableData: true });
  t.deepEqual(r.memory.read(base, 100), bytes(100));
  t.true(r.memory.read(base + 100, PAGE - 100).every((b) => b === 0));
  t.deepEqual(r.report.allocations, [{ file: 'etc/test/blob', base, length: 100, reserved: PAGE, entry: 3 }]);
});

test('processCmdAllocate: EFI_PROTOCOL_ERROR for an unterminated name and for a second ALLOCATE of a file (its pages freed)', (t) => {
  const r = rig(t, [{ name: 'etc/test/blob', data: bytes(100) }]);
  t.deepEqual(processCmdAllocate(r.state, unterminated(allocate('etc/test/blob'), 4), 0), { status: 'EFI_PROTOCOL_ERROR', reason: 'malformed file name' });
  t.is(processCmdAllocate(r.state, allocate('etc/test/blob'), 0).status, 'EFI_SUCCESS');
  t.deepEqual(processCmdAllocate(r.state, allocate('etc/test/blob'), 1), { status: 'EFI_PROTOCOL_ERROR', reason: 'duplicated file "etc/test/blob"' });
  const second = profile.nvs.top - 2 * PAGE;
  t.true(r.memory.read(second, PAGE).every((b) => b === profile.freedFill));
  t.is(r.state.blobs.size, 1);
  t.is(r.report.allocations.length, 1);
});

test('processCmdAllocate: EFI_UNSUPPORTED for an alignment above a page (4096 itself, and 3, are fine)', (t) => {
  const r = rig(t, [{ name: 'etc/test/blob', data: bytes(100) }]);
  t.deepEqual(processCmdAllocate(r.state, allocate('etc/test/blob', 0x2000), 0), { status: 'EFI_UNSUPPORTED', reason: 'unsupported alignment 0x2000' });
  t.is(processCmdAllocate(r.state, allocate('etc/test/blob', 3), 0).status, 'EFI_SUCCESS');
  t.is(processCmdAllocate(rig(t, [{ name: 'x', data: bytes(1) }]).state, allocate('x', 0x1000), 0).status, 'EFI_SUCCESS');
});

test('processCmdAllocate: EFI_NOT_FOUND for a file the directory does not list', (t) => {
  const r = rig(t, []);
  t.deepEqual(processCmdAllocate(r.state, allocate('etc/test/none'), 0), { status: 'EFI_NOT_FOUND', reason: 'QemuFwCfgFindFile("etc/test/none"): Not Found' });
  t.is(r.state.blobs.size, 0);
});

test('processCmdAllocate: EFI_OUT_OF_RESOURCES for an empty file (AllocatePages of 0 pages)', (t) => {
  const r = rig(t, [{ name: 'etc/test/empty', data: new Uint8Array(0) }]);
  t.deepEqual(processCmdAllocate(r.state, allocate('etc/test/empty'), 0), { status: 'EFI_OUT_OF_RESOURCES', reason: 'AllocatePages for 0 bytes' });
  t.is(r.state.blobs.size, 0);
});

// ---- ADD_POINTER

test('processCmdAddPointer: EFI_SUCCESS adds the pointee base to the field, in its width', (t) => {
  const r = rig(t, [
    { name: 'p', data: Uint8Array.of(0x10, 0, 0, 0, 0, 0, 0, 0, 0xaa) },
    { name: 'q', data: bytes(0x20) },
  ]);
  processCmdAllocate(r.state, allocate('p'), 0);
  processCmdAllocate(r.state, allocate('q'), 1);
  const p = r.state.blobs.get('p')!;
  const q = r.state.blobs.get('q')!;
  t.deepEqual(processCmdAddPointer(r.state, addPointer('p', 'q', 0, 4)), { status: 'EFI_SUCCESS' });
  t.is(r.memory.readU32LE(p.base), q.base + 0x10);
  t.is(r.memory.readU8(p.base + 8), 0xaa);
});

test('processCmdAddPointer: EFI_PROTOCOL_ERROR for each invalid field, the pointer left as it was', (t) => {
  const r = rig(t, [
    { name: 'p', data: Uint8Array.of(0x10, 0, 0, 0, 0, 0, 0, 0, 0x40) },
    { name: 'q', data: bytes(0x20) },
  ]);
  processCmdAllocate(r.state, allocate('p'), 0);
  processCmdAllocate(r.state, allocate('q'), 1);
  const cases: [AddPointer, string][] = [
    [unterminated(addPointer('p', 'q', 0, 8), 4), 'malformed file name'],
    [unterminated(addPointer('p', 'q', 0, 8), 60), 'malformed file name'],
    [addPointer('p', 'none', 0, 8), 'invalid blob reference(s) "p" / "none"'],
    [addPointer('p', 'q', 0, 3), 'invalid pointer location or size in "p"'],
    [addPointer('p', 'q', 2, 8), 'invalid pointer location or size in "p"'],
    [addPointer('p', 'q', 8, 1), 'invalid pointer value in "p"'],
    [addPointer('p', 'q', 0, 1), 'relocated pointer value unrepresentable in "p"'],
  ];
  const before = r.memory.read(r.state.blobs.get('p')!.base, 9);
  for (const [e, reason] of cases) t.deepEqual(processCmdAddPointer(r.state, e), { status: 'EFI_PROTOCOL_ERROR', reason }, reason);
  t.deepEqual(r.memory.read(r.state.blobs.get('p')!.base, 9), before);
});

// ---- ADD_CHECKSUM

test('processCmdAddChecksum: EFI_SUCCESS overwrites the byte with -sum, its old value included (D2)', (t) => {
  const r = rig(t, [{ name: 'c', data: Uint8Array.of(1, 2, 3, 4) }]);
  processCmdAllocate(r.state, allocate('c'), 0);
  const base = r.state.blobs.get('c')!.base;
  t.deepEqual(processCmdAddChecksum(r.state, addChecksum('c', 3, 0, 4)), { status: 'EFI_SUCCESS' });
  t.is(r.memory.readU8(base + 3), (0x100 - 10) & 0xff);
  t.deepEqual(processCmdAddChecksum(r.state, addChecksum('c', 0, 4, 0)), { status: 'EFI_SUCCESS' }, 'an empty range at the end is accepted');
  t.is(r.memory.readU8(base), 0);
});

test('processCmdAddChecksum: EFI_PROTOCOL_ERROR for an unterminated name, an unknown blob, a range outside the blob', (t) => {
  const r = rig(t, [{ name: 'c', data: Uint8Array.of(1, 2, 3, 4) }]);
  processCmdAllocate(r.state, allocate('c'), 0);
  const cases: [AddChecksum, string][] = [
    [unterminated(addChecksum('c', 0, 0, 4), 4), 'malformed file name'],
    [addChecksum('none', 0, 0, 4), 'invalid blob reference "none"'],
    [addChecksum('c', 4, 0, 4), 'invalid checksum range in "c"'],
    [addChecksum('c', 0, 0, 5), 'invalid checksum range in "c"'],
    [addChecksum('c', 0, 1, 4), 'invalid checksum range in "c"'],
  ];
  for (const [e, reason] of cases) t.deepEqual(processCmdAddChecksum(r.state, e), { status: 'EFI_PROTOCOL_ERROR', reason }, reason);
  t.deepEqual(r.memory.read(r.state.blobs.get('c')!.base, 4), Uint8Array.of(1, 2, 3, 4));
});

// ---- WRITE_POINTER

test('processCmdWritePointer: EFI_SUCCESS sends the address by DMA, keeps the pointee, records the write for rollback', (t) => {
  const r = rig(t, [
    { name: 'g', data: bytes(0x30) },
    { name: 'etc/test/addr', data: new Uint8Array(8), writable: true },
  ]);
  processCmdAllocate(r.state, allocate('g'), 0);
  const g = r.state.blobs.get('g')!;
  t.deepEqual(processCmdWritePointer(r.state, writePointer('etc/test/addr', 'g', 0, 0x28, 8), 1), { status: 'EFI_SUCCESS' });
  const sent = new DataView(r.machine.device.fileItem('etc/test/addr')!.data!.buffer);
  t.is(Number(sent.getBigUint64(0, true)), g.base + 0x28);
  t.false(g.hostsOnlyTableData);
  t.deepEqual(r.report.writePointers, [{ destFile: 'etc/test/addr', offset: 0, size: 8, value: g.base + 0x28, kept: true }]);
  t.is(r.state.written.length, 1);
});

test('processCmdWritePointer: EFI_SUCCESS without DMA too, though QEMU ignores the data-port write', (t) => {
  const r = rig(t, [
    { name: 'g', data: bytes(0x30) },
    { name: 'etc/test/addr', data: new Uint8Array(8), writable: true },
  ], false);
  processCmdAllocate(r.state, allocate('g'), 0);
  t.deepEqual(processCmdWritePointer(r.state, writePointer('etc/test/addr', 'g', 0, 0, 8), 1), { status: 'EFI_SUCCESS' });
  t.deepEqual(r.machine.device.fileItem('etc/test/addr')!.data, new Uint8Array(8));
  t.deepEqual(r.report.writePointers, []);
  t.deepEqual(r.report.notes, ['entry 1: without fw_cfg DMA the write goes to the data port, which QEMU ignores']);
  t.is(r.state.written.length, 1);
});

test('processCmdWritePointer: EFI_PROTOCOL_ERROR for each invalid field, nothing sent', (t) => {
  const r = rig(t, [
    { name: 'g', data: bytes(0x30) },
    { name: 'etc/test/addr', data: new Uint8Array(8), writable: true },
  ]);
  processCmdAllocate(r.state, allocate('g'), 0);
  const cases: [WritePointer, string][] = [
    [unterminated(writePointer('etc/test/addr', 'g', 0, 0, 8), 4), 'malformed file name'],
    [unterminated(writePointer('etc/test/addr', 'g', 0, 0, 8), 60), 'malformed file name'],
    [writePointer('etc/test/none', 'g', 0, 0, 8), 'invalid fw_cfg file or blob reference "etc/test/none" / "g"'],
    [writePointer('etc/test/addr', 'none', 0, 0, 8), 'invalid fw_cfg file or blob reference "etc/test/addr" / "none"'],
    [writePointer('etc/test/addr', 'g', 0, 0, 5), 'invalid pointer location or size in "etc/test/addr"'],
    [writePointer('etc/test/addr', 'g', 1, 0, 8), 'invalid pointer location or size in "etc/test/addr"'],
    [writePointer('etc/test/addr', 'g', 0, 0x30, 8), 'invalid PointeeOffset'],
    [writePointer('etc/test/addr', 'g', 0, 0, 2), 'pointer value unrepresentable in "etc/test/addr"'],
  ];
  for (const [e, reason] of cases) t.deepEqual(processCmdWritePointer(r.state, e, 1), { status: 'EFI_PROTOCOL_ERROR', reason }, reason);
  t.deepEqual(r.writes, []);
  t.true(r.state.blobs.get('g')!.hostsOnlyTableData);
});

test('processCmdWritePointer: Hung, not a status, when QEMU refuses the DMA write (a read-only file)', (t) => {
  const r = rig(t, [
    { name: 'g', data: bytes(0x30) },
    { name: 'etc/test/ro', data: new Uint8Array(8) },
  ]);
  processCmdAllocate(r.state, allocate('g'), 0);
  const result = processCmdWritePointer(r.state, writePointer('etc/test/ro', 'g', 0, 0, 8), 1);
  t.true(isHung(result));
  t.false('status' in result);
  t.is(r.state.written.length, 0);
  t.true(r.state.blobs.get('g')!.hostsOnlyTableData);
});

// ---- rollback and teardown

test('rollBack: WRITE_POINTERs undone in reverse order with zeros of their width, every blob freed', (t) => {
  const r = rig(t, [
    { name: 'g', data: bytes(0x30) },
    { name: 'h', data: bytes(0x10) },
    { name: 'etc/test/addr', data: new Uint8Array(8), writable: true },
  ]);
  processCmdAllocate(r.state, allocate('g'), 0);
  processCmdAllocate(r.state, allocate('h'), 1);
  t.deepEqual(processCmdWritePointer(r.state, writePointer('etc/test/addr', 'g', 0, 0, 4), 2), { status: 'EFI_SUCCESS' });
  t.deepEqual(processCmdWritePointer(r.state, writePointer('etc/test/addr', 'h', 4, 0, 4), 3), { status: 'EFI_SUCCESS' });
  const select = r.machine.device.findFile('etc/test/addr')!;
  r.writes.length = 0;
  rollBack(r.state);
  t.deepEqual(r.writes, [
    [select, 4, [0, 0, 0, 0]],
    [select, 0, [0, 0, 0, 0]],
  ]);
  t.deepEqual(r.machine.device.fileItem('etc/test/addr')!.data, new Uint8Array(8));
  t.deepEqual(r.report.writePointers.map((w) => w.kept), [false, false]);
  t.deepEqual(r.report.allocations.map((a) => a.freed), [true, true]);
  for (const b of r.state.blobs.values()) t.true(r.memory.read(b.base, PAGE).every((x) => x === profile.freedFill), b.name);
});

test('undoCmdWritePointer: zeros where the WRITE_POINTER wrote, its report entry no longer kept', (t) => {
  const r = rig(t, [
    { name: 'g', data: bytes(0x30) },
    { name: 'etc/test/addr', data: new Uint8Array(8), writable: true },
  ]);
  processCmdAllocate(r.state, allocate('g'), 0);
  processCmdWritePointer(r.state, writePointer('etc/test/addr', 'g', 0, 0, 8), 1);
  undoCmdWritePointer(r.state, r.state.written[0]!);
  t.deepEqual(r.machine.device.fileItem('etc/test/addr')!.data, new Uint8Array(8));
  t.false(r.report.writePointers[0]!.kept);
});

test('freeTableOnlyBlobs: only blobs still marked HostsOnlyTableData are freed', (t) => {
  const r = rig(t, [
    { name: 'tables', data: bytes(0x10) },
    { name: 'opaque', data: bytes(0x10) },
  ]);
  processCmdAllocate(r.state, allocate('tables'), 0);
  processCmdAllocate(r.state, allocate('opaque'), 1);
  r.state.blobs.get('opaque')!.hostsOnlyTableData = false;
  freeTableOnlyBlobs(r.state);
  t.deepEqual(r.report.allocations.map((a) => [a.file, a.freed]), [['tables', true], ['opaque', undefined]]);
  t.deepEqual(r.report.notes, ['freed tables (only tables, now copied)']);
  t.deepEqual(r.memory.read(r.state.blobs.get('opaque')!.base, 0x10), bytes(0x10));
});

// ---- S3

test('allocateS3Context: EFI_SUCCESS for a script with entries, EFI_INVALID_PARAMETER for an empty one', (t) => {
  t.deepEqual(allocateS3Context(1), { status: 'EFI_SUCCESS' });
  t.deepEqual(allocateS3Context(0), { status: 'EFI_INVALID_PARAMETER', reason: 'an S3 context for 0 commands' });
});

test('transferS3ContextToBootScript: EFI_SUCCESS with DMA or nothing to replay, RETURN_NOT_FOUND for writes without DMA', (t) => {
  t.deepEqual(transferS3ContextToBootScript(0, false), { status: 'EFI_SUCCESS' });
  t.deepEqual(transferS3ContextToBootScript(2, true), { status: 'EFI_SUCCESS' });
  t.deepEqual(transferS3ContextToBootScript(1, false), { status: 'RETURN_NOT_FOUND', reason: 'QemuFwCfgS3CallWhenBootScriptReady: fw_cfg DMA unavailable' });
});

// ---- pass 2 and the table protocol

/** A loaded, relocated blob of tables: the state, the protocol, and the ADD_POINTERs that reach each table. */
function relocatedTables(t: { teardown(fn: () => void): void }, tables: Uint8Array[]) {
  const blob = tablesBlob(tables);
  const r = rig(t, [{ name: 'etc/test/tables', data: blob.data }]);
  processCmdAllocate(r.state, allocate('etc/test/tables'), 0);
  const pointers = blob.pointers.map((at) => addPointer('etc/test/tables', 'etc/test/tables', at, 8));
  for (const p of pointers) processCmdAddPointer(r.state, p);
  return { ...r, protocol: new AcpiTableProtocol(r.memory, profile, r.state.nvs), pass: newSecondPass(), pointers };
}

test('process2ndPassCmdAddPointer: EFI_SUCCESS installs a table once, however many pointers reach it', (t) => {
  const r = relocatedTables(t, [table('SSDT', 40)]);
  t.deepEqual(process2ndPassCmdAddPointer(r.state, r.protocol, r.pass, r.pointers[0]!), { status: 'EFI_SUCCESS' });
  t.deepEqual(process2ndPassCmdAddPointer(r.state, r.protocol, r.pass, r.pointers[0]!), { status: 'EFI_SUCCESS' });
  t.deepEqual(r.pass.installed.map((x) => [x.signature, x.length]), [['SSDT', 40]]);
  t.deepEqual(r.memory.read(r.pass.installed[0]!.address, 40), table('SSDT', 40));
  t.true(r.state.blobs.get('etc/test/tables')!.hostsOnlyTableData);
});

test('process2ndPassCmdAddPointer: EFI_SUCCESS for data that is no table, its blob now kept', (t) => {
  const bad = table('SSDT', 40);
  bad[9]! ^= 1;
  const r = relocatedTables(t, [bad]);
  t.deepEqual(process2ndPassCmdAddPointer(r.state, r.protocol, r.pass, r.pointers[0]!), { status: 'EFI_SUCCESS' });
  t.deepEqual(r.pass.installed, []);
  t.false(r.state.blobs.get('etc/test/tables')!.hostsOnlyTableData);
});

test('process2ndPassCmdAddPointer: EFI_OUT_OF_RESOURCES for a table past the 128th', (t) => {
  const r = relocatedTables(t, [table('SSDT')]);
  for (let i = 0; i < INSTALLED_TABLES_MAX; i++) r.pass.installed.push({ signature: 'SSDT', address: 0, length: 36 });
  t.deepEqual(process2ndPassCmdAddPointer(r.state, r.protocol, r.pass, r.pointers[0]!), { status: 'EFI_OUT_OF_RESOURCES', reason: "can't install more than 128 tables" });
  t.is(r.pass.installed.length, INSTALLED_TABLES_MAX);
});

test('process2ndPassCmdAddPointer: EFI_ACCESS_DENIED when the protocol refuses a second FADT', (t) => {
  const r = relocatedTables(t, [table('FACP'), table('FACP')]);
  t.deepEqual(process2ndPassCmdAddPointer(r.state, r.protocol, r.pass, r.pointers[0]!), { status: 'EFI_SUCCESS' });
  t.deepEqual(process2ndPassCmdAddPointer(r.state, r.protocol, r.pass, r.pointers[1]!), { status: 'EFI_ACCESS_DENIED', reason: 'InstallAcpiTable(): Access Denied (a second FACP)' });
  t.is(r.pass.installed.length, 1);
});

test('AcpiTableProtocol: installAcpiTable returns the copy (EFI_SUCCESS) or EFI_ACCESS_DENIED; publish returns the RSDP, the report is untouched', (t) => {
  const r = relocatedTables(t, [table('DSDT'), table('SSDT')]);
  const dsdt = r.memory.readU32LE(r.state.blobs.get('etc/test/tables')!.base);
  const installed = r.protocol.installAcpiTable(dsdt, 36);
  t.is(installed.status, 'EFI_SUCCESS');
  t.like(installed, { table: { signature: 'DSDT', length: 36 } });
  t.deepEqual(r.protocol.installAcpiTable(dsdt, 36), { status: 'EFI_ACCESS_DENIED', reason: 'InstallAcpiTable(): Access Denied (a second DSDT)' });
  const before = JSON.stringify(r.report);
  t.deepEqual(r.protocol.publish(), { rsdp: profile.rsdp20, notes: [] });
  t.is(JSON.stringify(r.report), before);
  t.is(String.fromCharCode(...r.memory.read(profile.rsdp20, 8)), 'RSD PTR ');
  t.true(r.protocol.scratch.some((s) => s.what === "the protocol's DSDT copy"));
});
