/**
 * One firmware boot over a QemuMachine: guest memory laid out as that
 * firmware sees it, fw_cfg reached through the device, the personality run,
 * and the results read back (allocations, write-backs, what the OS finds).
 */
import { decodeLoader } from '../loader/codec.js';
import { LOADER_FILE } from '../loader/constants.js';
import { GuestMemory, type RegionSpec } from '../memory/guest-memory.js';
import type { FwCfgGuest } from '../firmware/fwcfg-guest.js';
import { aavmfProfile, ovmfProfile, seaBiosProfile, type OvmfProfile, type SeaBiosProfile } from '../firmware/profiles.js';
import { runOvmf, s3Enabled } from '../firmware/ovmf.js';
import type { FirmwareReport } from '../firmware/report.js';
import { runSeaBios } from '../firmware/seabios.js';
import { runUboot, ubootProfile, type UbootProfile } from '../firmware/uboot.js';
import type { QemuMachine } from '../qemu/machine.js';
import { UsageError } from '../errors.js';
import { DRIVER_SCRATCH_SIZE, driverScratch } from './fwcfg-access.js';

export type FirmwareName = 'seabios' | 'ovmf' | 'uboot';
export const FIRMWARES: readonly FirmwareName[] = ['seabios', 'ovmf', 'uboot'];

export function parseFirmware(text: string | undefined): FirmwareName {
  if (text === undefined || !(FIRMWARES as readonly string[]).includes(text)) {
    throw new UsageError('USAGE', `--firmware ${text ?? '(missing)'}: use ${FIRMWARES.join(', ')}`);
  }
  return text as FirmwareName;
}

/** How the firmware reaches fw_cfg on this machine (its driver idiom over the device). */
export type GuestFactory = (machine: QemuMachine, memory: GuestMemory, firmware: FirmwareName, scratch: number) => FwCfgGuest;

export interface BootOptions {
  firmware: FirmwareName;
  placements?: ReadonlyMap<string, number>;
  /** Whether the firmware programs the platform before its ACPI select (what real firmware does). */
  programPlatform?: boolean;
  /** Sees every guest-memory write of the boot (the fuzzers' guard). */
  watch?: (address: number, length: number) => void;
}

export interface Boot {
  report: FirmwareReport;
  memory: GuestMemory;
}

const MiB = 0x100000;

/** RAM below 4 GiB on this machine (QEMU's lowmem split). */
export function ramBelow4G(machine: QemuMachine): { start: number; end: number } {
  const ram = machine.ramList.blocks.find((b) => b.idstr === 'pc.ram' || b.idstr === 'microvm.ram' || b.idstr === 'mach-virt.ram');
  return lowRamRange(machine.type.family, ram?.usedLength ?? 2 ** 31);
}

/** The same split from a machine family and its RAM size (a live QEMU's `info ramblock` gives the size). */
export function lowRamRange(family: string, size: number): { start: number; end: number } {
  switch (family) {
    case 'q35':
      return { start: 0, end: Math.min(size, size >= 0xb0000000 ? 0x80000000 : 0xb0000000) };
    case 'pc':
      return { start: 0, end: Math.min(size, size >= 0xe0000000 ? 0xc0000000 : 0xe0000000) };
    case 'virt':
      return { start: 0x40000000, end: 0x40000000 + Math.min(size, 0xc0000000) };
    default:
      return { start: 0, end: Math.min(size, 0xc0000000) };
  }
}

type Profile = { kind: 'seabios'; p: SeaBiosProfile } | { kind: 'ovmf'; p: OvmfProfile } | { kind: 'uboot'; p: UbootProfile };

function profileFor(machine: QemuMachine, firmware: FirmwareName): Profile {
  const top = ramBelow4G(machine).end;
  const numa = (machine.device.item(0x0d)?.data?.[0] ?? 0) > 0;
  if (firmware === 'seabios') return { kind: 'seabios', p: seaBiosProfile(machine.type.family, top, numa) };
  if (firmware === 'ovmf') return { kind: 'ovmf', p: machine.type.arch === 'aarch64' ? aavmfProfile() : ovmfProfile() };
  return { kind: 'uboot', p: ubootProfile(machine.type.arch === 'x86_64') };
}

