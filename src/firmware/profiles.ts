/**
 * Where each firmware puts things on the machines the captures cover. Every
 * number here was read off a real boot (spec-vectors/qemu-7.2 manifests,
 * spec-vectors/firmware-conformance/SUMMARY.md "Numbers an executor model
 * needs", and the SeaBIOS debug logs); `--place FILE=ADDR` overrides any
 * allocation for other machines.
 */
import type { MachineFamily } from '../qemu/machine-type.js';
import type { Range } from './zone-allocator.js';
import type { Bin } from './page-allocator.js';
import type { SeaBiosFallback } from './seabios-acpi.js';

export interface SeaBiosProfile {
  /** ZoneHigh: 16 MiB carved from the top of RAM below 4 GiB. */
  zoneHigh: Range;
  /** The part of ZoneFSeg still free when the loader runs (allocations go top-down from `end`). */
  fsegRoom: Range;
  /** End of the whole F-segment zone (the RSDP scan covers [fsegRoom.start, fsegZoneEnd)). */
  fsegZoneEnd: number;
  /** ZoneTmpHigh, where the loader script itself is copied. */
  tmpHigh: Range;
  /**
   * Tables SeaBIOS 1.16 builds itself when no valid RSDP came out of the loader (D1).
   * @deprecated the fallback builds them (seabios-acpi.ts) and reports what it built; unused.
   */
  fallbackTables: string[];
  /** What the release does when no valid RSDP came out of the loader (default: acpi.c's tables, 1.16.x's lines). */
  fallback?: SeaBiosFallback;
  /** Which numbers were observed on this machine family, and which are assumed. */
  provenance: string;
  /** The source line of qemu_platform_setup's "internal error" warning in this release (its record's). */
  platformSetupLine?: number;
}

const MiB = 0x100000;

export function seaBiosProfile(family: MachineFamily, ramBelow4G: number, numa: boolean): SeaBiosProfile {
  const top = ramBelow4G;
  const zoneHigh = { start: top - 16 * MiB, end: top };
  const tmpHigh = { start: top - 32 * MiB, end: top - 16 * MiB };
  // observed: q35 RSDP at 0xf59e0 (room ends 0xf5a00, D8: [0xf5500, 0xf5a00), zone ends 0xf5d00);
  // pc: RSDP 20 B at 0xf59d0 and pc-i440fx-2.2's 36 B at 0xf59c0 (room ends 0xf59f0)
  const fallback = ['RSDT', 'FACP', 'FACS', 'DSDT', 'SSDT', 'APIC', 'HPET', ...(numa ? ['SRAT'] : []), ...(family === 'q35' ? ['MCFG'] : [])];
  switch (family) {
    case 'q35':
      return { zoneHigh, fsegRoom: { start: 0xf5500, end: 0xf5a00 }, fsegZoneEnd: 0xf5d00, tmpHigh, fallbackTables: fallback, provenance: 'q35 2 GiB, 1 CPU: observed' };
    case 'pc':
      return { zoneHigh, fsegRoom: { start: 0xf5500, end: 0xf59f0 }, fsegZoneEnd: 0xf5d00, tmpHigh, fallbackTables: fallback, provenance: 'pc 2 GiB, 1 CPU: room end observed, zone end assumed as q35' };
    case 'microvm':
      // observed: RSDP 36 B at 0xf3490 (room ends in [0xf34b4, 0xf34c4): 0xf34c0), tables 686 B / align 64
      // at 0xefd40 (ZoneHigh ends at 0xf0000 with bios-microvm.bin); zone sizes assumed as q35's
      return {
        zoneHigh: { start: 0xe0000, end: 0xf0000 },
        fsegRoom: { start: 0xf2fc0, end: 0xf34c0 },
        fsegZoneEnd: 0xf37c0,
        tmpHigh,
        fallbackTables: [],
        provenance: 'microvm: top of both zones observed, sizes assumed',
      };
    default:
      return { zoneHigh, fsegRoom: { start: 0xf5500, end: 0xf5a00 }, fsegZoneEnd: 0xf5d00, tmpHigh, fallbackTables: fallback, provenance: `${family}: not observed, q35 numbers assumed` };
  }
}

export interface OvmfProfile {
  name: 'ovmf' | 'aavmf';
  /** The EfiACPIMemoryNVS bin (loader blobs, the FACS copy), free top-down from `top`. */
  nvs: Bin;
  /** The EfiACPIReclaimMemory bin (table copies). */
  reclaim: Bin;
  /** Where requests that do not fit their bin go, top-down. */
  generalTop: number;
  /** The ACPI 1.0 RSDP and its RSDT (listing the FADT), when the build exposes ACPI 1.0 (D7). */
  rsdp10?: number;
  rsdt10?: number;
  /** The ACPI 2.0 RSDP, its RSDT (absent: RsdtAddress 0) and XSDT. */
  rsdp20: number;
  rsdt?: number;
  xsdt: number;
  /** Where the roots' buffer lies once grown to a capacity (entries each), where a run observed it. */
  grownRoots?: Readonly<Record<number, number>>;
  /** Freed pages are filled with this byte (D6). */
  freedFill: number;
  /** Whether the table copies' addresses were observed (OVMF) or only their contents (AAVMF pool). */
  provenance: string;
}

