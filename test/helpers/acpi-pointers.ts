// Bytes of an installed ACPI table that the firmware rewrites when it copies it (pointers to its own copies, and the checksum).

/** Offsets inside each installed table that the firmware may have changed: pointers, FADT links, checksum. */
export function pointerBytes(signature: string, length: number): Set<number> {
  const s = new Set<number>([9]);
  const add = (at: number, n: number) => {
    for (let i = 0; i < n; i++) if (at + i < length) s.add(at + i);
  };
  if (signature === 'FACP') {
    add(36, 8);
    add(132, 16);
  }
  if (signature === 'RSDT') for (let at = 36; at < length; at++) s.add(at);
  if (signature === 'XSDT') for (let at = 36; at < length; at++) s.add(at);
  return s;
}
