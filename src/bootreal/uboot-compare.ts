/**
 * A recorded real U-Boot boot (./uboot-observation.ts) against the model's:
 * the machine QEMU made (its type, release, RAM, the fw_cfg files it served,
 * its ACPI blobs at creation and as rebuilt at U-Boot's select), booted
 * through the firmware registry with the packages the boot ran, then held
 * to what the real boot left, check by check: which files U-Boot selected,
 * whether it read the loader, where each blob went and its bytes, the RSDP
 * an OS finds, the tables it walks to, q35's PCIEXBAR, U-Boot's error lines.
 */
import { scanForRsdp, walkTables } from '../acpi/walk.js';
import type { FirmwareReport } from '../firmware/report.js';
import { LOADER_FILE, RSDP_FILE, TABLES_FILE } from '../loader/constants.js';
import { GuestMemory, type RegionSpec } from '../memory/guest-memory.js';
import { isQemuWritableFile } from '../qemu/known-files.js';
import { QemuMachine, type MachineFile } from '../qemu/machine.js';
import { parseMachineType } from '../qemu/machine-type.js';
import { parseQemuVersion, qemuPolicy } from '../qemu/version.js';
import { InputError } from '../errors.js';
import { boot, recordFor } from '../simulate/boot.js';
import { guestFor } from '../simulate/fwcfg-access.js';
import { errorLines } from './uboot-console.js';
import type { UbootObservation } from './uboot-observation.js';
import { BIOS_AREA } from './uboot-real.js';

export interface UbootCheck {
  what: string;
  status: 'same' | 'differs' | 'unobservable';
  detail: string;
}

export interface UbootComparison {
  /** The firmware record the registry chose for the boot's packages. */
  record: string;
  model: FirmwareReport;
  checks: UbootCheck[];
}

const ACPI_FILES = new Set([TABLES_FILE, LOADER_FILE, RSDP_FILE]);
const RAM_BLOCK: Record<string, string> = { q35: 'pc.ram', pc: 'pc.ram', virt: 'mach-virt.ram' };
const hex = (n: number | null | undefined) => (n === null || n === undefined ? 'none' : '0x' + n.toString(16));

/** The machine the recorded QEMU made, as the model builds one. */
export function machineFromObservation(obs: UbootObservation): QemuMachine {
  const j = obs.json;
  const type = parseMachineType(j.machine_type);
  const release = /version (\d+\.\d+)/.exec(j.qemu_version)?.[1];
  if (release === undefined) throw new InputError('BAD_VERSION', `${obs.dir}: no QEMU release in ${JSON.stringify(j.qemu_version)}`);
  const creation = (name: string) => obs.creation.get(name);
  const hasAcpi = creation(TABLES_FILE) !== undefined && creation(LOADER_FILE) !== undefined;
  const files: MachineFile[] = j.directory_at_start
    .filter((d) => !(hasAcpi && ACPI_FILES.has(d.name)))
    .map((d) => ({ name: d.name, data: (obs.files.get(d.name) ?? new Uint8Array(d.size)).slice(), writable: isQemuWritableFile(d.name) }));
  const blobs = (pick: (name: string) => Uint8Array | undefined) => ({ tables: pick(TABLES_FILE)!.slice(), loader: pick(LOADER_FILE)!.slice(), rsdp: (pick(RSDP_FILE) ?? new Uint8Array(0)).slice() });
  // what QEMU served after the boot is its rebuild when U-Boot selected an ACPI file; else nothing was rebuilt
  const rebuilt = (name: string) => obs.files.get(name) ?? creation(name);
  return new QemuMachine({
    type,
    policy: qemuPolicy(parseQemuVersion(release)),
    hostPageSize: 0x1000,
    otherBlocks: [{ name: RAM_BLOCK[type.family] ?? 'pc.ram', used: j.ram_size, max: j.ram_size }],
    files,
    firmwarePackages: j.packages,
    ...(hasAcpi ? { acpi: { initial: blobs(creation), rebuild: () => blobs(rebuilt) } } : {}),
  });
}

/** Guest memory as the real boot left it, as far as it was read: the BIOS area and each located blob. */
function observedMemory(obs: UbootObservation): GuestMemory {
  const specs: RegionSpec[] = [];
  if (obs.biosArea !== null) specs.push({ name: 'bios-area', start: BIOS_AREA.start, size: obs.biosArea.length, kind: 'ram', bytes: obs.biosArea.slice() });
  for (const b of obs.json.blobs) {
    if (b.length === 0 || specs.some((s) => b.base < s.start + s.size && s.start < b.base + b.length)) continue;
    specs.push({ name: b.file, start: b.base, size: b.length, kind: 'ram', bytes: obs.blobBytes.get(b.file)!.slice() });
  }
  specs.sort((a, b) => a.start - b.start);
  return new GuestMemory(specs);
}

/** The first boot's selects past the probe (a machine that resets starts over with the directory). */
function firstBootSelects(names: string[]): string[] {
  const again = names.indexOf('file_dir', names.indexOf('file_dir') + 1);
  return again < 0 ? names : names.slice(0, again);
}

function check(what: string, same: boolean, real: string, model: string): UbootCheck {
  return { what, status: same ? 'same' : 'differs', detail: same ? real : `real ${real}, model ${model}` };
}

