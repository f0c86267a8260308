/**
 * SeaBIOS's own SSDT (src/fw/acpi.c build_ssdt): the ssdt-misc template with
 * the PCI windows, sleep states and pvpanic port patched in, then AML written
 * byte by byte: Scope(\_SB) with a Processor per CPU (the ssdt-proc template),
 * the NTFY method and the CPON package, and Scope(PCI0) with a hotplug Device
 * per slot 1..31 (the ssdt-pcihp template) and the PCNT method.
 */
import { AML_HEADER, SSDT_MISC_AT, SSDT_MISC_BODY, SSDT_PCIHP_AT, SSDT_PCIHP_BODY, SSDT_PROC_AT, SSDT_PROC_BODY } from './records/seabios-aml.js';
import { writeHeader } from './seabios-acpi-tables.js';

const PCI_SLOTS = 32;
const MISC_SIZE = AML_HEADER + SSDT_MISC_BODY.length;
const PROC = SSDT_PROC_BODY.subarray(SSDT_PROC_AT.start - AML_HEADER, SSDT_PROC_AT.end - AML_HEADER);
const PCIHP = SSDT_PCIHP_BODY.subarray(SSDT_PCIHP_AT.start - AML_HEADER, SSDT_PCIHP_AT.end - AML_HEADER);
/** etc/system-states when QEMU serves none (or not 6 bytes): S3 and S4 enabled, S4's type 0. */
const DEFAULT_STATES = Uint8Array.of(128, 0, 0, 129, 128, 128);

/** What build_ssdt reads of the machine. */
export interface SsdtInput {
  /** Processors to describe: MaxCountCPUs, at most 255. */
  cpus: number;
  present: (apicId: number) => boolean;
  /** etc/system-states as loaded, if any. */
  systemStates: Uint8Array | undefined;
  /** etc/pvpanic-port (0: no device). */
  pvpanicPort: number;
  pciMem32: { start: number; end: number };
  /** The 64-bit window pciinit.c mapped BARs in, or null (then P1V is 0). */
  pciMem64: { start: bigint; end: bigint } | null;
  /** What a 32-bit read of port 0xae0c (PCI_RMV_BASE) returns: bit n set = slot n ejectable. */
  pciRemovable: number;
}

/** build_ssdt's allocation, which is exactly what it writes. */
export function ssdtSize(cpus: number): number {
  return MISC_SIZE + (1 + 3 + 4) + cpus * PROC.length + (1 + 2 + 5 + 12 * cpus) + (6 + 2 + 1 + cpus) + (1 + 3 + 4) + (PCI_SLOTS - 1) * PCIHP.length + (1 + 2 + 5 + 12 * (PCI_SLOTS - 1));
}

const hexDigit = (v: number) => '0123456789ABCDEF'.charCodeAt(v & 0xf);

/** encodeLen: an AML PkgLength of 1 to 4 bytes (SeaBIOS always picks the width). */
function encodeLen(b: Uint8Array, at: number, length: number, bytes: number): number {
  if (bytes === 1) {
    b[at] = length & 0x3f;
    return at + 1;
  }
  if (bytes >= 4) b[at + 3] = (length >> 20) & 0xff;
  if (bytes >= 3) b[at + 2] = (length >> 12) & 0xff;
  b[at + 1] = (length >> 4) & 0xff;
  b[at] = (((bytes - 1) & 3) << 6) | (length & 0x0f);
  return at + bytes;
}

const putName = (b: Uint8Array, at: number, name: string) => {
  for (let i = 0; i < 4; i++) b[at + i] = name.charCodeAt(i);
  return at + 4;
};

/** build_notify: Method(NAME, 2) { If (LEqual(Arg0, i)) { Notify(TARGET with i's hex digits at `ofs`, Arg1) } ... }. */
function notifyMethod(b: Uint8Array, at: number, name: string, skip: number, count: number, target: string, ofs: number): number {
  const n = count - skip;
  b[at++] = 0x14; // MethodOp
  at = encodeLen(b, at, 2 + 5 + 12 * n, 2);
  at = putName(b, at, name);
  b[at++] = 0x02; // two arguments
  for (let i = skip; i < count; i++) {
    b[at++] = 0xa0; // IfOp
    at = encodeLen(b, at, 11, 1);
    b.set([0x93, 0x68, 0x0a, i & 0xff, 0x86], at); // LEqual(Arg0, i) Notify(
    at += 5;
    putName(b, at, target);
    b[at + ofs] = hexDigit(i >> 4);
    b[at + ofs + 1] = hexDigit(i);
    at += 4;
    b[at++] = 0x69; // Arg1
  }
  return at;
}

