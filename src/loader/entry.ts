/**
 * The typed model of one 128-byte loader entry.
 *
 * File names are the bytes of the C string up to the first NUL (or all 56
 * bytes when there is none), one char per byte (latin1), so any name survives
 * the round trip. An entry decoded from bytes that QEMU could not have written
 * (garbage after a name's NUL, no NUL at all, non-zero reserved bytes) keeps
 * those bytes in `raw`; the encoder starts from `raw` and writes the fields
 * over it, so decode → encode is lossless and fields stay editable.
 *
 * Where each field sits in the 128 bytes is in fields.ts.
 */

export interface Allocate {
  readonly type: 'allocate';
  file: string;
  /** u32; QEMU emits powers of two only. */
  align: number;
  /** u8: 1 HIGH, 2 FSEG. */
  zone: number;
  raw?: Uint8Array;
}

export interface AddPointer {
  readonly type: 'addPointer';
  /** The blob that contains the pointer field. */
  destFile: string;
  /** The blob whose base address is added. */
  srcFile: string;
  /** u32 position of the pointer field inside destFile. */
  offset: number;
  /** u8: 1, 2, 4 or 8 in anything QEMU emits. */
  size: number;
  raw?: Uint8Array;
}

export interface AddChecksum {
  readonly type: 'addChecksum';
  file: string;
  /** u32 position of the checksum byte. */
  offset: number;
  /** u32 first byte of the summed range. */
  start: number;
  /** u32 number of bytes summed. */
  length: number;
  raw?: Uint8Array;
}

export interface WritePointer {
  readonly type: 'writePointer';
  /** The fw_cfg file (not an allocated blob) that receives the address. */
  destFile: string;
  /** The allocated blob whose address is reported. */
  srcFile: string;
  /** u32 where to write inside destFile. */
  dstOffset: number;
  /** u32 added to the base of srcFile. */
  srcOffset: number;
  /** u8: 1, 2, 4 or 8 in anything QEMU emits. */
  size: number;
  raw?: Uint8Array;
}

/** An all-zero entry: what i386 padding to 4 KiB looks like. */
export interface Padding {
  readonly type: 'padding';
}

/** Any entry whose command word is not 1..4, or a command 0 that is not all zeros. */
export interface UnknownCommand {
  readonly type: 'unknown';
  command: number;
  raw: Uint8Array;
}

export type LoaderCommand = Allocate | AddPointer | AddChecksum | WritePointer;
export type LoaderEntry = LoaderCommand | Padding | UnknownCommand;
export type LoaderEntryType = LoaderEntry['type'];

/** Shared instance: padding carries no data. */
export const PADDING: Padding = Object.freeze({ type: 'padding' });

export function isCommand(entry: LoaderEntry): entry is LoaderCommand {
  return entry.type !== 'padding' && entry.type !== 'unknown';
}

