/**
 * One firmware boot over a QemuMachine: guest memory laid out as that
 * firmware sees it, fw_cfg reached through the device, the personality run,
 * and the results read back (allocations, write-backs, what the OS finds).
 */
import { decodeLoader } from '../loader/codec.js';
import { LOADER_FILE } from '../loader/constants.js';
import { GuestMemory, type RegionSpec } from '../memory/guest-memory.js';
import type { FwCfgGuest } from '../firmware/fwcfg-guest.js';
import { s3Enabled } from '../firmware/ovmf.js';
import { FIRMWARES, firmwareNameOf, type AnyFirmwareRecord, type FirmwareName, type FirmwareSpec, type MachineFacts } from '../firmware/record.js';
import { firmwareRecord, firmwareRecordFor } from '../firmware/records/index.js';
import type { FirmwareReport } from '../firmware/report.js';
import { TPM_CONFIG_FILE, tpmFromConfig, type TpmVersion } from '../firmware/tpm.js';
import type { QemuMachine } from '../qemu/machine.js';
import { VMGENID_FILE } from '../qemu/built-files.js';
import { UsageError } from '../errors.js';
import { DRIVER_SCRATCH_SIZE, driverScratch, type GuestFactory } from './fwcfg-access.js';

export { FIRMWARES, firmwareNameOf, type FirmwareName, type FirmwareSpec };

/** `--firmware NAME[@VERSION]`: the name is checked here, the version against the registry once the machine's architecture is known. */
export function parseFirmware(text: string | undefined): FirmwareSpec {
  const name = text?.split('@')[0];
  const version = text?.split('@')[1];
  if (text === undefined || name === undefined || !(FIRMWARES as readonly string[]).includes(firmwareNameOf(name)) || version === '' || text.split('@').length > 2) {
    throw new UsageError('USAGE', `--firmware ${text ?? '(missing)'}: use ${FIRMWARES.join(', ')}, optionally @VERSION (e.g. seabios@1.17.0)`);
  }
  return text as FirmwareSpec;
}

export type { GuestFactory } from './fwcfg-access.js';

export interface BootOptions {
  firmware: FirmwareSpec;
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
  return lowRamRange(machine.type.family, ramSize(machine));
}

