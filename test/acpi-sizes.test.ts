// QEMU's padding rules reproduce every captured blob size; the plain-file RSDP is built as QEMU builds it.
import test from 'ava';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { scanTableBlob } from '../src/acpi/blob-tables.js';
import { decodeLoader } from '../src/loader/codec.js';
import { paddedLoaderSize, paddedTablesSize } from '../src/qemu/acpi-sizes.js';
import { buildRsdpRev0 } from '../src/qemu/legacy-rsdp.js';
import { parseMachineType } from '../src/qemu/machine-type.js';
import { loadItemsCapture } from '../src/vectors/items-capture.js';
import { loadVector, loaderStages, ROOT } from './helpers/paths.js';

function rawTables(blob: Uint8Array) {
  const spans = scanTableBlob(blob);
  const last = spans.at(-1)!;
  const aml = spans.filter((s) => s.signature === 'DSDT' || s.signature === 'FACP').reduce((a, s) => a + s.length, 0);
  return { raw: last.offset + last.length, aml };
}

for (const { config, stage, vector } of loaderStages()) {
  test(`${config}/${stage}: padding rules give the captured tables and loader sizes`, (t) => {
    const type = parseMachineType(vector.manifest.machine_type);
    const tables = vector.romBytes(stage, 'etc/acpi/tables');
    const { raw, aml } = rawTables(tables);
    t.true(tables.subarray(raw).every((b) => b === 0));
    t.is(paddedTablesSize(type, raw, aml, 1, 'qemu').size, tables.length);
    const entries = decodeLoader(vector.romBytes(stage, 'etc/table-loader'));
    const commands = entries.filter((e) => e.type !== 'padding').length;
    t.is(paddedLoaderSize(type, commands * 128), entries.length * 128);
  });
}

test('pc-i440fx-2.0: the legacy table size (6652 + 97 per APIC ID, rounded to 4 KiB) is what QEMU served', (t) => {
  const cap = loadItemsCapture(join(ROOT, 'spec-vectors/fwcfg-device/pc-i440fx-2.0'));
  const tables = cap.items.find((i) => i.name === 'etc/acpi/tables')!.bytes;
  const { raw, aml } = rawTables(tables);
  const r = paddedTablesSize(parseMachineType('pc-i440fx-2.0'), raw, aml, 1, 'qemu-system-x86_64');
  t.is(r.size, tables.length);
  t.is(r.size, 0x2000);
  t.deepEqual(r.warnings, []);
  // a DSDT far larger than QEMU 2.0's outgrows the legacy size: QEMU warns and pads anyway
  const grown = paddedTablesSize(parseMachineType('pc-i440fx-2.0'), 20000, 20000, 1, 'qemu-system-x86_64');
  t.is(grown.size, 0x2000);
  t.deepEqual(grown.warnings, ['qemu-system-x86_64: warning: ACPI table size 20000 exceeds 8192 bytes, migration may not work', 'Try removing CPUs, NUMA nodes, memory slots or PCI bridges.']);
  t.is(paddedTablesSize(parseMachineType('pc-q35-7.2'), 0x10001, 0, 1, 'q').warnings.length, 2);
});

test("pc-i440fx-2.2's plain-file RSDP, built as QEMU builds it, becomes what SeaBIOS left in memory", (t) => {
  const v = loadVector('pc-i440fx-2.2');
  const rsdp = buildRsdpRev0(v.romBytes('after', 'etc/acpi/tables'), true);
  t.is(rsdp.length, 36);
  // run its two loader commands by hand with the captured tables base
  const entries = decodeLoader(v.romBytes('after', 'etc/table-loader'));
  const ptr = entries.find((e) => e.type === 'addPointer' && e.destFile === 'etc/acpi/rsdp');
  const ck = entries.find((e) => e.type === 'addChecksum' && e.file === 'etc/acpi/rsdp');
  t.truthy(ptr);
  t.truthy(ck);
  const base = v.stage('after').allocations!.find((a) => a.file === 'etc/acpi/tables')!.base;
  const dv = new DataView(rsdp.buffer);
  dv.setUint32(16, dv.getUint32(16, true) + base, true);
  let sum = 0;
  for (let i = 0; i < 20; i++) sum += rsdp[i]!;
  rsdp[8] = (rsdp[8]! - sum) & 0xff;
  const placed = new Uint8Array(readFileSync(join(v.dir, 'seabios-memory/etc_acpi_rsdp.bin')));
  t.deepEqual(rsdp, placed);
});

test('etc/vmgenid_guid built from the GUID QMP reported is the file SeaBIOS copied into memory', async (t) => {
  const { vmgenidGuidFile } = await import('../src/qemu/built-files.js');
  for (const config of ['seed', 'q35-vmgenid']) {
    const v = loadVector(config);
    const placed = new Uint8Array(readFileSync(join(v.dir, 'seabios-memory/etc_vmgenid_guid.bin')));
    t.deepEqual(vmgenidGuidFile(v.stage('after').qmp_vm_generation_id!), placed, config);
  }
});
