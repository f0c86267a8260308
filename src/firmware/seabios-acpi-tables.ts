/**
 * The fixed-layout tables SeaBIOS builds itself (src/fw/acpi.c, layouts from
 * src/std/acpi.h), as bytes: the header build_header writes, FADT and FACS,
 * MADT, HPET, SRAT, MCFG, RSDT and the 20-byte RSDP. Every table's checksum
 * makes it sum to zero, whatever the byte held before (SeaBIOS subtracts the
 * sum), so each builder sets it last.
 */
import { DSDT_BODY, AML_HEADER } from './records/seabios-aml.js';

const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
/** BUILD_APPNAME6 and BUILD_APPNAME4 (src/config.h). */
const OEM_ID = ascii('BOCHS ');
const OEM_TABLE = ascii('BXPC');

export const FADT_SIZE = 116;
export const FACS_SIZE = 64;
export const HPET_SIZE = 56;
export const MCFG_SIZE = 60;
export const RSDP_SIZE = 20;
/** sizeof(AmlCode): the DSDT as compiled, header included. */
export const DSDT_SIZE = AML_HEADER + DSDT_BODY.length;
/** The FADT's DSDT field (fill_dsdt). */
export const FADT_DSDT_AT = 40;

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** The checksum byte (offset `at`) that makes [0, length) sum to zero. */
export function settle(b: Uint8Array, at: number, length = b.length): void {
  b[at] = 0;
  let s = 0;
  for (let i = 0; i < length; i++) s += b[i]!;
  b[at] = -s & 0xff;
}

/** build_header: signature, length, revision 1, BOCHS / BXPC<sig>, revisions 1, checksum. */
export function writeHeader(b: Uint8Array, signature: string, length: number): void {
  const v = view(b);
  b.set(ascii(signature), 0);
  v.setUint32(4, length, true);
  b[8] = 1;
  b.set(OEM_ID, 10);
  b.set(OEM_TABLE, 16);
  b.set(ascii(signature), 20);
  v.setUint32(24, 1, true);
  b.set(OEM_TABLE, 28);
  v.setUint32(32, 1, true);
  settle(b, 9, length);
}

/** The FACS: signature and length, the rest zero. */
export function facs(): Uint8Array {
  const b = new Uint8Array(FACS_SIZE);
  b.set(ascii('FACS'), 0);
  view(b).setUint32(4, FACS_SIZE, true);
  return b;
}

/** The power-management function acpi_setup found: PIIX4 PM (pc) or ICH9 LPC (q35). */
export type PmDevice = 'piix4' | 'ich9';

/** piix4_fadt_setup / ich9_lpc_fadt_setup: a revision 1 FADT with DSDT 0 (fill_dsdt sets it). */
export function fadt(pm: PmDevice, pmBase: number, facsAddress: number): Uint8Array {
  const b = new Uint8Array(FADT_SIZE);
  const v = view(b);
  const ich9 = pm === 'ich9';
  v.setUint32(36, facsAddress, true);
  b[44] = 1; // model
  v.setUint16(46, 9, true); // SCI on IRQ 9
  v.setUint32(48, 0xb2, true); // PORT_SMI_CMD
  b[52] = ich9 ? 0x02 : 0xf1; // ACPI enable / disable values
  b[53] = ich9 ? 0x03 : 0xf0;
  v.setUint32(56, pmBase, true); // PM1a event
  v.setUint32(64, pmBase + 0x04, true); // PM1a control
  v.setUint32(76, pmBase + 0x08, true); // PM timer
  v.setUint32(80, ich9 ? pmBase + 0x20 : 0xafe0, true); // GPE0
  b[88] = 4; // PM1 event length
  b[89] = 2; // PM1 control length
  b[91] = 4; // PM timer length
  b[92] = ich9 ? 0x10 : 4; // GPE0 length
  v.setUint16(96, 0xfff, true); // no C2
  v.setUint16(98, 0xfff, true); // no C3
  // WBINVD, PROC_C1, SLP_BUTTON, RTC_S4, USE_PLATFORM_CLOCK
  v.setUint32(112, 0x80a5, true);
  writeHeader(b, 'FACP', FADT_SIZE);
  return b;
}

/** build_madt's allocation: one processor entry per possible CPU, 16 overrides at most. */
export const madtSize = (maxCpus: number): number => 44 + 8 * maxCpus + 12 + 10 * 16 + 6;

/** BUILD_PCI_IRQS: the PCI interrupts, level-triggered active-high overrides. */
const PCI_IRQS = [5, 9, 10, 11];

