/**
 * The fw_cfg device under hostile guests: qtest request streams (port, MMIO
 * and memory accesses, DMA descriptors) against a machine rebuilt from a
 * reference capture. Seeds are QEMU's own transcripts and the conformance
 * generator's sequences; mutations cut, repeat and reorder requests, splice
 * in freshly generated hostile operations (descriptors straddling RAM, in
 * ROM, wrapping past 2^64, every control-bit mix) and rewrite numbers.
 *
 * Offline properties: only typed errors escape, every reply has QEMU's
 * shape, and the device never changes ROM. Whether the error bit and every
 * other byte are QEMU's is decided by running the same streams on a live
 * QEMU (deviceDifferential): the reference is the real device.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSequence, profileFromCapture, SequenceGenerator, type ConformanceProfile } from '../conformance/generator.js';
import { firstDivergence, runOnQemu, type Divergence } from '../conformance/runner.js';
import { FwCfgError } from '../errors.js';
import { machineFromCapture } from '../qemu/emulated-machine.js';
import { QtestEndpoint } from '../qtest/endpoint.js';
import { loadItemsCapture, type ItemsCapture } from '../vectors/items-capture.js';
import { packageRoot } from '../vectors/package-root.js';
import { Prng } from '../prng.js';
import type { Surface, Verdict } from './surface.js';

export interface DeviceInput {
  /** A reference capture under spec-vectors/fwcfg-captures/. */
  config: string;
  lines: string[];
}

const captures = new Map<string, { capture: ItemsCapture; profile: ConformanceProfile }>();
function reference(config: string): { capture: ItemsCapture; profile: ConformanceProfile } {
  let c = captures.get(config);
  if (c === undefined) {
    const capture = loadItemsCapture(join(packageRoot(), 'spec-vectors/fwcfg-captures', config));
    captures.set(config, (c = { capture, profile: profileFromCapture(capture) }));
  }
  return c;
}

