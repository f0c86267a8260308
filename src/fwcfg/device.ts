/**
 * FwCfgDevice: the core of QEMU's fw_cfg device (hw/nvram/fw_cfg.c, 7.2
 * behaviour as settled in spec-vectors/fwcfg-device/FACTS.md): the two item tables, the file directory
 * with its ordering rules, select and write callbacks, the host-side item API
 * and the data-register read. Register interfaces (x86 ports, MMIO) and the
 * DMA engine are separate modules over this core.
 *
 * Items reference caller memory, as QEMU's do: a host that changes the bytes
 * behind an item changes what the guest reads.
 */
import { FwCfgError } from '../errors.js';
import {
  FW_CFG_ARCH_LOCAL,
  FW_CFG_ENTRY_MASK,
  FW_CFG_FILE_DIR,
  FW_CFG_FILE_FIRST,
  FW_CFG_FILE_RECORD_SIZE,
  FW_CFG_FILE_SLOTS_DEFAULT,
  FW_CFG_FILE_SLOTS_MAX,
  FW_CFG_FILE_SLOTS_MIN,
  FW_CFG_INVALID,
  FW_CFG_MAX_FILE_PATH,
  FW_CFG_SIGNATURE,
  keyHex,
} from './keys.js';
import { legacyRank, ORDER_OVERRIDE_LAST } from './legacy-order.js';

export type SelectCallback = (opaque: unknown) => void;
export type WriteCallback = (opaque: unknown, start: number, length: number) => void;

export interface FwCfgItem {
  /** The bytes the guest reads (a view of host memory); null = no data. */
  data: Uint8Array | null;
  allowWrite: boolean;
  selectCallback: SelectCallback | undefined;
  writeCallback: WriteCallback | undefined;
  /** What the callbacks receive; `modifyFile` sets it to null (the ACPI rebuild then does nothing). */
  opaque: unknown;
}

export interface FwCfgFileOptions {
  selectCallback?: SelectCallback;
  writeCallback?: WriteCallback;
  opaque?: unknown;
  /** Default true: the guest may not write it (QEMU's read_only). */
  readOnly?: boolean;
  /** Legacy-order rank to use instead of the table (QEMU's order override). */
  order?: number;
}

export interface FwCfgDeviceOptions {
  /** `x-file-slots`: 0x20 by default, 0x10 on machine types <= 2.8. */
  fileSlots?: number;
  /** Machine types <= 2.5 sort files by a fixed rank instead of by name. */
  legacyOrder?: boolean;
  /** Machine types >= 2.5 (and not disabled): ID bit 1, the DMA register exists. */
  dmaEnabled?: boolean;
  /** Program name in QEMU's messages, e.g. `qemu-system-x86_64`. */
  program?: string;
  /**
   * QEMU >= 10.0 (commit 5a7b6029c1e2): modifying an item keeps its callbacks'
   * opaque; before, it was cleared, so a resized ACPI blob no longer rebuilt on select.
   */
  modifyKeepsOpaque?: boolean;
}

/** A host-side call that QEMU would stop with an assertion or exit(1). */
export class FwCfgDeviceError extends FwCfgError {}

export interface FwCfgFileRecord {
  name: string;
  select: number;
  size: number;
}

/** The state QEMU migrates (vmstate `fw_cfg`), as spec-vectors/fwcfg-device/FACTS.md reads it. */
export interface FwCfgDeviceState {
  curEntry: number;
  curOffset: number;
  dmaAddress: bigint;
}

const textEncoder = new TextEncoder();

function nameBytes(name: string): Uint8Array {
  // names are byte strings (latin1); anything wider is not a C string
  const out = new Uint8Array(name.length);
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c > 0xff) return textEncoder.encode(name);
    out[i] = c;
  }
  return out;
}

