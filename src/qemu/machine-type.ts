/**
 * Machine types and the per-version properties that matter here: fw_cfg
 * file slots and order, DMA, where the RSDP lives, ACPI padding.
 */
import { UsageError } from '../errors.js';

export type MachineFamily = 'pc' | 'q35' | 'microvm' | 'virt';

export interface MachineType {
  /** As QEMU names it, e.g. pc-q35-7.2, pc-i440fx-2.2, microvm, virt-7.2. */
  name: string;
  family: MachineFamily;
  /** Machine-type version; the latest (7.2) for unversioned names. */
  major: number;
  minor: number;
  arch: 'x86_64' | 'aarch64';
}

const LATEST = { major: 7, minor: 2 };

export function parseMachineType(name: string): MachineType {
  let m = /^pc-(q35|i440fx)-(\d+)\.(\d+)$/.exec(name);
  if (m !== null) return { name, family: m[1] === 'q35' ? 'q35' : 'pc', major: Number(m[2]), minor: Number(m[3]), arch: 'x86_64' };
  if (name === 'q35') return { name: 'pc-q35-7.2', family: 'q35', ...LATEST, arch: 'x86_64' };
  if (name === 'pc') return { name: 'pc-i440fx-7.2', family: 'pc', ...LATEST, arch: 'x86_64' };
  if (name === 'microvm') return { name, family: 'microvm', ...LATEST, arch: 'x86_64' };
  m = /^virt(?:-(\d+)\.(\d+))?$/.exec(name);
  if (m !== null) return { name: m[1] === undefined ? 'virt-7.2' : name, family: 'virt', major: Number(m[1] ?? LATEST.major), minor: Number(m[2] ?? LATEST.minor), arch: 'aarch64' };
  throw new UsageError('BAD_MACHINE', `unknown machine type ${JSON.stringify(name)} (pc-q35-X.Y, pc-i440fx-X.Y, q35, pc, microvm, virt[-X.Y])`);
}

const atLeast = (t: MachineType, major: number, minor: number) => t.major > major || (t.major === major && t.minor >= minor);

export const isX86 = (t: MachineType) => t.arch === 'x86_64';

/** 0x20 file slots from 2.9 on, 0x10 before (hw_compat_2_8). */
export function fileSlots(t: MachineType): number {
  return atLeast(t, 2, 9) ? 0x20 : 0x10;
}

/** Machine types 2.5 and older sort fw_cfg files by a fixed rank (pc/q35 only). */
export function legacyFwCfgOrder(t: MachineType): boolean {
  return (t.family === 'pc' || t.family === 'q35') && !atLeast(t, 2, 6);
}

/** fw_cfg DMA from 2.5 on (hw_compat_2_4 turns it off). */
export function fwCfgDma(t: MachineType): boolean {
  return atLeast(t, 2, 5);
}

/** pc-i440fx <= 2.2 keeps the RSDP in a plain fw_cfg file (36 bytes), not a RAM block. */
export function rsdpInRam(t: MachineType): boolean {
  return !(t.family === 'pc' && !atLeast(t, 2, 3));
}

/** `fw_cfg/acpi_mr` migrates exact blob sizes on machine types >= 5.0. */
export function acpiMrRestore(t: MachineType): boolean {
  return atLeast(t, 5, 0);
}

/** The per-machine legacy table size (pc-i440fx-2.0 / 1.7), else undefined. */
export function legacyAcpiTableSize(t: MachineType): number | undefined {
  if (t.family !== 'pc') return undefined;
  if (t.major === 2 && t.minor === 0) return 6652;
  if (t.major === 1 && t.minor === 7) return 6414;
  return undefined;
}

/** Whether the guest's first select of an ACPI file rebuilds the tables (microvm builds once). */
export function rebuildsOnSelect(t: MachineType): boolean {
  return t.family !== 'microvm';
}

export function programName(t: MachineType): string {
  return `qemu-system-${t.arch}`;
}

export interface FwCfgCompat {
  fileSlots: number;
  legacyOrder: boolean;
  dmaEnabled: boolean;
  /** [major, minor] of a versioned machine type, undefined for the newest. */
  version: [number, number] | undefined;
}

/** fw_cfg device options for a `-machine` argument such as `pc-i440fx-2.0`, `virt-2.8`, `q35,nvdimm=on`. */
export function fwCfgCompat(machineArg: string): FwCfgCompat {
  const name = machineArg.split(',')[0]!;
  const t = parseMachineType(name);
  return { fileSlots: fileSlots(t), legacyOrder: legacyFwCfgOrder(t), dmaEnabled: fwCfgDma(t), version: /-\d+\.\d+$/.test(name) ? [t.major, t.minor] : undefined };
}