/** The machine's main RAM block's size (2 GiB when the capture lists none). */
function ramSize(machine: QemuMachine): number {
  const ram = machine.ramList.blocks.find((b) => b.idstr === 'pc.ram' || b.idstr === 'microvm.ram' || b.idstr === 'mach-virt.ram');
  return ram?.usedLength ?? 2 ** 31;
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

/** The machine's TPM, when it has one (QEMU serves etc/tpm/config then). */
function tpmFact(machine: QemuMachine): { tpm?: TpmVersion } {
  const tpm = tpmFromConfig(machine.device.fileItem(TPM_CONFIG_FILE)?.data);
  return tpm === undefined ? {} : { tpm };
}

/** Video RAM blocks of displays OVMF drives: QEMU's VGA core (std VGA, its default on pc and q35; virtio-vga) and bochs-display. */
const DISPLAY_RAM = ['vga.vram', 'bochs-display-vram'];

/**
 * Whether the machine has a display OVMF draws its logo on, as `info
 * ramblock` shows it (live: std VGA, virtio-vga, bochs-display;
 * spec-vectors/ovmf-bgrt). A display without video RAM of its own
 * (virtio-gpu-pci, ramfb) leaves no block: the model cannot see it.
 */
function hasDisplayRam(machine: QemuMachine): boolean {
  return machine.ramList.blocks.some((b) => DISPLAY_RAM.some((name) => b.idstr === name || b.idstr.endsWith(`/${name}`)));
}

/** What the firmware sees of this machine before it runs. */
export function machineFacts(machine: QemuMachine): MachineFacts {
  return {
    family: machine.type.family,
    arch: machine.type.arch,
    lowRam: ramBelow4G(machine),
    ramAbove4G: ramRanges(machine).length > 1,
    numa: (machine.device.item(0x0d)?.data?.[0] ?? 0) > 0,
    s3: s3Enabled(machine.device.fileItem('etc/system-states')?.data ?? undefined),
    qemuAcpi: machine.acpi !== undefined,
    display: hasDisplayRam(machine),
    ...tpmFact(machine),
    ...(machine.cpu !== undefined ? { cpu: machine.cpu } : {}),
  };
}

/** The firmware release a boot runs: its registry record for this machine's architecture. */
export function recordFor(machine: QemuMachine, firmware: FirmwareName | string): AnyFirmwareRecord {
  return firmwareRecord(firmware, machine.type.arch, machine.type.name, machine.firmwarePackages);
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
export function runsOn(machine: QemuMachine, firmware: FirmwareName | string): boolean {
  return firmwareRecordFor(firmware, machine.type.arch, machine.firmwarePackages) !== undefined;
}

/** RAM a guest has on this machine: below 4 GiB, and what QEMU maps above it (x86) for the rest. */
export function ramRanges(machine: QemuMachine): { start: number; end: number }[] {
  const size = ramSize(machine);
  const low = lowRamRange(machine.type.family, size);
  const rest = size - (low.end - low.start);
  return rest > 0 && machine.type.arch === 'x86_64' ? [low, { start: 2 ** 32, end: 2 ** 32 + rest }] : [low];
}

const hex = (n: number) => '0x' + n.toString(16);

/**
 * `--place` pins that cannot mean anything on this machine are refused before
 * the boot: a file its loader never ALLOCATEs, or a place that is not the
 * machine's RAM.
 */
export function checkPlacements(machine: QemuMachine, placements: ReadonlyMap<string, number>): void {
  if (placements.size === 0) return;
  const loader = machine.device.fileItem(LOADER_FILE)?.data;
  const allocated = new Set(loader != null && loader.length % 128 === 0 ? decodeLoader(loader).flatMap((e) => (e.type === 'allocate' ? [e.file] : [])) : []);
  const ram = ramRanges(machine);
  for (const [file, at] of placements) {
    if (!allocated.has(file)) throw new UsageError('PLACE_UNKNOWN_FILE', `--place ${file}=${hex(at)}: the loader never ALLOCATEs ${JSON.stringify(file)} (it allocates ${[...allocated].join(', ') || 'nothing'})`);
    const size = Math.max(1, machine.device.fileItem(file)?.data?.length ?? 1);
    if (!ram.some((r) => at >= r.start && at + size <= r.end)) {
      throw new UsageError('PLACE_OUTSIDE_RAM', `--place ${file}=${hex(at)}: [${hex(at)}, ${hex(at + size)}) is not inside ${machine.type.name}'s RAM (${ram.map((r) => `[${hex(r.start)}, ${hex(r.end)})`).join(', ')})`);
    }
  }
}

export function boot(machine: QemuMachine, o: BootOptions, guestFor: GuestFactory): Boot {
  const record = recordFor(machine, o.firmware);
  const placements = o.placements ?? new Map<string, number>();
  checkPlacements(machine, placements);
  const facts = machineFacts(machine);
  const profile: unknown = record.profile(facts);
  const scratch = driverScratch(machine);
  const memory = firmwareMemory(machine, [...record.workRanges(profile), { start: scratch, end: scratch + DRIVER_SCRATCH_SIZE }], placements);
  memory.watch = o.watch;
  const fw = guestFor(machine, memory, record, scratch);
  const ctx = { memory, fw, placements, ...(o.programPlatform === false ? {} : { programPlatform: () => machine.programPlatform(record.platform.pciexbar) }) };
  const report: FirmwareReport = record.run(ctx, profile, facts);
  if (facts.tpm !== undefined && record.measures.kind === 'none') report.notes.push(`the machine has a TPM ${facts.tpm}; ${record.label} measures nothing of the loader or its files into it`);
  // a digest over a GUID QEMU draws anew at each start (guid=auto, the default) holds for that GUID alone
  if (report.measurements.some((m) => m.file === VMGENID_FILE)) report.notes.push(`the measurement of ${VMGENID_FILE} covers the VM generation ID this machine serves; a QEMU started with vmgenid's guid=auto (the default) draws another and measures another digest: pin it with -device vmgenid,guid=UUID`);
  report.scratch.push({ start: scratch, end: scratch + DRIVER_SCRATCH_SIZE, what: 'the fw_cfg driver: DMA descriptor and bounce buffer' });
  // what the loader file holds now (after any rebuild the boot triggered)
  const now = machine.device.fileItem(LOADER_FILE)?.data;
  report.loaderSizeNow = now?.length ?? 0;
  report.commandsAvailable = now != null && now.length % 128 === 0 ? decodeLoader(now).filter((e) => e.type !== 'padding').length : 0;
  return { report, memory };
}
