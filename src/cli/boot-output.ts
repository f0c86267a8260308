/** Shared pieces of the boot commands: --out writing, the JSON form and the readable account of one boot. */
import { join } from 'node:path';
import { firmwareLabel } from './firmware-label.js';
import type { FirmwareReport } from '../firmware/report.js';
import type { Measurement } from '../firmware/measurement.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { byteCount, hx, makeOutputDir, writeOutput } from './output.js';

/** `<file name with / replaced by _>.bin` for each allocated file's final bytes. */
export function writeAllocations(dir: string, report: FirmwareReport, memory: GuestMemory): string[] {
  makeOutputDir(dir);
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

export interface AccountOptions {
  /** Who wrote the loader the firmware ran: QEMU (a vector or capture) or the user (`fwcfg exec`'s script). */
  loaderFrom?: 'qemu' | 'script';
  /** The ACPI walk's problems are told elsewhere (the OS's verdict lists them): leave them out here. */
  omitWalkNotes?: boolean;
}

const WALK_NOTE = 'ACPI walk: ';

export function bootAccount(r: FirmwareReport, o: AccountOptions = {}): string {
  const out: string[] = [];
  const name = firmwareLabel(r.firmware);
  if (r.outcome === 'not-run') out.push(`${name} does not run the loader (${r.notes[0] ?? r.warnings[0] ?? 'no etc/table-loader'})`);
  else {
    const partial = r.loaderBytesRead < r.loaderSizeNow ? ` of the ${r.loaderSizeNow} the file holds now` : '';
    out.push(`${name} reads ${r.loaderBytesRead} bytes of etc/table-loader${partial} and runs ${r.commandsExecuted} commands (${r.commandsAvailable} available now)`);
  }
  for (const a of r.allocations) out.push(`  ${a.file.padEnd(22)} at ${hx(a.base)}, ${byteCount(a.length)}${a.freed === true ? ', freed after the tables were copied' : ''}`);
  for (const w of r.writePointers) out.push(`  writes ${hx(w.value)} into ${w.destFile}[${w.offset}..${w.offset + w.size})${w.kept ? '' : ' (undone: zeros written back)'}`);
  for (const w of r.warnings) out.push(`  ${name} prints: ${w}`);
  if (r.outcome === 'hung') out.push('  the firmware never finishes: it spins on the DMA control word');
  if (r.rsdp === null) out.push('The OS finds no ACPI tables.');
  else {
    // SeaBIOS's fallback (its own tables, built where the model says: seabios-acpi.ts) or what the loader left
    const own = r.tables.some((t) => t.source === 'firmware');
    const whose = own ? "the firmware's own tables, not the loader's" : !r.osTablesFromLoader ? 'tables' : o.loaderFrom === 'script' ? "the script's tables" : "QEMU's tables";
    out.push(`The OS finds the RSDP at ${hx(r.rsdp.address)}${r.rsdp.fromLoader ? " (the loader's)" : ''} and ${whose}:`);
    for (const t of r.tables) out.push(`  ${t.signature} at ${hx(t.address)}, ${t.length} bytes${t.checksumOk ? '' : ' BAD CHECKSUM'}`);
  }
  out.push(...measurementLines(r.measurements));
  for (const n of r.notes) if (!(o.omitWalkNotes === true && n.startsWith(WALK_NOTE))) out.push(`  note: ${n}`);
  return out.join('\n') + '\n';
}
