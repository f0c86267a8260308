/**
 * `fwcfg lint`: for each firmware personality, the verdict that comes out of
 * running it; the differences between them; and the static hazards of the
 * script and, for a capture, of QEMU's sizing around it.
 */
import { decodeLoader } from '../loader/codec.js';
import { LOADER_FILE, RSDP_FILE, TABLES_FILE } from '../loader/constants.js';
import type { FirmwareReport } from '../firmware/report.js';
import { FIRMWARE_RECORDS } from '../firmware/records/index.js';
import { romBlobMaxSize } from '../qemu/acpi-sizes.js';
import { hostPageAlign } from '../memory/address.js';
import { qemuPolicy, parseQemuVersion } from '../qemu/version.js';
import { boot, FIRMWARES, type FirmwareName } from '../simulate/boot.js';
import { itemsCaptureFor } from '../simulate/captures.js';
import { execMachine, type ExecFile } from '../simulate/exec-machine.js';
import { simulateFirmware, stageFor } from '../simulate/firmware-run.js';
import { guestFor } from '../simulate/fwcfg-access.js';
import { policyFor, releaseOf } from '../simulate/options.js';
import type { Vector } from '../vectors/vector.js';
import { UsageError } from '../errors.js';
import { aboutFile, finding, type Finding } from './findings.js';
import { staticHazards } from './static-hazards.js';
import { rebootHazards } from './reboot-hazard.js';

export type Verdict = 'runs cleanly' | 'runs with warnings' | 'aborts' | 'silently produces different tables' | 'no loader to run' | 'not applicable';

export interface PersonalityResult {
  firmware: FirmwareName;
  verdict: Verdict;
  commandsExecuted: number;
  warnings: string[];
  /** What the OS would find: signature and whether its checksum holds (`firmwareOwn`: added by the firmware beside the loader's, as OVMF's BGRT). */
  tables: { signature: string; checksumOk: boolean; source: string; firmwareOwn?: true }[];
  notes: string[];
}

export interface LintReport {
  input: string;
  personalities: PersonalityResult[];
  differences: string[];
  findings: Finding[];
  errors: number;
}

function verdictOf(r: FirmwareReport | null): Verdict {
  if (r === null || r.outcome === 'rejected' || r.outcome === 'hung') return 'aborts';
  if (r.outcome === 'not-run' && r.loaderSizeNow === 0) return 'no loader to run';
  return r.warnings.length > 0 ? 'runs with warnings' : 'runs cleanly';
}

function personality(firmware: FirmwareName, r: FirmwareReport | null, qemuError: string | null): PersonalityResult {
  return {
    firmware,
    verdict: verdictOf(r),
    commandsExecuted: r?.commandsExecuted ?? 0,
    warnings: qemuError !== null ? [qemuError.split('\n').at(-1)!] : (r?.warnings ?? []),
    tables: (r?.tables ?? []).map((t) => ({ signature: t.signature, checksumOk: t.checksumOk, source: t.source, ...(t.firmwareOwn === true ? { firmwareOwn: t.firmwareOwn } : {}) })),
    notes: r?.notes ?? [],
  };
}

/** Marks clean runs whose tables differ from the others', and lists the differences. */
function compare(all: PersonalityResult[]): string[] {
  // firmware that ran no loader cannot differ from the loader's tables
  const results = all.filter((r) => r.verdict !== 'not applicable' && r.verdict !== 'no loader to run');
  const differences: string[] = [];
  const key = (t: { signature: string }) => t.signature;
  // tables a firmware adds of its own beside the loader's (OVMF's BGRT) are no part of what the loader gives
  const union = new Set(results.flatMap((r) => r.tables.filter((t) => t.source !== 'firmware' && t.firmwareOwn !== true).map(key)));
  for (const r of results) {
    const mine = new Set(r.tables.map(key));
    const missing = [...union].filter((s) => !mine.has(s) && s !== 'RSDT' && s !== 'XSDT');
    const bad = r.tables.filter((t) => !t.checksumOk).map(key);
    const own = r.tables.some((t) => t.source === 'firmware');
    if (own) differences.push(`${r.firmware}: the OS gets the firmware's own tables, not the loader's`);
    if (missing.length > 0) differences.push(`${r.firmware}: no ${missing.join(', ')} (others have ${missing.length === 1 ? 'it' : 'them'})`);
    if (bad.length > 0) differences.push(`${r.firmware}: bad checksum in ${bad.join(', ')}`);
    if (r.verdict === 'runs cleanly' && (missing.length > 0 || bad.length > 0 || own)) r.verdict = 'silently produces different tables';
  }
  const executed = new Set(results.map((r) => r.commandsExecuted));
  if (executed.size > 1) differences.push(`commands run: ${results.map((r) => `${r.firmware} ${r.commandsExecuted}`).join(', ')}`);
  return differences;
}

