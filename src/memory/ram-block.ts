/**
 * RamBlock: QEMU's RAM block (`softmmu/physmem.c`), with resizeable blocks
 * as the ACPI ROM blobs use them: `usedLength` and `maxLength` are host-page
 * aligned, the memory region keeps the unaligned size, and a resize callback
 * tells the owner (fw_cfg) the new unaligned size.
 *
 * Storage is one resizable ArrayBuffer reserved at `maxLength`, as QEMU
 * reserves host memory: a resize within the maximum moves no bytes and views
 * over the block stay valid. The buffer only ever grows, to the highest used
 * length so far (growing commits pages: a syscall); shrinking is logical, so
 * bytes past a shrink survive, as they do in QEMU's reserved memory.
 */
import { FwCfgError } from '../errors.js';
import { hostPageAlign } from './address.js';

export const DEFAULT_HOST_PAGE_SIZE = 0x1000;

/** Which wording of qemu_ram_resize's errors to use: QEMU >= 5.2 says "Size", earlier "Length". */
export type RamSizeMessages = 'size' | 'length';

export type ResizedCallback = (idstr: string, unalignedSize: number, host: ArrayBuffer) => void;

export interface RamBlockOptions {
  idstr: string;
  /** Unaligned initial size (the memory region's size). */
  size: number;
  /** Unaligned requested maximum; defaults to `size` (a fixed block). */
  maxSize?: number;
  resizeable?: boolean;
  hostPageSize?: number;
  resized?: ResizedCallback;
  messages?: RamSizeMessages;
  /**
   * QEMU >= 5.0 calls `resized` when only the unaligned size changes (same
   * aligned size); earlier versions changed nothing on that path.
   */
  notifyUnalignedResize?: boolean;
}

/** A qemu_ram_resize failure, with the text QEMU prints (errno EINVAL appended). */
export class RamBlockError extends FwCfgError {
  readonly idstr: string;
  constructor(code: 'SIZE_TOO_LARGE' | 'SIZE_MISMATCH', message: string, idstr: string) {
    super(code, message);
    this.idstr = idstr;
  }
}

const hx = (n: number) => '0x' + n.toString(16);

export class RamBlock {
  readonly idstr: string;
  readonly hostPageSize: number;
  readonly maxLength: number;
  readonly resizeable: boolean;
  readonly messages: RamSizeMessages;
  readonly notifyUnalignedResize: boolean;
  resized: ResizedCallback | undefined;
  private store: ArrayBuffer | undefined;
  private used: number;
  /** The memory region's (unaligned) size: what fw_cfg exposes. */
  private regionSize: number;

  constructor(o: RamBlockOptions) {
    const page = o.hostPageSize ?? DEFAULT_HOST_PAGE_SIZE;
    this.idstr = o.idstr;
    this.hostPageSize = page;
    this.resizeable = o.resizeable ?? o.maxSize !== undefined;
    this.messages = o.messages ?? 'size';
    this.notifyUnalignedResize = o.notifyUnalignedResize ?? true;
    this.resized = o.resized;
    this.used = hostPageAlign(o.size, page);
    this.maxLength = hostPageAlign(o.maxSize ?? o.size, page);
    if (this.maxLength < this.used) {
      throw new FwCfgError('RAMBLOCK_MAX', `${o.idstr}: maximum ${hx(this.maxLength)} is below the used length ${hx(this.used)}`);
    }
    this.regionSize = o.size;
  }

  /**
   * Reserved once at maxLength (on first use: a 2 GiB pc.ram that is only
   * sized, never read, costs nothing); byteLength is the high-water mark.
   */
  get storage(): ArrayBuffer {
    return (this.store ??= new ArrayBuffer(this.used, { maxByteLength: this.maxLength }));
  }

  get usedLength(): number {
    return this.used;
  }

  get unalignedSize(): number {
    return this.regionSize;
  }

  /** The whole used range. */
  bytes(): Uint8Array {
    return new Uint8Array(this.storage, 0, this.used);
  }

  /** Up to `length` bytes of reserved memory, used or not (what QEMU's rom_reset may write). */
  reserved(length: number): Uint8Array {
    return new Uint8Array(this.storage, 0, Math.min(length, this.storage.byteLength));
  }

  /** The first `length` bytes (e.g. the fw_cfg file), a view that follows no later resize. */
  view(length = this.regionSize): Uint8Array {
    return new Uint8Array(this.storage, 0, length);
  }

  /** qemu_ram_resize(block, newsize), QEMU 6.0 semantics (../shared/spec/ramblock-and-migration.md §2). */
  resize(newSize: number): void {
    const aligned = hostPageAlign(newSize, this.hostPageSize);
    if (aligned === this.used) {
      if (newSize !== this.regionSize && this.notifyUnalignedResize) {
        this.regionSize = newSize;
        this.resized?.(this.idstr, newSize, this.storage);
      }
      return;
    }
    const size = this.messages === 'size';
    if (!this.resizeable) {
      throw new RamBlockError(
        'SIZE_MISMATCH',
        size ? `Size mismatch: ${this.idstr}: ${hx(aligned)} != ${hx(this.used)}: Invalid argument` : `Length mismatch: ${this.idstr}: ${hx(aligned)} in != ${hx(this.used)}: Invalid argument`,
        this.idstr,
      );
    }
    if (this.maxLength < aligned) {
      throw new RamBlockError(
        'SIZE_TOO_LARGE',
        `${size ? 'Size' : 'Length'} too large: ${this.idstr}: ${hx(aligned)} > ${hx(this.maxLength)}: Invalid argument`,
        this.idstr,
      );
    }
    // in place: the reservation already covers maxLength; grow only past the high-water mark
    if (this.store !== undefined && aligned > this.store.byteLength) this.store.resize(aligned);
    this.used = aligned;
    this.regionSize = newSize;
    this.resized?.(this.idstr, newSize, this.storage);
  }
}
