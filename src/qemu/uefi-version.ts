/**
 * The release of the OVMF a QEMU runs, read from guest RAM: Debian's edk2
 * builds from 2025.02 on set PcdFirmwareVersionString to the package version
 * (`2025.02-8+deb13u1`, `2026.08+ds-2`; the TPM's EV_S_CRTM_VERSION event
 * carries it), and PEI has it, as a NUL-terminated UTF-16LE string, in the
 * low 16 MiB by the firmware's first ACPI select. The images themselves are
 * compressed, so this is the one way to tell the release of an image another
 * installation's QEMU (a chroot) opens. 2022.11 and older leave it empty:
 * null then.
 */

/** The low RAM searched (PEI's decompressed modules at 0x820000 and up on q35 and pc). */
export const UEFI_VERSION_WINDOW = 16 << 20;

/** The version string occurring most often in `ram`, or null. */
export function uefiVersionIn(ram: Uint8Array): string | null {
  const text = Buffer.from(ram.buffer, ram.byteOffset, ram.byteLength).toString('latin1');
  const counts = new Map<string, number>();
  // a release and a packaging suffix, then the terminating NUL (UTF-16LE: every other byte 0)
  for (const m of text.matchAll(/((?:\d\0){4}\.\0(?:\d\0){2}(?:[-+~]\0(?:[0-9A-Za-z.+~-]\0){1,40}))\0\0/g)) {
    const version = Buffer.from(m[1]!, 'latin1').toString('utf16le');
    counts.set(version, (counts.get(version) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}
