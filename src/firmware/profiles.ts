/**
 * Where each firmware puts things on the machines the captures cover. Every
 * number here was read off a real boot (spec-vectors/qemu-7.2 manifests,
 * spec-vectors/firmware-conformance/SUMMARY.md "Numbers an executor model
 * needs", and the SeaBIOS debug logs); `--place FILE=ADDR` overrides any
 * allocation for other machines.
 */
import type { CpuFacts } from './record.js';
import type { MachineFamily } from '../qemu/machine-type.js';
import type { Range } from './zone-allocator.js';
import type { Bin } from './page-allocator.js';
import type { SeaBiosFallback } from './seabios-acpi.js';
import type { BootScreen } from './ovmf-bgrt.js';

export interface SeaBiosProfile {
  /** ZoneHigh: 16 MiB carved from the top of RAM below 4 GiB. */
  zoneHigh: Range;
  /** The part of ZoneFSeg still free when the loader runs (allocations go top-down from `end`). */
  fsegRoom: Range;
  /** End of the whole F-segment zone (the RSDP scan covers [fsegRoom.start, fsegZoneEnd)). */
  fsegZoneEnd: number;
  /** ZoneTmpHigh, where the loader script itself is copied. */
  tmpHigh: Range;
  /** What the release does when no valid RSDP came out of the loader: acpi.c's own tables (up to 1.16, seabios-acpi.ts), or nothing (1.17: "not supported any more"). */
  fallback: SeaBiosFallback;
  /** Which numbers were observed on this machine family, and which are assumed. */
  provenance: string;
  /** The source line of qemu_platform_setup's "internal error" warning in this release. */
  platformSetupLine: number;
  /** The source line of qemu_cfg_write_file's "internal error" warning (a WRITE_POINTER without DMA). */
  writeFileLine: number;
}

/**
 * What moves between SeaBIOS releases: where the F-segment's free room ends
 * when the loader runs (the image's own F-segment data grows or shrinks), the
 * warning lines, and the fallback. Observed per release from the RSDP the
 * loader's 20-byte ALLOCATE got (the top of the room, 16-byte aligned).
 */
export interface SeaBiosLayout {
  /** Release, for provenance. */
  release: string;
  /** The end of ZoneFSeg's free room on q35 and pc (RSDP at end - 0x20 when 20 bytes, align 16). */
  fsegRoomEnd: { q35: number; pc: number };
  /** Which of those were observed (the other is assumed 0x10 apart, as 1.16.2 shows). */
  observed: string;
  platformSetupLine: number;
  writeFileLine: number;
  fallback: SeaBiosFallback;
}

const MiB = 0x100000;
/** 1.16.2 (spec-vectors/qemu-7.2): the room is [end - 0x500, end) and the zone ends 0x300 above it (D8). */
const FSEG_ROOM = 0x500;
const FSEG_ABOVE_ROOM = 0x300;

