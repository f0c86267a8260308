/**
 * What can be read off a script and its files without running a firmware:
 * checksum bytes that subtract and overwrite semantics treat differently,
 * checksums a later pointer invalidates, repeated or overlapping checksum
 * ranges, and the room the script needs in each firmware's memory.
 */
import type { LoaderEntry } from '../loader/entry.js';
import { ZONE_FSEG, ZONE_HIGH } from '../loader/constants.js';
import { validateLoaderBytes } from '../loader/validate.js';
import { finding, type Finding } from './findings.js';

export interface ScriptInput {
  loader: Uint8Array;
  entries: LoaderEntry[];
  /** fw_cfg files by name (sizes and initial bytes). */
  files: ReadonlyMap<string, Uint8Array>;
}

/** Room the corpus measured on q35 2 GiB: SeaBIOS's ZoneHigh and the F-segment left for the loader (D8). */
export const SEABIOS_ZONE_HIGH = 16 << 20;
export const SEABIOS_FSEG_ROOM = 1280;
/**
 * What U-Boot's x86 malloc heap gives its HIGH blobs when the loader runs: 2 MiB for 2025.01 (a larger
 * request fails), about 2.2 MiB for 2021.01 and 2023.01 (spec-vectors/uboot/, heap-exhausted cases).
 */
export const UBOOT_HEAP_ROOM = 2 << 20;

export function staticHazards(s: ScriptInput): Finding[] {
  const out: Finding[] = [];
  for (const issue of validateLoaderBytes(s.loader)) out.push(finding(issue.severity, issue.index, issue.code, issue.message));

  // checksum bytes: what each firmware makes of them
  const touched = new Map<string, Set<number>>(); // pointer fields written before a given point
  const checksums: { index: number; file: string; offset: number; start: number; end: number }[] = [];
  s.entries.forEach((e, index) => {
    if (e.type === 'addPointer') {
      const set = touched.get(e.destFile) ?? new Set<number>();
      for (let i = 0; i < e.size; i++) set.add(e.offset + i);
      touched.set(e.destFile, set);
      for (const c of checksums) {
        if (c.file === e.destFile && e.offset < c.end && e.offset + e.size > c.start) {
          out.push(finding('error', index, 'POINTER_AFTER_CHECKSUM', `pointer field ${e.destFile}@0x${e.offset.toString(16)} lies in the range entry ${c.index} already checksummed: that checksum is wrong afterwards`));
        }
      }
    }
    if (e.type === 'addChecksum') {
      const data = s.files.get(e.file);
      const byte = data?.[e.offset];
      const inRange = e.offset >= e.start && e.offset < e.start + e.length;
      if (byte !== undefined && byte !== 0 && !touched.get(e.file)?.has(e.offset)) {
        out.push(
          finding(
            'warning',
            index,
            'CHECKSUM_PREFILLED',
            `checksum byte ${e.file}@0x${e.offset.toString(16)} is 0x${byte.toString(16)} before its ADD_CHECKSUM: SeaBIOS subtracts (range sums to 0), OVMF and U-Boot overwrite (range sums to 0x${((0x100 - byte) & 0xff).toString(16)})`,
            ['ovmf', 'uboot'],
          ),
        );
      }
      if (!inRange) out.push(finding('warning', index, 'CHECKSUM_OUTSIDE_RANGE', `checksum byte 0x${e.offset.toString(16)} is outside its range [0x${e.start.toString(16)}, 0x${(e.start + e.length).toString(16)}): the range does not sum to 0 afterwards`));
      if (e.length === 0) out.push(finding('warning', index, 'CHECKSUM_EMPTY', 'length 0: SeaBIOS leaves the byte, OVMF and U-Boot set it to 0', ['seabios', 'ovmf', 'uboot']));
      for (const c of checksums) {
        if (c.file !== e.file) continue;
        if (c.offset === e.offset && c.start === e.start && c.end === e.start + e.length) {
          out.push(finding('warning', index, 'CHECKSUM_REPEATED', `repeats entry ${c.index}: idempotent under SeaBIOS, toggles the byte back under OVMF and U-Boot`, ['ovmf', 'uboot']));
        } else if (c.offset >= e.start && c.offset < e.start + e.length && c.offset !== e.offset) {
          out.push(finding('info', index, 'CHECKSUM_NESTED', `covers entry ${c.index}'s checksum byte 0x${c.offset.toString(16)} (fine as ordered: it is computed after it)`));
        } else if (e.offset >= c.start && e.offset < c.end && e.offset !== c.offset) {
          out.push(finding('error', index, 'CHECKSUM_INVALIDATES', `changes byte 0x${e.offset.toString(16)} inside the range entry ${c.index} already checksummed`));
        }
      }
      checksums.push({ index, file: e.file, offset: e.offset, start: e.start, end: e.start + e.length });
      // a checksum written here is a byte later pointers do not touch
    }
  });

  // room in each firmware's memory
  let high = 0;
  let fseg = 0;
  let uboot = 0;
  s.entries.forEach((e) => {
    if (e.type !== 'allocate') return;
    const size = s.files.get(e.file)?.length ?? 0;
    const align = Math.max(16, e.align);
    if (e.zone === ZONE_HIGH) {
      high += Math.ceil(size / align) * align;
      uboot += size + e.align;
    }
    if (e.zone === ZONE_FSEG) fseg += Math.ceil(size / 16) * 16;
  });
  if (high > SEABIOS_ZONE_HIGH) out.push(finding('error', -1, 'ZONE_HIGH_FULL', `HIGH allocations need ${high} bytes; SeaBIOS's ZoneHigh holds 16 MiB`, ['seabios']));
  else if (high > SEABIOS_ZONE_HIGH * 0.75) out.push(finding('warning', -1, 'ZONE_HIGH_TIGHT', `HIGH allocations use ${Math.round((100 * high) / SEABIOS_ZONE_HIGH)}% of SeaBIOS's 16 MiB ZoneHigh`, ['seabios']));
  if (fseg > SEABIOS_FSEG_ROOM) out.push(finding('error', -1, 'FSEG_FULL', `FSEG allocations need ${fseg} bytes; SeaBIOS leaves the loader ${SEABIOS_FSEG_ROOM} (q35, 1 CPU)`, ['seabios']));
  if (uboot > UBOOT_HEAP_ROOM) out.push(finding('error', -1, 'UBOOT_HEAP_FULL', `HIGH allocations need about ${uboot} bytes of U-Boot's malloc heap, which has ${UBOOT_HEAP_ROOM} for them on 2025.01 (about 2.2 MiB on 2021.01/2023.01): "error: allocating resource" and no ACPI`, ['uboot']));
  return out;
}