/** build_madt: local APIC 0xfee00000, one entry per possible CPU, the I/O APIC, overrides, LINT1 NMI. */
export function madt(maxCpus: number, present: (apicId: number) => boolean, irq0Override: boolean): Uint8Array {
  const b = new Uint8Array(madtSize(maxCpus));
  const v = view(b);
  v.setUint32(36, 0xfee00000, true);
  v.setUint32(40, 1, true); // PC-AT compatible
  let at = 44;
  for (let i = 0; i < maxCpus; i++, at += 8) {
    b.set([0, 8, i & 0xff, i & 0xff], at);
    v.setUint32(at + 4, present(i & 0xff) ? 1 : 0, true);
  }
  b.set([1, 12, 0, 0], at); // I/O APIC 0
  v.setUint32(at + 4, 0xfec00000, true);
  at += 12;
  const override = (source: number, gsi: number, flags: number) => {
    b.set([2, 10, 0, source], at);
    v.setUint32(at + 4, gsi, true);
    v.setUint16(at + 8, flags, true);
    at += 10;
  };
  if (irq0Override) override(0, 2, 0);
  for (const irq of PCI_IRQS) override(irq, irq, 0xd);
  b.set([4, 6, 0xff, 0, 0, 1], at); // NMI on LINT1 of every processor
  at += 6;
  writeHeader(b, 'APIC', at);
  return b;
}

/** build_hpet: block ID 0x8086a201 and the block at 0xfed00000, as QEMU's HPET advertises them. */
export function hpet(): Uint8Array {
  const b = new Uint8Array(HPET_SIZE);
  const v = view(b);
  v.setUint32(36, 0x8086a201, true);
  v.setUint32(44, 0xfed00000, true);
  writeHeader(b, 'HPET', HPET_SIZE);
  return b;
}

/** build_srat's allocation: one entry per possible CPU, a memory entry per node plus two. */
export const sratSize = (cpus: number, nodes: number): number => 48 + 16 * cpus + 40 * (nodes + 2);

/**
 * build_srat: a processor entry per CPU of the NUMA map, then memory: the
 * 640 KiB below the legacy hole, each node's memory from 1 MiB on with the
 * PCI hole below 4 GiB cut out (u64 arithmetic, as SeaBIOS's), empty entries
 * to fill the allocation.
 */
export function srat(cpuNodes: readonly bigint[], nodeSizes: readonly bigint[], ramSize: number, present: (apicId: number) => boolean): Uint8Array {
  const b = new Uint8Array(sratSize(cpuNodes.length, nodeSizes.length));
  const v = view(b);
  v.setUint32(36, 1, true);
  let at = 48;
  cpuNodes.forEach((node, i) => {
    b.set([0, 16, Number(node & 0xffn), i & 0xff], at);
    v.setUint32(at + 4, present(i & 0xff) ? 1 : 0, true);
    at += 16;
  });
  const U64 = (1n << 64n) - 1n;
  const memory = (base: bigint, len: bigint, node: number, enabled: boolean) => {
    b.set([1, 40, node & 0xff], at);
    v.setBigUint64(at + 8, base & U64, true);
    v.setBigUint64(at + 16, len & U64, true);
    v.setUint32(at + 28, enabled ? 1 : 0, true);
    at += 40;
  };
  const ram = BigInt(ramSize);
  memory(0n, 640n * 1024n, 0, true);
  let next = 1n << 20n;
  let slots = 1;
  nodeSizes.forEach((size, n) => {
    let base = next;
    let len = n === 0 ? (size - (1n << 20n)) & U64 : size;
    next = (base + len) & U64;
    if (base <= ram && next > ram) {
      len = (len - (next - ram)) & U64;
      if (len > 0n) {
        memory(base, len, n, true);
        slots++;
      }
      base = 1n << 32n;
      len = next - ram;
      next = (next + (1n << 32n) - ram) & U64;
    }
    memory(base, len, n, true);
    slots++;
  });
  for (; slots < nodeSizes.length + 2; slots++) memory(0n, 0n, 0, false);
  writeHeader(b, 'SRAT', b.length);
  return b;
}

/** build_mcfg_q35: one allocation, segment 0, buses 0-255, at the PCIEXBAR SeaBIOS programmed. */
export function mcfg(base: number): Uint8Array {
  const b = new Uint8Array(MCFG_SIZE);
  const v = view(b);
  v.setBigUint64(44, BigInt(base), true);
  b[55] = 255;
  writeHeader(b, 'MCFG', MCFG_SIZE);
  return b;
}

/** The default DSDT: SeaBIOS's AML with its compiler header replaced by build_header's. */
export function dsdt(): Uint8Array {
  const b = new Uint8Array(DSDT_SIZE);
  b.set(DSDT_BODY, AML_HEADER);
  writeHeader(b, 'DSDT', DSDT_SIZE);
  return b;
}

/** The RSDT over the tables in the order acpi_setup listed them. */
export function rsdt(entries: readonly number[]): Uint8Array {
  const b = new Uint8Array(36 + 4 * entries.length);
  entries.forEach((a, i) => view(b).setUint32(36 + 4 * i, a, true));
  writeHeader(b, 'RSDT', b.length);
  return b;
}

/** The RSDP: revision 0, SeaBIOS's OEM ID, the RSDT; its 20 bytes are what copy_acpi_rsdp copies. */
export function rsdp(rsdtAddress: number): Uint8Array {
  const b = new Uint8Array(RSDP_SIZE);
  b.set(ascii('RSD PTR '), 0);
  b.set(OEM_ID, 9);
  view(b).setUint32(16, rsdtAddress, true);
  settle(b, 8);
  return b;
}
