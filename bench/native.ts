/**
 * The native reference, measured in the same run as the TypeScript cases:
 * bench/native/reference.c, built with `gcc -O2` into dist/bench/native/
 * when gcc exists (skipped with a note otherwise), fed the very inputs the
 * TypeScript cases use (the bench files register them in `nativeInputs`).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../src/vectors/package-root.js';
import type { CaseResult } from './harness.js';

export interface NativeExecInput {
  regions: readonly { start: number; size: number }[];
  zoneHigh: { start: number; end: number };
  zoneTmp: { start: number; end: number };
  zoneFseg: { start: number; end: number };
  fsegEnd: number;
  /** The fw_cfg directory, in order: name and the bytes the file serves. */
  files: ReadonlyMap<string, Uint8Array>;
  /**
   * The TypeScript run's figures to hold the C run to: RSDP address, warnings, files allocated,
   * FNV-1a of their placed bytes, and the tables the OS's walk found (how many, and tableDigest).
   */
  expect: () => ExecFigures;
  /** One TypeScript run of the same boot (what bench/paired.ts times against the C program round by round). */
  run: () => unknown;
}

export interface ExecFigures {
  rsdp: number;
  warnings: number;
  allocated: number;
  digest: number;
  tables: number;
  tablesDigest: number;
}

/** The C program's `exec_*` lines as ExecFigures (undefined where a line is missing). */
export function execFigures(figure: (name: string) => number | undefined): Partial<ExecFigures> {
  return {
    rsdp: figure('exec_rsdp'),
    warnings: figure('exec_warnings'),
    allocated: figure('exec_allocated'),
    digest: figure('exec_digest'),
    tables: figure('exec_tables'),
    tablesDigest: figure('exec_tables_digest'),
  };
}

/**
 * FNV-1a over each table's signature, address (low word, high word), length
 * and checksum verdict, as u32 words in little-endian byte order: what the C
 * executor digests of its walk.
 */
export function tableDigest(tables: readonly { signature: string; address: number; length: number; checksumOk: boolean }[]): number {
  const words: number[] = [];
  for (const t of tables) {
    const sig = t.signature.charCodeAt(0) | (t.signature.charCodeAt(1) << 8) | (t.signature.charCodeAt(2) << 16) | (t.signature.charCodeAt(3) << 24);
    words.push(sig, t.address % 2 ** 32, Math.floor(t.address / 2 ** 32), t.length, t.checksumOk ? 1 : 0);
  }
  return fnv1a([new Uint8Array(Uint32Array.from(words, (w) => w >>> 0).buffer)]);
}

/** FNV-1a (32-bit) over byte arrays in order, as the C executor digests what it placed. */
export function fnv1a(parts: Iterable<Uint8Array>): number {
  let h = 0x811c9dc5;
  for (const p of parts) for (let i = 0; i < p.length; i++) h = Math.imul(h ^ p[i]!, 0x01000193) >>> 0;
  return h;
}

/** What the bench files hand the native program: the same bytes their cases use. */
export const nativeInputs: {
  /** The SeaBIOS seed run (firmware.bench.ts). */
  exec?: NativeExecInput;
  /** The encoded 512-entry loader (loader.bench.ts): C decodes it once, then times its encoder. */
  entries?: Uint8Array;
  /** The values page alignment is timed on (memory.bench.ts). */
  pageValues?: Float64Array;
  /** One fw_cfg DMA of a 2 MiB file into guest RAM (fwcfg.bench.ts), paired with C memcpy of 2 MiB. */
  dma?: () => void;
  /** One encode of `entries`' 512 entries (loader.bench.ts), paired with the C encode of the same. */
  encode?: () => void;
} = {};

/** One figure the native program printed: `name value unit`. */
export interface NativeFigure {
  value: number;
  unit: string;
}

const hx = (n: number) => '0x' + n.toString(16);

let built: { program: string | undefined } | undefined;

/** The reference program, built once per process; undefined (and a note on stderr) when there is no gcc or the build fails. */
export function nativeProgram(): string | undefined {
  return (built ??= { program: build() }).program;
}

function build(): string | undefined {
  const source = join(packageRoot(), 'bench', 'native', 'reference.c');
  const out = join(dirname(fileURLToPath(import.meta.url)), 'native', 'reference');
  mkdirSync(dirname(out), { recursive: true });
  const r = spawnSync('gcc', ['-O2', '-o', out, source], { encoding: 'utf8' });
  if (r.error !== undefined) {
    process.stderr.write(`native reference skipped: gcc not found (${(r.error as NodeJS.ErrnoException).code ?? r.error.message}); the ratios to native code are left out\n`);
    return undefined;
  }
  if (r.status !== 0) {
    process.stderr.write(`native reference skipped: gcc -O2 ${source} failed:\n${r.stderr}`);
    return undefined;
  }
  return out;
}

function parse(text: string, into: Map<string, NativeFigure>): void {
  for (const line of text.split('\n')) {
    const m = /^(\w+) (\S+) (.+)$/.exec(line.trim());
    if (m !== null) into.set(m[1]!, { value: Number(m[2]), unit: m[3]! });
  }
}