/** A firmware whose records cap the tables it installs (OVMF): the cap against the tables the loader gives it. */
function tableCount(results: PersonalityResult[]): Finding[] {
  const out: Finding[] = [];
  for (const r of results) {
    const record = FIRMWARE_RECORDS.find((x) => x.name === r.firmware && x.tableCap !== undefined);
    if (record === undefined) continue;
    const cap = record.tableCap!;
    const who = record.label.split(' ')[0]!;
    const n = r.tables.filter((t) => t.signature !== 'RSDT' && t.signature !== 'XSDT').length;
    if (n >= cap) out.push(finding('error', -1, 'OVMF_TABLE_CAP', `${n} tables: ${who} installs at most ${cap}`, [r.firmware]));
    else if (n >= cap * 0.9) out.push(finding('warning', -1, 'OVMF_TABLE_CAP', `${n} tables, close to ${who}'s cap of ${cap}`, [r.firmware]));
  }
  return out;
}

function finish(input: string, results: PersonalityResult[], findings: Finding[]): LintReport {
  const differences = compare(results);
  for (const r of results) {
    if (r.verdict === 'not applicable') continue;
    if (r.verdict === 'aborts') findings.push(finding('error', -1, 'FIRMWARE_ABORTS', `${r.firmware}: ${r.warnings[0] ?? 'the script is rejected'}`, [r.firmware]));
    else if (r.verdict === 'silently produces different tables') findings.push(finding('error', -1, 'SILENTLY_DIFFERENT', `${r.firmware} runs without a warning yet the OS sees different tables`, [r.firmware]));
  }
  findings.push(...tableCount(results));
  findings.sort((a, b) => a.entry - b.entry);
  return { input, personalities: results, differences, findings, errors: findings.filter((f) => f.severity === 'error').length };
}

/** A script and its files, run on the corpus machine (q35, 2 GiB, acpi=off). */
export function lintScript(input: string, files: ExecFile[], options: { standardFiles?: boolean } = {}): LintReport {
  // a file set without etc/table-loader (the corpus's no-table-loader) lints as an empty script
  const loader = files.find((f) => f.name === LOADER_FILE)?.data ?? new Uint8Array(0);
  const findings: Finding[] = [];
  let entries = [] as ReturnType<typeof decodeLoader>;
  if (loader.length % 128 === 0) entries = decodeLoader(loader);
  findings.push(...staticHazards({ loader, entries, files: new Map(files.map((f) => [f.name, f.data])) }));
  const results = FIRMWARES.map((firmware) => {
    const machine = execMachine(files.map((f) => ({ ...f, data: f.data.slice() })), policyFor(undefined), options);
    const b = boot(machine, { firmware }, guestFor);
    const result = personality(firmware, b.report, null);
    // the verdict holds no view of guest memory: its backing can go back to the pool
    b.memory.release();
    return result;
  });
  const machine = execMachine(files, policyFor(undefined), options);
  if (machine.device.fileCount > machine.device.fileSlots - 2) {
    findings.push(finding('warning', -1, 'FILE_SLOTS', `${machine.device.fileCount} of ${machine.device.fileSlots} fw_cfg file slots used (QEMU aborts when a file is added to a full directory)`));
  }
  return finish(input, results, findings);
}

