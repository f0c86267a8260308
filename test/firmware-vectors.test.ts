// Executors on every real capture: SeaBIOS byte for byte against seabios-memory/, OVMF/AAVMF table sets and bytes.
import test from 'ava';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { machineFromVector, rebuildStage } from '../src/qemu/from-vector.js';
import { parseQemuVersion, qemuPolicy } from '../src/qemu/version.js';
import { boot } from '../src/simulate/boot.js';
import { itemsCaptureFor, vectorFileContents } from '../src/simulate/captures.js';
import { loadVector, vectorConfigs } from './helpers/paths.js';
import { guestFor as coreGuest } from '../src/simulate/fwcfg-access.js';
import { pointerBytes } from './helpers/acpi-pointers.js';

const p72 = qemuPolicy(parseQemuVersion('7.2'));
const fileName = (f: string) => f.replace(/\//g, '_') + '.bin';

for (const config of vectorConfigs()) {
  const v = loadVector(config);
  if (!v.hasStage('after')) continue;
  test(`${config}: SeaBIOS pinned to the real bases leaves every allocated file byte-identical to seabios-memory/`, (t) => {
    const after = v.stage('after');
    const items = itemsCaptureFor(v, undefined);
    const m = machineFromVector(v, { policy: p72, hostPageSize: 0x1000, fileContents: vectorFileContents(v, 'after', items) });
    const placements = new Map(after.allocations!.map((a) => [a.file, a.base]));
    const { report, memory } = boot(m, { firmware: 'seabios', placements }, coreGuest);
    t.is(report.commandsExecuted, after.firmware_view!.loader_commands_firmware_could_read);
    t.is(report.osTablesFromLoader, after.os_visible_tables_from_loader!);
    t.deepEqual(report.allocations.map((a) => [a.file, a.base, a.length]), after.allocations!.map((a) => [a.file, a.base, a.length]));
    for (const a of after.allocations!) {
      const placed = new Uint8Array(readFileSync(join(v.dir, 'seabios-memory', fileName(a.file))));
      t.deepEqual(memory.read(a.base, a.length), placed, a.file);
    }
    t.deepEqual(report.writePointers.map((w) => [w.destFile, w.offset, w.size, w.value]), (after.write_pointers ?? []).map((w) => [w.dest_file, w.dst_offset, w.size, w.value]));
  });
}

for (const config of vectorConfigs()) {
  const v = loadVector(config);
  if (!v.hasStage('after')) continue;
  test(`${config}: SeaBIOS's default placement is where the real SeaBIOS put every file`, (t) => {
    const after = v.stage('after');
    const m = machineFromVector(v, { policy: p72, hostPageSize: 0x1000, fileContents: vectorFileContents(v, 'after', itemsCaptureFor(v, undefined)) });
    const { report } = boot(m, { firmware: 'seabios' }, coreGuest);
    t.deepEqual(report.allocations.map((a) => [a.file, a.base]), after.allocations!.map((a) => [a.file, a.base]));
    t.is(report.rsdp?.address, parseInt(String(after.rsdp!['address']), 16));
  });
}

for (const [config, stage] of [['pc', 'after-ovmf'], ['q35', 'after-ovmf'], ['seed', 'after-ovmf'], ['virt-aarch64', 'after-aavmf']] as const) {
  test(`${config}/${stage}: the UEFI firmware installs the same tables, same non-pointer bytes`, (t) => {
    const v = loadVector(config);
    const s = v.stage(stage);
    const m = machineFromVector(v, { policy: p72, hostPageSize: 0x1000, blocksFrom: stage, rebuildFrom: stage, fileContents: vectorFileContents(v, stage, itemsCaptureFor(v, undefined)) });
    const { report, memory } = boot(m, { firmware: 'ovmf' }, coreGuest);
    t.is(report.outcome, 'ran', report.warnings.join('; '));
    const real = s.tables_in_memory!;
    t.deepEqual(report.tables.map((x) => x.signature).sort(), real.map((x) => x.signature).sort());
    // pair ours with theirs by signature, in order of appearance
    const queue = new Map<string, typeof real>();
    for (const r of real) queue.set(r.signature, [...(queue.get(r.signature) ?? []), r]);
    for (const ours of report.tables) {
      const theirs = queue.get(ours.signature)!.shift()!;
      const bytes = new Uint8Array(readFileSync(join(v.dir, theirs.path!)));
      t.is(ours.length, bytes.length, ours.signature);
      const mine = memory.read(ours.address!, ours.length!);
      const skip = pointerBytes(ours.signature, bytes.length);
      const diffs = [...bytes.keys()].filter((i) => !skip.has(i) && mine[i] !== bytes[i]);
      t.deepEqual(diffs, [], `${ours.signature}: bytes differ at ${diffs.slice(0, 8).map((d) => '0x' + d.toString(16)).join(', ')}`);
      t.true(ours.checksumOk);
      if (config !== 'virt-aarch64') t.is(ours.address, parseInt(theirs.address, 16), `${ours.signature} address`);
    }
    if (existsSync(join(v.dir, 'ovmf-memory/etc_vmgenid_guid.bin'))) {
      const wp = s.write_pointers![0] as unknown as { value_hex: string };
      t.is(report.writePointers[0]?.value, parseInt(wp.value_hex, 16));
    }
  });
}
