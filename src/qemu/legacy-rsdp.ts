/**
 * The RSDP as QEMU builds it for the i386 loader (revision 0, 20 bytes), and
 * the 36-byte plain fw_cfg file of pc-i440fx <= 2.2 (20 bytes plus 16 zeros,
 * kept for migration compatibility). Captures hold no copy of that plain
 * file, so it is built here from the tables blob, as QEMU builds it: the
 * RsdtAddress field holds the RSDT's offset (the linker's pointer prefill),
 * the checksum byte is 0, the OEM ID is the machine's (the RSDT carries it).
 */
import { FwCfgError } from '../errors.js';
import { scanTableBlob } from '../acpi/blob-tables.js';

export function buildRsdpRev0(tables: Uint8Array, legacyPadding: boolean): Uint8Array {
  const rsdt = scanTableBlob(tables).find((t) => t.signature === 'RSDT');
  if (rsdt === undefined) throw new FwCfgError('NO_RSDT', 'cannot build the RSDP: no RSDT in the tables blob');
  const out = new Uint8Array(legacyPadding ? 36 : 20);
  out.set(Uint8Array.from('RSD PTR ', (c) => c.charCodeAt(0)));
  out.set(tables.subarray(rsdt.offset + 10, rsdt.offset + 16), 9); // OEM ID
  new DataView(out.buffer).setUint32(16, rsdt.offset, true);
  return out;
}
