/**
 * Reading a U-Boot image (Debian's u-boot-qemu: `qemu-x86_64/u-boot.rom`,
 * `qemu_arm64/u-boot.bin`). Both are uncompressed and keep U-Boot's banner
 * as plain text, `U-Boot 2023.01+dfsg-2+deb12u3 (Jun 22 2026 - ...)`, whose
 * version is the Debian package's (spec-vectors/uboot/*\/observed.json: every
 * recorded banner next to its package). The x86 image also holds the SPL's
 * (`U-Boot SPL 2023.01...`), which is left out.
 */

/** The version in a U-Boot image's banner (`2025.01-3.2`), or null when it is none. */
export function ubootVersionIn(image: Uint8Array): string | null {
  const text = Buffer.from(image.buffer, image.byteOffset, image.byteLength).toString('latin1');
  return /U-Boot (\d{4}\.\d{2}(?:[-+~][0-9A-Za-z.+~-]*)?) \(/.exec(text)?.[1] ?? null;
}