/** C `strcmp` on byte strings: negative, zero or positive. */
function strcmp(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function emptyItem(): FwCfgItem {
  return { data: null, allowWrite: false, selectCallback: undefined, writeCallback: undefined, opaque: undefined };
}

export class FwCfgDevice {
  readonly fileSlots: number;
  readonly legacyOrder: boolean;
  readonly dmaEnabled: boolean;
  readonly program: string;
  readonly modifyKeepsOpaque: boolean;
  /** Index limit of both item tables (`fw_cfg_max_entry`). */
  readonly maxEntry: number;
  /** Messages QEMU would print as warnings (legacy order, ...). */
  readonly warnings: string[] = [];

  /** [generic, arch-local] item tables. */
  private readonly entries: [FwCfgItem[], FwCfgItem[]];
  /** File records in directory order, with the raw (truncated) name bytes. */
  private readonly files: { name: Uint8Array; order: number }[] = [];
  private directory: Uint8Array | null = null;

  curEntry = FW_CFG_SIGNATURE;
  curOffset = 0;
  /** The DMA address latch (`dma_addr`): a high half waits here for its low half. */
  dmaAddress = 0n;

  constructor(options: FwCfgDeviceOptions = {}) {
    const slots = options.fileSlots ?? FW_CFG_FILE_SLOTS_DEFAULT;
    if (!Number.isInteger(slots) || slots < FW_CFG_FILE_SLOTS_MIN) {
      throw new FwCfgDeviceError('FILE_SLOTS', '"file_slots" must be at least 0x10');
    }
    if (slots > FW_CFG_FILE_SLOTS_MAX) throw new FwCfgDeviceError('FILE_SLOTS', '"file_slots" must not exceed 0x3fe0');
    this.fileSlots = slots;
    this.legacyOrder = options.legacyOrder ?? false;
    this.dmaEnabled = options.dmaEnabled ?? true;
    this.program = options.program ?? 'qemu-system-x86_64';
    this.modifyKeepsOpaque = options.modifyKeepsOpaque ?? false;
    this.maxEntry = FW_CFG_FILE_FIRST + slots;
    this.entries = [Array.from({ length: this.maxEntry }, emptyItem), Array.from({ length: this.maxEntry }, emptyItem)];
  }

  // ------------------------------------------------------------- item tables

  /** The item a key addresses (write-channel bit ignored), or undefined past the table. */
  item(key: number): FwCfgItem | undefined {
    if ((key & FW_CFG_ENTRY_MASK) >= this.maxEntry) return undefined;
    return this.entries[key & FW_CFG_ARCH_LOCAL ? 1 : 0][key & FW_CFG_ENTRY_MASK];
  }

  private slot(key: number, call: string): FwCfgItem {
    const it = this.item(key);
    if (it === undefined) throw new FwCfgDeviceError('KEY_RANGE', `${call}: key ${keyHex(key)} is outside the item table (limit ${keyHex(this.maxEntry)})`);
    return it;
  }

  /** fw_cfg_add_bytes(_callback): a key may be given data once. */
  addBytes(key: number, data: Uint8Array, options: FwCfgFileOptions = {}): void {
    const it = this.slot(key, 'add_bytes');
    if (it.data !== null) throw new FwCfgDeviceError('KEY_CONFLICT', `add_bytes: key ${keyHex(key)} already has data`);
    if (data.length >= 0xffffffff) throw new FwCfgDeviceError('ITEM_TOO_LARGE', `add_bytes: ${data.length} bytes do not fit a u32 length`);
    it.data = data;
    it.selectCallback = options.selectCallback;
    it.writeCallback = options.writeCallback;
    it.opaque = options.opaque;
    it.allowWrite = options.readOnly === false;
  }

  /** A string item includes its terminating NUL (fw_cfg_add_string). */
  addString(key: number, s: string): void {
    const b = nameBytes(s);
    const data = new Uint8Array(b.length + 1);
    data.set(b);
    this.addBytes(key, data);
  }

  addI16(key: number, v: number): void {
    const d = new Uint8Array(2);
    new DataView(d.buffer).setUint16(0, v, true);
    this.addBytes(key, d);
  }

  addI32(key: number, v: number): void {
    const d = new Uint8Array(4);
    new DataView(d.buffer).setUint32(0, v >>> 0, true);
    this.addBytes(key, d);
  }

  addI64(key: number, v: bigint): void {
    const d = new Uint8Array(8);
    new DataView(d.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
    this.addBytes(key, d);
  }

  /**
   * fw_cfg_modify_bytes_read: new data, read-only; the callbacks' opaque is
   * cleared before QEMU 10.0 (see FwCfgDeviceOptions.modifyKeepsOpaque). Returns the old data.
   */
  modifyBytes(key: number, data: Uint8Array): Uint8Array | null {
    const it = this.slot(key, 'modify_bytes');
    const old = it.data;
    it.data = data;
    if (!this.modifyKeepsOpaque) it.opaque = null;
    it.allowWrite = false;
    return old;
  }

  // ------------------------------------------------------------------ files

  get fileCount(): number {
    return this.files.length;
  }

  /** The directory as the guest reads it. */
  fileRecords(): FwCfgFileRecord[] {
    return this.files.map((f, i) => ({
      name: String.fromCharCode(...f.name),
      select: FW_CFG_FILE_FIRST + i,
      size: this.entries[0][FW_CFG_FILE_FIRST + i]!.data?.length ?? 0,
    }));
  }

  /** Key of the file whose stored name equals `name` exactly (untruncated compare, as QEMU). */
  findFile(name: string): number | undefined {
    const b = nameBytes(name);
    const i = this.files.findIndex((f) => strcmp(f.name, b) === 0);
    return i < 0 ? undefined : FW_CFG_FILE_FIRST + i;
  }

  fileItem(name: string): FwCfgItem | undefined {
    const key = this.findFile(name);
    return key === undefined ? undefined : this.entries[0][key];
  }

  private writeRecord(i: number): void {
    const dir = this.directory!;
    const at = 4 + i * FW_CFG_FILE_RECORD_SIZE;
    dir.fill(0, at, at + FW_CFG_FILE_RECORD_SIZE);
    const dv = new DataView(dir.buffer, dir.byteOffset, dir.byteLength);
    dv.setUint32(at, this.entries[0][FW_CFG_FILE_FIRST + i]!.data?.length ?? 0, false);
    dv.setUint16(at + 4, FW_CFG_FILE_FIRST + i, false);
    dir.set(this.files[i]!.name, at + 8);
  }

  private writeCount(): void {
    new DataView(this.directory!.buffer, this.directory!.byteOffset).setUint32(0, this.files.length, false);
  }

  /** fw_cfg_add_file_callback: sorted insert, renumbering every later file. */
  addFile(name: string, data: Uint8Array, options: FwCfgFileOptions = {}): number {
    if (this.directory === null) {
      this.directory = new Uint8Array(4 + FW_CFG_FILE_RECORD_SIZE * this.fileSlots);
      this.addBytes(FW_CFG_FILE_DIR, this.directory);
    }
    const count = this.files.length;
    if (count >= this.fileSlots) {
      throw new FwCfgDeviceError('NO_FILE_SLOT', `add_file ${JSON.stringify(name)}: all ${this.fileSlots} file slots are used (QEMU asserts)`);
    }
    const full = nameBytes(name);
    let order = 0;
    let index = count;
    if (this.legacyOrder) {
      order = options.order ?? legacyRank(name) ?? ORDER_OVERRIDE_LAST;
      if (options.order === undefined && legacyRank(name) === undefined) this.warnings.push(`${this.program}: warning: Unknown firmware file in legacy mode: ${name}`);
      while (index > 0 && order < this.files[index - 1]!.order) index--;
    } else {
      // the new name is compared untruncated, the stored ones as stored
      while (index > 0 && strcmp(full, this.files[index - 1]!.name) < 0) index--;
    }
    const stored = full.slice(0, FW_CFG_MAX_FILE_PATH - 1);
    const dup = this.files.find((f) => strcmp(f.name, stored) === 0);
    if (dup !== undefined) throw new FwCfgDeviceError('DUPLICATE_FILE', `duplicate fw_cfg file name: ${String.fromCharCode(...stored)}`);
    const table = this.entries[0];
    // shift items [index, count) up one slot
    for (let i = count; i > index; i--) table[FW_CFG_FILE_FIRST + i] = table[FW_CFG_FILE_FIRST + i - 1]!;
    table[FW_CFG_FILE_FIRST + index] = emptyItem();
    this.files.splice(index, 0, { name: stored, order });
    this.addBytes(FW_CFG_FILE_FIRST + index, data, options);
    for (let i = index; i <= count; i++) this.writeRecord(i);
    this.writeCount();
    return FW_CFG_FILE_FIRST + index;
  }

  /**
   * Puts a file in the next free directory slot, whatever its name: for
   * rebuilding a device exactly as a capture recorded it (files given in
   * selector order). Ordering rules are not applied; duplicates still fail.
   */
  appendFile(name: string, data: Uint8Array, options: FwCfgFileOptions = {}): number {
    if (this.directory === null) {
      this.directory = new Uint8Array(4 + FW_CFG_FILE_RECORD_SIZE * this.fileSlots);
      this.addBytes(FW_CFG_FILE_DIR, this.directory);
    }
    const index = this.files.length;
    if (index >= this.fileSlots) {
      throw new FwCfgDeviceError('NO_FILE_SLOT', `append_file ${JSON.stringify(name)}: all ${this.fileSlots} file slots are used`);
    }
    const stored = nameBytes(name).slice(0, FW_CFG_MAX_FILE_PATH - 1);
    if (this.files.some((f) => strcmp(f.name, stored) === 0)) throw new FwCfgDeviceError('DUPLICATE_FILE', `duplicate fw_cfg file name: ${String.fromCharCode(...stored)}`);
    this.files.push({ name: stored, order: options.order ?? 0 });
    this.addBytes(FW_CFG_FILE_FIRST + index, data, options);
    this.writeRecord(index);
    this.writeCount();
    return FW_CFG_FILE_FIRST + index;
  }

  /**
   * fw_cfg_modify_file: replace an existing file's data and size, clearing its
   * callbacks' opaque (before QEMU 10.0) and making it read-only; or add it (read-only, no
   * callbacks) when absent. Returns the old data (null when added).
   */
  modifyFile(name: string, data: Uint8Array): Uint8Array | null {
    if (this.directory === null) throw new FwCfgDeviceError('NO_DIRECTORY', `modify_file ${JSON.stringify(name)}: no file directory yet (QEMU asserts)`);
    const key = this.findFile(name);
    if (key === undefined) {
      this.addFile(name, data);
      return null;
    }
    const old = this.modifyBytes(key, data);
    this.writeRecord(key - FW_CFG_FILE_FIRST);
    return old;
  }

  // ------------------------------------------------------------- guest view

  /** fw_cfg_select: offset to 0; a valid key runs its select callback. Returns 1 if valid. */
  select(key: number): number {
    key &= 0xffff;
    this.curOffset = 0;
    if ((key & FW_CFG_ENTRY_MASK) >= this.maxEntry) {
      this.curEntry = FW_CFG_INVALID;
      return 0;
    }
    this.curEntry = key;
    const it = this.entries[key & FW_CFG_ARCH_LOCAL ? 1 : 0][key & FW_CFG_ENTRY_MASK]!;
    if (it.selectCallback !== undefined) it.selectCallback(it.opaque);
    return 1;
  }

  /** The item currently selected, or undefined (invalid key). */
  currentItem(): FwCfgItem | undefined {
    if (this.curEntry === FW_CFG_INVALID) return undefined;
    return this.entries[this.curEntry & FW_CFG_ARCH_LOCAL ? 1 : 0][this.curEntry & FW_CFG_ENTRY_MASK];
  }

  /**
   * A data-register read of `size` bytes into out[0..size): the item's next
   * bytes in order, zero padded past its end; the offset stops at the end.
   */
  readData(size: number, out: Uint8Array): void {
    const data = this.currentItem()?.data;
    let n = 0;
    if (data != null && this.curOffset < data.length) {
      const off = this.curOffset;
      n = Math.min(size, data.length - off);
      if (n > 16) out.set(data.subarray(off, off + n));
      else for (let i = 0; i < n; i++) out[i] = data[off + i]!;
      this.curOffset = off + n;
    }
    if (n < size) out.fill(0, n, size);
  }

  /** One data byte (x86 `inb 0x511`). */
  readByte(): number {
    const data = this.currentItem()?.data;
    if (data == null || this.curOffset >= data.length) return 0;
    return data[this.curOffset++]!;
  }

  /** Device reset: select the signature (no callback). The DMA latch is not cleared. */
  reset(): void {
    this.select(FW_CFG_SIGNATURE);
  }

  state(): FwCfgDeviceState {
    return { curEntry: this.curEntry, curOffset: this.curOffset, dmaAddress: this.dmaAddress };
  }
}
