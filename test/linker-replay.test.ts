// The producer: replaying the calls each real loader implies reproduces QEMU's bytes.
import test from 'ava';
import { readU32LE } from '../src/bytes.js';
import { BiosLinker } from '../src/loader/linker.js';
import { decodeLoader } from '../src/loader/codec.js';
import { ZONE_FSEG } from '../src/loader/constants.js';
import type { LoaderEntry } from '../src/loader/entry.js';
import type { Vector } from '../src/vectors/vector.js';
import { loaderStages } from './helpers/paths.js';

/** Little-endian value of a pointer field (sizes up to 8; QEMU's prefill fits in 32 bits). */
function fieldValue(b: Uint8Array, at: number, size: number): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + b[at + i]!;
  return v;
}

/** i386 machine types pad the loader to 4 KiB (pc-*, q35 = pc-q35-*); arm virt and microvm do not. */
function padFor(vector: Vector): number {
  return /^pc-/.test(vector.manifest.machine_type) ? 4096 : 0;
}

function blobsFor(vector: Vector, stage: string, entries: LoaderEntry[]): Map<string, Uint8Array> {
  const blobs = new Map<string, Uint8Array>();
  for (const e of entries) {
    if (e.type !== 'allocate') continue;
    if (vector.hasRom(stage, e.file)) blobs.set(e.file, vector.romBytes(stage, e.file));
    else {
      // plain fw_cfg files (vmgenid GUID, NVDIMM buffer, legacy RSDP): only their size matters here
      const row = vector.stage(stage).fw_cfg_directory.find((d) => d.name === e.file);
      if (row === undefined) throw new Error(`${e.file} not in the directory`);
      blobs.set(e.file, new Uint8Array(row.size_at_add));
    }
  }
  return blobs;
}

let seed = 0x1234567;
function random8(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 16) & 0xff;
}

for (const { config, stage, vector } of loaderStages()) {
  test(`${config}/${stage}: BiosLinker replay reproduces the loader and the blobs' prefill`, (t) => {
    const captured = vector.romBytes(stage, 'etc/table-loader');
    const entries = decodeLoader(captured);
    const originals = blobsFor(vector, stage, entries);
    // scrambled copies: every pointer field and checksum byte gets garbage
    const scrambled = new Map([...originals].map(([k, v]) => [k, v.slice()]));
    let touched = 0;
    for (const e of entries) {
      if (e.type === 'addPointer') {
        const b = scrambled.get(e.destFile)!;
        for (let i = 0; i < e.size; i++) b[e.offset + i] = random8() | 1;
        touched++;
      } else if (e.type === 'addChecksum') {
        scrambled.get(e.file)![e.offset] = random8() | 1;
        touched++;
      }
    }
    t.true(touched > 0);

    const linker = new BiosLinker();
    const allocations = entries.filter((e) => e.type === 'allocate');
    // ALLOCATEs are prepended, so registration order is the reverse of stream order
    for (const a of [...allocations].reverse()) linker.allocate(a.file, scrambled.get(a.file)!, a.align, a.zone === ZONE_FSEG);
    for (const e of entries) {
      switch (e.type) {
        case 'addPointer':
          linker.addPointer(e.destFile, e.offset, e.size, e.srcFile, fieldValue(originals.get(e.destFile)!, e.offset, e.size));
          break;
        case 'addChecksum':
          linker.addChecksum(e.file, e.start, e.length, e.offset);
          break;
        case 'writePointer':
          linker.writePointer(e.destFile, e.dstOffset, e.size, e.srcFile, e.srcOffset);
          break;
        default:
          break;
      }
    }
    t.deepEqual(linker.encode({ padTo: padFor(vector) }), captured);
    for (const [name, bytes] of originals) {
      if (vector.hasRom(stage, name)) t.deepEqual(scrambled.get(name), bytes, `${name} after prefill/zeroing`);
    }
    // sanity: the captured checksum bytes QEMU shipped really are zero
    for (const e of entries) if (e.type === 'addChecksum' && vector.hasRom(stage, e.file)) t.is(originals.get(e.file)![e.offset], 0);
    t.true(readU32LE(captured, 0) === 1, 'stream starts with an ALLOCATE');
  });
}