export function compareWithModel(obs: UbootObservation): UbootComparison {
  const j = obs.json;
  const machine = machineFromObservation(obs);
  const record = recordFor(machine, 'uboot');
  const keys: number[] = [];
  const select = machine.device.select.bind(machine.device);
  machine.device.select = (key: number) => {
    keys.push(key);
    return select(key);
  };
  const b = boot(machine, { firmware: 'uboot' }, guestFor);
  try {
    const model = b.report;
    const checks: UbootCheck[] = [];
    // keys 0 and 1 (signature, ID) are the driver's probe, which the model's boot makes whatever the build does
    const nameOf = (key: number) => (key === 0x19 ? 'file_dir' : (machine.device.fileRecords().find((r) => r.select === key)?.name ?? `0x${key.toString(16)}`));
    const modelSelects = keys.filter((k) => k > 1).map(nameOf);
    const realSelects = firstBootSelects(j.selects_boot.filter((s) => s.key > 1).map((s) => s.name));
    checks.push(check('reaches its prompt', j.reached_prompt === (model.outcome !== 'hung'), String(j.reached_prompt), String(model.outcome !== 'hung')));
    checks.push(check('fw_cfg selects on the way to the prompt (past the probe)', modelSelects.join(',') === realSelects.join(','), realSelects.join(', ') || 'none', modelSelects.join(', ') || 'none'));
    checks.push(check('etc/table-loader read', j.loader_read === model.loaderBytesRead > 0, String(j.loader_read), String(model.loaderBytesRead > 0)));
    for (const blob of j.blobs) {
      const a = model.allocations.find((x) => x.file === blob.file);
      checks.push(check(`${blob.file} placed`, a !== undefined && a.base === blob.base && a.length === blob.length, `${hex(blob.base)} (${blob.length} bytes)`, a === undefined ? 'not placed' : `${hex(a.base)} (${a.length} bytes)`));
      if (a === undefined || a.base !== blob.base) continue;
      const seen = obs.blobBytes.get(blob.file)!;
      // free() writes its list pointers over a freed block's first 16 bytes, which the model leaves out
      const skip = a.freed === true ? Math.min(16, seen.length) : 0;
      let differing = 0;
      const mine = b.memory.read(a.base, a.length);
      for (let i = skip; i < seen.length; i++) if (seen[i] !== mine[i]) differing++;
      checks.push(check(`${blob.file} bytes`, differing === 0, `${seen.length - skip} bytes${skip ? ' (past the 16 free() rewrote)' : ''} as the model's`, `${differing} bytes differ`));
    }
    for (const a of model.allocations) if (!j.blobs.some((x) => x.file === a.file)) checks.push({ what: `${a.file} placed`, status: 'unobservable', detail: `model ${hex(a.base)}; no located blob points there in the real memory` });
    if (obs.biosArea !== null) {
      const real = scanForRsdp(observedMemory(obs), BIOS_AREA.start, BIOS_AREA.end);
      const mine = scanForRsdp(b.memory, BIOS_AREA.start, BIOS_AREA.end);
      checks.push(check('RSDP an OS finds (0xe0000-0xfffff)', real?.address === mine?.address && j.rsdp === (real?.address ?? null), hex(real?.address), hex(mine?.address)));
      const realTables = real === undefined ? [] : walkTables(observedMemory(obs), real).tables;
      const show = (t: { signature: string; address: number; length: number; checksumOk: boolean }[]) => t.map((x) => `${x.signature}@${hex(x.address)}+${x.length}${x.checksumOk ? '' : '!'}`).join(' ') || 'none';
      checks.push(check('ACPI tables an OS walks to', show(realTables) === show(model.tables), show(realTables), show(model.tables)));
      // what free() left on each F-segment blob (and the chunk header in front of it), where the boot reached its prompt
      for (const a of model.allocations) {
        if (a.freed !== true || a.base < BIOS_AREA.start || a.base - 8 + a.length + 8 > BIOS_AREA.end || !j.reached_prompt) continue;
        const real = obs.biosArea.subarray(a.base - 8 - BIOS_AREA.start, a.base + a.length - BIOS_AREA.start);
        const mine = b.memory.read(a.base - 8, a.length + 8);
        const differing = real.reduce((n, x, i) => n + (x === mine[i] ? 0 : 1), 0);
        checks.push(check(`${a.file} after free() (0x${(a.base - 8).toString(16)}-0x${(a.base + a.length).toString(16)})`, differing === 0, `${real.length} bytes as the model's`, `${differing} bytes differ (real ${Buffer.from(real.subarray(0, 24)).toString('hex')}, model ${Buffer.from(mine.subarray(0, 24)).toString('hex')})`));
      }
    } else checks.push(check('RSDP an OS finds', j.rsdp === null && model.rsdp === null, hex(j.rsdp), hex(model.rsdp?.address)));
    if (j.pciexbar !== null && !j.reached_prompt) checks.push({ what: 'q35 PCIEXBAR after the boot', status: 'unobservable', detail: `real ${hex(j.pciexbar)} when stopped in a later boot, model ${hex(machine.pciexbar)}` });
    else if (j.pciexbar !== null) checks.push(check('q35 PCIEXBAR after the boot', j.pciexbar === machine.pciexbar, hex(j.pciexbar), hex(machine.pciexbar)));
    const realErrors = errorLines(obs.serial);
    checks.push(check("U-Boot's error lines", realErrors.join('|') === model.warnings.join('|'), realErrors.join('; ') || 'none', model.warnings.join('; ') || 'none'));
    return { record: record.id, model, checks };
  } finally {
    b.memory.release();
  }
}
