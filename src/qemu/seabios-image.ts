/** Reading a SeaBIOS image (a file, or the pc.bios RAM block of a migration stream). */

/** SeaBIOS keeps its build version as plain text in the image (e.g. `1.16.2-debian-1.16.2-1`). */
export function seabiosVersionIn(image: Uint8Array): string | null {
  const text = Buffer.from(image.buffer, image.byteOffset, image.byteLength).toString('latin1');
  if (!text.includes('SeaBIOS (version %s)')) return null;
  // a NUL-terminated string after a non-text byte (1.16.2 has a NUL before it, 1.16.3 and 1.17.0 code bytes)
  const found = [...text.matchAll(/[^\x20-\x7e]((?:rel-)?1\.\d{1,2}\.\d{1,2}(?:[-~+][-.A-Za-z0-9~+]*)?)\0/g)].map((m) => m[1]!);
  return found.find((v) => /[-~+]/.test(v)) ?? found[0] ?? null;
}
