/**
 * What SeaBIOS has learned of the machine by the time acpi_setup runs, each
 * fact from where SeaBIOS gets it (src/fw/paravirt.c, pciinit.c, smp.c):
 * the e820 file, QEMU's numbered items, the directory, and the platform it
 * programmed itself. Where SeaBIOS asks hardware this model does not emulate,
 * the fact comes from what QEMU publishes about the same device, and says so.
 */
import { FW_CFG_HPET, FW_CFG_NB_CPUS } from '../fwcfg/keys.js';
import { LOADER_FILE } from '../loader/constants.js';
import type { MachineFamily } from '../qemu/machine-type.js';
import type { FwCfgGuest } from './fwcfg-guest.js';
import type { PmDevice } from './seabios-acpi-tables.js';
import type { SeaBiosRomfiles } from './seabios-romfiles.js';

export interface SeaBiosPlatform {
  /** The power-management function acpi_setup looks for; none: it builds nothing. */
  pm: PmDevice | undefined;
  /** acpi_pm_base. */
  pmBase: number;
  /** RAM below 4 GiB (RamSize). */
  ramSize: number;
  /** MaxCountCPUs. */
  maxCpus: number;
  /** apic_id_is_present: the CPUs that came up, by APIC ID. */
  present: (apicId: number) => boolean;
  /** build_hpet finds an HPET at 0xfed00000. */
  hpet: boolean;
  irq0Override: boolean;
  pciMem32: { start: number; end: number };
  pciMem64: { start: bigint; end: bigint } | null;
  /** A 32-bit read of port 0xae0c (PCI_RMV_BASE). */
  pciRemovable: number;
  /** The MMCONFIG base SeaBIOS programmed into q35's PCIEXBAR (MCFG's address). */
  pciexbar: number;
  /** Facts taken on an assumption, for the report. */
  notes: string[];
}

/** What the firmware knows without asking fw_cfg: the chipset and what it programs. */
export interface SeaBiosMachine {
  family: MachineFamily;
  /** Q35_HOST_BRIDGE_PCIEXBAR_ADDR (the record's platform). */
  pciexbar: number;
  /** Whether QEMU builds ACPI (acpi=on): on pc, the PIIX4 PM function exists only then. */
  qemuAcpi: boolean;
  /** RAM below 4 GiB as CMOS reports it, for a machine without etc/e820. */
  ramTop: number;
}

const E820_ENTRY = 20;
const E820_RAM = 1;
/** Q35_HOST_BRIDGE_PCIEXBAR_SIZE: the 32-bit PCI window starts above MMCONFIG. */
const PCIEXBAR_SIZE = 0x10000000;
/** BUILD_PCIMEM_END: the window ends at the I/O APIC. */
const PCIMEM_END = 0xfec00000;
/** BUILD_HPET_ADDRESS. */
const HPET_ADDRESS = 0xfed00000;
/** QEMU's fw_cfg HPET item: a count, then 8 entries of block ID u32, address u64, min tick u16, page protection u8. */
const HPET_ENTRY = 15;

