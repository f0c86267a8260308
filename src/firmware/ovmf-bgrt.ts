/**
 * OVMF's own Boot Graphics Resource Table. With a display its GOP drives,
 * OVMF's boot manager draws the edk2 logo centred on the screen, and at
 * ReadyToBoot (after AcpiPlatformDxe installed QEMU's tables)
 * MdeModulePkg's BootGraphicsResourceTableDxe installs a BGRT through the
 * ACPI table protocol: the table gets the next reclaim page below QEMU's
 * tables and the last RSDT/XSDT entry. The logo's BMP copy is a pool
 * allocation whose address depends on everything the DXE phase allocated
 * before it, so that field (and the checksum over it) is not modelled: the
 * report names those bytes.
 *
 * Recorded: spec-vectors/ovmf-bgrt (spec-vectors/README.md; q35, 2 GiB,
 * QEMU's default devices; OVMF 2020.11, 2022.11, 2025.02, 2026.08; pc,
 * bochs-display and no display on 2022.11): every header byte, version,
 * status and image type below is the same on all of them; the offsets
 * follow each release's screen size.
 */
import { checksumByte } from '../acpi/checksum.js';

export const BGRT_LENGTH = 56;

/** The logo OVMF shows (MdeModulePkg/Logo/Logo.bmp): its BMP copy was 193 x 58, 24 bits, 33694 bytes in every recorded release. */
export const EDK2_LOGO = { width: 193, height: 58 } as const;

/** The GOP mode the logo is drawn in: the release's default resolution. */
export interface BootScreen {
  width: number;
  height: number;
}

/** Bytes the model cannot know, as offsets into the table. */
export interface UnmodelledBytes {
  offset: number;
  length: number;
  why: string;
}

/** The image address (+40, 8 bytes) and the checksum (+9) that covers it. */
export const BGRT_UNMODELLED: readonly UnmodelledBytes[] = [
  { offset: 9, length: 1, why: 'the checksum, which covers the image address' },
  { offset: 40, length: 8, why: "the logo image's address, a pool allocation" },
];

/** Where the logo's top-left corner lands: centred, rounded down (BootLogoLib's centre placement). */
export function logoOffset(screen: BootScreen): { x: number; y: number } {
  return { x: Math.floor((screen.width - EDK2_LOGO.width) / 2), y: Math.floor((screen.height - EDK2_LOGO.height) / 2) };
}

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

/**
 * The table as InstallAcpiTable receives it, with the image address left 0
 * (not modelled) and the checksum over these bytes. Header: OEM "INTEL " /
 * "EDK2    " revision 2, creator "    " revision 0x01000013 (edk2's default
 * PCDs, as recorded); body: version 1, status 1 (displayed, orientation 0),
 * image type 0 (BMP), the logo's offsets.
 */
export function bgrtTable(screen: BootScreen): Uint8Array {
  const t = new Uint8Array(BGRT_LENGTH);
  const dv = new DataView(t.buffer);
  t.set(ascii('BGRT'), 0);
  dv.setUint32(4, BGRT_LENGTH, true);
  t[8] = 1;
  t.set(ascii('INTEL '), 10);
  t.set(ascii('EDK2    '), 16);
  dv.setUint32(24, 2, true);
  t.set(ascii('    '), 28);
  dv.setUint32(32, 0x01000013, true);
  dv.setUint16(36, 1, true);
  t[38] = 1;
  t[39] = 0;
  const at = logoOffset(screen);
  dv.setUint32(48, at.x, true);
  dv.setUint32(52, at.y, true);
  t[9] = checksumByte(t);
  return t;
}
