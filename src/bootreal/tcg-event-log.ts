/**
 * A firmware's TPM event log as it lies in guest RAM, crypto-agile format
 * (TCG PC Client Platform Firmware Profile, section 10): one TCG_PCR_EVENT
 * (SHA-1 shaped) whose event is the "Spec ID Event03" header naming the
 * digest algorithms and their sizes, then TCG_PCR_EVENT2 records: PCR index
 * u32, event type u32, digest count u32, per digest its algorithm u16 and
 * bytes, event size u32, event data. OVMF's Tcg2Dxe and SeaBIOS's tcgbios.c
 * both write this format for a TPM 2.0. The log ends where the next record
 * would not be one (the area after it is zeros).
 */
import { occurrences, type RamImage } from './ram-image.js';

const SPEC_ID = new TextEncoder().encode('Spec ID Event03\0');
/** TCG_PCR_EVENT before its event data: PCR index, type, SHA-1 digest, event size. */
const HEADER_EVENT_FIXED = 32;
const EV_NO_ACTION = 3;
export const EV_SEPARATOR = 4;

/** TPM_ALG_ID -> the name node:crypto and this project's reports use. */
const ALGORITHMS: Readonly<Record<number, string>> = { 0x4: 'sha1', 0xb: 'sha256', 0xc: 'sha384', 0xd: 'sha512', 0x12: 'sm3_256' };

export interface TcgEvent {
  pcr: number;
  eventType: number;
  /** Lowercase hex per algorithm (its name, or alg-0xNNNN for one this table does not name). */
  digests: Record<string, string>;
  data: Uint8Array;
}

export interface TcgEventLog {
  /** Guest-physical address of the header event. */
  address: number;
  /** Byte length from the header to the end of the last record. */
  length: number;
  algorithms: { name: string; id: number; size: number }[];
  events: TcgEvent[];
}

const algName = (id: number) => ALGORITHMS[id] ?? `alg-0x${id.toString(16).padStart(4, '0')}`;
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** The log whose header event starts at `at` of `bytes` (`base` is the guest address of bytes[0]); undefined when no header is there. */
export function parseEventLog(bytes: Uint8Array, at: number, base = 0): TcgEventLog | undefined {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fits = (p: number, n: number) => p >= 0 && p + n <= bytes.length;
  if (!fits(at, HEADER_EVENT_FIXED)) return undefined;
  if (dv.getUint32(at, true) !== 0 || dv.getUint32(at + 4, true) !== EV_NO_ACTION) return undefined;
  const headerSize = dv.getUint32(at + 28, true);
  const spec = at + HEADER_EVENT_FIXED;
  if (headerSize < 33 || !fits(spec, headerSize) || !SPEC_ID.every((b, i) => bytes[spec + i] === b)) return undefined;
  const count = dv.getUint32(spec + 24, true);
  if (count === 0 || 28 + count * 4 + 1 > headerSize) return undefined;
  const algorithms = Array.from({ length: count }, (_, i) => {
    const id = dv.getUint16(spec + 28 + i * 4, true);
    return { name: algName(id), id, size: dv.getUint16(spec + 30 + i * 4, true) };
  });
  const events: TcgEvent[] = [];
  let p = spec + headerSize;
  for (;;) {
    const event = parseEvent2(bytes, dv, p, algorithms);
    if (event === undefined) break;
    events.push(event.event);
    p = event.next;
  }
  return { address: base + at, length: p - at, algorithms, events };
}

/** One TCG_PCR_EVENT2 at `p`, or undefined where none is (the log's end). */
function parseEvent2(bytes: Uint8Array, dv: DataView, p: number, algorithms: TcgEventLog['algorithms']): { event: TcgEvent; next: number } | undefined {
  if (p + 12 > bytes.length) return undefined;
  const pcr = dv.getUint32(p, true);
  const eventType = dv.getUint32(p + 4, true);
  const count = dv.getUint32(p + 8, true);
  // a TPM with fewer active banks logs fewer digests, never more than the header names
  if (pcr > 23 || count === 0 || count > algorithms.length) return undefined;
  let q = p + 12;
  const digests: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    if (q + 2 > bytes.length) return undefined;
    const alg = algorithms.find((a) => a.id === dv.getUint16(q, true));
    if (alg === undefined || q + 2 + alg.size > bytes.length) return undefined;
    digests[alg.name] = hex(bytes.subarray(q + 2, q + 2 + alg.size));
    q += 2 + alg.size;
  }
  if (q + 4 > bytes.length) return undefined;
  const size = dv.getUint32(q, true);
  if (q + 4 + size > bytes.length) return undefined;
  // a copy: a RAM image's buffer is reused by the next dump
  return { event: { pcr, eventType, digests, data: Uint8Array.from(bytes.subarray(q + 4, q + 4 + size)) }, next: q + 4 + size };
}

/** Every event log in guest RAM (a header found by its signature and parsed), first address first. */
export function findEventLogs(image: RamImage): TcgEventLog[] {
  const logs: TcgEventLog[] = [];
  for (const sig of occurrences(image, SPEC_ID)) {
    const log = parseEventLog(image.bytes, sig - HEADER_EVENT_FIXED);
    if (log !== undefined) logs.push(log);
  }
  return logs;
}
