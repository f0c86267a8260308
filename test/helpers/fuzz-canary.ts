// A fuzz surface for the worker tests: trivial to run; it rejects in one way and fails in many
// shapes, some rare enough that a campaign of a few chunks first meets them in later chunks.
import { FwCfgError } from '../../src/errors.js';
import { mutateBytes } from '../../src/fuzz/mutate.js';
import type { Surface, Verdict } from '../../src/fuzz/surfaces.js';

const canary: Surface<Uint8Array> = {
  name: 'canary',
  seeds: [Uint8Array.of(1, 2, 3, 4), Uint8Array.of(7, 7), new Uint8Array(16).fill(9)],
  mutate: (r, input) => mutateBytes(r, input),
  run(input): Verdict {
    try {
      if (input.length % 7 === 3) throw new FwCfgError('BAD_LENGTH', `length ${input.length}`);
      const sum = input.reduce((a, b) => a + b, 0);
      if (sum % 251 === 17) return { kind: 'failure', message: `canary: sum ${sum} of ${input.length} bytes` };
      if (input[0] === 0xff && input.length > 8) return { kind: 'failure', message: `canary: leading 0xff, ${input.length} bytes` };
      // many rare shapes (letters are not masked): some are first met in later chunks
      if (input.length > 12 && sum % 61 === 5) return { kind: 'failure', message: `canary: family ${String.fromCharCode(97 + (input[1]! % 26), 97 + (input[2]! % 26))}` };
      return { kind: 'ok' };
    } catch (err) {
      if (err instanceof FwCfgError) return { kind: 'rejected', code: err.code };
      throw err;
    }
  },
  serialize: (input) => ({ 'input.bin': input }),
  deserialize: (files) => files['input.bin'] ?? new Uint8Array(0),
};

export const surfaces = { canary: () => canary as Surface<unknown> };
