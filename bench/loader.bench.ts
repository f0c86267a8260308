// Encode and decode of a maximal loader: 512 entries = 64 KiB, QEMU's loader RAMBlock maximum.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeLoader, encodeLoaderInto } from '../src/loader/codec.js';
import { packageRoot } from '../src/vectors/package-root.js';
import { defineCase, do_not_optimize } from './harness.js';
import { nativeInputs } from './native.js';

const ENTRIES = 512;
const BYTES = ENTRIES * 128;

// the seed's 34 real commands, repeated to 512 entries
const seed = readFileSync(join(packageRoot(), 'spec-vectors/qemu-7.2/seed/after/etc_table-loader.bin'));
const commands = decodeLoader(seed).filter((e) => e.type !== 'padding');
const entries = Array.from({ length: ENTRIES }, (_, i) => commands[i % commands.length]!);
const stream = new Uint8Array(BYTES);
encodeLoaderInto(entries, stream);
const target = new Uint8Array(BYTES);
nativeInputs.entries = stream; // the C encoder's entries: these, decoded once

defineCase({ group: 'loader 64 KiB', name: 'TypedArray.set 64 KiB (memcpy limit)', baseline: true, bytes: BYTES, fn: () => target.set(stream) });
const encode = () => encodeLoaderInto(entries, target);
defineCase({
  group: 'loader 64 KiB',
  name: 'encode 512 entries',
  units: ENTRIES,
  unit: 'entry',
  bytes: BYTES,
  targetNsPerUnit: 20,
  fn: encode,
});
// and against the producer's C encode in paired windows (bench/paired.ts)
nativeInputs.encode = encode;
defineCase({
  group: 'loader 64 KiB',
  name: 'decode 512 entries',
  units: ENTRIES,
  unit: 'entry',
  bytes: BYTES,
  targetNsPerUnit: 50,
  fn: () => do_not_optimize(decodeLoader(stream)),
});
