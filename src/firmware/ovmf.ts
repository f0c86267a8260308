/**
 * OVMF 2022.11 running etc/table-loader (InstallQemuFwCfgTables in OvmfPkg
 * QemuFwCfgAcpi.c): pass 0 checks the pointees that narrow pointers pin
 * below 4 GiB, pass 1 runs every command with strict checks (one function
 * per command: ovmf-commands.ts), pass 2 hands each pointed-to table to the
 * ACPI table protocol (ovmf-acpi-table-protocol.ts), which copies it and
 * builds its own RSDP/RSDT/XSDT. The first error rolls everything back
 * (ovmf-teardown.ts). The real firmware's behaviour wins over the spec where
 * the corpus showed a difference: D2 (wrong checksum is -old), D3 (root
 * headers take the FADT's OEM fields), D4 (a failure after tables were
 * installed leaves both RSDPs published with one NULL entry), D5 (dropped
 * FACS/DSDT zeroed in the FADT), D6 (freed pages filled with 0xAF), D7 (two
 * RSDPs). Releases from edk2-stable202302 on measure the script and each
 * blob into the TPM as they read them (measurement.ts).
 */
import { nothingKnown, readRsdp, walkTableList } from '../acpi/walk.js';
import { decodeEntry } from '../loader/codec.js';
import type { LoaderEntry } from '../loader/entry.js';
import { ENTRY_SIZE, LOADER_FILE } from '../loader/constants.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import { AcpiTableProtocol, type Published } from './ovmf-acpi-table-protocol.js';
import { bgrtTable, BGRT_UNMODELLED, type BootScreen } from './ovmf-bgrt.js';
import { collectAllocationsRestrictedTo32Bit, processCmdAddChecksum, processCmdAddPointer, processCmdAllocate, processCmdWritePointer } from './ovmf-commands.js';
import { allocateS3Context, transferS3ContextToBootScript } from './ovmf-s3.js';
import { newSecondPass, process2ndPassCmdAddPointer, type SecondPass } from './ovmf-second-pass.js';
import { failure, isHung, SUCCESS, type EfiError, type Failure, type Hung, type LoaderFailure, type Result, type Success } from './ovmf-status.js';
import { freeTableOnlyBlobs, rollBack } from './ovmf-teardown.js';
import { measurer, type Measure, type MeasurementPolicy } from './measurement.js';
import type { TpmVersion } from './tpm.js';
import { findFile, newLoaderState, recordEntry, type OvmfLoaderState } from './ovmf-tracker.js';
import { pagesFor, PAGE } from './page-allocator.js';
import type { OvmfProfile } from './profiles.js';
import { emptyReport, protocolTableRow, type FirmwareReport, type TableReport } from './report.js';
import type { FirmwareContext } from './context.js';
import type { FwCfgGuest } from './fwcfg-guest.js';

export interface OvmfOptions {
  /** etc/system-states says S3 is enabled (byte 3, bit 7). */
  s3: boolean;
  /** How the release measures what it reads (absent: nothing). */
  measures?: MeasurementPolicy;
  /** The machine's TPM (absent: none, so nothing is measured). */
  tpm?: TpmVersion;
  /** A display OVMF draws its logo on: its BGRT is installed at ReadyToBoot (ovmf-bgrt.ts). */
  display?: boolean;
}

export function s3Enabled(systemStates: Uint8Array | undefined): boolean {
  return systemStates !== undefined && systemStates.length === 6 && (systemStates[3]! & 0x80) !== 0;
}

type Script = (Success & { entries: LoaderEntry[] }) | Failure<'EFI_NOT_FOUND' | 'EFI_PROTOCOL_ERROR'>;

/**
 * The script read into pool memory, measured (the bytes read: the size the
 * directory gave, whatever the item holds now), and decoded. EFI_NOT_FOUND
 * without etc/table-loader, EFI_PROTOCOL_ERROR when its size is not a whole
 * number of entries (nothing read or measured then).
 */
function downloadScript(ctx: FirmwareContext, profile: OvmfProfile, report: FirmwareReport, measure: Measure | undefined): Script {
  const { memory, fw } = ctx;
  const loader = findFile(fw, LOADER_FILE);
  if (loader === undefined) return failure('EFI_NOT_FOUND', 'no etc/table-loader');
  if (loader.size % ENTRY_SIZE !== 0) return failure('EFI_PROTOCOL_ERROR', `"etc/table-loader" has invalid size 0x${loader.size.toString(16)}`);
  // pool memory: a scratch page range below the blobs' region, whose place matters to nobody
  const scriptPages = pagesFor(Math.max(loader.size, 1));
  const scriptBase = profile.reclaim.bottom - 0x100000 - scriptPages * PAGE;
  report.scratch.push({ start: scriptBase, end: scriptBase + scriptPages * PAGE, what: 'the script (pool)' });
  fw.readItem(loader.select, loader.size, scriptBase);
  measure?.(LOADER_FILE, memory.view(scriptBase, loader.size));
  report.loaderBytesRead = loader.size;
  const entries: LoaderEntry[] = [];
  for (let i = 0; i < loader.size / ENTRY_SIZE; i++) entries.push(decodeEntry(memory.view(scriptBase + i * ENTRY_SIZE, ENTRY_SIZE)));
  report.commandsExecuted = entries.filter((e) => e.type !== 'padding').length;
  return { ...SUCCESS, entries };
}

