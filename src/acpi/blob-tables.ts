/**
 * Finds the ACPI tables laid end to end in a blob such as `etc/acpi/tables`
 * (QEMU concatenates them, then pads with zeros), so that offsets into the
 * blob can be named `FACP+0x24`.
 */
import { readU32LE } from '../bytes.js';

export interface TableSpan {
  signature: string;
  offset: number;
  length: number;
}

const HEADER_LENGTH = 36;
const FACS_LENGTH_MIN = 64;

function signatureAt(b: Uint8Array, at: number): string | undefined {
  let s = '';
  for (let i = 0; i < 4; i++) {
    const c = b[at + i]!;
    // table signatures are upper-case letters and digits (plus '_' in a few vendor tables)
    if (!((c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f)) return undefined;
    s += String.fromCharCode(c);
  }
  return s;
}

/** Tables found from offset 0 onwards; stops at the first bytes that are not a table header. */
export function scanTableBlob(blob: Uint8Array): TableSpan[] {
  const spans: TableSpan[] = [];
  if (blob.length >= 20 && String.fromCharCode(...blob.subarray(0, 8)) === 'RSD PTR ') {
    const revision = blob[15]!;
    const length = revision >= 2 && blob.length >= 24 ? readU32LE(blob, 20) : 20;
    spans.push({ signature: 'RSDP', offset: 0, length: Math.min(length, blob.length) });
    return spans;
  }
  let at = 0;
  while (at + 8 <= blob.length) {
    const signature = signatureAt(blob, at);
    if (signature === undefined) break;
    const length = readU32LE(blob, at + 4);
    const min = signature === 'FACS' ? FACS_LENGTH_MIN : HEADER_LENGTH;
    if (length < min || at + length > blob.length) break;
    spans.push({ signature, offset: at, length });
    at += length;
  }
  return spans;
}

/** `SIG+0xN` for the table containing `offset`, or undefined. */
export function locateInTables(spans: readonly TableSpan[], offset: number): string | undefined {
  let lo = 0;
  let hi = spans.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const t = spans[mid]!;
    if (offset < t.offset) hi = mid - 1;
    else if (offset >= t.offset + t.length) lo = mid + 1;
    else return `${t.signature}+0x${(offset - t.offset).toString(16)}`;
  }
  return undefined;
}
