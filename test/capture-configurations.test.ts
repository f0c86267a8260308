// A user's own VM: every shared QEMU 7.2 configuration captured live from its command line alone,
// then held to the real recordings (spec-vectors/qemu-7.2): creation and per-firmware rebuilt blobs
// byte for byte, RAM blocks as `info ramblock` said, SeaBIOS's placed files byte-identical to
// seabios-memory/, and every command's answer the same as on the recorded vector.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configArgs } from '../src/bootreal/config-run.js';
import { lintVector } from '../src/lint/lint.js';
import { captureQemu } from '../src/qemu/capture.js';
import { findOnPath } from '../src/qemu/live/find-binary.js';
import { parseQemuVersion, qemuPolicy } from '../src/qemu/version.js';
import { boot } from '../src/simulate/boot.js';
import { firmwareMachine } from '../src/simulate/firmware-run.js';
import { guestFor } from '../src/simulate/fwcfg-access.js';
import { openConfiguration } from '../src/vectors/configuration.js';
import { fwcfg } from './helpers/cli.js';
import { loadVector, vectorConfigs } from './helpers/paths.js';

const p72 = qemuPolicy(parseQemuVersion('7.2'));
const fileName = (f: string) => f.replace(/\//g, '_') + '.bin';
const rows = (r: readonly { name: string; used: number; max: number }[]) => r.map(({ name, used, max }) => ({ name, used, max }));

function versionLine(binary: string): string {
  try {
    return execFileSync(binary, ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim();
  } catch {
    return '';
  }
}

for (const config of vectorConfigs()) {
  const vector = loadVector(config);
  const binaryName = String(vector.manifest['qemu_binary'] ?? 'qemu-system-x86_64');
  const binary = findOnPath(binaryName);
  const skip = binary === undefined ? `${binaryName} not installed` : versionLine(binary) !== vector.manifest.qemu_version ? `${binaryName} is not the recorded ${vector.manifest.qemu_version}` : undefined;
  const title = `${config}: captured live from its command line, every firmware's rebuild and every command's answer equal the recordings`;
  if (skip !== undefined) {
    test.skip(`${title} (skipped: ${skip})`, () => undefined);
    continue;
  }
  test.serial(title, async (t) => {
    t.timeout(300_000);
    const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-cfg-test-'));
    try {
      // the recorded boots' vmgenid GUID, so the placed etc/vmgenid_guid can be compared
      const guid = vector.hasStage('after') ? vector.stage('after').qmp_vm_generation_id : undefined;
      const args = ['-accel', 'tcg', '-cpu', 'max', '-nodefaults', '-no-user-config', ...configArgs(vector, tmp, guid)];
      const out = join(tmp, 'capture');
      await captureQemu({ out, qemuArgs: [binary!, ...args], config, description: vector.manifest.description });
      const cfg = openConfiguration(out);
      const cap = cfg.vector;
      t.is(cfg.kind, 'capture');
      t.is(cap.manifest.machine_type, vector.manifest.machine_type);
      t.is(cfg.qemuRelease, '7.2');

      // creation: RAM blocks and ROM blobs
      const before = vector.stage('before');
      t.deepEqual(rows(cap.stage('before').ramblock_at_start!), rows(before.ramblock_at_start!), 'info ramblock at creation');
      t.deepEqual(
        cap.stage('before').roms.map((r) => r.fw_cfg_file),
        before.roms.map((r) => r.fw_cfg_file),
      );
      for (const r of before.roms) t.deepEqual(cap.romBlock('before', r.fw_cfg_file), vector.romBlock('before', r.fw_cfg_file), `creation ${r.fw_cfg_file}`);

      // each firmware's rebuild, from the platform as that firmware left it
      for (const stage of ['after', 'after-ovmf', 'after-aavmf']) {
        if (!vector.hasStage(stage)) continue;
        t.true(cap.hasStage(stage), `the capture has the ${stage} rebuild`);
        const want = vector.stage(stage);
        t.deepEqual(rows(cap.stage(stage).ramblock), rows(want.ramblock), `${stage}: info ramblock after the firmware's select`);
        for (const r of want.roms) t.deepEqual(cap.romBlock(stage, r.fw_cfg_file), vector.romBlock(stage, r.fw_cfg_file), `${stage}: ${r.fw_cfg_file}`);
        if (want.firmware_view !== undefined) t.is(cap.stage(stage).firmware_view?.first_acpi_file_select, want.firmware_view.first_acpi_file_select);
      }

      // SeaBIOS pinned to the real bases: the placed files byte for byte, the commands run, the write-backs
      if (vector.hasStage('after')) {
        const after = vector.stage('after');
        const placements = new Map(after.allocations!.map((a) => [a.file, a.base]));
        const m = firmwareMachine(cap, { policy: p72, hostPageSize: 0x1000, firmware: 'seabios', ...(cap.items ? { items: cap.items } : {}) });
        const { report, memory } = boot(m, { firmware: 'seabios', placements }, guestFor);
        t.is(report.commandsExecuted, after.firmware_view!.loader_commands_firmware_could_read);
        for (const a of after.allocations!) {
          const placed = new Uint8Array(readFileSync(join(vector.dir, 'seabios-memory', fileName(a.file))));
          t.deepEqual(memory.read(a.base, a.length), placed, `seabios-memory/${fileName(a.file)}`);
        }
        t.deepEqual(
          report.writePointers.map((w) => [w.destFile, w.offset, w.size, w.value]),
          (after.write_pointers ?? []).map((w) => [w.dest_file, w.dst_offset, w.size, w.value]),
        );
        memory.release();
      }

      // every command gives the capture the vector's answer (OVMF/AAVMF table sets included)
      const firmwares = vector.manifest.machine_type.startsWith('virt') ? ['ovmf'] : vector.hasStage('after-ovmf') ? ['seabios', 'ovmf'] : ['seabios'];
      for (const fw of firmwares) {
        for (const extra of [[], ['--boots', '3']]) {
          const a = await fwcfg('simulate', out, '--firmware', fw, ...extra, '--json');
          const b = await fwcfg('simulate', vector.dir, '--firmware', fw, ...extra, '--json');
          t.is(a.code, 0, a.stderr);
          t.deepEqual(JSON.parse(a.stdout), JSON.parse(b.stdout), `simulate --firmware ${fw} ${extra.join(' ')}`);
        }
      }
      // tables written from the capture equal those written from the vector; demo tells the capture's story
      for (const fw of firmwares) {
        const a = await fwcfg('tables', out, '--firmware', fw, '--out', join(tmp, `tables-cap-${fw}`), '--json');
        const b = await fwcfg('tables', vector.dir, '--firmware', fw, '--out', join(tmp, `tables-vec-${fw}`), '--json');
        t.is(a.code, 0, a.stderr);
        t.deepEqual(JSON.parse(a.stdout.split(join(tmp, `tables-cap-${fw}`)).join('DIR')), JSON.parse(b.stdout.split(join(tmp, `tables-vec-${fw}`)).join('DIR')), `tables --firmware ${fw}`);
      }
      if (vector.hasStage('after') && vector.hasStage('after-ovmf')) {
        const demo = await fwcfg('demo', out);
        t.is(demo.code, 0, demo.stderr);
      }
      const codes = (r: ReturnType<typeof lintVector>) => r.findings.map((f) => f.code).sort();
      t.deepEqual(codes(lintVector(cap)), codes(lintVector(vector)), 'lint codes');
      for (const to of ['5.2', '6.0']) {
        const a = await fwcfg('migrate-check', out, '--from', '7.2', '--to', to, '--json');
        const b = await fwcfg('migrate-check', vector.dir, '--from', '7.2', '--to', to, '--json');
        t.deepEqual(JSON.parse(a.stdout), JSON.parse(b.stdout), `migrate-check --to ${to}`);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
