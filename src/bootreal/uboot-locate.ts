/**
 * Where a real firmware put each ALLOCATEd blob, found from what it left in
 * guest memory and never from the model: start from blobs whose address is
 * known (the RSDP an OS finds by its F-segment scan; U-Boot's own `qfw list`
 * where it prints addresses), then follow every ADD_POINTER out of a located
 * blob: the value the firmware left in the field minus the value QEMU put
 * there is the base of the pointee. Blobs still unplaced (no relocated
 * pointer reaches them: the loader stopped early) are searched for in a
 * window of memory the caller read (U-Boot's heap), by a run of their bytes
 * that no command patches. A base is kept only when the bytes there are
 * QEMU's blob except inside fields the loader patches.
 */
import type { LoaderEntry } from '../loader/entry.js';

export interface LocatedBlob {
  file: string;
  base: number;
  length: number;
  /** How the base was found: 'F-segment scan', 'qfw list', or `pointer from FILE+0xOFF`. */
  how: string;
  /** The blob's bytes in guest memory after the boot. */
  bytes: Uint8Array;
  /** Offsets where they differ from QEMU's file outside every field the loader patches (0 when the blob is the firmware's copy). */
  strayBytes: number;
}

export interface LocateInput {
  entries: readonly LoaderEntry[];
  /** QEMU's bytes of every file (as served to the firmware). */
  files: ReadonlyMap<string, Uint8Array>;
  /** Blobs whose base is known by other means, with how. */
  known: readonly { file: string; base: number; how: string }[];
  read(address: number, length: number): Promise<Uint8Array>;
  /** Memory to search for blobs nothing points to (U-Boot's heap). */
  window?: { start: number; bytes: Uint8Array };
}

/** A run of 32 bytes of `qemu` that no command patches and that is not all one value: what a search can match. */
function probeRun(qemu: Uint8Array, patched: Set<number>): number | undefined {
  const RUN = 32;
  for (let at = 0; at + RUN <= qemu.length; at += 8) {
    let clean = true;
    for (let i = at; i < at + RUN && clean; i++) if (patched.has(i)) clean = false;
    if (clean && qemu.subarray(at, at + RUN).some((b) => b !== qemu[at])) return at;
  }
  return undefined;
}

function readLE(b: Uint8Array, at: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[at + i] ?? 0);
  return v;
}

/** Offsets of `file` the loader may change: pointer fields and checksum bytes. */
function patchedOffsets(entries: readonly LoaderEntry[], file: string): Set<number> {
  const out = new Set<number>();
  for (const e of entries) {
    if (e.type === 'addPointer' && e.destFile === file) for (let i = 0; i < e.size; i++) out.add(e.offset + i);
    if (e.type === 'addChecksum' && e.file === file) out.add(e.offset);
  }
  return out;
}

function stray(entries: readonly LoaderEntry[], file: string, qemu: Uint8Array, seen: Uint8Array): number {
  const patched = patchedOffsets(entries, file);
  let n = 0;
  for (let i = 0; i < qemu.length; i++) if (qemu[i] !== seen[i] && !patched.has(i)) n++;
  return n;
}

export async function locateBlobs(input: LocateInput): Promise<LocatedBlob[]> {
  const allocated = new Set(input.entries.flatMap((e) => (e.type === 'allocate' ? [e.file] : [])));
  const found = new Map<string, LocatedBlob>();
  const place = async (file: string, base: number, how: string): Promise<boolean> => {
    const qemu = input.files.get(file);
    if (qemu === undefined || found.has(file) || !allocated.has(file)) return false;
    const bytes = await input.read(base, qemu.length);
    const blob: LocatedBlob = { file, base, length: qemu.length, how, bytes, strayBytes: stray(input.entries, file, qemu, bytes) };
    // bytes that are not QEMU's blob are not the blob (only U-Boot's own word, `qfw list`, stands regardless)
    if (blob.strayBytes > 0 && how !== 'qfw list') return false;
    found.set(file, blob);
    return true;
  };
  for (const k of input.known) await place(k.file, k.base, k.how);
  for (let changed = true; changed; ) {
    changed = false;
    for (const e of input.entries) {
      if (e.type !== 'addPointer' || found.has(e.srcFile)) continue;
      const dest = found.get(e.destFile);
      const original = input.files.get(e.destFile);
      if (dest === undefined || original === undefined || e.size < 1 || e.size > 8 || e.offset + e.size > original.length) continue;
      const delta = BigInt.asUintN(e.size * 8, readLE(dest.bytes, e.offset, e.size) - readLE(original, e.offset, e.size));
      if (delta === 0n) continue;
      if (await place(e.srcFile, Number(delta), `pointer from ${e.destFile}+0x${e.offset.toString(16)}`)) changed = true;
    }
  }
  const w = input.window;
  if (w !== undefined) {
    for (const file of allocated) {
      const qemu = input.files.get(file);
      if (found.has(file) || qemu === undefined) continue;
      const at = probeRun(qemu, patchedOffsets(input.entries, file));
      if (at === undefined) continue;
      const needle = Buffer.from(qemu.subarray(at, at + 32));
      const hay = Buffer.from(w.bytes.buffer, w.bytes.byteOffset, w.bytes.byteLength);
      const hits: number[] = [];
      for (let i = hay.indexOf(needle); i >= 0 && hits.length < 2; i = hay.indexOf(needle, i + 1)) hits.push(i);
      // only a unique match says where the blob is
      if (hits.length === 1) await place(file, w.start + hits[0]! - at, 'search of the heap');
    }
  }
  return [...found.values()];
}
