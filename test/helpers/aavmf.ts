// AAVMF on arm virt (spec-vectors/aavmf/<release>): what a real boot left for the OS, what the model
// of that release makes of the same configuration, and the comparison of the two.
import type { ExecutionContext } from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRsdp, walkTables, type AcpiWalk } from '../../src/acpi/walk.js';
import type { GuestMemory } from '../../src/memory/guest-memory.js';
import { parseFirmware, recordFor } from '../../src/simulate/boot.js';
import { simulateFirmware } from '../../src/simulate/firmware-run.js';
import { policyFor } from '../../src/simulate/options.js';
import { openConfiguration } from '../../src/vectors/configuration.js';
import { pointerBytes } from './acpi-pointers.js';
import { ROOT } from './paths.js';

export const AAVMF_VECTORS = join(ROOT, 'spec-vectors', 'aavmf');
export const AAVMF_RELEASES = readdirSync(AAVMF_VECTORS).filter((d) => /^\d{4}\.\d{2}$/.test(d)).sort();

export interface SeenTable {
  signature: string;
  address: number;
  bytes: Uint8Array;
  referencedBy: string[];
}

/** What an OS finds: the RSDP and every table reached from it. */
export interface SeenBoot {
  rsdp: number;
  rsdpBytes: Uint8Array;
  tables: SeenTable[];
}

interface ManifestTable {
  signature: string;
  address: string;
  referenced_by: string[];
  path: string;
}

/** The recording's manifest (scripts/record-aavmf.mjs). */
export function aavmfManifest(release: string): { rsdp: { address: string; path: string }; tables: ManifestTable[]; packages: Record<string, string>; [k: string]: unknown } {
  return JSON.parse(readFileSync(join(AAVMF_VECTORS, release, 'manifest.json'), 'utf8'));
}

export function recordedBoot(release: string): SeenBoot {
  const dir = join(AAVMF_VECTORS, release);
  const m = aavmfManifest(release);
  return {
    rsdp: parseInt(m.rsdp.address, 16),
    rsdpBytes: new Uint8Array(readFileSync(join(dir, m.rsdp.path))),
    tables: m.tables.map((x) => ({ signature: x.signature, address: parseInt(x.address, 16), bytes: new Uint8Array(readFileSync(join(dir, x.path))), referencedBy: x.referenced_by })),
  };
}

export interface ModelBoot extends SeenBoot {
  /** The record the firmware name resolved to on the configuration. */
  recordId: string;
  walk: AcpiWalk;
  memory: GuestMemory;
  /** Where the model's loader put each blob. */
  allocations: Map<string, number>;
}

/** The model booting the release's recorded configuration (its capture/) with `firmware` (default: the bare name, resolved from the capture). */
export function modelBoot(release: string, firmware = 'aavmf'): ModelBoot {
  const cfg = openConfiguration(join(AAVMF_VECTORS, release, 'capture'));
  const sim = simulateFirmware(cfg.vector, { policy: policyFor(cfg.qemuRelease ?? undefined), hostPageSize: cfg.hostPageSize ?? 0x1000, firmware: parseFirmware(firmware), ...(cfg.items ? { items: cfg.items } : {}) });
  const report = sim.report.firmware;
  if (report === null || report.rsdp === null || sim.memory === undefined) throw new Error(`${release}: the model published no RSDP (${sim.report.qemuError ?? report?.outcome ?? 'no run'})`);
  const memory = sim.memory;
  const info = readRsdp(memory, report.rsdp.address);
  if (info === undefined) throw new Error(`${release}: no RSDP at the model's 0x${report.rsdp.address.toString(16)}`);
  const walk = walkTables(memory, info);
  return {
    recordId: recordFor(sim.machine, firmware).id,
    rsdp: info.address,
    rsdpBytes: memory.read(info.address, info.length),
    tables: walk.tables.map((x) => ({ signature: x.signature, address: x.address, bytes: memory.read(x.address, x.length), referencedBy: x.referencedBy })),
    walk,
    memory,
    allocations: new Map(report.allocations.map((a) => [a.file, a.base])),
  };
}

/**
 * The model against a real boot: the RSDP at the same address with the same
 * 36 bytes (its XSDT address and checksums included), the XSDT at the same
 * address, the same tables reached the same way (XSDT slots and FADT links),
 * each table's bytes equal outside the pointers and checksum the firmware
 * rewrites for its own copies (AAVMF's table copies come from pool memory,
 * whose addresses the model does not place: profiles.ts).
 */
export function compareWithModel(t: ExecutionContext, model: SeenBoot, real: SeenBoot): void {
  t.is(model.rsdp, real.rsdp, 'RSDP address');
  t.deepEqual([...model.rsdpBytes], [...real.rsdpBytes], 'RSDP bytes');
  t.deepEqual(model.tables.map((x) => [x.signature, x.referencedBy]), real.tables.map((x) => [x.signature, x.referencedBy]), 'the tables an OS reaches, and how');
  const xsdt = (b: SeenBoot) => b.tables.find((x) => x.signature === 'XSDT')?.address;
  t.is(xsdt(model), xsdt(real), 'XSDT address');
  model.tables.forEach((ours, i) => {
    const theirs = real.tables[i];
    if (theirs === undefined) return;
    t.is(ours.bytes.length, theirs.bytes.length, `${ours.signature} length`);
    const skip = pointerBytes(ours.signature, theirs.bytes.length);
    const diffs = [...theirs.bytes.keys()].filter((k) => !skip.has(k) && ours.bytes[k] !== theirs.bytes[k]);
    t.deepEqual(diffs, [], `${ours.signature}: bytes differ at ${diffs.slice(0, 8).map((d) => '0x' + d.toString(16)).join(', ')}`);
  });
}

const FILE_DIR = 0x19;
/** Selects above the well-known items: fw_cfg files. */
const FIRST_FILE_KEY = 0x20;

/** How a trace of selects reads the directory: before every file's select, or not (read once and cached). */
export function directoryReadOf(keys: readonly number[]): 'every-lookup' | 'once-early' {
  const files = keys.flatMap((k, i) => (k >= FIRST_FILE_KEY ? [i] : []));
  return files.length > 0 && files.every((i) => keys[i - 1] === FILE_DIR) ? 'every-lookup' : 'once-early';
}