const u16 = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const u32 = (b: Uint8Array, at: number) => (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
const u64 = (b: Uint8Array, at: number) => u32(b, at + 4) * 2 ** 32 + u32(b, at);

/** qemu_early_e820: RamSize is the end of the highest RAM entry below 4 GiB (QEMU splits RAM at 4 GiB). */
function ramBelow4G(romfiles: SeaBiosRomfiles): number | undefined {
  const file = romfiles.find('etc/e820');
  if (file === undefined) return undefined;
  const e820 = romfiles.read(file);
  let ramSize = 0;
  for (let at = 0; at + E820_ENTRY <= e820.length; at += E820_ENTRY) {
    const address = u64(e820, at);
    const end = address + u64(e820, at + 8);
    if (u32(e820, at + 16) === E820_RAM && address < 2 ** 32 && end > ramSize) ramSize = end;
  }
  return ramSize;
}

/**
 * build_hpet reads the HPET's ID and period registers. This model has no HPET
 * device; QEMU's HPET item describes the same timer blocks (block ID = the ID
 * register's low half, vendor in its top 16 bits; QEMU's period is 10 ns).
 */
function hpetAnswers(fw: FwCfgGuest): boolean {
  const item = fw.readBytes(FW_CFG_HPET, 0, 1 + 8 * HPET_ENTRY);
  for (let i = 0; i < Math.min(item[0]!, 8); i++) {
    const at = 1 + i * HPET_ENTRY;
    const vendor = u32(item, at) >>> 16;
    if (u64(item, at + 4) === HPET_ADDRESS) return vendor !== 0 && vendor !== 0xffff;
  }
  return false;
}

export function seabiosPlatform(fw: FwCfgGuest, romfiles: SeaBiosRomfiles, m: SeaBiosMachine): SeaBiosPlatform {
  const notes: string[] = [];
  const ramSize = ramBelow4G(romfiles) ?? m.ramTop;
  // smp_setup: the larger of fw_cfg's count and CMOS's; QEMU sets both from the boot CPUs
  let cpus = u16(fw.readBytes(FW_CFG_NB_CPUS, 0, 2), 0);
  if (cpus === 0) {
    cpus = 1;
    notes.push('the machine serves no FW_CFG_NB_CPUS (0x05), and CMOS is not modelled: SeaBIOS counts 1 CPU (QEMU always serves its numbered items; give the configuration\'s fw_cfg item capture)');
  }
  // etc/max-cpus is QEMU's APIC ID limit (the highest possible CPU's APIC ID + 1)
  const maxCpus = Math.max(romfiles.loadInt('etc/max-cpus', 0), cpus);
  if (maxCpus > cpus && maxCpus < 256) {
    notes.push(
      `the APIC ID limit (${maxCpus}) exceeds the CPUs that start (${cpus}): their APIC IDs are taken as 0..${cpus - 1}, QEMU's numbering when each socket's cores and threads are powers of two or there is one socket; other topologies leave gaps (SeaBIOS marks the CPUs it finds) that this model does not see`,
    );
  }
  const pm: PmDevice | undefined = m.family === 'q35' ? 'ich9' : m.family === 'pc' && m.qemuAcpi ? 'piix4' : undefined;
  // pci_setup: the window starts at RamSize; the host bridge's setup moves it
  let pciStart = ramSize;
  if (m.family === 'q35') pciStart = m.pciexbar + PCIEXBAR_SIZE;
  else if (ramSize <= 0x80000000) pciStart = 0x80000000;
  else if (ramSize <= 0xc0000000) pciStart = 0xc0000000;
  // q35's 0xae0c is no device's port: QEMU answers all ones (every slot keeps _EJ0: the seed capture)
  let pciRemovable = 0xffffffff;
  if (pm === 'piix4') {
    pciRemovable = 0xfffffffc;
    notes.push("pc: which PCI slots QEMU's hotplug register (port 0xae0c) reports removable is not modelled: slots 0 and 1 (host bridge, PIIX) are taken as fixed and every other slot as removable");
  }
  return {
    pm,
    // qemu_cfg_init moves the PM base below 0x1000 when QEMU serves a loader
    pmBase: romfiles.find(LOADER_FILE) !== undefined ? 0x600 : 0xb000,
    ramSize,
    maxCpus,
    // smp_scan records the APIC IDs of the CPUs that start (in xAPIC mode only)
    present: (id) => maxCpus < 256 && id < cpus,
    hpet: hpetAnswers(fw),
    irq0Override: romfiles.loadInt('etc/irq0-override', 0) !== 0,
    pciMem32: { start: pciStart, end: PCIMEM_END },
    // pciinit.c maps BARs above 4 GiB only when the 32-bit window overflows (not modelled: no PCI devices)
    pciMem64: null,
    pciRemovable,
    pciexbar: m.pciexbar,
    notes,
  };
}