/** Before any command runs: pass 0's name checks, then the S3 context (when S3 is on). */
function checkScript(entries: readonly LoaderEntry[], options: OvmfOptions): Success | LoaderFailure {
  const restricted = collectAllocationsRestrictedTo32Bit(entries);
  if (restricted.status !== 'EFI_SUCCESS') return restricted;
  const s3 = options.s3 ? allocateS3Context(entries.length) : SUCCESS;
  return s3.status === 'EFI_SUCCESS' ? SUCCESS : { ...s3, index: -1 };
}

/** The report lists a command that succeeded as applied. */
function applied<R extends Result<EfiError> | Hung>(state: OvmfLoaderState, e: LoaderEntry, index: number, r: R): R {
  if (!isHung(r) && r.status === 'EFI_SUCCESS') recordEntry(state.log, e, index, 'applied');
  return r;
}

/** One entry of pass 1: its command's function, or skipped (padding, unknown commands). */
function processEntry(state: OvmfLoaderState, e: LoaderEntry, index: number): Result<EfiError> | Hung {
  switch (e.type) {
    case 'allocate':
      return applied(state, e, index, processCmdAllocate(state, e, index));
    case 'addPointer':
      return applied(state, e, index, processCmdAddPointer(state, e));
    case 'addChecksum':
      return applied(state, e, index, processCmdAddChecksum(state, e));
    case 'writePointer':
      return applied(state, e, index, processCmdWritePointer(state, e, index));
    case 'padding':
      recordEntry(state.log, e, index, 'skipped', 'command 0');
      return SUCCESS;
    default:
      recordEntry(state.log, e, index, 'skipped', `unknown loader command: 0x${e.command.toString(16)}`);
      return SUCCESS;
  }
}

/** Pass 1: every entry in order, up to the first that does not succeed. */
function firstPass(state: OvmfLoaderState, entries: readonly LoaderEntry[]): Success | LoaderFailure | (Hung & { index: number }) {
  for (const [index, e] of entries.entries()) {
    const r = processEntry(state, e, index);
    if (isHung(r) || r.status !== 'EFI_SUCCESS') return { ...r, index };
  }
  return SUCCESS;
}

/** Pass 2 over every ADD_POINTER, then the S3 boot script: the one step that cannot be undone comes last. */
function secondPass(state: OvmfLoaderState, entries: readonly LoaderEntry[], protocol: AcpiTableProtocol, pass: SecondPass, options: OvmfOptions): Success | LoaderFailure {
  for (const [index, e] of entries.entries()) {
    if (e.type !== 'addPointer') continue;
    const r = process2ndPassCmdAddPointer(state, protocol, pass, e);
    if (r.status !== 'EFI_SUCCESS') return { ...r, index };
  }
  const s3 = options.s3 ? transferS3ContextToBootScript(state.written.length, state.fw.dma) : SUCCESS;
  return s3.status === 'EFI_SUCCESS' ? SUCCESS : { ...s3, index: -1 };
}

/** What an OS finds from the protocol's RSDP. */
function tablesFrom(memory: GuestMemory, rsdpAddress: number): TableReport[] {
  return walkTableList(memory, readRsdp(memory, rsdpAddress)!, nothingKnown, protocolTableRow).tables;
}

/** The protocol's roots as the report shows them; `installed`: tables the run installed, uninstalled since or not. */
function recordPublished(report: FirmwareReport, memory: GuestMemory, published: Published, installed: number): void {
  report.rsdp = { address: published.rsdp, fromLoader: false };
  report.tables = tablesFrom(memory, published.rsdp);
  report.osTablesFromLoader = installed > 0;
}

/** No script to run: none in the directory (AcpiPlatformDxe logs the status), or one of a size no script can have. */
function notRead(report: FirmwareReport, f: Failure<'EFI_NOT_FOUND' | 'EFI_PROTOCOL_ERROR'>): FirmwareReport {
  if (f.status === 'EFI_NOT_FOUND') {
    report.outcome = 'not-run';
    report.notes.push('InstallAcpiTables: Not Found (no etc/table-loader)');
  } else {
    report.outcome = 'rejected';
    report.warnings.push(`InstallQemuFwCfgTables: ${f.reason}`);
  }
  return report;
}

/** The release build spinning on a DMA error: nothing is rolled back, nothing after it runs. */
function hung(report: FirmwareReport, h: Hung & { index: number }): FirmwareReport {
  report.outcome = 'hung';
  report.warnings.push(`entry ${h.index}: ${h.reason}`);
  return report;
}