/** A QEMU capture: its loader, QEMU's sizing around it, and every firmware's boot. */
export function lintVector(vector: Vector): LintReport {
  const findings: Finding[] = [];
  if (vector.hasRom('before', LOADER_FILE)) findings.push(...loaderHazards(vector));
  else findings.push(finding('info', -1, 'NO_QEMU_ACPI', 'QEMU builds no ACPI tables for this machine (no etc/table-loader, e.g. acpi=off): the firmware has no loader to run'));
  return personalitiesAndReboots(vector, findings);
}

/** What the loader and QEMU's sizing around it say, before any firmware runs. */
function loaderHazards(vector: Vector): Finding[] {
  const findings: Finding[] = [];
  const before = vector.romBytes('before', LOADER_FILE);
  const stage = stageFor(vector, 'seabios');
  const files = new Map<string, Uint8Array>([[TABLES_FILE, vector.romBytes('before', TABLES_FILE)], ...(vector.hasRom('before', RSDP_FILE) ? [[RSDP_FILE, vector.romBytes('before', RSDP_FILE)] as const] : [])]);
  findings.push(...staticHazards({ loader: before, entries: decodeLoader(before), files }));
  if (vector.hasRom(stage, LOADER_FILE)) {
    const after = vector.romBytes(stage, LOADER_FILE);
    const count = (b: Uint8Array) => decodeLoader(b).filter((e) => e.type !== 'padding').length;
    if (after.length > before.length) {
      findings.push(
        aboutFile(
          finding(
            'error',
            before.length / 128,
            'STALE_LOADER_SIZE',
            `the firmware's select grows etc/table-loader from ${before.length} to ${after.length} bytes: a firmware that read the directory first (SeaBIOS, OVMF) reads ${before.length} and runs ${Math.min(count(after), before.length / 128)} of ${count(after)} commands`,
          ),
          LOADER_FILE,
        ),
      );
    }
    // headroom against each version's RAM-block maxima (4 KiB host pages)
    for (const v of ['5.2', '6.0']) {
      const policy = qemuPolicy(parseQemuVersion(v));
      for (const [name, initial] of [[TABLES_FILE, vector.romBytes('before', TABLES_FILE)], [LOADER_FILE, before]] as const) {
        const grown = name === LOADER_FILE ? after.length : vector.romBytes(stage, TABLES_FILE).length;
        const max = hostPageAlign(romBlobMaxSize(policy, name, initial.length) || initial.length, 0x1000);
        if (hostPageAlign(grown, 0x1000) > max) findings.push(aboutFile(finding('error', -1, 'ROM_MAX', `QEMU ${v}: ${name} grows to 0x${grown.toString(16)}, past its RAM block's maximum 0x${max.toString(16)}: QEMU aborts`), name));
        else if (grown > max / 2 && v !== '5.2') findings.push(aboutFile(finding('warning', -1, 'ROM_HEADROOM', `QEMU ${v}+: ${name} uses 0x${grown.toString(16)} of its 0x${max.toString(16)} maximum`), name));
      }
    }
  }
  return findings;
}

function personalitiesAndReboots(vector: Vector, findings: Finding[]): LintReport {
  const items = itemsCaptureFor(vector, undefined);
  const results = FIRMWARES.map((firmware) => {
    try {
      const sim = simulateFirmware(vector, { policy: policyFor(releaseOf(vector)), hostPageSize: 0x1000, firmware, ...(items ? { items } : {}) });
      const result = personality(firmware, sim.report.firmware, sim.report.qemuError);
      sim.memory?.release();
      return result;
    } catch (err) {
      if (err instanceof UsageError && err.code === 'FIRMWARE_ARCH') return { ...personality(firmware, null, null), verdict: 'not applicable' as Verdict, warnings: [err.message] };
      throw err;
    }
  });
  const dir = vector.stage('before').fw_cfg_directory.length;
  if (dir > 30) findings.push(finding('warning', -1, 'FILE_SLOTS', `${dir} of 32 fw_cfg file slots used`));
  findings.push(...rebootHazards(vector, items));
  return finish(vector.name, results, findings);
}
