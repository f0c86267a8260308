/**
 * The fuzzed surfaces: everything that reads outside data. Each turns one
 * input into a verdict: accepted, rejected with one of the project's typed
 * errors (FwCfgError), or a failure (any other exception, or a broken
 * property: a round trip that changes bytes, a firmware write outside the
 * memory it allocated).
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { FwCfgError } from '../errors.js';
import { decodeLoader, encodeLoader } from '../loader/codec.js';
import { loaderToJson } from '../loader/json.js';
import { formatListing } from '../loader/listing.js';
import { parseLoaderText } from '../loader/parse-text.js';
import { validateLoaderBytes } from '../loader/validate.js';
import { packageRoot } from '../vectors/package-root.js';
import { boot, recordFor, type Boot, type FirmwareName } from '../simulate/boot.js';
import { execMachine, type ExecFile } from '../simulate/exec-machine.js';
import { guestFor } from '../simulate/fwcfg-access.js';
import { policyFor } from '../simulate/options.js';
import { loadCase } from '../simulate/corpus-case.js';
import { mutateBytes, mutateLoader, mutateText } from './mutate.js';
import { deviceSurface } from './device-surface.js';
import { captureSurface, vectorSurface } from './reader-surfaces.js';
import type { Prng } from '../prng.js';

import type { Surface, Verdict } from './surface.js';
export type { Surface, Verdict } from './surface.js';

/** Runs `fn`; a FwCfgError is a rejection, anything else a failure. */
function guarded(fn: () => Verdict): Verdict {
  try {
    return fn();
  } catch (err) {
    if (err instanceof FwCfgError) return { kind: 'rejected', code: err.code };
    return { kind: 'failure', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

// ------------------------------------------------------------------ seeds

let loaderSeeds: Uint8Array[] | undefined;
/** Every real loader: the QEMU captures (trimmed) and the corpus scripts. */
export function realLoaders(): Uint8Array[] {
  if (loaderSeeds !== undefined) return loaderSeeds;
  const root = join(packageRoot(), 'spec-vectors');
  const out: Uint8Array[] = [];
  for (const cfg of readdirSync(join(root, 'qemu-7.2'))) {
    for (const stage of ['before', 'after', 'after-ovmf', 'after-aavmf']) {
      const p = join(root, 'qemu-7.2', cfg, stage, 'etc_table-loader.bin');
      if (existsSync(p)) out.push(new Uint8Array(readFileSync(p)));
    }
  }
  for (const id of readdirSync(join(root, 'firmware-conformance'))) {
    const p = join(root, 'firmware-conformance', id, 'loader.bin');
    if (existsSync(p)) out.push(new Uint8Array(readFileSync(p)));
  }
  return (loaderSeeds = out);
}

export interface ScriptCase {
  files: ExecFile[];
  /** fw_cfg DMA on (the corpus default) or off. */
  dma: boolean;
}

let caseSeeds: ScriptCase[] | undefined;
function corpusCases(): ScriptCase[] {
  if (caseSeeds !== undefined) return caseSeeds;
  const dir = join(packageRoot(), 'spec-vectors/firmware-conformance');
  caseSeeds = readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const c = loadCase(join(dir, d.name));
      return { files: [...c.files, ...(c.target ? [{ name: c.target.name, data: c.target.preset, writable: true }] : [])], dma: c.dma };
    });
  return caseSeeds;
}

// ------------------------------------------------------------------ surfaces

const bytesEqual = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

export const decoderSurface: Surface<Uint8Array> = {
  name: 'decoder',
  get seeds() {
    return realLoaders();
  },
  mutate: (r, input, seeds) => mutateLoader(r, input, seeds),
  run: (input) =>
    guarded(() => {
      validateLoaderBytes(input);
      const entries = decodeLoader(input);
      if (!bytesEqual(encodeLoader(entries), input)) return { kind: 'failure', message: 'decode -> encode changed the bytes' };
      return { kind: 'ok' };
    }),
  serialize: (input) => ({ 'loader.bin': input }),
  deserialize: (files) => files['loader.bin'] ?? new Uint8Array(0),
};

const LISTING_WORDS = ['ALLOCATE', 'ADD_POINTER', 'ADD_CHECKSUM', 'WRITE_POINTER', 'PADDING', 'UNKNOWN', 'file=', 'dest=', 'src=', 'offset=', 'size=', 'raw=', '"', '\\x', '\\', ';', '#', '[ 1]', '0x', '=', ' '];

function listingSurface(name: 'listing' | 'json', render: (b: Uint8Array) => string): Surface<string> {
  let seeds: string[] | undefined;
  return {
    name,
    get seeds() {
      return (seeds ??= realLoaders().filter((b) => b.length % 128 === 0).map(render));
    },
    mutate: (r, input) => mutateText(r, input, LISTING_WORDS),
    run: (input) =>
      guarded(() => {
        const entries = parseLoaderText(input);
        const bytes = encodeLoader(entries);
        // whatever parses must round-trip exactly through our own listing
        const again = encodeLoader(parseLoaderText(render(bytes)));
        if (!bytesEqual(bytes, again)) return { kind: 'failure', message: 'listing round trip changed the bytes' };
        return { kind: 'ok' };
      }),
    serialize: (input) => ({ [name === 'json' ? 'listing.json' : 'listing.txt']: new TextEncoder().encode(input) }),
    deserialize: (files) => new TextDecoder().decode(files[name === 'json' ? 'listing.json' : 'listing.txt'] ?? new Uint8Array(0)),
  };
}

export const textListingSurface = listingSurface('listing', (b) => formatListing(decodeLoader(b)));
export const jsonListingSurface = listingSurface('json', (b) => JSON.stringify(loaderToJson(decodeLoader(b))));

/** Canary bands checked next to every region a run may write. */
const GUARD = 256;

/**
 * The executors' memory property: every write (seen by the watcher) lies in
 * an allocation or declared scratch, and the guard bands around each of them
 * (outside any other) still hold the zeros they started with, which also
 * catches a write that slipped past the watched surfaces.
 */
function writesInBounds(firmware: FirmwareName, b: Boot, writes: [number, number][]): Verdict {
  const allowed = [...b.report.allocations.map((a) => [a.base, a.base + Math.max(a.length, a.reserved ?? 0)] as const), ...b.report.scratch.map((s) => [s.start, s.end] as const)];
  let hit = allowed[0];
  const inside = (a: number, n: number) => {
    if (hit !== undefined && a >= hit[0] && a + n <= hit[1]) return true;
    hit = allowed.find(([s, e]) => a >= s && a + n <= e) ?? hit;
    return hit !== undefined && a >= hit[0] && a + n <= hit[1];
  };
  for (const [a, n] of writes) {
    if (n > 0 && !inside(a, n)) return { kind: 'failure', message: `${firmware} wrote ${n} bytes at 0x${a.toString(16)}, outside its allocations and scratch` };
  }
  for (const [s, e] of allowed) {
    for (const [from, to] of [[s - GUARD, s], [e, e + GUARD]] as const) {
      const region = b.memory.regionAt(from);
      if (region === undefined || to > region.end) continue; // the band leaves RAM: nothing to guard there
      const band = b.memory.view(from, to - from);
      for (let i = 0; i < band.length; i++) {
        if (band[i] !== 0 && !inside(from + i, 1)) return { kind: 'failure', message: `${firmware}: guard byte at 0x${(from + i).toString(16)} next to [0x${s.toString(16)}, 0x${e.toString(16)}) changed` };
      }
    }
  }
  return { kind: 'ok' };
}

/**
 * A firmware personality on a script and its files. Property: no exception
 * but typed ones, and (SeaBIOS, OVMF) every write lands in an allocation or
 * in scratch the firmware declared. U-Boot writes wherever its missing
 * checks take it: only the first property holds for it.
 */
export function executorSurface(firmware: FirmwareName): Surface<ScriptCase> {
  return {
    name: firmware,
    get seeds() {
      return corpusCases();
    },
    mutate(r, input, seeds) {
      const files = input.files.map((f) => ({ ...f }));
      const loader = files.find((f) => f.name === 'etc/table-loader');
      if (loader !== undefined && r.chance(0.8)) loader.data = mutateLoader(r, loader.data, seeds.map((s) => s.files.find((f) => f.name === 'etc/table-loader')?.data ?? new Uint8Array(0)));
      else {
        const f = r.pick(files);
        f.data = mutateBytes(r, f.data);
      }
      if (r.chance(0.05) && files.length > 1) files.splice(r.int(files.length), 1);
      return { files, dma: r.chance(0.05) ? !input.dma : input.dma };
    },
    run(input) {
      return guarded(() => {
        const machine = execMachine(input.files.map((f) => ({ ...f, data: f.data.slice() })), policyFor(undefined), { dma: input.dma });
        const writes: [number, number][] = [];
        const b = boot(machine, { firmware, watch: (a, n) => void writes.push([a, n]) }, guestFor);
        try {
          return recordFor(machine, firmware).boundsChecked ? writesInBounds(firmware, b, writes) : { kind: 'ok' };
        } finally {
          b.memory.release();
        }
      });
    },
    serialize(input) {
      const out: Record<string, Uint8Array> = input.dma ? {} : { 'dma-off': new Uint8Array(0) };
      for (const f of input.files) out[`${f.writable ? 'writable' : 'file'}=${encodeURIComponent(f.name)}`] = f.data;
      return out;
    },
    deserialize(files) {
      return {
        dma: !('dma-off' in files),
        files: Object.entries(files).flatMap(([key, data]) => {
          const m = /^(writable|file)=(.*)$/.exec(key);
          return m === null ? [] : [{ name: decodeURIComponent(m[2]!), data, writable: m[1] === 'writable' }];
        }),
      };
    },
  };
}

export const SURFACES: Record<string, () => Surface<unknown>> = {
  decoder: () => decoderSurface as Surface<unknown>,
  listing: () => textListingSurface as Surface<unknown>,
  json: () => jsonListingSurface as Surface<unknown>,
  seabios: () => executorSurface('seabios') as Surface<unknown>,
  ovmf: () => executorSurface('ovmf') as Surface<unknown>,
  uboot: () => executorSurface('uboot') as Surface<unknown>,
  device: () => deviceSurface as Surface<unknown>,
  vector: () => vectorSurface as Surface<unknown>,
  capture: () => captureSurface as Surface<unknown>,
};
