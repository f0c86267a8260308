// RAM-block resize, page alignment and GuestMemory accessors, each beside a same-run baseline.
import { hostPageAlign } from '../src/memory/address.js';
import { allocateBacking } from '../src/memory/backing.js';
import { GuestMemory } from '../src/memory/guest-memory.js';
import { RamBlock } from '../src/memory/ram-block.js';
import { defineCase, do_not_optimize } from './harness.js';
import { nativeInputs } from './native.js';

// ---- resize grow/shrink cycles within max: the ACPI loader between 0x1000 and 0x2000 (and to 64 KiB)
const block = new RamBlock({ idstr: '/rom@etc/table-loader', size: 0x1000, maxSize: 0x10000 });
const storageAtStart = block.storage;
const sentinelView = new Uint8Array(block.storage); // length-tracking: sees the memory wherever it is
block.bytes()[7] = 0xa5;
let grows = 0;
defineCase({
  group: 'ram block resize (grow + shrink)',
  name: 'RamBlock.resize in place (resizable ArrayBuffer)',
  units: 2,
  unit: 'resize',
  fn: () => {
    block.resize(0x2000);
    block.resize(0x1000);
    grows++;
  },
  // proof, not bookkeeping: the same buffer the whole run, and a byte written before is still there
  extra: () => ({ bytesCopiedPerOp: block.storage === storageAtStart && sentinelView[7] === 0xa5 ? 0 : Number.NaN, cycles: grows }),
});
let copyBuf = new ArrayBuffer(0x1000);
let copied = 0;
let copyOps = 0;
defineCase({
  group: 'ram block resize (grow + shrink)',
  name: 'copy-on-grow baseline (new buffer + copy)',
  baseline: true,
  units: 2,
  unit: 'resize',
  fn: () => {
    const grown = new ArrayBuffer(0x2000);
    new Uint8Array(grown).set(new Uint8Array(copyBuf));
    const shrunk = new ArrayBuffer(0x1000);
    new Uint8Array(shrunk).set(new Uint8Array(grown, 0, 0x1000));
    copied += 0x2000;
    copyOps += 2;
    copyBuf = shrunk;
  },
  extra: () => ({ bytesCopiedPerOp: copyOps === 0 ? 0 : copied / copyOps }),
});

// ---- page alignment of values spread over 0..2^52
const N = 4096;
const values = new Float64Array(N);
let seed = 12345;
for (let i = 0; i < N; i++) {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  values[i] = Math.floor((seed / 2 ** 32) * 2 ** 52) + (seed & 0xfff);
}
nativeInputs.pageValues = values;
defineCase({
  group: 'page alignment over 0..2^52',
  name: 'hostPageAlign (exact to 2^53)',
  units: N,
  unit: 'value',
  targetNsPerUnit: 2,
  fn: () => {
    let s = 0;
    for (let i = 0; i < N; i++) s += hostPageAlign(values[i]!, 4096);
    return do_not_optimize(s);
  },
});
defineCase({
  group: 'page alignment over 0..2^52',
  name: 'Math.ceil(x / page) * page baseline',
  baseline: true,
  units: N,
  unit: 'value',
  fn: () => {
    let s = 0;
    for (let i = 0; i < N; i++) s += Math.ceil(values[i]! / 4096) * 4096;
    return do_not_optimize(s);
  },
});

// ---- GuestMemory accessors beside a raw DataView over the same bytes
const SIZE = 1 << 24;
const backing = allocateBacking(SIZE); // kept by the bench for the raw baseline over the same bytes
const mem = new GuestMemory([{ name: 'ram', start: 0, size: SIZE, kind: 'ram', bytes: backing }]);
const raw = new DataView(backing.buffer, backing.byteOffset, backing.byteLength);
const addrs = new Uint32Array(N);
for (let i = 0; i < N; i++) {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  addrs[i] = (seed % (SIZE - 8)) & ~7;
}
defineCase({ group: 'guest memory u32', name: 'raw DataView.getUint32', baseline: true, units: N, unit: 'read', fn: () => {
  let s = 0;
  for (let i = 0; i < N; i++) s += raw.getUint32(addrs[i]!, true);
  return do_not_optimize(s);
} });
defineCase({ group: 'guest memory u32', name: 'GuestMemory.readU32LE (bounds-checked)', units: N, unit: 'read', fn: () => {
  let s = 0;
  for (let i = 0; i < N; i++) s += mem.readU32LE(addrs[i]!);
  return do_not_optimize(s);
} });
defineCase({ group: 'guest memory u64', name: 'raw DataView.getBigUint64', baseline: true, units: N, unit: 'read', fn: () => {
  let s = 0n;
  for (let i = 0; i < N; i++) s += raw.getBigUint64(addrs[i]!, true);
  return do_not_optimize(s);
} });
defineCase({ group: 'guest memory u64', name: 'GuestMemory.readU64LE (bounds-checked)', units: N, unit: 'read', fn: () => {
  let s = 0n;
  for (let i = 0; i < N; i++) s += mem.readU64LE(addrs[i]!);
  return do_not_optimize(s);
} });
defineCase({ group: 'guest memory u32 write', name: 'raw DataView.setUint32', baseline: true, units: N, unit: 'write', fn: () => {
  for (let i = 0; i < N; i++) raw.setUint32(addrs[i]!, i, true);
} });
defineCase({ group: 'guest memory u32 write', name: 'GuestMemory.writeU32LE (bounds-checked)', units: N, unit: 'write', fn: () => {
  for (let i = 0; i < N; i++) mem.writeU32LE(addrs[i]!, i);
} });