/** The SSDT's bytes (header included). */
export function buildSsdt(p: SsdtInput): Uint8Array {
  const length = ssdtSize(p.cpus);
  const b = new Uint8Array(length);
  const v = new DataView(b.buffer);
  const m = SSDT_MISC_AT;
  b.set(SSDT_MISC_BODY, AML_HEADER);
  const states = p.systemStates?.length === 6 ? p.systemStates : DEFAULT_STATES;
  if ((states[3]! & 128) === 0) b[m.s3Name] = 0x58; // 'X': _S3_ becomes XS3_
  if ((states[4]! & 128) === 0) b[m.s4Name] = 0x58;
  else b[m.s4Pkg + 1] = b[m.s4Pkg + 3] = states[4]! & 127;
  v.setUint32(m.pci32Start, p.pciMem32.start >>> 0, true);
  v.setUint32(m.pci32End, (p.pciMem32.end - 1) >>> 0, true);
  if (p.pciMem64 !== null) {
    b[m.pci64Valid] = 1;
    v.setBigUint64(m.pci64Start, p.pciMem64.start, true);
    v.setBigUint64(m.pci64End, p.pciMem64.end - 1n, true);
    v.setBigUint64(m.pci64Length, p.pciMem64.end - p.pciMem64.start, true);
  } else b[m.pci64Valid] = 0;
  v.setUint16(m.isaPest, p.pvpanicPort & 0xffff, true);
  let at = MISC_SIZE;

  b[at++] = 0x10; // Scope(\_SB_): runs to the end
  at = encodeLen(b, at, length - at, 3);
  at = putName(b, at, '_SB_');
  const proc = SSDT_PROC_AT;
  for (let i = 0; i < p.cpus; i++) {
    b.set(PROC, at);
    b[at + proc.name - proc.start + 2] = hexDigit(i >> 4); // CPxx
    b[at + proc.name - proc.start + 3] = hexDigit(i);
    b[at + proc.name - proc.start + 4] = i; // the ProcID after the name
    b[at + proc.id - proc.start] = i; // Name(ID, i)
    at += PROC.length;
  }
  at = notifyMethod(b, at, 'NTFY', 0, p.cpus, 'CP00', 2);
  b[at++] = 0x08; // Name(CPON, Package() { One or Zero per CPU })
  at = putName(b, at, 'CPON');
  b[at++] = 0x12; // PackageOp
  at = encodeLen(b, at, 2 + 1 + p.cpus, 2);
  b[at++] = p.cpus & 0xff;
  for (let i = 0; i < p.cpus; i++) b[at++] = p.present(i) ? 0x01 : 0x00;

  b[at++] = 0x10; // Scope(PCI0): runs to the end
  at = encodeLen(b, at, length - at, 3);
  at = putName(b, at, 'PCI0');
  const hp = SSDT_PCIHP_AT;
  for (let slot = 1; slot < PCI_SLOTS; slot++) {
    b.set(PCIHP, at);
    b[at + hp.name - hp.start + 1] = hexDigit(slot >> 4); // Sxx_
    b[at + hp.name - hp.start + 2] = hexDigit(slot);
    b[at + hp.id - hp.start] = slot; // _SUN
    b[at + hp.adr - hp.start + 2] = slot; // _ADR's device number
    // a slot QEMU does not report removable loses its _EJ0 (renamed EJ0_)
    if ((p.pciRemovable & (1 << slot)) === 0) putName(b, at + hp.ej0 - hp.start, 'EJ0_');
    at += PCIHP.length;
  }
  at = notifyMethod(b, at, 'PCNT', 1, PCI_SLOTS, 'S00_', 1);
  writeHeader(b, 'SSDT', at);
  return b;
}
