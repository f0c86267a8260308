// OVMF's layout and the CPU's 1 GiB pages (firmware/profiles.ts, OvmfRelease.pageTables): held to
// the live boots in spec-vectors/ovmf-page-tables/observed.json, from captures of QEMU's default CPU.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OVMF_2022_11_LAYOUT, ovmfProfile, pageTableShift } from '../src/firmware/profiles.js';
import { cpuHas1GiBPages, cpuPhysBits } from '../src/qemu/cpu-model.js';
import { captureQemu } from '../src/qemu/capture.js';
import { fwcfg } from './helpers/cli.js';
import { QEMU_X86, x86FirmwareMissing } from './helpers/qemu.js';
import { ROOT } from './helpers/paths.js';

const DIR = join(ROOT, 'spec-vectors/ovmf-page-tables');
const observed = JSON.parse(readFileSync(join(DIR, 'observed.json'), 'utf8')) as { observations: { qemu: string; ovmf: string; cpu: string; rsdp: string; capture?: string; note?: string }[] };
const rsdpOf = (qemu: string, ovmf: string, cpu: string) => Number(observed.observations.find((o) => o.qemu === qemu && o.ovmf.startsWith(ovmf) && o.cpu === cpu)!.rsdp);

test('what a -cpu says about 1 GiB pages and physical bits', (t) => {
  t.false(cpuHas1GiBPages(['-machine', 'q35']), 'no -cpu: qemu64');
  t.true(cpuHas1GiBPages(['-cpu', 'max']));
  t.true(cpuHas1GiBPages(['-cpu', 'host']));
  t.false(cpuHas1GiBPages(['-cpu', 'max,-pdpe1gb']));
  t.true(cpuHas1GiBPages(['-cpu', 'qemu64,+pdpe1gb']));
  t.true(cpuHas1GiBPages(['-cpu', 'qemu64', '-cpu', 'max']), 'the last -cpu counts');
  t.is(cpuHas1GiBPages(['-cpu', 'Skylake-Server']), undefined, 'a model the table does not know');
  t.is(cpuPhysBits(['-machine', 'q35']), 40);
  t.is(cpuPhysBits(['-cpu', 'qemu64,phys-bits=39']), 39);
  t.is(cpuPhysBits(['-cpu', 'max,host-phys-bits=on']), undefined);
});

async function simulatedRsdp(capture: string, firmware: string): Promise<{ rsdp: number; notes: string[] }> {
  const r = await fwcfg('simulate', join(DIR, capture), '--firmware', firmware, '--json');
  if (r.code !== 0) throw new Error(r.stderr);
  const j = JSON.parse(r.stdout) as { firmware: { rsdp: { address: number } | null; notes: string[] } };
  return { rsdp: j.firmware.rsdp!.address, notes: j.firmware.notes };
}

test("QEMU 7.2's default CPU (no 1 GiB pages, 40 bits): each OVMF release's RSDP where the real boot put it", async (t) => {
  for (const [spec, release] of [['ovmf', '2022.11'], ['ovmf@2022.11', '2022.11'], ['ovmf@2025.02', '2025.02'], ['ovmf@2026.08', '2026.08'], ['ovmf@2020.11', '2020.11']] as const) {
    const { rsdp } = await simulatedRsdp('q35-default-cpu-7.2', spec);
    t.is(rsdp, rsdpOf('7.2', release, 'qemu64'), `${spec}: 0x${rsdp.toString(16)}`);
  }
  t.is(rsdpOf('7.2', '2022.11', 'qemu64'), rsdpOf('7.2', '2022.11', 'max (pdpe1gb)') - 0x400000, 'the recording itself: 4 MiB lower than with -cpu max');
});

test("QEMU 10.0's default CPU: OVMF 2025.02 is 4 MiB lower there too", async (t) => {
  const { rsdp, notes } = await simulatedRsdp('q35-default-cpu-10.0', 'ovmf');
  t.is(rsdp, rsdpOf('10.0', '2025.02', 'qemu64'));
  t.false(notes.some((n) => /was not measured/.test(n)));
});

test('a CPU the layout was not measured on keeps the measured layout and says so in the boot notes', (t) => {
  const cpu = { pages1G: false, physBits: 39 };
  t.is(pageTableShift(OVMF_2022_11_LAYOUT, cpu), undefined);
  t.regex(ovmfProfile(0x80000000, OVMF_2022_11_LAYOUT, cpu).caveat ?? '', /no 1 GiB pages, 39 physical bits\) was not measured/);
  t.regex(ovmfProfile(0x80000000, OVMF_2022_11_LAYOUT, { pages1G: undefined, physBits: 40 }).caveat ?? '', /a model the tool does not know/);
  t.is(ovmfProfile(0x80000000, OVMF_2022_11_LAYOUT, { pages1G: true, physBits: 40 }).caveat, undefined);
});

const skip = x86FirmwareMissing('ovmf');
const title = "live: QEMU's default CPU under OVMF (a capture of `-nodefaults -machine q35 -m 2G`): boot-real boots the capture's CPU and every check is the model's";
(skip === undefined ? test : test.skip)(skip === undefined ? title : `${title} (skipped: ${skip})`, async (t) => {
  t.timeout(300_000);
  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-cpu-'));
  try {
    const out = join(dir, 'capture');
    await captureQemu({ out, qemuArgs: [QEMU_X86!, '-nodefaults', '-machine', 'q35', '-m', '2G'], config: 'q35-default-cpu' });
    const r = await fwcfg('boot-real', '--config', out, '--firmware', 'ovmf', '--boots', '1', '--compare');
    t.is(r.code, 0, r.stdout + r.stderr);
    t.notRegex(r.stdout, /DIFF/);
    t.regex(r.stdout, /same {2}RSDP the OS takes: model 0x7f77e014/, 'OVMF 2022.11 on 7.2: 4 MiB below its -cpu max layout');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
