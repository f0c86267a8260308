/**
 * BiosLinker: the producer side, with QEMU's contract (hw/acpi/bios-linker-loader.c,
 * QEMU >= 2.7). Each assertion QEMU would abort on is a LinkerError here.
 *
 * Blobs are referenced, not copied: like QEMU's GArrays they may be longer at a
 * later call (pass a length-tracking view over a resizable ArrayBuffer), and
 * the checks use their length at the time of the call.
 */
import { asBytes, type ByteSource } from '../bytes.js';
import { LinkerError } from '../errors.js';
import { ZONE_FSEG, ZONE_HIGH } from './constants.js';
import { encodeLoader, type EncodeOptions } from './codec.js';
import type { Allocate, LoaderEntry } from './entry.js';

const POINTER_SIZES = new Set([1, 2, 4, 8]);

function u32(call: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new LinkerError('ARGUMENT_RANGE', `${call}: ${what} ${String(v)} is not a u32`);
  }
}

function pointerSize(call: string, size: number): void {
  if (!POINTER_SIZES.has(size)) throw new LinkerError('BAD_POINTER_SIZE', `${call}: pointer size ${String(size)} is not 1, 2, 4 or 8`);
}

export class BiosLinker {
  // registration order; names compared untruncated, as QEMU's file list does
  private readonly files = new Map<string, Uint8Array>();
  private readonly allocations: Allocate[] = [];
  private readonly commands: LoaderEntry[] = [];

  /** The blob registered under `name` (the same memory the caller gave). */
  blob(name: string): Uint8Array {
    return this.file('blob', name, 'file');
  }

  get fileNames(): string[] {
    return [...this.files.keys()];
  }

  private file(call: string, name: string, role: string): Uint8Array {
    const blob = this.files.get(name);
    if (blob === undefined) throw new LinkerError('UNKNOWN_FILE', `${call}: ${role} ${JSON.stringify(name)} was never allocated`);
    return blob;
  }

  /** Registers `name`; its ALLOCATE goes to the front of the stream (so the last registered comes first). */
  allocate(name: string, blob: ByteSource, align: number, fseg: boolean): void {
    u32('allocate', 'alignment', align);
    if ((align & (align - 1)) !== 0) {
      throw new LinkerError('BAD_ALIGNMENT', `allocate ${JSON.stringify(name)}: alignment ${align} is not a power of two`);
    }
    if (this.files.has(name)) throw new LinkerError('FILE_EXISTS', `allocate: ${JSON.stringify(name)} is already allocated`);
    this.files.set(name, asBytes(blob));
    this.allocations.unshift({ type: 'allocate', file: name, align, zone: fseg ? ZONE_FSEG : ZONE_HIGH });
  }

  /** Asks firmware to fix the checksum byte at `checksumOffset` over [start, start+size); zeroes that byte now. */
  addChecksum(name: string, start: number, size: number, checksumOffset: number): void {
    const call = `add_checksum ${JSON.stringify(name)}`;
    const blob = this.file('add_checksum', name, 'file');
    u32(call, 'start', start);
    u32(call, 'size', size);
    u32(call, 'checksum offset', checksumOffset);
    const len = blob.length;
    if (start >= len) throw new LinkerError('OUT_OF_BOUNDS', `${call}: start 0x${start.toString(16)} is not inside the ${len}-byte blob`);
    if (start + size > len) {
      throw new LinkerError('OUT_OF_BOUNDS', `${call}: range 0x${start.toString(16)}+0x${size.toString(16)} runs past the end of the ${len}-byte blob`);
    }
    if (checksumOffset < start || checksumOffset + 1 > start + size) {
      throw new LinkerError(
        'CHECKSUM_OUTSIDE_RANGE',
        `${call}: checksum byte 0x${checksumOffset.toString(16)} is outside the summed range [0x${start.toString(16)}, 0x${(start + size).toString(16)})`,
      );
    }
    blob[checksumOffset] = 0;
    this.commands.push({ type: 'addChecksum', file: name, offset: checksumOffset, start, length: size });
  }

  /**
   * Asks firmware to add the base of `srcName` to the `dstSize`-byte field at
   * `dstOffset` of `destName`; stores `srcOffset` in that field now (LE, truncated).
   */
  addPointer(destName: string, dstOffset: number, dstSize: number, srcName: string, srcOffset: number): void {
    const call = `add_pointer ${JSON.stringify(destName)}`;
    const dest = this.file('add_pointer', destName, 'destination');
    const src = this.file('add_pointer', srcName, 'source');
    u32(call, 'destination offset', dstOffset);
    u32(call, 'source offset', srcOffset);
    pointerSize(call, dstSize);
    if (dstOffset >= dest.length) throw new LinkerError('OUT_OF_BOUNDS', `${call}: offset 0x${dstOffset.toString(16)} is not inside the ${dest.length}-byte blob`);
    if (dstOffset + dstSize > dest.length) {
      throw new LinkerError('OUT_OF_BOUNDS', `${call}: ${dstSize}-byte field at 0x${dstOffset.toString(16)} runs past the end of the ${dest.length}-byte blob`);
    }
    if (srcOffset >= src.length) {
      throw new LinkerError('OUT_OF_BOUNDS', `${call}: source offset 0x${srcOffset.toString(16)} is not inside ${JSON.stringify(srcName)} (${src.length} bytes)`);
    }
    let v = srcOffset;
    for (let i = 0; i < dstSize; i++) {
      dest[dstOffset + i] = i < 4 ? v & 0xff : 0;
      v = Math.floor(v / 256);
    }
    this.commands.push({ type: 'addPointer', destFile: destName, srcFile: srcName, offset: dstOffset, size: dstSize });
  }

  /** Asks firmware to write base(srcName)+srcOffset into fw_cfg file `destName`. No blob is modified. */
  writePointer(destName: string, dstOffset: number, dstSize: number, srcName: string, srcOffset: number): void {
    const call = `write_pointer ${JSON.stringify(destName)}`;
    const src = this.file('write_pointer', srcName, 'source');
    u32(call, 'destination offset', dstOffset);
    u32(call, 'source offset', srcOffset);
    pointerSize(call, dstSize);
    if (srcOffset >= src.length) {
      throw new LinkerError('OUT_OF_BOUNDS', `${call}: source offset 0x${srcOffset.toString(16)} is not inside ${JSON.stringify(srcName)} (${src.length} bytes)`);
    }
    this.commands.push({ type: 'writePointer', destFile: destName, srcFile: srcName, dstOffset, srcOffset, size: dstSize });
  }

  /** The command stream: every ALLOCATE first (reverse registration order), then the rest in call order. */
  entries(): LoaderEntry[] {
    return [...this.allocations, ...this.commands];
  }

  /** The `etc/table-loader` bytes; i386 passes `{ padTo: 4096 }`. */
  encode(options: EncodeOptions = {}): Uint8Array {
    return encodeLoader(this.entries(), options);
  }
}
