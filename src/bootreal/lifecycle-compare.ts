/**
 * A real boot of a configuration next to the model's boot of the same
 * number: the ACPI files' sizes the firmware found, QEMU's ROM RAM blocks
 * and fw_cfg files after the boot, the bytes where the model placed each
 * ALLOCATEd file, the RSDP and every table the OS reaches (bytes included
 * where the model has them), and the one-word verdict on what the OS gets.
 * Each check says model and live in a line; a boot agrees when all do.
 */
import { decodeLoader } from '../loader/codec.js';
import { ENTRY_SIZE, LOADER_FILE, TABLES_FILE } from '../loader/constants.js';
import type { FirmwareReport } from '../firmware/report.js';
import type { GuestMemory } from '../memory/guest-memory.js';
import type { RamBlockRow } from '../memory/ram-list.js';
import type { BootRecord } from '../simulate/lifecycle.js';
import { osView, type OsView } from '../simulate/os-view.js';
import type { ConfigBoot } from './config-run.js';
import { observe } from './observe.js';
import { realReport } from './real-report.js';

export interface LiveBoot {
  boot: number;
  completed: boolean;
  secondsToMarker: number | null;
  /** The ACPI files' sizes in the directory when the firmware started. */
  directory: { name: string; size: number }[];
  /** Names of the fw_cfg files the firmware selected, in order (the directory and other keys left out). */
  selects: string[];
  ramblocks: RamBlockRow[];
  firmware: FirmwareReport;
  os: OsView;
  /** QEMU's writable files after the boot, lowercase hex. */
  writableFiles: Record<string, string>;
}

export interface Check {
  what: string;
  /** 'unobservable': what the model says cannot be seen from outside a real guest (said why in detail); 'not-modelled': live bytes the model does not predict (which, and why, in detail). */
  status: 'same' | 'different' | 'unobservable' | 'not-modelled';
  detail: string;
}

export interface BootComparison {
  boot: number;
  equal: boolean;
  checks: Check[];
  /** Why the model's tables may not be this firmware's (the vector lacks its stage; ../simulate/stage-caveat.ts). */
  caveat?: string;
}

export interface ModelBoot {
  record: BootRecord;
  memory: GuestMemory | undefined;
  files: Map<string, Uint8Array>;
}

const hx = (n: number) => '0x' + n.toString(16);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const ACPI_NAMES = new Set(['etc/acpi/tables', 'etc/table-loader', 'etc/acpi/rsdp']);
const isRom = (r: RamBlockRow) => r.name.startsWith('/rom@');

/**
 * The live boot told as `exec` tells one. `creationLoader` (the vector's
 * machine-creation script) widens the search for copies: after a reset the
 * firmware may run that one while fw_cfg serves the rebuilt one afterwards.
 */
export function liveBoot(b: ConfigBoot, creationLoader?: Uint8Array): LiveBoot {
  const readSize = b.directoryAtStart.find((d) => d.name === LOADER_FILE)?.size;
  // the firmware read no more of the script than the directory said when it started
  const files = [...b.files].map(([name, data]) => ({ name, data: name === LOADER_FILE && readSize !== undefined ? data.subarray(0, readSize) : data }));
  const whole = (bytes: Uint8Array) => decodeLoader(bytes.subarray(0, bytes.length - (bytes.length % ENTRY_SIZE)));
  const served = b.files.get(LOADER_FILE);
  const maskEntries = [...(creationLoader !== undefined ? whole(creationLoader) : []), ...(served !== undefined ? whole(served) : [])];
  const observation = observe(b.run, files, { maskEntries });
  const report = realReport(observation);
  report.notes.push(`commands counted in ${LOADER_FILE} as fw_cfg served it after the boot, cut to the size the directory gave at the start; QEMU may have rebuilt it after the firmware read it`);
  const writableFiles: Record<string, string> = {};
  for (const w of observation.writable) writableFiles[w.name] = hex(w.after);
  return {
    boot: b.boot,
    completed: b.run.completed,
    secondsToMarker: b.run.secondsToMarker,
    directory: b.directoryAtStart.filter((d) => ACPI_NAMES.has(d.name)).map((d) => ({ name: d.name, size: d.size })),
    selects: b.run.selects.filter((s) => s.key >= 0x20).map((s) => s.name),
    ramblocks: b.ramblocks.filter(isRom),
    firmware: report,
    // a firmware that never reached its marker boots no OS: what RAM still holds (an earlier boot's tables) is no one's
    os: b.run.completed ? osView(report, b.run.ram.memory, b.files.get(TABLES_FILE)) : { tables: 'none', reasons: [`the firmware never reached ${b.run.marker}: no OS boots`] },
    writableFiles,
  };
}