/** Any failure once the script was read: the error logged, everything done so far rolled back. */
function rejected(state: OvmfLoaderState, report: FirmwareReport, entries: readonly LoaderEntry[], f: LoaderFailure): FirmwareReport {
  report.outcome = 'rejected';
  report.warnings.push(`${f.index >= 0 ? `entry ${f.index}: ` : ''}${f.reason} (${f.status})`);
  if (f.index >= 0) recordEntry(state.log, entries[f.index]!, f.index, 'rejected', f.reason);
  rollBack(state);
  return report;
}

/** A failure in pass 2: rolled back as any other; once tables were installed, the protocol's uninstall leaves its roots published (D4). */
function rejectedLate(state: OvmfLoaderState, report: FirmwareReport, entries: readonly LoaderEntry[], f: LoaderFailure, protocol: AcpiTableProtocol, pass: SecondPass): FirmwareReport {
  rejected(state, report, entries, f);
  if (pass.installed.length > 0) {
    const published = protocol.uninstallAll();
    report.notes.push(...published.notes, 'tables were uninstalled after a late failure; the RSDPs stay published with one NULL root entry (D4)');
    recordPublished(report, state.memory, published, pass.installed.length);
  }
  report.scratch.push(...protocol.scratch);
  return report;
}

/**
 * ReadyToBoot, with a display: BootGraphicsResourceTableDxe installs the
 * BGRT after QEMU's tables (ovmf-bgrt.ts); its logo address is not modelled.
 */
function installBgrt(report: FirmwareReport, protocol: AcpiTableProtocol, screen: BootScreen): number {
  const t = protocol.installOwnTable(bgrtTable(screen));
  report.notes.push(`the boot logo's BGRT installed at 0x${t.address.toString(16)} (a display is present); its image address and checksum are not modelled (a pool allocation)`);
  return t.address;
}

/** Success: table-only blobs freed, the firmware's own BGRT when it shows a logo (`logo`: its screen), the protocol's roots published. */
function installed(state: OvmfLoaderState, report: FirmwareReport, protocol: AcpiTableProtocol, pass: SecondPass, logo: BootScreen | undefined): FirmwareReport {
  freeTableOnlyBlobs(state);
  const bgrt = logo === undefined ? undefined : installBgrt(report, protocol, logo);
  const published = protocol.publish();
  report.notes.push(...published.notes);
  recordPublished(report, state.memory, published, pass.installed.length);
  for (const t of report.tables) if (t.address === bgrt) Object.assign(t, { firmwareOwn: true, unmodelled: BGRT_UNMODELLED.map((u) => ({ ...u })) });
  report.scratch.push(...protocol.scratch);
  report.notes.push(`installed ${pass.installed.length} tables`);
  return report;
}

/** InstallQemuFwCfgTables, after the platform programming that comes before AcpiPlatformDxe. */
/** A guest whose directory is the one read now (a release that caches it early in the boot). */
function directoryReadOnce(fw: FwCfgGuest): FwCfgGuest {
  const dir = fw.directory();
  return { dma: fw.dma, directory: () => dir, readItem: (s, l, d) => fw.readItem(s, l, d), readBytes: (s, o, l) => fw.readBytes(s, o, l), writeItem: (s, o, b) => fw.writeItem(s, o, b) };
}

export function runOvmf(ctx: FirmwareContext, profile: OvmfProfile, options: OvmfOptions): FirmwareReport {
  const report = emptyReport('ovmf');
  if (profile.caveat !== undefined) report.notes.push(profile.caveat);
  if (profile.directoryRead === 'once-early') ctx = { ...ctx, fw: directoryReadOnce(ctx.fw) };
  ctx.programPlatform?.(); // PCI enumeration comes before AcpiPlatformDxe
  const measure = options.measures === undefined ? undefined : measurer(options.measures, options.tpm, report.measurements);
  const script = downloadScript(ctx, profile, report, measure);
  if (script.status !== 'EFI_SUCCESS') return notRead(report, script);
  const { entries } = script;
  const state = newLoaderState(ctx.memory, ctx.fw, ctx.placements, profile, report, measure);
  const checked = checkScript(entries, options);
  if (checked.status !== 'EFI_SUCCESS') return rejected(state, report, entries, checked);
  const first = firstPass(state, entries);
  if (isHung(first)) return hung(report, first);
  if (first.status !== 'EFI_SUCCESS') return rejected(state, report, entries, first);
  const protocol = new AcpiTableProtocol(ctx.memory, profile, state.nvs);
  const pass = newSecondPass();
  const second = secondPass(state, entries, protocol, pass, options);
  if (second.status !== 'EFI_SUCCESS') return rejectedLate(state, report, entries, second, protocol, pass);
  return installed(state, report, protocol, pass, options.display === true ? profile.bootScreen : undefined);
}