let seeds: DeviceInput[] | undefined;
/** QEMU's transcripts (requests only) and two generated sequences per configuration. */
export function deviceSeeds(): DeviceInput[] {
  if (seeds !== undefined) return seeds;
  const root = packageRoot();
  const out: DeviceInput[] = [];
  const dir = join(root, 'spec-vectors/fwcfg-device/transcripts');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.txt')).sort()) {
    const text = readFileSync(join(dir, f), 'utf8');
    const config = /^# config: (\S+)/m.exec(text)?.[1];
    if (config === undefined) continue;
    out.push({ config, lines: text.split('\n').filter((l) => l.startsWith('> ')).map((l) => l.slice(2)) });
  }
  for (const config of readdirSync(join(root, 'spec-vectors/fwcfg-captures'), { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()) {
    for (const seed of [1, 2]) out.push({ config, lines: generateSequence(reference(config).profile, seed, 60) });
  }
  return (seeds = out);
}

const INTERESTING = [0n, 1n, 2n, 3n, 4n, 8n, 0x10n, 0x19n, 0x20n, 0x3fn, 0x4000n, 0x8000n, 0xffffn, 0x510n, 0x511n, 0x514n, 0x518n, 0x51bn, 0x1000n, 0xffffffffn, 0x100000000n, 0x7ffffff0n, 0xfffffffffffffff0n, 0xffffffffffffffffn];

/** One mutation. `liveSafe` keeps to what a live QEMU survives quickly (no rewritten numbers: a length could mean a 4 GiB zero fill). */
export function mutateDevice(r: Prng, input: DeviceInput, all: readonly DeviceInput[], liveSafe = false): DeviceInput {
  const lines = input.lines.slice();
  const at = r.int(lines.length + 1);
  const kind = r.int(liveSafe ? 5 : 7);
  switch (kind) {
    case 0: {
      // fresh hostile operations from the generator, for this machine
      const gen = new SequenceGenerator(reference(input.config).profile, r.u32());
      lines.splice(at, 0, ...gen.generate(1 + r.int(3)));
      break;
    }
    case 1:
      lines.splice(at, 1 + r.int(3));
      break;
    case 2:
      if (lines.length > 0) lines.splice(at, 0, ...lines.slice(Math.min(at, lines.length - 1), Math.min(at, lines.length - 1) + 1 + r.int(4)));
      break;
    case 3: {
      const donor = all.filter((d) => d.config === input.config);
      const d = r.pick(donor.length > 0 ? donor : [input]);
      const from = r.int(Math.max(1, d.lines.length));
      lines.splice(at, 0, ...d.lines.slice(from, from + 1 + r.int(6)));
      break;
    }
    case 4:
      if (lines.length > 1) {
        const a = r.int(lines.length);
        const b = r.int(lines.length);
        [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      }
      break;
    case 5: {
      // a number rewritten (ports, keys, addresses, lengths, values)
      if (lines.length === 0) break;
      const i = r.int(lines.length);
      const words = lines[i]!.split(' ');
      const nums = words.map((w, k) => (k > 0 && /^(0x[0-9a-f]+|\d+)$/i.test(w) ? k : -1)).filter((k) => k > 0);
      if (nums.length === 0) break;
      const k = r.pick(nums);
      const old = BigInt(words[k]!);
      const v = r.chance(0.5) ? r.pick(INTERESTING) : old ^ (1n << BigInt(r.int(64)));
      words[k] = '0x' + v.toString(16);
      lines[i] = words.join(' ');
      break;
    }
    default:
      lines.splice(at, 0, r.pick(['outw 0x510 0x19', 'inb 0x511', 'outb 0x511 0x41', 'inl 0x514', 'outl 0x518 0x0', 'outl 0x514 0xffffffff', 'readq 0x9020000', 'writew 0x9020008 0x1900', 'writeq 0x9020010 0x0']));
  }
  return { config: input.config, lines };
}

/** QEMU's reply shapes: `OK`, `OK <value>`, `ERR <reason>`, `FAIL <reason>`, one line. */
function wellFormed(reply: string): boolean {
  if (reply.includes('\n')) return false;
  return reply === 'OK' || reply.startsWith('OK ') || (reply.startsWith('ERR ') && reply.length > 4) || (reply.startsWith('FAIL ') && reply.length > 5);
}

export const deviceSurface: Surface<DeviceInput> = {
  name: 'device',
  get seeds() {
    return deviceSeeds();
  },
  mutate: (r, input, all) => mutateDevice(r, input, all),
  run(input): Verdict {
    let machine: ReturnType<typeof machineFromCapture> | undefined;
    try {
      machine = machineFromCapture(reference(input.config).capture);
      // QEMU's ROM ignores stores, DMA included: the write surfaces must never reach it
      const mem = machine.guestMemory;
      let romWrite: number | undefined;
      mem.watch = (addr) => {
        if (romWrite === undefined && mem.regionAt(addr)?.readOnly === true) romWrite = addr;
      };
      const ep = new QtestEndpoint(machine);
      for (let i = 0; i < input.lines.length; i++) {
        const line = input.lines[i]!;
        const reply = ep.handle(line);
        if (!wellFormed(reply)) return { kind: 'failure', message: `request ${i} (${line}): reply ${JSON.stringify(reply.slice(0, 80))} is not QEMU's shape` };
        if (romWrite !== undefined) return { kind: 'failure', message: `request ${i} (${line}) changed ROM at 0x${romWrite.toString(16)}` };
      }
      return { kind: 'ok' };
    } catch (err) {
      if (err instanceof FwCfgError) return { kind: 'rejected', code: err.code };
      return { kind: 'failure', message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
    } finally {
      machine?.guestMemory.release();
    }
  },
  serialize: (input) => ({ 'requests.txt': new TextEncoder().encode(`# config: ${input.config}\n${input.lines.join('\n')}\n`) }),
  deserialize(files) {
    const text = new TextDecoder().decode(files['requests.txt'] ?? new Uint8Array(0));
    const config = /^# config: (\S+)/m.exec(text)?.[1] ?? 'q35';
    return { config, lines: text.split('\n').filter((l) => l !== '' && !l.startsWith('# ')) };
  },
};

/**
 * The requests of `inputs` the emulator answers without FAIL, as one stream
 * per configuration: FAIL marks requests QEMU would abort on or that reach
 * regions this project does not emulate, which a live QEMU must not get.
 */
export function liveStream(config: string, inputs: readonly DeviceInput[]): string[] {
  let lines = inputs.filter((i) => i.config === config).flatMap((i) => i.lines);
  // dropping a request changes what follows: repeat until a whole run has no FAIL
  for (let round = 0; round < 8; round++) {
    const machine = machineFromCapture(reference(config).capture);
    const ep = new QtestEndpoint(machine);
    const kept = lines.filter((l) => !ep.handle(l).startsWith('FAIL'));
    machine.guestMemory.release();
    if (kept.length === lines.length) return kept;
    lines = kept;
  }
  return lines;
}

/** Runs a stream on a live QEMU and on the emulator; the first reply that differs, if any. */
export async function deviceDifferential(config: string, lines: readonly string[], timeoutMs = 120_000): Promise<Divergence | undefined> {
  const { capture } = reference(config);
  const qemu = await runOnQemu(capture, lines, { timeoutMs });
  const machine = machineFromCapture(capture);
  const ep = new QtestEndpoint(machine);
  const emulator = lines.map((l) => ep.handle(l));
  machine.guestMemory.release();
  return firstDivergence(0, lines, qemu, emulator);
}

export interface LiveResult {
  inputs: number;
  /** Requests sent to QEMU (after dropping those the emulator answers FAIL). */
  requests: number;
  /** Each with the stream up to and including the diverging request (the reproducer). */
  divergences: { config: string; divergence: Divergence; prefix: string[] }[];
  elapsedMs: number;
}

/**
 * `n` live-safe mutants of the seeds, run per configuration as one stream on
 * a live QEMU and on the emulator: every reply, DMA status words included,
 * must be QEMU's.
 */
export async function liveCampaign(n: number, seed: number, onConfig?: (config: string, lines: number) => void): Promise<LiveResult> {
  const t0 = performance.now();
  const r = new Prng(seed);
  const all = deviceSeeds();
  const inputs: DeviceInput[] = [];
  for (let i = 0; i < n; i++) {
    let x = r.pick(all);
    for (let k = 1 + r.int(3); k > 0; k--) x = mutateDevice(r, x, all, true);
    inputs.push(x);
  }
  const out: LiveResult = { inputs: n, requests: 0, divergences: [], elapsedMs: 0 };
  for (const config of [...new Set(inputs.map((i) => i.config))].sort()) {
    const lines = liveStream(config, inputs);
    onConfig?.(config, lines.length);
    out.requests += lines.length;
    const d = await deviceDifferential(config, lines);
    if (d !== undefined) out.divergences.push({ config, divergence: d, prefix: lines.slice(0, d.index + 1) });
  }
  out.elapsedMs = performance.now() - t0;
  return out;
}
