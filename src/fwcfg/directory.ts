/**
 * The fw_cfg file directory (key 0x19) as a guest reads it: a big-endian
 * u32 count, then 64-byte records of size (u32 BE), select (u16 BE), two
 * reserved bytes and a NUL-terminated 56-byte name. Parsed here only: the
 * guest-side driver, the capture and the live observer all use it.
 */
import { FW_CFG_FILE_RECORD_SIZE } from './keys.js';

/** One directory record; `select` is the number a guest writes to the selector to reach the file. */
export interface FwCfgFile {
  name: string;
  size: number;
  select: number;
}

/** The record at `at` (64 bytes must be there). */
export function fileRecord(b: Uint8Array, at: number): FwCfgFile {
  const size = ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  const select = (b[at + 4]! << 8) | b[at + 5]!;
  let name = '';
  for (let i = at + 8; i < at + FW_CFG_FILE_RECORD_SIZE && b[i] !== 0; i++) name += String.fromCharCode(b[i]!);
  return { name, size, select };
}

/** The count at the start of the directory. */
export function fileCount(b: Uint8Array): number {
  return b.length < 4 ? 0 : ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/** Every whole record the bytes hold, up to the count. */
export function parseFileDirectory(b: Uint8Array): FwCfgFile[] {
  const count = fileCount(b);
  const out: FwCfgFile[] = [];
  for (let i = 0; i < count && 4 + (i + 1) * FW_CFG_FILE_RECORD_SIZE <= b.length; i++) out.push(fileRecord(b, 4 + i * FW_CFG_FILE_RECORD_SIZE));
  return out;
}
