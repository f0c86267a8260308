/**
 * A real boot in the shape `fwcfg exec` reports an emulated one
 * (FirmwareReport): allocations at the bases the firmware chose, the
 * write-backs seen in the writable files, the RSDP and tables an OS finds,
 * the firmware's own warnings. What the outside cannot see is inferred and
 * said so in `notes`: the verdict of an OVMF run (its release build prints
 * nothing), and per-entry outcomes (left empty).
 */
import { realFirmwareRecord } from './real-firmware.js';
import { LOADER_FILE } from '../loader/constants.js';
import { TPM_CONFIG_FILE } from '../firmware/tpm.js';
import type { FirmwareReport, WritePointerReport } from '../firmware/report.js';
import { insideCopy, type Observation } from './observe.js';
import { realVerdict } from './verdict.js';

function le(b: Uint8Array, at: number, size: number): number {
  let v = 0;
  for (let i = size - 1; i >= 0; i--) v = v * 256 + (b[at + i] ?? 0);
  return v;
}

/** Each WRITE_POINTER of the script whose field changed in its writable file, with the value found there. */
function writePointers(o: Observation): WritePointerReport[] {
  const out: WritePointerReport[] = [];
  for (const e of o.entries ?? []) {
    if (e.type !== 'writePointer') continue;
    const w = o.writable.find((x) => x.name === e.destFile);
    if (w === undefined || e.dstOffset + e.size > w.after.length || ![1, 2, 4, 8].includes(e.size)) continue;
    const before = w.before.subarray(e.dstOffset, e.dstOffset + e.size);
    const after = w.after.subarray(e.dstOffset, e.dstOffset + e.size);
    if (before.every((b, i) => b === after[i])) continue;
    const value = le(after, 0, e.size);
    // OVMF's rollback writes zeros of the same width back: the write happened and was undone
    out.push({ destFile: e.destFile, offset: e.dstOffset, size: e.size, value, kept: value !== 0 });
  }
  return out;
}

export function realReport(o: Observation): FirmwareReport {
  const r = o.run;
  const record = realFirmwareRecord(r.firmware);
  const loader = r.directory.find((d) => d.name === LOADER_FILE);
  // a script of the wrong size is refused whole: no command counts
  const commands = loader !== undefined && loader.size % 128 === 0 ? (o.entries ?? []).filter((e) => e.type !== 'padding').length : 0;
  const notes: string[] = [];
  const fromLoaderRsdp = o.rsdp !== undefined && insideCopy(o, o.rsdp.address) !== undefined;
  const tables = (o.walk?.tables ?? []).map((t) => ({
    signature: t.signature,
    address: t.address,
    length: t.length,
    checksumOk: t.checksumOk,
    source: record.tablesViaProtocol ? ('protocol' as const) : insideCopy(o, t.address) !== undefined ? ('loader' as const) : ('firmware' as const),
  }));
  const wps = writePointers(o);
  // OVMF on QEMU has no tables of its own: any table behind its roots came from the loader
  const loaderTablesInstalled = record.tablesViaProtocol ? tables.some((t) => t.signature !== 'RSDT' && t.signature !== 'XSDT') : fromLoaderRsdp;

  const outcome = realVerdict({
    firmware: r.firmware,
    completed: r.completed,
    loaderSize: loader?.size,
    loaderSelected: o.loaderSelected,
    warnings: o.warnings.length,
    loaderTablesInstalled,
    writeBackKept: wps.some((w) => w.kept),
  });
  if (outcome === 'hung') notes.push(`no "${r.marker}" within the time bound: the firmware never finished its boot (stopped after ${r.stoppedAfterS.toFixed(1)} s)`);
  // why it ran none: what a report's reader is told first
  if (outcome === 'not-run') notes.push(loader === undefined ? 'QEMU serves no etc/table-loader' : 'the firmware never selected etc/table-loader');
  if (record.verdictNote !== undefined && loader !== undefined && o.loaderSelected) notes.push(record.verdictNote);

  if (!record.tablesViaProtocol && o.rsdp !== undefined && !fromLoaderRsdp) notes.push("the RSDP is not in any of the loader's copies: SeaBIOS published tables of its own");
  if (record.tablesViaProtocol && o.walk !== undefined && o.walk.tables.every((t) => t.signature === 'RSDT' || t.signature === 'XSDT')) {
    notes.push('ACPI is published with empty roots (no table behind the RSDP): tables were uninstalled after a late failure (D4)');
  }
  for (const b of o.blobs) if (b.inFwCfg && b.copies.length === 0 && b.size > 0) notes.push(`${b.file}: no copy in RAM${record.freedFill !== undefined ? ' (not allocated, or freed)' : ''}`);
  if (o.freedPages !== undefined) notes.push(`${o.freedPages.size} pages of RAM are all 0xAF (freed by the DXE core)`);
  for (const p of o.walk?.problems ?? []) notes.push(`ACPI walk: ${p}`);
  notes.push('per-entry outcomes are not observable on real firmware (entries left empty)');
  if (r.directory.some((d) => d.name === TPM_CONFIG_FILE)) notes.push("the TPM's event log is not read back here (measurements left empty; test/tpm-measurements-live.test.ts holds the model's to real logs)");

  return {
    firmware: r.firmware,
    commandsExecuted: o.loaderSelected ? commands : 0,
    commandsAvailable: commands,
    loaderBytesRead: o.loaderSelected && loader !== undefined ? loader.size : 0,
    loaderSizeNow: loader?.size ?? 0,
    allocations: o.blobs.flatMap((b) => {
      const entry = (o.entries ?? []).findIndex((e) => e.type === 'allocate' && e.file === b.file);
      return b.copies.map((base) => ({ file: b.file, base, length: b.size, entry }));
    }),
    writePointers: wps,
    rsdp: o.rsdp === undefined ? null : { address: o.rsdp.address, fromLoader: fromLoaderRsdp },
    osTablesFromLoader: loaderTablesInstalled,
    tables,
    warnings: o.warnings.map((w) => w.text),
    outcome,
    entries: [],
    measurements: [],
    notes,
    scratch: [],
  };
}

