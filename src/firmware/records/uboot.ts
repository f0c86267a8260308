/**
 * U-Boot as Debian ships it for QEMU (u-boot-qemu: `qemu-x86_64/u-boot.rom`,
 * `qemu_arm64/u-boot.bin`), one record per build, its numbers measured on
 * real boots (spec-vectors/uboot/README.md has the commands and figures).
 *
 * x86: FSEG blobs start at the end of U-Boot's MP table (0xf0060; 0xf0400 in
 * 2021.01); HIGH blobs come from its malloc heap, which ends where the
 * relocated U-Boot starts (bdinfo's relocaddr, a fixed distance below the
 * top of low RAM for each build). Where the heap's top chunk stands when the
 * loader runs depends on everything U-Boot allocated before: measured on
 * QEMU's default devices of each machine family (-nodefaults, one serial
 * port), with 1 and 2 GiB, 3 and 4 GiB, and vmgenid; with other devices or
 * more fw_cfg files it is assumed (12 more files move it on 2023.01 q35).
 * arm64: no build runs QEMU's loader.
 */
import type { FirmwareRecord, MachineFacts } from '../record.js';
import { runUboot, type UbootProfile } from '../uboot.js';

const MiB = 0x100000;
/** U-Boot programs q35's PCIEXBAR to its own ECAM base (CONFIG_PCIE_ECAM_BASE; the real boots read 0xe0000001 back). */
const UBOOT_ECAM = 0xe0000000;

interface X86Build {
  fsegStart: number;
  /** relocaddr = top of low RAM - this (bdinfo on every recorded boot). */
  relocBelowTop: number;
  /** The heap's top chunk, below relocaddr, when write_acpi_tables starts (QEMU's default devices of the family). */
  topBelowEnd: { q35: number; pc: number };
  /** Bytes the top stands higher when QEMU maps RAM above 4 GiB (0 where that changed nothing). */
  aboveFourGiB: number;
  /**
   * The break (sbrk) above the top: how much the top holds before the heap must grow. Measured once, by
   * the largest HIGH blob an injected script could place (acpi=off q35); assumed the same elsewhere.
   */
  brkAboveTop: number;
  /**
   * free() of the F-segment blob after the MP table (*-fseg-then-missing-file, *-heap-exhausted): the MP
   * table's last word makes its chunk size 0x01ff00fe, so fd = bk = dlmalloc's last bin, this far above
   * relocaddr (static data of the relocated U-Boot); `size`: the word left in front of the block (2023.01:
   * set_head writes the MP table's word back; 2025.01: a later malloc split 0xfa0 bytes off that bogus
   * 32 MiB chunk, and free() put those back in a smaller bin).
   */
  freedFseg?: { binAboveReloc: number; size: number };
}

interface UbootBuild {
  /** The Debian package version (u-boot-qemu) this build is. */
  debian: string;
  x86: X86Build;
  /** Why its qemu_arm64 build never runs QEMU's loader. */
  arm64: string;
  /** Files it reads at boot besides the loader's. */
  otherReads: readonly string[];
  handsOnRsdp: boolean;
  fsegFreeResets: boolean;
  evidence: string;
}

function profileOf(b: UbootBuild, m: MachineFacts): UbootProfile {
  const end = m.lowRam.end - b.x86.relocBelowTop;
  const family = m.family === 'pc' ? 'pc' : 'q35';
  const top = end - b.x86.topBelowEnd[family] + (m.ramAbove4G === true ? b.x86.aboveFourGiB : 0);
  const freed = b.x86.freedFseg;
  const base = {
    otherReads: b.otherReads,
    fsegStart: b.x86.fsegStart,
    heap: { top, brk: top + b.x86.brkAboveTop, end },
    handsOnRsdp: b.handsOnRsdp,
    fsegFreeResets: b.fsegFreeResets,
    ...(freed !== undefined ? { freedFsegHead: { fdBk: end + freed.binAboveReloc, size: freed.size } } : {}),
  };
  if (m.arch !== 'x86_64') return { ...base, noLoader: b.arm64, provenance: `${b.debian}: measured (spec-vectors/uboot/)` };
  const measured = m.family === 'q35' || m.family === 'pc';
  return {
    ...base,
    ...(measured ? {} : { noLoader: `U-Boot's qemu-x86_64 build on a ${m.family} machine: never booted here, not modelled` }),
    provenance: `${b.debian}: F-segment from 0x${b.x86.fsegStart.toString(16)}, heap top 0x${top.toString(16)} below its end 0x${end.toString(16)} (measured on QEMU's default ${family} devices; other configurations assumed)`,
  };
}

