// Every other QEMU release's captures (spec-vectors/qemu-5.2, -10.0, -11.1) through the model under
// that release's own records: its QEMU record (from the manifest's version) and the SeaBIOS/OVMF
// releases its manifest's `packages` name. Nothing here names a release: the vectors say it.
import test from 'ava';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { machineFromVector } from '../src/qemu/from-vector.js';
import { qemuRecord } from '../src/qemu/version.js';
import { boot } from '../src/simulate/boot.js';
import { itemsCaptureFor, vectorFileContents } from '../src/simulate/captures.js';
import { guestFor } from '../src/simulate/fwcfg-access.js';
import { bootOrAbort, firmwareMachine } from '../src/simulate/firmware-run.js';
import { releaseOf } from '../src/simulate/options.js';
import { Vector } from '../src/vectors/vector.js';
import { ROOT } from './helpers/paths.js';

const RELEASES = ['qemu-5.2', 'qemu-10.0', 'qemu-11.1'];
const fileName = (f: string) => f.replace(/\//g, '_') + '.bin';

/**
 * The fw_cfg items (CPUs, NUMA, HPET) SeaBIOS's own tables are built from: these releases' captures
 * hold none, so the 7.2 capture of the same command line stands in (its items are the command
 * line's; test/seabios-fallback.test.ts checks the 10.0 seed's fallback against it the same way).
 */
function itemsFor(v: Vector) {
  const own = itemsCaptureFor(v, undefined);
  if (own !== undefined) return own;
  const twin = Vector.load(join(ROOT, 'spec-vectors', 'qemu-7.2', v.name));
  return JSON.stringify(twin.manifest.config_args) === JSON.stringify(v.manifest.config_args) ? itemsCaptureFor(twin, undefined) : undefined;
}
const hex = (s: unknown) => parseInt(String(s), 16);

const vectors = RELEASES.flatMap((rel) =>
  readdirSync(join(ROOT, 'spec-vectors', rel), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => ({ id: `${rel}/${d.name}`, v: Vector.load(join(ROOT, 'spec-vectors', rel, d.name)) })),
);

test('the releases, their firmware and their machine types are the ones recorded', (t) => {
  t.is(vectors.length, 9);
  t.is(vectors.filter(({ v }) => Object.keys(v.manifest['qemu_exits'] ?? {}).length > 0).length, 1, 'the 5.2 seed: QEMU aborts under both firmwares');
  for (const { id, v } of vectors) {
    const r = qemuRecord(releaseOf(v));
    t.is(`qemu-${r.release}`, id.split('/')[0]!, id);
    t.true(v.manifest.machine_type.endsWith(`-${r.latestMachineType}`), id);
  }
});

for (const { id, v } of vectors) {
  const policy = qemuRecord(releaseOf(v));
  const exits = (v.manifest['qemu_exits'] ?? {}) as Record<string, unknown>;
  for (const [stage, firmware] of [['after', 'seabios'], ['after-ovmf', 'ovmf']] as const) {
    if (stage in exits) {
      test(`${id}: under ${firmware}, QEMU ${policy.release} aborts at the rebuild with the lines the real one printed`, (t) => {
        const m = firmwareMachine(v, { policy, hostPageSize: 0x1000, firmware });
        const { qemuError } = bootOrAbort(m, firmware);
        const stderr = stage === 'after' ? 'qemu-stderr.txt' : 'qemu-stderr-ovmf.txt';
        t.is(qemuError, readFileSync(join(v.dir, stderr), 'utf8').trim());
      });
      continue;
    }
    if (!v.hasStage(stage)) continue;
    const s = v.stage(stage);
    if (firmware === 'seabios') {
      test(`${id}: ${v.manifest.packages?.['seabios']}: default placement, commands run, RSDP and what the OS gets are the real SeaBIOS's`, (t) => {
        const items = itemsFor(v);
        const m = machineFromVector(v, { policy, hostPageSize: 0x1000, fileContents: vectorFileContents(v, 'after', items), ...(items ? { items: items.items } : {}) });
        const { report, memory } = boot(m, { firmware }, guestFor);
        t.deepEqual(report.allocations.map((a) => [a.file, a.base, a.length]), s.allocations!.map((a) => [a.file, a.base, a.length]));
        t.is(report.commandsExecuted, s.firmware_view!.loader_commands_firmware_could_read);
        t.is(report.loaderBytesRead, s.firmware_view!.loader_size_in_directory_firmware_read);
        t.is(report.rsdp?.address ?? null, s.rsdp === null || s.rsdp === undefined ? null : hex(s.rsdp['address']));
        t.is(report.osTablesFromLoader, s.os_visible_tables_from_loader!);
        if (s.rsdp === null) t.deepEqual(report.tables, [], 'no ACPI at all');
        // what the OS finds, QEMU's tables or SeaBIOS's own: every table at its address, byte for byte
        else {
          t.deepEqual(report.tables.map((x) => [x.signature, x.address]).sort(), s.tables_in_memory!.map((x) => [x.signature, hex(x.address)]).sort());
          for (const x of s.tables_in_memory!.filter((x) => x.path !== undefined)) t.deepEqual(memory.read(hex(x.address), x.length), new Uint8Array(readFileSync(join(v.dir, x.path!))), `${x.signature}@${x.address}`);
        }
        t.deepEqual(
          report.writePointers.map((w) => [w.destFile, w.offset, w.size, w.value]),
          (s.write_pointers ?? []).map((w) => [w.dest_file, w.dst_offset, w.size, w.value]),
        );
        // the platform-setup warning of this release when the loader left no RSDP, and only then
        const warned = report.warnings.find((w) => w.includes('qemu_platform_setup'));
        const log = readFileSync(join(v.dir, 'seabios-debug.log'), 'utf8');
        t.is(warned !== undefined, /qemu_platform_setup/.test(log));
        if (warned !== undefined) t.true(log.includes(warned), warned);
      });
      test(`${id}: SeaBIOS pinned to the real bases leaves every allocated file byte-identical to seabios-memory/`, (t) => {
        const m = machineFromVector(v, { policy, hostPageSize: 0x1000, fileContents: vectorFileContents(v, 'after', itemsCaptureFor(v, undefined)) });
        const placements = new Map(s.allocations!.map((a) => [a.file, a.base]));
        const { memory } = boot(m, { firmware, placements }, guestFor);
        for (const a of s.allocations!) t.deepEqual(memory.read(a.base, a.length), new Uint8Array(readFileSync(join(v.dir, 'seabios-memory', fileName(a.file)))), a.file);
      });
    } else {
      test(`${id}: ${v.manifest.packages?.['ovmf']}: the tables OVMF installs, at the real addresses, same bytes but pointers`, (t) => {
        const m = machineFromVector(v, { policy, hostPageSize: 0x1000, blocksFrom: stage, rebuildFrom: stage, fileContents: vectorFileContents(v, stage, itemsCaptureFor(v, undefined)) });
        const { report, memory } = boot(m, { firmware }, guestFor);
        t.is(report.outcome, 'ran', report.warnings.join('; '));
        t.is(report.rsdp?.address, hex(s.rsdp!['address']));
        const real = s.tables_in_memory!;
        t.deepEqual(report.tables.map((x) => [x.signature, x.address]), real.map((x) => [x.signature, hex(x.address)]));
        for (const ours of report.tables) {
          const theirs = real.find((r) => hex(r.address) === ours.address)!;
          const bytes = new Uint8Array(readFileSync(join(v.dir, theirs.path!)));
          const mine = memory.read(ours.address!, ours.length!);
          // pointer fields and the checksum are the firmware's (compared by address above)
          const skip = new Set<number>([9]);
          if (ours.signature === 'FACP') for (const at of [36, 37, 38, 39, 40, 41, 42, 43, ...Array.from({ length: 16 }, (_, i) => 132 + i)]) skip.add(at);
          if (ours.signature === 'RSDT' || ours.signature === 'XSDT') for (let at = 36; at < bytes.length; at++) skip.add(at);
          const diffs = [...bytes.keys()].filter((i) => !skip.has(i) && mine[i] !== bytes[i]);
          t.deepEqual(diffs, [], `${ours.signature}@0x${ours.address!.toString(16)}`);
        }
        if (existsSync(join(v.dir, 'ovmf-memory/etc_vmgenid_guid.bin'))) {
          const wp = s.write_pointers![0] as unknown as { value_hex: string };
          t.is(report.writePointers[0]?.value, hex(wp.value_hex));
        }
      });
    }
  }
}
