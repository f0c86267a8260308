/**
 * Backing stores for guest memory regions. They come from fixed-size
 * WebAssembly memories (never grown, so views never detach), which lets the
 * SIMD checksum kernel run on guest bytes in place: measured at 34 GB/s on
 * 2 MiB against 14.8 GB/s for TypedArray.set and 7.8 GB/s for the best plain
 * JavaScript loop (bench/checksum.bench.ts).
 */
const WASM_PAGE = 0x10000;
const owners = new WeakMap<ArrayBuffer, WebAssembly.Memory>();

/**
 * Memories given back zeroed, by page count. Creating a WebAssembly memory
 * costs a reservation and its release a collection (0.3 ms for 64 MiB,
 * measured): the fuzzers boot thousands of machines a second and reuse them.
 */
const pool = new Map<number, WebAssembly.Memory[]>();
let pooledBytes = 0;
/**
 * Virtual size kept: pages never written cost no RAM (the release zeroes only
 * dirty pages, so a pooled memory's resident size is what its users touched).
 */
const POOL_LIMIT = 16 * 2 ** 30;
const DIRTY_LIMIT = 64 * 2 ** 20;

/** A zeroed Uint8Array of `size` bytes whose buffer is a WebAssembly memory. */
export function allocateBacking(size: number): Uint8Array {
  const pages = Math.max(1, Math.ceil(size / WASM_PAGE));
  if (pages > 65536) return new Uint8Array(size); // past wasm32's 4 GiB: plain memory
  let memory = pool.get(pages)?.pop();
  if (memory !== undefined) pooledBytes -= pages * WASM_PAGE;
  else {
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages });
    owners.set(memory.buffer, memory);
  }
  return new Uint8Array(memory.buffer, 0, size);
}

/**
 * Gives a backing from allocateBacking back for reuse. The caller vouches
 * that no byte outside the dirty ranges was changed; those are zeroed here,
 * so the next user gets zeroed memory as from a fresh allocation.
 */
export function releaseBacking(bytes: Uint8Array, dirty: readonly (readonly [number, number])[]): void {
  const memory = owners.get(bytes.buffer as ArrayBuffer);
  if (memory === undefined || bytes.byteOffset !== 0) return;
  const pages = memory.buffer.byteLength / WASM_PAGE;
  if (pooledBytes + pages * WASM_PAGE > POOL_LIMIT) return;
  // zeroed pages stay resident: a memory written all over is cheaper to drop than to keep
  let written = 0;
  for (const [from, to] of dirty) written += to - from;
  if (written > DIRTY_LIMIT) return;
  for (const [from, to] of dirty) bytes.fill(0, from, to);
  let list = pool.get(pages);
  if (list === undefined) pool.set(pages, (list = []));
  list.push(memory);
  pooledBytes += pages * WASM_PAGE;
}

/** The WebAssembly memory behind `buffer`, when it is one of ours. */
export function wasmMemoryOf(buffer: ArrayBufferLike): WebAssembly.Memory | undefined {
  return owners.get(buffer as ArrayBuffer);
}
