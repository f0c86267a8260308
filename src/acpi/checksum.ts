/**
 * The 8-bit ACPI checksum kernel: the sum of a byte range modulo 256.
 *
 * Bytes that live in one of our WebAssembly-backed guest memories are summed
 * by a SIMD loop in place (16 byte lanes that wrap, since only the sum
 * modulo 256 is wanted); anything else by a 32-bit SWAR loop
 * (even and odd bytes in two 16-bit lanes each, folded before they carry).
 */
import type { ReadonlyBytes } from '../bytes.js';
import { wasmMemoryOf } from '../memory/backing.js';
import { sum8Module } from './sum8-wasm.js';

type Sum8 = (ptr: number, len: number) => number;
const kernels = new WeakMap<WebAssembly.Memory, Sum8>();
let module: WebAssembly.Module | undefined;

function wasmKernel(memory: WebAssembly.Memory): Sum8 {
  let k = kernels.get(memory);
  if (k === undefined) {
    module ??= new WebAssembly.Module(sum8Module());
    const instance = new WebAssembly.Instance(module, { env: { mem: memory } });
    k = instance.exports['sum8'] as Sum8;
    kernels.set(memory, k);
  }
  return k;
}

/** SWAR over 32-bit words; bytes before the first word boundary and after the last are added singly. */
function sum8Js(whole: Uint8Array, from: number, length: number): number {
  const b = from === 0 && length === whole.length ? whole : whole.subarray(from, from + length);
  let s = 0;
  let i = 0;
  const n = b.length;
  const misalign = (4 - (b.byteOffset & 3)) & 3;
  for (; i < n && i < misalign; i++) s += b[i]!;
  const words = (n - i) >>> 2;
  if (words > 0) {
    const w = new Uint32Array(b.buffer, b.byteOffset + i, words);
    const M = 0x00ff00ff;
    let k = 0;
    while (k < words) {
      // at most 256 words per block: each 16-bit lane stays below 65536, so no lane carries
      const blockEnd = Math.min(words, k + 256);
      const unrolledEnd = k + ((blockEnd - k) & ~3);
      let a = 0;
      let c = 0;
      for (; k < unrolledEnd; k += 4) {
        const w0 = w[k]!, w1 = w[k + 1]!, w2 = w[k + 2]!, w3 = w[k + 3]!;
        a += (w0 & M) + (w1 & M) + (w2 & M) + (w3 & M);
        c += ((w0 >>> 8) & M) + ((w1 >>> 8) & M) + ((w2 >>> 8) & M) + ((w3 >>> 8) & M);
      }
      for (; k < blockEnd; k++) {
        a += w[k]! & M;
        c += (w[k]! >>> 8) & M;
      }
      s += (a % 65536) + Math.floor(a / 65536) + (c % 65536) + Math.floor(c / 65536);
    }
    i += words * 4;
  }
  for (; i < n; i++) s += b[i]!;
  return s & 0xff;
}

// the last two arrays seen, their kernels and where they start in their memories: checksums
// come over one or two guest regions' backings (a loader's tables blob, the F-segment's RSDP),
// and an identity test is much cheaper than reading `.buffer`, a WeakMap and `.byteOffset`
// (a generic property load in V8 once any buffer may be detached) on every call
let lastBytes: ReadonlyBytes | undefined;
let lastKernel: Sum8 | undefined;
let lastOffset = 0;
let prevBytes: ReadonlyBytes | undefined;
let prevKernel: Sum8 | undefined;
let prevOffset = 0;

/**
 * Sum modulo 256 of `bytes`, or of its `length` bytes from index `from`
 * (hot paths pass a guest region's backing and an offset, through
 * GuestMemory.inspect, rather than allocating a subarray for each range).
 * Only reads: the bytes may be a read-only view.
 */
export function sum8(source: ReadonlyBytes, from = 0, length = source.length - from): number {
  const bytes = source as Uint8Array; // a reader: the kernels need the buffer, never write it
  if (!(from >= 0 && length >= 0 && from + length <= bytes.length)) throw outside(from, length, bytes.length);
  if (bytes !== lastBytes) switchTo(bytes);
  if (lastKernel !== undefined) return lastKernel(lastOffset + from, length) & 0xff;
  return sum8Js(bytes, from, length);
}

function outside(from: number, length: number, size: number): RangeError {
  return new RangeError(`sum8: [${from}, ${from}+${length}) is outside ${size} bytes`);
}

/** Makes `bytes` the last array seen (out of line: sum8 is inlined into hot loops, and V8 counts this rare branch's bytecode there too). */
function switchTo(bytes: Uint8Array): void {
  const bytesBefore = lastBytes;
  const kernelBefore = lastKernel;
  const offsetBefore = lastOffset;
  if (bytes === prevBytes) {
    lastKernel = prevKernel;
    lastOffset = prevOffset;
  } else {
    const memory = wasmMemoryOf(bytes.buffer);
    lastKernel = memory === undefined ? undefined : wasmKernel(memory);
    lastOffset = bytes.byteOffset;
  }
  lastBytes = bytes;
  prevBytes = bytesBefore;
  prevKernel = kernelBefore;
  prevOffset = offsetBefore;
}

/** The same through the plain JavaScript path (for the benchmark and the cross-check). */
export function sum8Portable(bytes: Uint8Array): number {
  return sum8Js(bytes, 0, bytes.length);
}

/** The value that makes a range sum to 0 (ACPI's table checksum: 0x100 - sum). */
export function checksumByte(bytes: ReadonlyBytes): number {
  return (0x100 - sum8(bytes)) & 0xff;
}
