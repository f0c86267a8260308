/** What a fuzzed surface is: seeds, a mutator, a verdict per input, and its reproducer form. */
import type { Prng } from '../prng.js';

export type Verdict = { kind: 'ok' } | { kind: 'rejected'; code: string } | { kind: 'failure'; message: string };

export interface Surface<T> {
  name: string;
  seeds: T[];
  mutate(r: Prng, input: T, seeds: readonly T[]): T;
  run(input: T): Verdict;
  /** Reproducer as files: name -> bytes. */
  serialize(input: T): Record<string, Uint8Array>;
  /** The input back from its reproducer files. */
  deserialize(files: Record<string, Uint8Array>): T;
}
