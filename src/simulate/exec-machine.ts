/**
 * The machine `fwcfg exec` runs a script on, as the conformance corpus ran
 * real firmware: q35, 2 GiB, fw_cfg DMA on, QEMU's own ACPI off
 * (`-machine q35,acpi=off`), QEMU's standard fw_cfg files (with the bytes
 * the embedded q35 item capture recorded), plus the script's files injected
 * with `-fw_cfg name=...,file=...` (read-only) and writable targets.
 * DMA, S3 and the number of file slots are the settings the corpus's cases vary.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { QemuMachine, type MachineFile } from '../qemu/machine.js';
import { parseMachineType } from '../qemu/machine-type.js';
import type { QemuPolicy } from '../qemu/version.js';
import { loadItemsCapture } from '../vectors/items-capture.js';
import { FW_CFG_FILE_DIR, FW_CFG_ID, FW_CFG_SIGNATURE } from '../fwcfg/keys.js';
import { isQemuWritableFile, SMI_REQUESTED } from '../qemu/known-files.js';
import { packageRoot } from '../vectors/package-root.js';

const ACPI = new Set(['etc/acpi/tables', 'etc/table-loader', 'etc/acpi/rsdp']);

export interface ExecFile {
  name: string;
  data: Uint8Array;
  writable?: boolean;
}

export interface ExecMachineOptions {
  /** fw_cfg DMA (`-global fw_cfg_io.dma_enabled=off` turns it off). */
  dma?: boolean;
  /** S3 offered in etc/system-states (`-global ICH9-LPC.disable_s3=1` turns it off). */
  s3?: boolean;
  /** fw_cfg file directory slots (`-global fw_cfg_io.x-file-slots=N`). */
  fileSlots?: number;
  /** Add QEMU's standard q35 files (default true); false when the files are a whole capture. */
  standardFiles?: boolean;
}

/**
 * etc/system-states with S3 disabled: the S3 byte loses its "enabled" bit
 * 0x80, as the real QEMU served it in the corpus case
 * write-pointer-no-dma-s3-disabled (800000018280 against 800000818280).
 */
function disableS3(states: Uint8Array | null | undefined): void {
  if (states != null && states.length === 6) states[3] = states[3]! & 0x7f;
}

let standardCache: { files: MachineFile[]; items: { key: number; bytes: Uint8Array }[] } | undefined;
/** QEMU's own q35 files and numbered items (read once; each machine gets its own copy of the bytes). */
function standard(): NonNullable<typeof standardCache> {
  if (standardCache !== undefined) return standardCache;
  const capture = join(packageRoot(), 'spec-vectors/fwcfg-device/q35');
  standardCache = { files: [], items: [] };
  if (existsSync(join(capture, 'items.json'))) {
    for (const it of loadItemsCapture(capture).items) {
      if (it.kind === 'file') {
        if (!ACPI.has(it.name)) standardCache.files.push({ name: it.name, data: it.bytes, writable: isQemuWritableFile(it.name) });
      } else if (it.key !== FW_CFG_SIGNATURE && it.key !== FW_CFG_ID && it.key !== FW_CFG_FILE_DIR) standardCache.items.push({ key: it.key, bytes: it.bytes });
    }
  }
  return standardCache;
}

export function execMachine(files: ExecFile[], policy: QemuPolicy, options: ExecMachineOptions = {}): QemuMachine {
  const std = options.standardFiles !== false ? standard() : { files: [], items: [] };
  const all = new Map<string, MachineFile>();
  for (const f of std.files) all.set(f.name, { ...f, data: f.data.slice() });
  const given = new Set<string>();
  for (const f of files) {
    // a writable file may stand in for QEMU's standard one (its preset bytes), never for another given file
    if (given.has(f.name) || (all.has(f.name) && f.writable !== true)) throw new InputError('DUPLICATE_FILE', `duplicate fw_cfg file name: ${f.name} (QEMU exits)`);
    given.add(f.name);
    all.set(f.name, { name: f.name, data: f.data, writable: f.writable === true });
  }
  const preset = files.find((f) => f.name === SMI_REQUESTED && f.writable === true)?.data.slice();
  const machine = new QemuMachine({
    type: parseMachineType('pc-q35-7.2'),
    policy,
    hostPageSize: 0x1000,
    otherBlocks: [{ name: 'pc.ram', used: 2 ** 31, max: 2 ** 31 }],
    files: [...all.values()],
    ...(options.dma === false ? { dmaEnabled: false } : {}),
    ...(options.fileSlots !== undefined ? { fileSlots: options.fileSlots } : {}),
  });
  if (options.s3 === false) disableS3(machine.device.fileItem('etc/system-states')?.data);
  for (const it of std.items) if (machine.device.item(it.key)?.data === null) machine.device.addBytes(it.key, it.bytes.slice());
  // ICH9's SMI negotiation reset cleared etc/smi/requested-features; a preset given
  // here is written after that reset (as the corpus harness did)
  if (preset !== undefined) machine.device.fileItem(SMI_REQUESTED)?.data?.set(preset);
  return machine;
}

/** The machine a conformance case describes: its files in order, the write-pointer target preset, DMA, S3, file slots. */
export function caseMachine(c: { files: ExecFile[]; dma: boolean; s3: boolean; fileSlots: number | undefined; target: { name: string; preset: Uint8Array } | undefined }, policy: QemuPolicy): QemuMachine {
  const files = c.files.map((f) => ({ ...f }));
  if (c.target !== undefined) files.push({ name: c.target.name, data: c.target.preset.slice(), writable: true });
  return execMachine(files, policy, { dma: c.dma, s3: c.s3, ...(c.fileSlots !== undefined ? { fileSlots: c.fileSlots } : {}) });
}
