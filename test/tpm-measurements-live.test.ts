// What the TPM sees, live: the trixie chroot's QEMU 10.0 and OVMF 2025.02 with a fresh swtpm.
// A configuration is captured (fwcfg capture, which starts an swtpm for each QEMU), the model
// predicts OVMF's measurements from the capture alone, then the same machine boots for real with
// the same OVMF images until PCR 1's separator is logged, and the event log is read from guest
// RAM: its ACPI DATA events must be the prediction — order, count, every bank's digest — boot
// by boot. Plain q35 + TPM, and q35 + nvdimm + intel-iommu + TPM, whose loader the rebuild grows.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureBootInput, measuredBoots } from '../src/bootreal/measured-boot.js';
import { captureQemu } from '../src/qemu/capture.js';
import { findOnPath } from '../src/qemu/live/find-binary.js';
import { liveQemuPids } from '../src/qemu/live/qemu-process.js';
import { chrootSkip, wrapper } from './helpers/chroots.js';
import { fwcfg } from './helpers/cli.js';
import { heldToLog, type MeasurementJson } from './helpers/measurements.js';

const skip = findOnPath('swtpm') === undefined ? 'swtpm not installed' : chrootSkip('trixie');
const live = skip === undefined ? test.serial : test.skip;
const why = skip === undefined ? '' : ` (skipped: ${skip})`;

const vtpm = (tmp: string) => ['-chardev', `socket,id=chrtpm,path=${tmp}/swtpm-sock`, '-tpmdev', 'emulator,id=tpm0,chardev=chrtpm', '-device', 'tpm-crb,tpmdev=tpm0'];
const base = ['-accel', 'tcg', '-nodefaults', '-no-user-config', '-smp', '1'];

interface Prediction {
  boots: { firmware: { measurements: MeasurementJson[]; loaderBytesRead: number; loaderSizeNow: number } }[];
}

/** Captures `args` on the trixie QEMU, predicts `boots` OVMF boots from the capture, boots them for real; the prediction and the real logs. */
async function predictAndBoot(t: { log: (...v: unknown[]) => void }, args: (tmp: string) => string[], boots: number) {
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-tpm-live-'));
  try {
    const qemu = wrapper(tmp, 'trixie', 'qemu-system-x86_64');
    const machine = args(tmp);
    const out = join(tmp, 'capture');
    const { json } = await captureQemu({ out, qemuArgs: [qemu, ...machine], tmpDir: tmp });
    const sim = await fwcfg('simulate', out, '--firmware', 'ovmf', '--boots', String(boots), '--json');
    if (sim.code !== 0) throw new Error(sim.stderr);
    const prediction = JSON.parse(sim.stdout) as Prediction;
    const real = await measuredBoots({ ...captureBootInput(json, 'ovmf', machine), boots });
    t.log(real.boots.map((b, i) => `boot ${i + 1}: log at 0x${b.log.address.toString(16)}, ${b.log.events.length} events, ${b.elapsedS} s`).join('; '));
    return { json, prediction, real };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

live(`plain q35 + tpm-crb: OVMF 2025.02 measures the loader, then etc/acpi/rsdp, etc/tpm/log and etc/acpi/tables, as predicted from the capture${why}`, async (t) => {
  t.timeout(600_000);
  const { json, prediction, real } = await predictAndBoot(t, (tmp) => [...base, '-machine', 'q35', '-m', '2G', ...vtpm(tmp)], 1);
  t.is(json.firmware!.runs.find((r) => r.firmware === 'ovmf')!.image.version, '2025.02-8+deb13u1');
  const ms = prediction.boots[0]!.firmware.measurements;
  t.deepEqual(
    ms.map((m) => m.file),
    ['etc/table-loader', 'etc/acpi/rsdp', 'etc/tpm/log', 'etc/acpi/tables'],
  );
  heldToLog(t, ms, real.boots[0]!.log, 'q35 + tpm-crb');
  t.deepEqual(liveQemuPids(), []);
});

live(`q35 + nvdimm + intel-iommu + tpm-crb: boot 1 measures the rebuilt loader cut at the size read before the rebuild, boot 2 all of it, as predicted${why}`, async (t) => {
  t.timeout(900_000);
  const grows = ['-machine', 'q35,nvdimm=on', '-m', '2G,slots=2,maxmem=4G', '-object', 'memory-backend-ram,id=mem1,size=128M', '-device', 'nvdimm,memdev=mem1,id=nv1', '-device', 'intel-iommu'];
  const { json, prediction, real } = await predictAndBoot(t, (tmp) => [...base, ...grows, ...vtpm(tmp)], 2);
  const run = json.firmware!.runs.find((r) => r.firmware === 'ovmf')!;
  const before = run.directory_at_start.find((d) => d.name === 'etc/table-loader')!.size;
  const after = run.roms.find((r) => r.name === 'etc/table-loader')!.fw_cfg_size;
  t.true(after > before, `the rebuild grows the loader (${before} -> ${after})`);
  const loader = (boot: number) => prediction.boots[boot]!.firmware.measurements.find((m) => m.file === 'etc/table-loader')!;
  t.is(loader(0).length, before);
  t.is(loader(1).length, after);
  real.boots.forEach((b, i) => heldToLog(t, prediction.boots[i]!.firmware.measurements, b.log, `grown loader, boot ${i + 1}`));
  t.deepEqual(liveQemuPids(), []);
});