export function seaBiosProfile(family: MachineFamily, ramBelow4G: number, numa: boolean, layout: SeaBiosLayout): SeaBiosProfile {
  const top = ramBelow4G;
  const zoneHigh = { start: top - 16 * MiB, end: top };
  const tmpHigh = { start: top - 32 * MiB, end: top - 16 * MiB };
  const lines = { platformSetupLine: layout.platformSetupLine, writeFileLine: layout.writeFileLine, fallback: layout.fallback };
  const x86 = (end: number, provenance: string): SeaBiosProfile => ({
    zoneHigh,
    fsegRoom: { start: end - FSEG_ROOM, end },
    fsegZoneEnd: end + FSEG_ABOVE_ROOM,
    tmpHigh,
    provenance: `SeaBIOS ${layout.release}, ${provenance}; room and zone sizes as 1.16.2's`,
    ...lines,
  });
  switch (family) {
    case 'q35':
      return x86(layout.fsegRoomEnd.q35, `q35 2 GiB: ${layout.observed}`);
    case 'pc':
      return x86(layout.fsegRoomEnd.pc, `pc 2 GiB: ${layout.observed}`);
    case 'microvm':
      // 1.16.2's bios-microvm.bin, observed: RSDP 36 B at 0xf3490 (room ends in [0xf34b4, 0xf34c4): 0xf34c0),
      // tables 686 B / align 64 at 0xefd40 (ZoneHigh ends at 0xf0000); zone sizes assumed as q35's
      return {
        zoneHigh: { start: 0xe0000, end: 0xf0000 },
        fsegRoom: { start: 0xf2fc0, end: 0xf34c0 },
        fsegZoneEnd: 0xf37c0,
        tmpHigh,
        provenance: `microvm: top of both zones observed with 1.16.2's image, sizes assumed${layout.release === '1.16.2' ? '' : `; assumed unchanged in ${layout.release}`}`,
        ...lines,
      };
    default:
      return x86(layout.fsegRoomEnd.q35, `${family}: not observed, q35 numbers assumed`);
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
  /** Freed pages are filled with this byte (D6); null: they keep their bytes (AAVMF 2026.08's blobs are still in RAM after the boot). */
  freedFill: number | null;
  /**
   * When the fw_cfg directory is read: on every QemuFwCfgFindFile (up to
   * 2025.02), or once, early in the boot, and cached (2026.08).
   */
  directoryRead: 'every-lookup' | 'once-early';
  /** The GOP mode OVMF draws its boot logo in, where its BGRT was recorded (ovmf-bgrt.ts); absent: no BGRT modelled. */
  bootScreen?: BootScreen;
  /** Whether the table copies' addresses were observed (OVMF) or only their contents (AAVMF pool). */
  provenance: string;
  /** What the layout is not measured for on this machine (said in the boot's notes). */
  caveat?: string;
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

/** What moves between OVMF releases on the same machine. */
export interface OvmfRelease {
  version: string;
  /** How far every address of 2022.11's layout moved (2026.08: 0x2ed000 higher, measured on q35, pc and the seed). */
  shift: number;
  directoryRead: OvmfProfile['directoryRead'];
  /**
   * What sizes the identity-mapped page tables OVMF builds below everything it
   * allocates (its layout was observed with `-cpu max`, which has 1 GiB pages:
   * a few pages). Without 1 GiB pages a release that maps the CPU's whole
   * physical address space takes 2 MiB pages for it: 4 MiB of tables for
   * QEMU's 40 bits, and every address 4 MiB lower. `cpu-phys-bits`: it does;
   * `unaffected`: never. Seen live on q35 2 GiB with QEMU's default CPU
   * (qemu64: no pdpe1gb, 40 bits): 2022.11 and 2025.02 4 MiB lower under QEMU
   * 7.2, 2025.02 under 10.0 too; 2020.11 and 2026.08 not under 7.2;
   * `-cpu max,-pdpe1gb` gives 2022.11 the same 4 MiB, `-cpu qemu64,+pdpe1gb`
   * none (spec-vectors/ovmf-page-tables, test/ovmf-page-tables.test.ts).
   */
  pageTables: 'cpu-phys-bits' | 'unaffected';
  /** The boot logo's screen (spec-vectors/ovmf-bgrt: the BGRT's offsets centre the logo on it). */
  bootScreen: BootScreen;
  provenance: string;
}

/** Up to 2020.11 OVMF's default GOP mode is 800 x 600; from 2022.11 on 1280 x 800 (spec-vectors/ovmf-bgrt: BGRT offsets 303,271 and 543,371). */
export const SCREEN_800X600: BootScreen = { width: 800, height: 600 };
export const SCREEN_1280X800: BootScreen = { width: 1280, height: 800 };

export const OVMF_2022_11_LAYOUT: OvmfRelease = { version: '2022.11', shift: 0, directoryRead: 'every-lookup', pageTables: 'cpu-phys-bits', bootScreen: SCREEN_1280X800, provenance: 'OVMF 2022.11 on q35/pc 2 GiB: every address observed' };

/** The 2 MiB-page tables for QEMU's 40 physical bits, as measured (see OvmfRelease.pageTables). */
const TABLES_WITHOUT_1G_PAGES = 0x400000;

/**
 * How far below the observed layout OVMF's allocations start on this CPU: 0,
 * 4 MiB, or undefined where the CPU is one this was not measured on (then the
 * profile keeps the observed layout and says so).
 */
export function pageTableShift(release: OvmfRelease, cpu: CpuFacts | undefined): number | undefined {
  if (release.pageTables === 'unaffected' || cpu === undefined) return 0;
  if (cpu.pages1G === true) return 0;
  if (cpu.pages1G === false && cpu.physBits === 40) return -TABLES_WITHOUT_1G_PAGES;
  return undefined;
}

/**
 * OVMF allocates top-down from the top of low RAM; the numbers were observed
 * with 2 GiB. Other sizes keep the same distances from their top (assumed).
 */
export function ovmfProfile(lowRamTop = OVMF_OBSERVED_TOP, release: OvmfRelease = OVMF_2022_11_LAYOUT, cpu?: CpuFacts): OvmfProfile {
  const tables = pageTableShift(release, cpu);
  const provenance =
    tables === undefined
      ? `${release.provenance}; this CPU (no 1 GiB pages, ${cpu?.physBits ?? 'unknown'} physical bits${cpu?.pages1G === undefined ? ', or a model not known to the tool' : ''}) was not measured: its page tables may move every address (assumed not to)`
      : tables !== 0
        ? `${release.provenance}; a CPU without 1 GiB pages: every address ${-tables / 0x100000} MiB lower (its page tables, measured)`
        : release.provenance;
  const caveat = tables === undefined ? `OVMF's addresses were measured with 1 GiB pages (-cpu max) and, without them, with QEMU's 40 physical bits; this CPU (${cpu?.pages1G === false ? `no 1 GiB pages, ${cpu.physBits ?? 'host'} physical bits` : 'a model the tool does not know'}) was not measured: its page tables may move every address OVMF allocates` : undefined;
  const base = { ...ovmfObserved(), directoryRead: release.directoryRead, bootScreen: release.bootScreen, provenance, ...(caveat !== undefined ? { caveat } : {}) };
  const shift = release.shift + (tables ?? 0);
  const moved = shift === 0 ? base : shifted(base, shift, OVMF_OBSERVED_TOP, OVMF_OBSERVED_TOP);
  return shifted({ ...moved, provenance }, lowRamTop - OVMF_OBSERVED_TOP, OVMF_OBSERVED_TOP, lowRamTop);
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
    directoryRead: 'every-lookup',
    provenance: 'OVMF 2022.11 on q35/pc 2 GiB: every address observed',
  };
}

/** The end of RAM AAVMF's numbers were observed with (virt, 2 GiB at 0x40000000). */
const AAVMF_OBSERVED_TOP = 0xc0000000;

/**
 * What moves between AAVMF releases on virt (spec-vectors/aavmf/<release>,
 * observed with 2 GiB): where AcpiTableDxe's pool gave the ACPI 2.0 RSDP and
 * the XSDT, how far the bins of the loader's blobs (and the model's page
 * copies of the tables) lie from 2022.11's, and what freed pages hold.
 */
export interface AavmfRelease {
  version: string;
  rsdp20: number;
  xsdt: number;
  /** Added to every bin of 2022.11's layout. */
  binShift: number;
  freedFill: number | null;
  directoryRead: OvmfProfile['directoryRead'];
  provenance: string;
}

export const AAVMF_2022_11_LAYOUT: AavmfRelease = {
  version: '2022.11',
  rsdp20: 0xbc430018,
  xsdt: 0xbc43fe98,
  binShift: 0,
  freedFill: 0xaf,
  directoryRead: 'every-lookup',
  provenance: 'AAVMF 2022.11 on virt 2 GiB: RSDP and XSDT addresses observed; blob and copy placement assumed (pool); no RAM page holds 0xAF after the boot (spec-vectors/aavmf/2022.11), the fill is assumed',
};

export function aavmfProfile(ramTop = AAVMF_OBSERVED_TOP, release: AavmfRelease = AAVMF_2022_11_LAYOUT): OvmfProfile {
  const base = aavmfObserved();
  const moved = { ...shifted(base, release.binShift, AAVMF_OBSERVED_TOP, AAVMF_OBSERVED_TOP), rsdp20: release.rsdp20, xsdt: release.xsdt, freedFill: release.freedFill, directoryRead: release.directoryRead, provenance: release.provenance };
  return shifted(moved, ramTop - AAVMF_OBSERVED_TOP, AAVMF_OBSERVED_TOP, ramTop);
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
    directoryRead: 'every-lookup',
    provenance: AAVMF_2022_11_LAYOUT.provenance,
  };
}
