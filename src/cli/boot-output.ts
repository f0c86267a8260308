/** Shared pieces of the boot commands: --place parsing, --out writing, the readable account. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { FirmwareReport } from '../firmware/report.js';
import type { Measurement } from '../firmware/measurement.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { namedPaths } from './args.js';
import { writeOutput } from './output.js';

const hx = (n: number) => '0x' + n.toString(16);

export function placements(command: string, raw: unknown): Map<string, number> {
  const out = new Map<string, number>();
  for (const { name, path } of namedPaths(command, 'place', raw)) {
    const m = /^(?:0x([0-9a-fA-F]+)|(\d+))$/.exec(path);
    if (m === null) throw new UsageError('USAGE', `${command}: --place ${name}=${path}: the address must be decimal or 0x hex`);
    const v = m[1] !== undefined ? parseInt(m[1], 16) : Number(m[2]);
    if (!Number.isSafeInteger(v) || v >= 2 ** 52) throw new UsageError('USAGE', `${command}: --place ${name}=${path}: past any guest-physical address this tool models (below 2^52)`);
    out.set(name, v);
  }
  return out;
}

/** `<file name with / replaced by _>.bin` for each allocated file's final bytes. */
export function writeAllocations(dir: string, report: FirmwareReport, memory: GuestMemory): string[] {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new UsageError('WRITE_FAILED', `cannot create ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const written: string[] = [];
  for (const a of report.allocations) {
    if (memory.regionAt(a.base) === undefined) continue;
    const path = join(dir, a.file.replace(/\//g, '_') + '.bin');
    writeOutput(path, memory.read(a.base, a.length));
    written.push(path);
  }
  return written;
}

/** The firmware part of the JSON contract (the personality's own entries and notes kept). */
export function firmwareJson(r: FirmwareReport): Record<string, unknown> {
  return {
    name: r.firmware,
    commandsExecuted: r.commandsExecuted,
    commandsAvailable: r.commandsAvailable,
    loaderBytesRead: r.loaderBytesRead,
    loaderSizeNow: r.loaderSizeNow,
    outcome: r.outcome,
    allocations: r.allocations.map(({ file, base, length, freed }) => ({ file, base, length, ...(freed === true ? { freed } : {}) })),
    writePointers: r.writePointers.map(({ destFile, offset, size, value, kept }) => ({ destFile, offset, size, value, kept })),
    rsdp: r.rsdp,
    osTablesFromLoader: r.osTablesFromLoader,
    tables: r.tables,
    warnings: r.warnings,
    notes: r.notes,
    entries: r.entries,
    measurements: r.measurements,
  };
}

/** The TPM events a boot extended, in order, each with its digests (one bank a line). */
export function measurementLines(ms: readonly Measurement[], indent = '  '): string[] {
  if (ms.length === 0) return [];
  const out = [`${indent}TPM measurements, in order:`];
  for (const m of ms) {
    out.push(`${indent}  PCR ${m.pcr}, event type ${hx(m.eventType)} "${m.eventData}": ${m.file} (${m.length} bytes)`);
    for (const [bank, digest] of Object.entries(m.digests)) out.push(`${indent}    ${bank.padEnd(6)} ${digest}`);
  }
  return out;
}

export function bootAccount(r: FirmwareReport): string {
  const out: string[] = [];
  const name = { seabios: 'SeaBIOS', ovmf: 'OVMF', uboot: 'U-Boot' }[r.firmware] ?? r.firmware;
  if (r.outcome === 'not-run') out.push(`${name} does not run the loader (${r.notes[0] ?? r.warnings[0] ?? 'no etc/table-loader'})`);
  else {
    const partial = r.loaderBytesRead < r.loaderSizeNow ? ` of the ${r.loaderSizeNow} the file holds now` : '';
    out.push(`${name} reads ${r.loaderBytesRead} bytes of etc/table-loader${partial} and runs ${r.commandsExecuted} commands (${r.commandsAvailable} available now)`);
  }
  for (const a of r.allocations) out.push(`  ${a.file.padEnd(22)} at ${hx(a.base)} (${a.length} bytes)`);
  for (const w of r.writePointers) out.push(`  writes ${hx(w.value)} into ${w.destFile}[${w.offset}..${w.offset + w.size})${w.kept ? '' : ' (undone: zeros written back)'}`);
  for (const w of r.warnings) out.push(`  ${w}`);
  if (r.outcome === 'hung') out.push('  the firmware never finishes: it spins on the DMA control word');
  if (r.rsdp === null) out.push('The OS finds no ACPI tables.');
  else {
    const whose = r.tables.some((t) => t.source === 'firmware') ? "the firmware's own tables" : r.osTablesFromLoader ? "QEMU's tables" : 'tables';
    out.push(`The OS finds the RSDP at ${hx(r.rsdp.address)}${r.rsdp.fromLoader ? " (the loader's)" : ''} and ${whose}:`);
    for (const t of r.tables) out.push(`  ${t.signature} at ${hx(t.address)}, ${t.length} bytes${t.checksumOk ? '' : ' BAD CHECKSUM'}`);
  }
  out.push(...measurementLines(r.measurements));
  for (const n of r.notes) out.push(`  note: ${n}`);
  return out.join('\n') + '\n';
}