/** Where a personality works, by its profile: these ranges must be RAM for the boot. */
function workRanges(profile: Profile): { start: number; end: number }[] {
  switch (profile.kind) {
    case 'seabios':
      return [profile.p.tmpHigh, profile.p.zoneHigh];
    case 'ovmf': {
      const p = profile.p;
      // script and table copies below reclaimTop, blobs and the FACS copy below nvsTop, the roots around them
      const points = [p.reclaim.bottom, p.nvs.top, p.rsdp20, p.xsdt, p.rsdp10 ?? p.rsdp20, p.rsdt ?? p.xsdt];
      return [
        { start: Math.min(...points) - 2 * MiB, end: Math.max(...points) + MiB },
        { start: p.generalTop - 24 * MiB, end: p.generalTop },
      ];
    }
    case 'uboot':
      return [{ start: profile.p.bloblist - 2 * MiB, end: profile.p.bloblist + profile.p.size + MiB }];
  }
}

/**
 * Guest memory for one boot: RAM where the firmware works (its profile's
 * ranges, clipped to RAM), on x86 the low 640 KiB and the BIOS shadow
 * 0xe0000-0xfffff as RAM during POST, and a window around each pinned
 * placement outside them. Everything else is unmapped: a firmware model that
 * strays there gets a typed error, not silently invented memory.
 */
export function firmwareMemory(machine: QemuMachine, ranges: { start: number; end: number }[], placements: ReadonlyMap<string, number>): GuestMemory {
  const ram = ramBelow4G(machine);
  const specs: RegionSpec[] = [];
  if (ram.start === 0) {
    specs.push({ name: 'ram-low', start: 0, size: 0xa0000, kind: 'ram' });
    specs.push({ name: 'bios-shadow', start: 0xe0000, size: 0x20000, kind: 'ram' });
  }
  for (const r of ranges) {
    const start = Math.max(r.start, ram.start);
    const end = Math.min(r.end, ram.end);
    if (start < end) specs.push({ name: 'ram', start, size: end - start, kind: 'ram' });
  }
  for (const at of placements.values()) {
    if (specs.some((s) => at >= s.start && at < s.start + s.size)) continue;
    const start = Math.floor(at / MiB) * MiB;
    specs.push({ name: 'ram', start, size: MiB * 4, kind: 'ram' });
  }
  specs.sort((a, b) => a.start - b.start);
  const merged: RegionSpec[] = [];
  for (const s of specs) {
    const last = merged.at(-1);
    if (last !== undefined && s.start <= last.start + last.size) last.size = Math.max(last.size, s.start + s.size - last.start);
    else merged.push({ ...s });
  }
  return new GuestMemory(merged.map((s) => ({ ...s, name: s.name === 'ram' ? `ram@0x${s.start.toString(16)}` : s.name })));
}

/** Whether this firmware exists for the machine's architecture (SeaBIOS is x86 only). */
export function runsOn(machine: QemuMachine, firmware: FirmwareName): boolean {
  return firmware !== 'seabios' || machine.type.arch === 'x86_64';
}

export function boot(machine: QemuMachine, o: BootOptions, guestFor: GuestFactory): Boot {
  if (!runsOn(machine, o.firmware)) throw new UsageError('FIRMWARE_ARCH', `${o.firmware} does not run on ${machine.type.name} (${machine.type.arch})`);
  const placements = o.placements ?? new Map<string, number>();
  const profile = profileFor(machine, o.firmware);
  const scratch = driverScratch(machine);
  const memory = firmwareMemory(machine, [...workRanges(profile), { start: scratch, end: scratch + DRIVER_SCRATCH_SIZE }], placements);
  memory.watch = o.watch;
  const fw = guestFor(machine, memory, o.firmware, scratch);
  const ctx = { memory, fw, placements, ...(o.programPlatform === false ? {} : { programPlatform: () => machine.programPlatform() }) };
  let report: FirmwareReport;
  if (profile.kind === 'seabios') report = runSeaBios(ctx, profile.p);
  else if (profile.kind === 'ovmf') report = runOvmf(ctx, profile.p, { s3: machine.type.arch === 'x86_64' && s3Enabled(machine.device.fileItem('etc/system-states')?.data ?? undefined) });
  else report = runUboot(ctx, profile.p);
  report.scratch.push({ start: scratch, end: scratch + DRIVER_SCRATCH_SIZE, what: 'the fw_cfg driver: DMA descriptor and bounce buffer' });
  // what the loader file holds now (after any rebuild the boot triggered)
  const now = machine.device.fileItem(LOADER_FILE)?.data;
  report.loaderSizeNow = now?.length ?? 0;
  report.commandsAvailable = now != null && now.length % 128 === 0 ? decodeLoader(now).filter((e) => e.type !== 'padding').length : 0;
  return { report, memory };
}