export function runProgram(program: string, args: string[], into: Map<string, NativeFigure>): void {
  const r = spawnSync(program, args, { encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(`native reference: ${args[0]} failed (${r.status ?? r.signal}): ${r.stderr}\n`);
    return;
  }
  if (r.stderr !== '') process.stderr.write(`native reference: ${r.stderr}`);
  parse(r.stdout, into);
}

/** The exec command's options for these inputs (the files written into `dir`). */
export function execArguments(exec: NativeExecInput, dir: string): string[] {
  const args: string[] = [];
  for (const r of exec.regions) args.push('--region', `${hx(r.start)}:${hx(r.size)}`);
  args.push('--zone-high', `${hx(exec.zoneHigh.start)}:${hx(exec.zoneHigh.end)}`);
  args.push('--zone-tmp', `${hx(exec.zoneTmp.start)}:${hx(exec.zoneTmp.end)}`);
  args.push('--zone-fseg', `${hx(exec.zoneFseg.start)}:${hx(exec.zoneFseg.end)}`);
  args.push('--fseg-end', hx(exec.fsegEnd));
  let i = 0;
  for (const [name, bytes] of exec.files) {
    const path = join(dir, `file${i++}.bin`);
    writeFileSync(path, bytes);
    args.push('--file', `${name}=${path}`);
  }
  return args;
}

/** Runs the native measurements that have inputs and are wanted; an empty map when they cannot run. */
export function runNative(want: { exec: boolean; loops: boolean }): Map<string, NativeFigure> {
  const figures = new Map<string, NativeFigure>();
  if (!want.exec && !want.loops) return figures;
  const program = nativeProgram();
  if (program === undefined) return figures;
  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-native-'));
  try {
    const exec = nativeInputs.exec;
    if (want.exec && exec !== undefined) {
      const want = exec.expect();
      // the executor as the stick has it (scalar byte sums), then with SIMD sums (shown only)
      for (const [prefix, sum] of [['exec_', 'scalar'], ['exec_vector_', 'vector']] as const) {
        const own = new Map<string, NativeFigure>();
        runProgram(program, ['exec', '100000', ...execArguments(exec, dir), '--sum', sum], own);
        for (const [name, f] of own) figures.set(name.replace(/^exec_/, prefix), f);
        // the same work, checked: the C run placed the same bytes, found the same RSDP and tables
        const got = execFigures((name) => own.get(name)?.value);
        const same = (Object.keys(want) as (keyof ExecFigures)[]).every((k) => got[k] === want[k]);
        figures.set(`${prefix}same_result`, { value: same ? 1 : 0, unit: same ? 'yes (RSDP, warnings, files, placed bytes, the tables walked)' : `NO: TypeScript ${JSON.stringify(want)}, C ${JSON.stringify(got)}` });
      }
    }
    if (want.loops && nativeInputs.entries !== undefined && nativeInputs.pageValues !== undefined) {
      const entries = join(dir, 'entries.bin');
      const values = join(dir, 'values.f64');
      writeFileSync(entries, nativeInputs.entries);
      writeFileSync(values, new Uint8Array(nativeInputs.pageValues.buffer, nativeInputs.pageValues.byteOffset, nativeInputs.pageValues.byteLength));
      runProgram(program, ['loops', entries, values], figures);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

/** A TypeScript case beside the native figure doing the same work. */
export interface NativeComparison {
  label: string;
  ts: string;
  tsFigure: string;
  native: string;
  nativeFigure: string;
  /** time: TypeScript time / native time (median: the median iteration per unit / the median batch); bandwidth: TypeScript bandwidth / native bandwidth. */
  ratio: number;
  kind: 'time' | 'median' | 'bandwidth';
  goal?: string;
  meetsGoal?: boolean;
}

interface Pairing {
  label: string;
  /** `group :: name` of the TypeScript case. */
  ts: string;
  native: string;
  kind: 'time' | 'median' | 'bandwidth';
  /** time: at most this ratio; bandwidth: at least this ratio. */
  goal?: number;
}

const PAIRINGS: Pairing[] = [
  // the seed run's goal is held in paired rounds (bench/paired.ts); these take each side from its own
  // window of the run: batches of 100 as the C reference times its own, then runs timed one by one
  // between mitata's heap probes
  { label: 'SeaBIOS seed run / C executor', ts: 'SeaBIOS execution :: seed loader, batches of 100 runs (as the C reference is timed)', native: 'exec_run', kind: 'time' },
  { label: 'the same, median batches', ts: 'SeaBIOS execution :: seed loader, batches of 100 runs (as the C reference is timed)', native: 'exec_run_median', kind: 'median' },
  { label: 'the same / C executor, SIMD sums', ts: 'SeaBIOS execution :: seed loader, batches of 100 runs (as the C reference is timed)', native: 'exec_vector_run_median', kind: 'median' },
  { label: 'single runs / C executor', ts: 'SeaBIOS execution :: seed loader (before/, 32 commands, 128 KiB tables)', native: 'exec_run', kind: 'time' },
  { label: 'single runs, p50 / C median batch', ts: 'SeaBIOS execution :: seed loader (before/, 32 commands, 128 KiB tables)', native: 'exec_run_median', kind: 'median' },
  // the goal's C encode is the producer's (a bounded string copy of each name, as QEMU's bios-linker-loader.c and
  // ../shared/bench/native-ref.c do it); a copy of ready 56-byte name images is shown beside it
  { label: 'entry encode / C encode', ts: 'loader 64 KiB :: encode 512 entries', native: 'encode_entry', kind: 'time', goal: 2 },
  { label: 'entry encode / C copy of name images', ts: 'loader 64 KiB :: encode 512 entries', native: 'encode_entry_images', kind: 'time' },
  { label: 'sum8 (wasm SIMD) / C memcpy', ts: 'checksum 2 MiB :: sum8: wasm SIMD in guest memory', native: 'memcpy_2mib', kind: 'bandwidth', goal: 0.5 },
  { label: 'sum8 (wasm SIMD) / C byte checksum', ts: 'checksum 2 MiB :: sum8: wasm SIMD in guest memory', native: 'checksum_2mib', kind: 'bandwidth' },
  { label: 'fw_cfg DMA 2 MiB / C memcpy', ts: 'DMA 2 MiB into guest RAM :: fw_cfg DMA SELECT|READ (descriptor, outl 0x514/0x518, transfer)', native: 'memcpy_2mib', kind: 'bandwidth', goal: 0.8 },
  { label: 'TypedArray.set 2 MiB / C memcpy', ts: 'checksum 2 MiB :: TypedArray.set 2 MiB (memcpy limit)', native: 'memcpy_2mib', kind: 'bandwidth' },
  { label: 'hostPageAlign / C (x+p-1)&~(p-1)', ts: 'page alignment over 0..2^52 :: hostPageAlign (exact to 2^53)', native: 'page_align', kind: 'time' },
];

/** Which native runs the selected cases need. */
export function nativeWanted(results: readonly CaseResult[]): { exec: boolean; loops: boolean } {
  const names = new Set(results.map((r) => `${r.group} :: ${r.name}`));
  const wanted = PAIRINGS.filter((p) => names.has(p.ts));
  return { exec: wanted.some((p) => p.native.startsWith('exec_')), loops: wanted.some((p) => !p.native.startsWith('exec_')) };
}

export function compareNative(results: readonly CaseResult[], native: ReadonlyMap<string, NativeFigure>): NativeComparison[] {
  const out: NativeComparison[] = [];
  for (const p of PAIRINGS) {
    const r = results.find((x) => `${x.group} :: ${x.name}` === p.ts);
    const n = native.get(p.native);
    if (r === undefined || n === undefined) continue;
    let tsValue: number;
    let tsFigure: string;
    if (p.kind === 'bandwidth') {
      tsValue = r.mbPerSecond!;
      tsFigure = `${tsValue.toFixed(0)} MB/s`;
    } else if (p.kind === 'median') {
      // a case that times several units per iteration: its median iteration, per unit
      tsValue = r.p50Ns / (r.units ?? 1);
      tsFigure = `${tsValue.toFixed(0)} ns p50`;
    } else {
      tsValue = r.nsPerUnit ?? r.avgNs;
      tsFigure = `${tsValue.toFixed(2)} ns/${r.unit ?? 'iter'}`;
    }
    const ratio = tsValue / n.value;
    const c: NativeComparison = { label: p.label, ts: p.ts, tsFigure, native: p.native, nativeFigure: `${n.value} ${n.unit}`, ratio, kind: p.kind };
    if (p.goal !== undefined) {
      c.goal = p.kind === 'bandwidth' ? `>= ${p.goal * 100}%` : `<= ${p.goal}`;
      c.meetsGoal = p.kind === 'bandwidth' ? ratio >= p.goal : ratio <= p.goal;
    }
    out.push(c);
  }
  return out;
}

export function formatNative(comparisons: readonly NativeComparison[], native: ReadonlyMap<string, NativeFigure>): string {
  if (native.size === 0) return '';
  const lines = ['', 'against native code (bench/native/reference.c, gcc -O2, same run):'];
  const width = Math.max(...[...native.keys()].map((n) => n.length));
  for (const [name, f] of native) lines.push(`  native ${name.padEnd(width)} ${String(f.value).padStart(10)} ${f.unit}`);
  for (const c of comparisons) {
    const ratio = c.kind === 'bandwidth' ? `${(c.ratio * 100).toFixed(0)}% of native bandwidth` : `${c.ratio.toFixed(2)}x native time`;
    const goal = c.goal === undefined ? '' : `  ${c.meetsGoal ? 'meets' : 'MISSES'} goal ${c.goal}`;
    lines.push(`  ${c.label.padEnd(40)} ${c.tsFigure.padStart(14)} vs ${c.nativeFigure.padStart(14)}  ${ratio}${goal}`);
  }
  return lines.join('\n') + '\n';
}
