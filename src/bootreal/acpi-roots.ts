/**
 * Where an OS would start its ACPI walk in a real guest's RAM: under BIOS
 * the lowest valid RSDP on a 16-byte boundary in 0xE0000-0xFFFFF; under UEFI
 * the RSDP that the EFI system table's configuration table lists (ACPI 2.0
 * GUID first, then 1.0). The system table is found by its signature and
 * accepted only with a valid header CRC32.
 */
import { crc32 } from 'node:zlib';
import { sum8 } from '../acpi/checksum.js';
import { occurrences, type RamImage } from './ram-image.js';

const RSDP_SIGNATURE = Buffer.from('RSD PTR ', 'latin1');
const SYSTEM_TABLE_SIGNATURE = Buffer.from('IBI SYST', 'latin1');

/**
 * Every "RSD PTR " on an `align` boundary in [start, end) whose first 20
 * bytes sum to 0 (and all of them, from revision 2). A BIOS OS scans 16-byte
 * boundaries; OVMF's ACPI 2.0 RSDP sits 20 bytes after its 1.0 one.
 */
export function rsdpCandidates(image: RamImage, start = image.base, end = image.base + image.bytes.length, align = 16): number[] {
  const ram = image.bytes;
  const out: number[] = [];
  for (const at of occurrences(image, RSDP_SIGNATURE)) {
    const address = image.base + at;
    if (address < start || address + 20 > end || address % align !== 0 || sum8(ram.subarray(at, at + 20)) !== 0) continue;
    if (ram[at + 15]! >= 2) {
      const length = ram.readUInt32LE(at + 20);
      if (length < 36 || at + length > ram.length || sum8(ram.subarray(at, at + length)) !== 0) continue;
    }
    out.push(address);
  }
  return out;
}

/** EFI GUID text as the spec writes it, from its 16 in-memory bytes. */
function guidText(b: Buffer): string {
  const h = (from: number, to: number, le: boolean) => {
    const part = Buffer.from(b.subarray(from, to));
    return (le ? part.reverse() : part).toString('hex');
  };
  return `${h(0, 4, true)}-${h(4, 6, true)}-${h(6, 8, true)}-${h(8, 10, false)}-${h(10, 16, false)}`;
}

const ACPI_GUIDS: Record<string, 'ACPI 2.0' | 'ACPI 1.0'> = {
  '8868e871-e4f1-11d3-bc22-0080c73c8881': 'ACPI 2.0',
  'eb9d2d30-2d88-11d3-9a16-0090273fc14d': 'ACPI 1.0',
};

export interface ConfigTableAcpi {
  /** Address of the EFI_CONFIGURATION_TABLE entry. */
  entry: number;
  guid: 'ACPI 2.0' | 'ACPI 1.0';
  rsdp: number;
}

/** X64 EFI_SYSTEM_TABLE: header 24 bytes, NumberOfTableEntries at 0x68, ConfigurationTable at 0x70. */
const SYSTEM_TABLE_SIZE = 0x78;

/**
 * The ACPI entries of the EFI configuration table, from the last system
 * table in RAM whose header CRC32 holds (stale copies with a wrong CRC are
 * skipped); the ACPI 2.0 entry first, as an OS prefers it.
 */
export function efiConfigurationAcpi(image: RamImage): ConfigTableAcpi[] {
  const ram = image.bytes;
  let found: ConfigTableAcpi[] = [];
  for (const at of occurrences(image, SYSTEM_TABLE_SIGNATURE)) {
    if (at % 8 !== 0 || at + SYSTEM_TABLE_SIZE > ram.length) continue;
    const headerSize = ram.readUInt32LE(at + 12);
    if (headerSize !== SYSTEM_TABLE_SIZE) continue;
    const copy = Buffer.from(ram.subarray(at, at + headerSize));
    const crc = copy.readUInt32LE(16);
    copy.writeUInt32LE(0, 16);
    if (crc32(copy) !== crc) continue;
    const count = Number(ram.readBigUInt64LE(at + 0x68));
    // the table's address is guest-physical; the image starts at `base`
    const table = Number(ram.readBigUInt64LE(at + 0x70)) - image.base;
    if (count > 256 || table < 0 || table + count * 24 > ram.length) continue;
    const entries: ConfigTableAcpi[] = [];
    for (let i = 0; i < count; i++) {
      const e = table + i * 24;
      const guid = ACPI_GUIDS[guidText(ram.subarray(e, e + 16))];
      if (guid !== undefined) entries.push({ entry: image.base + e, guid, rsdp: Number(ram.readBigUInt64LE(e + 16)) });
    }
    found = entries;
  }
  return found.sort((a, b) => (a.guid === b.guid ? a.entry - b.entry : a.guid === 'ACPI 2.0' ? -1 : 1));
}

/** The RSDP a UEFI OS takes: the ACPI 2.0 entry, else the 1.0 one. */
export function uefiRsdp(entries: readonly ConfigTableAcpi[]): ConfigTableAcpi | undefined {
  return entries.find((e) => e.guid === 'ACPI 2.0') ?? entries.find((e) => e.guid === 'ACPI 1.0');
}

const PAGE = 0x1000;

/** Pages (guest-physical) entirely filled with `fill` (OVMF's DXE core fills freed pages with 0xAF: D6). */
export function filledPages(image: RamImage, fill: number): Set<number> {
  const ram = image.bytes;
  const page = Buffer.alloc(PAGE, fill);
  const out = new Set<number>();
  for (let at = 0; at + PAGE <= ram.length; at += PAGE) {
    if (ram[at] !== fill || ram[at + PAGE - 1] !== fill) continue;
    if (ram.compare(page, 0, PAGE, at, at + PAGE) === 0) out.add(image.base + at);
  }
  return out;
}
