/**
 * A firmware release as data plus a few hooks over its personality's core
 * (seabios.ts, ovmf.ts, uboot.ts): where it places things on a machine
 * (its profile), which memory it works in, how it reaches fw_cfg, which
 * capture stages record its boots, and how it runs. `boot()` looks a record
 * up in the registry (records/index.ts); nothing else asks a firmware's name.
 * Adding a release is adding a record.
 */
import type { FwCfgDriverStyle } from '../fwcfg/driver.js';
import type { CpuFacts } from '../qemu/cpu-model.js';
import type { MachineFamily } from '../qemu/machine-type.js';
import type { FirmwareContext } from './context.js';
import type { MeasurementPolicy } from './measurement.js';
import type { FirmwareReport } from './report.js';
import type { TpmVersion } from './tpm.js';

/** The personalities: what `--firmware` names. */
export type FirmwareName = 'seabios' | 'ovmf' | 'uboot';
export const FIRMWARES: readonly FirmwareName[] = ['seabios', 'ovmf', 'uboot'];
/** What `--firmware` takes: a personality, optionally pinned to a release (`seabios@1.17.0`). */
export type FirmwareSpec = FirmwareName | `${FirmwareName}@${string}`;

/** The personality a spec names (`seabios@1.17.0` -> seabios; `aavmf` -> ovmf). */
export function firmwareNameOf(spec: string): FirmwareName {
  const name = spec.split('@')[0]!;
  return (name === 'aavmf' ? 'ovmf' : name) as FirmwareName;
}

export type Arch = 'x86_64' | 'aarch64';

/** What a firmware sees of the machine before it runs. */
export interface MachineFacts {
  family: MachineFamily;
  arch: Arch;
  /** RAM below 4 GiB (QEMU's lowmem split). */
  lowRam: { start: number; end: number };
  /** x86: whether QEMU maps RAM above 4 GiB too (U-Boot then keeps a second DRAM bank). */
  ramAbove4G?: boolean;
  /** The NUMA item lists nodes (SeaBIOS then adds SRAT to its fallback tables). */
  numa: boolean;
  /** etc/system-states enables S3 (OVMF's WRITE_POINTER path depends on it). */
  s3: boolean;
  /** QEMU builds ACPI (acpi=on; absent: assumed on): on pc the PIIX4 PM function SeaBIOS's own tables need exists only then. */
  qemuAcpi?: boolean;
  /** The machine's TPM (etc/tpm/config, firmware/tpm.ts); absent: none. */
  tpm?: TpmVersion;
  /** x86: what the CPU offers the firmware's page tables (qemu/cpu-model.ts); absent: not known. */
  cpu?: CpuFacts;
  /** A display with video RAM (QEMU's default std VGA among them): OVMF draws its boot logo on it and installs a BGRT (firmware/ovmf-bgrt.ts). */
  display?: boolean;
}

/** The CPU as OVMF's page tables see it: the machine's, as QEMU's `-cpu` gives them (qemu/cpu-model.ts). */
export type { CpuFacts } from '../qemu/cpu-model.js';

export interface FirmwareRecord<Profile = unknown> {
  /** `name@version`, e.g. seabios@1.16.2. */
  id: string;
  name: FirmwareName;
  version: string;
  /** As people call it: SeaBIOS 1.16.2, OVMF 2022.11, AAVMF 2022.11. */
  label: string;
  arches: readonly Arch[];
  /** The capture stages that record this firmware's boots (spec-vectors/qemu-7.2 names), most specific first. */
  stages: readonly string[];
  /** Whether it keeps every write inside its allocations and scratch (U-Boot's qfw checks no bounds): the fuzz guard holds it to that. */
  boundsChecked: boolean;
  /** Where its numbers come from. */
  evidence: string;
  /** Whether and how it measures the loader and its blobs into a TPM (firmware/measurement.ts). */
  measures: MeasurementPolicy;
  /**
   * Its reset path reads PCI configuration through the MMCONFIG window its POST opened (SeaBIOS
   * before 1.15: "Unable to unlock ram - bridge not found"): QEMU's reset closes the window on q35,
   * so there it never boots again after a system reset.
   */
  resetReadsMmconfig?: true;
  /** What it programs before its first ACPI select, as far as the model needs it: q35's MMCONFIG base. */
  platform: { pciexbar: number };
  /** The fw_cfg driver idiom it uses on an architecture. */
  driverStyle(arch: Arch): FwCfgDriverStyle;
  /** How many tables it installs at most, when it has a limit (OVMF's INSTALLED_TABLES_MAX): what lint warns of. */
  tableCap?: number;
  /** Where it places things on this machine. */
  profile(m: MachineFacts): Profile;
  /** Memory it works in on this machine (must be RAM for the boot). */
  workRanges(p: Profile): { start: number; end: number }[];
  run(ctx: FirmwareContext, p: Profile, m: MachineFacts): FirmwareReport;
}

/** A record whose profile type no longer matters to the caller (the registry's element type). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFirmwareRecord = FirmwareRecord<any>;
