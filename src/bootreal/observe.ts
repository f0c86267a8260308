/**
 * What a real boot did, read off the stopped guest: where each ALLOCATEd
 * file's bytes lie in RAM, the RSDP an OS would take and the tables it
 * reaches, the firmware's warnings (SeaBIOS's, U-Boot's), the writable files before and after, and
 * (OVMF) the pages its DXE core filled after freeing them.
 */
import { realFirmwareRecord } from './real-firmware.js';
import { readRsdp, walkTables, type AcpiWalk, type RsdpInfo } from '../acpi/walk.js';
import { decodeLoader } from '../loader/codec.js';
import { ENTRY_SIZE, LOADER_FILE } from '../loader/constants.js';
import type { LoaderEntry } from '../loader/entry.js';
import { efiConfigurationAcpi, filledPages, rsdpCandidates, uefiRsdp, type ConfigTableAcpi } from './acpi-roots.js';
import { findCopies, patchMask } from './blob-copies.js';
import { logWarnings, type LogWarning } from './firmware-log.js';
import { DEBUG_LOG } from './real-firmware.js';
import { SYSTEM_STATES, type RealBootFile, type RealRun } from './run.js';

export interface BlobObservation {
  file: string;
  inFwCfg: boolean;
  /** The file's size in the fw_cfg directory (0 when absent). */
  size: number;
  /** The injected bytes (before any patching). */
  data: Uint8Array;
  mask: Uint8Array;
  copies: number[];
  /** OVMF: matches at the address of a table or RSDP the OS finds (the protocol's copies), not blobs. */
  lookalikes: number[];
  locatable: boolean;
}

export interface WritableObservation {
  name: string;
  /** What the file held before the firmware ran (the preset, or QEMU's initial bytes when not preset). */
  before: Uint8Array;
  after: Uint8Array;
  preset: boolean;
}

export interface Observation {
  run: RealRun;
  /** The script's whole entries (trailing bytes of a wrongly sized script left out); undefined without a script. */
  entries: LoaderEntry[] | undefined;
  loaderSize: number | undefined;
  loaderSelected: boolean;
  blobs: BlobObservation[];
  /** Addresses of every valid RSDP where this firmware's OS looks (BIOS: 0xE0000-0xFFFFF; UEFI: all RAM). */
  rsdpCandidates: number[];
  efiAcpi: ConfigTableAcpi[];
  rsdp: RsdpInfo | undefined;
  rsdpSelectedBy: string;
  walk: AcpiWalk | undefined;
  warnings: LogWarning[];
  writable: WritableObservation[];
  /** OVMF: pages all 0xAF (freed by the DXE core). */
  freedPages: Set<number> | undefined;
}

const BIOS_AREA = { start: 0xe0000, end: 0x100000 };
export { FREED_FILL } from './real-firmware.js';

/** QEMU's initial bytes of its own writable files (all of them start zeroed). */
function initialBytes(size: number): Uint8Array {
  return new Uint8Array(size);
}

export interface ObserveOptions {
  /**
   * More commands whose patched bytes a copy may differ in: a script the
   * firmware may have run instead of the one fw_cfg serves now (QEMU
   * rebuilds mid-boot, so the bytes it read can be older than these).
   */
  maskEntries?: readonly LoaderEntry[];
}

function le(b: Uint8Array, at: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i] ?? 0);
  return v;
}

/**
 * Of several copies of a file, the ones whose pointer fields agree with the
 * script: each field holds its original value (the ADD_POINTER did not run)
 * or that value plus the base of a located copy of its source file. A
 * lookalike (SeaBIOS's own RSDP next to the loader's) points elsewhere.
 * Never filters down to nothing.
 */
function consistentCopies(blob: BlobObservation, blobs: readonly BlobObservation[], entries: readonly LoaderEntry[], ram: Uint8Array): number[] {
  if (blob.copies.length < 2) return blob.copies;
  const pointers = entries.flatMap((e) => (e.type === 'addPointer' && e.destFile === blob.file && [1, 2, 4, 8].includes(e.size) && e.offset + e.size <= blob.data.length ? [e] : []));
  const kept = blob.copies.filter((base) =>
    pointers.every((p) => {
      const sources = blobs.find((b) => b.file === p.srcFile)?.copies ?? [];
      if (sources.length === 0) return true;
      const modulus = 1n << BigInt(8 * p.size);
      const original = le(blob.data, p.offset, p.size);
      const value = le(ram, base + p.offset, p.size);
      return value === original || sources.some((s) => (original + BigInt(s)) % modulus === value);
    }),
  );
  return kept.length > 0 ? kept : blob.copies;
}