/** Every address of a UEFI profile moved by `delta` (the profile's RAM top against the one it was observed with). */
function shifted(p: OvmfProfile, delta: number, observedTop: number, top: number): OvmfProfile {
  if (delta === 0) return p;
  const at = (a: number) => a + delta;
  const opt = (a: number | undefined) => (a === undefined ? undefined : a + delta);
  return {
    ...p,
    nvs: { bottom: at(p.nvs.bottom), top: at(p.nvs.top) },
    reclaim: { bottom: at(p.reclaim.bottom), top: at(p.reclaim.top) },
    generalTop: at(p.generalTop),
    ...(p.rsdp10 !== undefined ? { rsdp10: opt(p.rsdp10) } : {}),
    ...(p.rsdt10 !== undefined ? { rsdt10: opt(p.rsdt10) } : {}),
    rsdp20: at(p.rsdp20),
    ...(p.rsdt !== undefined ? { rsdt: opt(p.rsdt) } : {}),
    xsdt: at(p.xsdt),
    ...(p.grownRoots !== undefined ? { grownRoots: Object.fromEntries(Object.entries(p.grownRoots).map(([k, v]) => [k, v + delta])) } : {}),
    provenance: `${p.provenance}; moved with the top of low RAM (0x${observedTop.toString(16)} observed, 0x${top.toString(16)} here: assumed to keep its distance from it)`,
  };
}

/** The top of low RAM the OVMF numbers were observed with (q35 and pc, 2 GiB). */
const OVMF_OBSERVED_TOP = 0x80000000;

/**
 * OVMF allocates top-down from the top of low RAM; the numbers were observed
 * with 2 GiB. Other sizes keep the same distances from their top (assumed).
 */
export function ovmfProfile(lowRamTop = OVMF_OBSERVED_TOP): OvmfProfile {
  return shifted(ovmfObserved(), lowRamTop - OVMF_OBSERVED_TOP, OVMF_OBSERVED_TOP, lowRamTop);
}

function ovmfObserved(): OvmfProfile {
  // observed on q35 and pc, 2 GiB: blobs from 0x7fbfe000 down (seed: rsdp 0x7fbfe000, nvdimm-mem
  // 0x7fbfd000, vmgenid_guid 0x7fbfc000, tables 32 pages, FACS copy 0x7fbdb000); RSDPs at
  // 0x7fb7e000/0x7fb7e014, RSDTs 0x7fb7d000/0x7fb7d074, XSDT 0x7fb7d0e8, DSDT copy first below 0x7fb7d000
  return {
    name: 'ovmf',
    // the NVS bin ends at 0x7fc00000 (its top page is taken before the loader runs) and starts where
    // the reclaim bin ends; a 1 MiB blob does not fit in it and goes elsewhere (large-tables-1mib),
    // later small ones still land in it. Table copies fill the reclaim bin from 0x7fb7c000 down to
    // 0x7fb6d000, then continue in general memory at 0x7ea7c000 (tables-128).
    nvs: { bottom: 0x7fb80000, top: 0x7fbff000 },
    reclaim: { bottom: 0x7fb6d000, top: 0x7fb7d000 },
    generalTop: 0x7ea7d000,
    rsdp10: 0x7fb7e000,
    rsdt10: 0x7fb7d000,
    rsdp20: 0x7fb7e014,
    rsdt: 0x7fb7d074,
    xsdt: 0x7fb7d0e8,
    // 126 to 128 root entries (corpus tables-127, -128, -129): RSDT 0x7e900254, XSDT 0x7e9004a8,
    // kept there after a failure uninstalled everything
    grownRoots: { 140: 0x7e900000 },
    freedFill: 0xaf,
    provenance: 'OVMF 2022.11 on q35/pc 2 GiB: every address observed',
  };
}

/** The end of RAM AAVMF's numbers were observed with (virt, 2 GiB at 0x40000000). */
const AAVMF_OBSERVED_TOP = 0xc0000000;

export function aavmfProfile(ramTop = AAVMF_OBSERVED_TOP): OvmfProfile {
  return shifted(aavmfObserved(), ramTop - AAVMF_OBSERVED_TOP, AAVMF_OBSERVED_TOP, ramTop);
}

function aavmfObserved(): OvmfProfile {
  // observed on virt, 2 GiB at 0x40000000: one ACPI 2.0 RSDP at 0xbc430018 (RsdtAddress 0), XSDT at
  // 0xbc43fe98; table copies come from pool memory (0xbc43xx18/98), so only their contents are modelled
  return {
    name: 'aavmf',
    nvs: { bottom: 0xbc300000, top: 0xbc400000 },
    reclaim: { bottom: 0xbc330000, top: 0xbc42f000 },
    generalTop: 0xbc000000,
    rsdp20: 0xbc430018,
    xsdt: 0xbc43fe98,
    freedFill: 0xaf,
    provenance: 'AAVMF 2022.11 on virt 2 GiB: RSDP and XSDT addresses observed; blob and copy placement assumed (pool)',
  };
}