function record(b: UbootBuild, id: string, label: string): FirmwareRecord<UbootProfile> {
  return {
    id,
    name: 'uboot',
    version: id.slice('uboot@'.length),
    label,
    arches: ['x86_64', 'aarch64'],
    // a capture of a command line that boots U-Boot (-bios u-boot.rom) records its rebuild here
    stages: ['after-uboot'],
    boundsChecked: false,
    evidence: b.evidence,
    // read, not observed: no live U-Boot boot with a TPM
    measures: { kind: 'none', evidence: "drivers/misc/qfw.c (2023.01; qfw_acpi.c later) calls no TPM function; U-Boot's TCG2 code measures images, SMBIOS and EFI events, not the loader's files" },
    platform: { pciexbar: UBOOT_ECAM },
    // qfw: SELECT in the descriptor, only the low address half on x86 (SeaBIOS's idiom), one 64-bit store on arm (OVMF's)
    driverStyle: (arch) => (arch === 'x86_64' ? 'seabios' : 'ovmf'),
    profile: (m) => profileOf(b, m),
    // the F-segment (and what a large FSEG blob runs on into, unchecked) and the heap
    workRanges: (p) => (p.noLoader !== undefined ? [] : [{ start: 0x100000, end: 16 * MiB }, { start: p.heap.end - 4 * MiB, end: p.heap.end }]),
    run: (ctx, p) => runUboot(ctx, p),
  };
}

const ARM64_NO_ACPI = 'built without CONFIG_GENERATE_ACPI_TABLE: its qemu_arm64 build has no ACPI loader and never selects etc/table-loader, so an OS booted through it gets no ACPI from QEMU';

export const UBOOT_2021_01 = record(
  {
    debian: '2021.01+dfsg-5+deb11u3',
    x86: { fsegStart: 0xf0400, relocBelowTop: 0x10a5000, topBelowEnd: { q35: 0x236a80, pc: 0x236c80 }, aboveFourGiB: 0x40, brkAboveTop: 0x2a60 },
    arm64: 'U-Boot 2021.01: its qemu_arm64 build has no fw_cfg driver (no CONFIG_QFW) and never touches fw_cfg, so an OS booted through it gets no ACPI from QEMU',
    otherReads: [],
    handsOnRsdp: false,
    fsegFreeResets: true,
    evidence: 'real boots of Debian 2021.01+dfsg-5+deb11u3 on QEMU 5.2 (bullseye chroot), spec-vectors/uboot/; drivers/misc/qfw.c at v2021.01',
  },
  'uboot@2021.01',
  'U-Boot 2021.01',
);

export const UBOOT_2023_01 = record(
  {
    debian: '2023.01+dfsg-2+deb12u3',
    x86: { fsegStart: 0xf0060, relocBelowTop: 0x10b0000, topBelowEnd: { q35: 0x2365c0, pc: 0x2367c0 }, aboveFourGiB: 0x40, brkAboveTop: 0x25c0, freedFseg: { binAboveReloc: 0x9c800, size: 0x01ff00ff } },
    arm64: ARM64_NO_ACPI,
    otherReads: [],
    handsOnRsdp: false,
    fsegFreeResets: false,
    evidence: 'real boots of Debian 2023.01+dfsg-2+deb12u3 on QEMU 7.2 (and 10.0, 11.1), spec-vectors/uboot/; drivers/misc/qfw.c at v2023.01',
  },
  'uboot@2023.01',
  'U-Boot 2023.01',
);

const SMBIOS_READS = ['etc/smbios/smbios-anchor', 'etc/smbios/smbios-tables'];

/** Debian 13's build (trixie). */
const BUILD_2025_01: UbootBuild = {
  debian: '2025.01-3+deb13u1',
  x86: { fsegStart: 0xf0060, relocBelowTop: 0x10e0000, topBelowEnd: { q35: 0x23b480, pc: 0x23b7c0 }, aboveFourGiB: 0, brkAboveTop: 0x201040, freedFseg: { binAboveReloc: 0xcc020, size: 0xfa1 } },
  arm64: `${ARM64_NO_ACPI}; at boot it reads the directory and QEMU's SMBIOS only`,
  otherReads: SMBIOS_READS,
  handsOnRsdp: true,
  fsegFreeResets: false,
  evidence: 'real boots of Debian 2025.01-3+deb13u1 on QEMU 10.0 (trixie chroot) and 11.1, spec-vectors/uboot/; drivers/misc/qfw_acpi.c at v2025.01',
};
export const UBOOT_2025_01 = record(BUILD_2025_01, 'uboot@2025.01', 'U-Boot 2025.01');

/** sid's rebuild of the same release: 4 KiB smaller, so relocated (and its heap) 4 KiB higher; all else as trixie's. */
export const UBOOT_2025_01_3_2 = record(
  {
    ...BUILD_2025_01,
    debian: '2025.01-3.2',
    // its static data (the malloc bins) moved with the smaller image
    x86: { ...BUILD_2025_01.x86, relocBelowTop: 0x10df000, freedFseg: { binAboveReloc: 0xcb480, size: 0xfa1 } },
    evidence: 'real boots of Debian 2025.01-3.2 on QEMU 11.1 (sid chroot) and 10.0, spec-vectors/uboot/; drivers/misc/qfw_acpi.c at v2025.01',
  },
  'uboot@2025.01-3.2',
  'U-Boot 2025.01 (Debian 2025.01-3.2)',
);