export function observe(run: RealRun, files: readonly RealBootFile[], options: ObserveOptions = {}): Observation {
  const ram = run.ram;
  const loaderFile = files.find((f) => f.name === LOADER_FILE);
  const loaderEntry = run.directory.find((d) => d.name === LOADER_FILE);
  const entries = loaderFile !== undefined ? decodeLoader(loaderFile.data.subarray(0, loaderFile.data.length - (loaderFile.data.length % ENTRY_SIZE))) : undefined;

  const named: string[] = [];
  for (const e of entries ?? []) if (e.type === 'allocate' && !named.includes(e.file)) named.push(e.file);

  let rsdp: RsdpInfo | undefined;
  let rsdpSelectedBy: string;
  let candidates: number[];
  let efiAcpi: ConfigTableAcpi[] = [];
  const record = realFirmwareRecord(run.firmware);
  if (record.rsdpSource === 'fseg-scan') {
    candidates = rsdpCandidates(ram, BIOS_AREA.start, BIOS_AREA.end);
    rsdpSelectedBy = "lowest checksum-valid 'RSD PTR ' on a 16-byte boundary in 0xE0000-0xFFFFF";
    rsdp = candidates.length > 0 ? readRsdp(run.ram.memory, candidates[0]!) : undefined;
  } else {
    candidates = rsdpCandidates(ram, 0, ram.bytes.length, 1);
    efiAcpi = efiConfigurationAcpi(ram);
    const pick = uefiRsdp(efiAcpi);
    rsdpSelectedBy = `EFI configuration table (${pick?.guid ?? 'ACPI 2.0'} GUID)`;
    rsdp = pick !== undefined ? readRsdp(run.ram.memory, pick.rsdp) : undefined;
  }
  const walk = rsdp !== undefined ? walkTables(run.ram.memory, rsdp) : undefined;
  const protocolAddresses = new Set<number>(record.tablesViaProtocol ? [...candidates, ...(walk?.tables.map((t) => t.address) ?? [])] : []);

  const blobs: BlobObservation[] = named.map((file) => {
    const dir = run.directory.find((d) => d.name === file);
    const data = files.find((f) => f.name === file)?.data ?? new Uint8Array(0);
    const mask = patchMask(entries ?? [], file, data.length);
    if (options.maskEntries !== undefined) patchMask(options.maskEntries, file, data.length).forEach((m, i) => (mask[i] |= m));
    const found = dir !== undefined ? findCopies(ram, data, mask) : { bases: [], locatable: false };
    return {
      file,
      inFwCfg: dir !== undefined,
      size: dir?.size ?? 0,
      data,
      mask,
      copies: found.bases.filter((b) => !protocolAddresses.has(b)),
      lookalikes: found.bases.filter((b) => protocolAddresses.has(b)),
      locatable: found.locatable,
    };
  });

  // every script the firmware may have run says where pointers may point
  const pointerEntries = [...(entries ?? []), ...(options.maskEntries ?? [])];
  for (const b of blobs) b.copies = consistentCopies(b, blobs, pointerEntries, ram.bytes);

  const writable: WritableObservation[] = [...run.readback].filter(([name]) => name !== SYSTEM_STATES).map(([name, after]) => {
    const preset = run.presets.find((p) => p.name === name);
    return { name, before: preset?.bytes ?? initialBytes(after.length), after, preset: preset !== undefined };
  });

  return {
    run,
    entries,
    loaderSize: loaderEntry?.size,
    loaderSelected: loaderEntry !== undefined && run.selects.some((s) => s.key === loaderEntry.select),
    blobs,
    rsdpCandidates: candidates,
    efiAcpi,
    rsdp,
    rsdpSelectedBy,
    walk,
    warnings: record.warnings(record.logFile === DEBUG_LOG ? run.debugLog : run.serialLog),
    writable,
    freedPages: record.freedFill !== undefined ? filledPages(ram, record.freedFill) : undefined,
  };
}

/** The located copy holding `address`, if any: which file, which copy, at what offset. */
export function insideCopy(o: Observation, address: number): { file: string; base: number; offset: number } | undefined {
  for (const b of o.blobs) for (const base of b.copies) if (address >= base && address < base + b.size) return { file: b.file, base, offset: address - base };
  return undefined;
}
