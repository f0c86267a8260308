/**
 * The machine `fwcfg exec` runs a script on, as the conformance corpus ran
 * real firmware: q35, 2 GiB, fw_cfg DMA on, QEMU's own ACPI off
 * (`-machine q35,acpi=off`), QEMU's standard fw_cfg files (with the bytes
 * the embedded q35 item capture recorded), plus the script's files injected
 * with `-fw_cfg name=...,file=...` (read-only) and writable targets.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { QemuMachine, type MachineFile } from '../qemu/machine.js';
import { parseMachineType } from '../qemu/machine-type.js';
import type { QemuPolicy } from '../qemu/version.js';
import { loadItemsCapture } from '../vectors/items-capture.js';
import { packageRoot } from '../cli/package-root.js';

const ACPI = new Set(['etc/acpi/tables', 'etc/table-loader', 'etc/acpi/rsdp']);
/** QEMU's writable files on q35 (the corpus uses etc/smi/requested-features as a WRITE_POINTER target). */
const WRITABLE = new Set(['etc/smi/requested-features', 'etc/vmgenid_addr']);

export interface ExecFile {
  name: string;
  data: Uint8Array;
  writable?: boolean;
}

export interface ExecMachineOptions {
  /** fw_cfg DMA (`-global fw_cfg_io.dma_enabled=off` turns it off). */
  dma?: boolean;
  /** Add QEMU's standard q35 files (default true); false when the files are a whole capture. */
  standardFiles?: boolean;
}

let standardCache: MachineFile[] | undefined;
/** QEMU's own q35 files (read once; each machine gets its own copy of the bytes). */
function standardFiles(): MachineFile[] {
  if (standardCache !== undefined) return standardCache;
  const capture = join(packageRoot(), 'spec-vectors/fwcfg-device/q35');
  standardCache = [];
  if (existsSync(join(capture, 'items.json'))) {
    for (const it of loadItemsCapture(capture).items) {
      if (it.kind === 'file' && !ACPI.has(it.name)) standardCache.push({ name: it.name, data: it.bytes, writable: WRITABLE.has(it.name) });
    }
  }
  return standardCache;
}

export function execMachine(files: ExecFile[], policy: QemuPolicy, options: ExecMachineOptions = {}): QemuMachine {
  const standard = new Map<string, MachineFile>();
  if (options.standardFiles !== false) for (const f of standardFiles()) standard.set(f.name, { ...f, data: f.data.slice() });
  for (const f of files) {
    if (standard.has(f.name) && f.writable !== true) throw new InputError('DUPLICATE_FILE', `duplicate fw_cfg file name: ${f.name} (QEMU exits)`);
    standard.set(f.name, { name: f.name, data: f.data, writable: f.writable === true });
  }
  return new QemuMachine({
    type: parseMachineType('pc-q35-7.2'),
    policy,
    hostPageSize: 0x1000,
    otherBlocks: [{ name: 'pc.ram', used: 2 ** 31, max: 2 ** 31 }],
    files: [...standard.values()],
    ...(options.dma === false ? { dmaEnabled: false } : {}),
  });
}
