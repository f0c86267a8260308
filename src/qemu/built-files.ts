/**
 * fw_cfg files that are not ROM blobs and so are not in a capture's
 * before/after folders, built as QEMU builds them.
 */
import { InputError } from '../errors.js';

/** The VM generation ID's file: QEMU draws its GUID at every start unless `-device vmgenid,guid=UUID` pins it. */
export const VMGENID_FILE = 'etc/vmgenid_guid';
/** VMGENID_GUID_OFFSET: where hw/acpi/vmgenid.c puts the GUID in etc/vmgenid_guid. */
export const VMGENID_GUID_OFFSET = 40;
export const VMGENID_FILE_SIZE = 4096;

/** The GUID in its little-endian (Microsoft) byte order: first three fields swapped. */
export function guidBytes(guid: string): Uint8Array {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i.exec(guid);
  if (m === null) throw new InputError('BAD_GUID', `${JSON.stringify(guid)} is not a GUID`);
  const hexBytes = (h: string) => h.match(/../g)!.map((x) => parseInt(x, 16));
  return Uint8Array.from([...hexBytes(m[1]!).reverse(), ...hexBytes(m[2]!).reverse(), ...hexBytes(m[3]!).reverse(), ...hexBytes(m[4]!), ...hexBytes(m[5]!)]);
}

/** etc/vmgenid_guid: 4096 zero bytes with the GUID at offset 40. */
export function vmgenidGuidFile(guid: string): Uint8Array {
  const f = new Uint8Array(VMGENID_FILE_SIZE);
  f.set(guidBytes(guid), VMGENID_GUID_OFFSET);
  return f;
}

/**
 * etc/system-states as QEMU 7.2 serves it by default (S3 and S4 enabled),
 * as captured from every x86 configuration in spec-vectors/fwcfg-device.
 */
export const SYSTEM_STATES_DEFAULT = Uint8Array.from([0x80, 0x00, 0x00, 0x81, 0x82, 0x80]);