/** Where two byte strings differ: the count and the first few offsets with both values. */
function byteDiff(model: Uint8Array, live: Uint8Array): string | undefined {
  if (model.length !== live.length) return `${model.length} bytes in the model, ${live.length} live`;
  let count = 0;
  const first: string[] = [];
  for (let i = 0; i < model.length; i++) {
    if (model[i] === live[i]) continue;
    if (count++ < 4) first.push(`+${hx(i)} model ${model[i]!.toString(16).padStart(2, '0')} live ${live[i]!.toString(16).padStart(2, '0')}`);
  }
  return count === 0 ? undefined : `${count} bytes differ (${first.join(', ')}${count > 4 ? ', ...' : ''})`;
}

function readOr(memory: GuestMemory | undefined, at: number, length: number): Uint8Array | undefined {
  if (memory === undefined) return undefined;
  try {
    return memory.read(at, length);
  } catch {
    return undefined;
  }
}

const rowText = (rows: readonly { name: string; used: number; max: number }[]) => rows.map((r) => `${r.name} ${hx(r.used)}/${hx(r.max)}`).join(', ');

export function compareBoot(model: ModelBoot, b: ConfigBoot, live: LiveBoot): BootComparison {
  const checks: Check[] = [];
  const add = (what: string, equal: boolean, detail: string) => checks.push({ what, status: equal ? 'same' : 'different', detail });
  const unobservable = (what: string, detail: string) => checks.push({ what, status: 'unobservable', detail });
  const m = model.record;
  const liveRam = b.run.ram.memory;

  const dirText = (d: readonly { name: string; size: number }[]) => [...d].sort((x, y) => x.name.localeCompare(y.name)).map((f) => `${f.name} ${f.size}`).join(', ');
  add('directory at the start of the boot', dirText(m.directory) === dirText(live.directory), `model ${dirText(m.directory)}; live ${dirText(live.directory)}`);

  const modelRoms = rowText(m.ramblocks.filter(isRom));
  add('ROM RAM blocks after the boot', modelRoms === rowText(live.ramblocks), `model ${modelRoms}; live ${rowText(live.ramblocks)}`);

  for (const [name, data] of model.files) {
    const got = b.files.get(name);
    if (got === undefined) {
      // unread live because the firmware selected no ACPI file: fine only when the model has no rebuild this boot either
      if (ACPI_NAMES.has(name) && m.rebuiltAt === null) unobservable(`fw_cfg ${name} after the boot`, 'not read live: no ACPI select this boot, and a read would have rebuilt');
      else add(`fw_cfg ${name} after the boot`, false, ACPI_NAMES.has(name) ? `the model rebuilt at ${m.rebuiltAt}, but the firmware selected no ACPI file live` : 'not in the live directory');
      continue;
    }
    const d = byteDiff(data, got);
    add(`fw_cfg ${name} after the boot`, d === undefined, d ?? `${data.length} bytes equal`);
  }

  const mf = m.firmware;
  if (mf !== null) {
    add('loader bytes the firmware read', mf.loaderBytesRead === live.firmware.loaderBytesRead, `model ${mf.loaderBytesRead}; live ${live.firmware.loaderBytesRead} (the directory's size when the firmware selected ${LOADER_FILE})`);
    for (const a of mf.allocations) {
      const want = readOr(model.memory, a.base, a.length);
      const got = readOr(liveRam, a.base, a.length);
      const where = `${a.file} at ${hx(a.base)} (${a.length} bytes)`;
      const stillThere = live.firmware.allocations.some((x) => x.file === a.file && x.base === a.base);
      if (a.freed === true && stillThere) add(`memory: ${where}`, false, 'the model frees these pages, but live RAM still holds the file there');
      else if (a.freed === true) unobservable(`memory: ${where}`, 'the firmware freed these pages after the run; a real one hands them out again, so they no longer hold the file');
      else if (want === undefined || got === undefined) add(`memory: ${where}`, false, `${want === undefined ? 'the model' : 'live RAM'} has no such range`);
      else {
        const d = byteDiff(want, got);
        add(`memory: ${where}`, d === undefined, d ?? 'equal');
      }
    }
  }

  if (mf !== null) add('the firmware finishes its boot', (mf.outcome !== 'hung') === live.completed, `model ${mf.outcome === 'hung' ? 'hangs' : 'finishes'}; live ${live.completed ? `reached its marker after ${live.secondsToMarker?.toFixed(1) ?? '?'} s` : 'never reached its marker'}`);
  if (!live.completed) {
    // no OS boots: the RSDP and tables in RAM are an earlier boot's leftovers, handed to no one
    unobservable('RSDP the OS takes', 'the firmware never finished its boot live: no OS takes one');
    unobservable('tables the OS reaches', 'the firmware never finished its boot live: no OS reaches any');
    add('what the OS gets', m.os.tables === live.os.tables, `model ${m.os.tables}; live ${live.os.tables}`);
    return { boot: b.boot, equal: checks.every((c) => c.status !== 'different'), checks };
  }
  const mr = mf?.rsdp ?? null;
  const lr = live.firmware.rsdp;
  add('RSDP the OS takes', (mr?.address ?? null) === (lr?.address ?? null) && (mr?.fromLoader ?? null) === (lr?.fromLoader ?? null), `model ${mr === null ? 'none' : `${hx(mr.address)}${mr.fromLoader ? ' (a loader copy)' : " (the firmware's own)"}`}; live ${lr === null ? 'none' : `${hx(lr.address)}${lr.fromLoader ? ' (a loader copy)' : " (the firmware's own)"}`}`);

  const tableText = (t: FirmwareReport['tables']) => t.map((x) => `${x.signature}@${hx(x.address)}${x.checksumOk ? '' : '(bad checksum)'}`).join(' ');
  const modelTables = mf?.tables ?? [];
  // the firmware's own tables (SeaBIOS's fallback) are held to the live boot like the loader's
  add('tables the OS reaches', tableText(modelTables) === tableText(live.firmware.tables), `model ${tableText(modelTables) || 'none'}; live ${tableText(live.firmware.tables) || 'none'}`);
  for (const t of modelTables) {
    if (t.length > 0x100000) continue;
    const want = readOr(model.memory, t.address, t.length);
    const got = readOr(liveRam, t.address, t.length);
    if (want === undefined || got === undefined) continue;
    const unknown = t.unmodelled ?? [];
    // bytes the model does not know are left out of the comparison and listed as such, never filled in
    for (const u of unknown) got.set(want.subarray(u.offset, u.offset + u.length), u.offset);
    const d = byteDiff(want, got);
    const known = t.length - unknown.reduce((n, u) => n + u.length, 0);
    add(`table bytes: ${t.signature} at ${hx(t.address)}`, d === undefined, d ?? (unknown.length === 0 ? `${t.length} bytes equal` : `the ${known} modelled bytes of ${t.length} equal`));
    if (unknown.length > 0) checks.push({ what: `table bytes not modelled: ${t.signature} at ${hx(t.address)}`, status: 'not-modelled', detail: unknown.map((u) => `+${hx(u.offset)}${u.length > 1 ? `..+${hx(u.offset + u.length - 1)}` : ''} (${u.why})`).join(', ') });
  }

  add('what the OS gets', m.os.tables === live.os.tables, `model ${m.os.tables}; live ${live.os.tables}${live.os.reasons.length > 0 ? ` (${live.os.reasons[0]}${live.os.reasons.length > 1 ? `, +${live.os.reasons.length - 1} more` : ''})` : ''}`);
  return { boot: b.boot, equal: checks.every((c) => c.status !== 'different'), checks };
}
