/**
 * QemuMachine: the parts of a QEMU machine this project models, wired as QEMU
 * wires them: the fw_cfg device, the RAM block list, the ACPI ROM blobs and
 * their lazy rebuild, the q35 PCIEXBAR register, and system reset.
 */
import { cpuHas1GiBPages, cpuPhysBits, type CpuFacts } from './cpu-model.js';
import { FwCfgDevice } from '../fwcfg/device.js';
import { FW_CFG_ID, FW_CFG_SIGNATURE } from '../fwcfg/keys.js';
import { applyQemuFileBehaviours, type QemuFileBehaviours } from './known-files.js';
import { RamBlock } from '../memory/ram-block.js';
import { RamList, type RamBlockRow } from '../memory/ram-list.js';
import { AcpiBuildState, type AcpiBlobs } from './acpi-build.js';
import { fileSlots, fwCfgDma, legacyFwCfgOrder, programName, rebuildsOnSelect, rsdpInRam, type MachineType } from './machine-type.js';
import type { QemuHost, QemuPolicy } from './version.js';

export interface MachineFile {
  name: string;
  data: Uint8Array;
  /** A file the guest may write by DMA (e.g. etc/vmgenid_addr). */
  writable?: boolean;
}

export interface MachineConfig extends QemuHost {
  type: MachineType;
  /** RAM blocks other than the ACPI ROM blobs (pc.ram, pc.bios, ...): sized, fixed. */
  otherBlocks?: RamBlockRow[];
  /** fw_cfg files other than the ACPI ones. */
  files?: MachineFile[];
  /** Overrides the machine type's fw_cfg DMA (`-global fw_cfg_io.dma_enabled=off`). */
  dmaEnabled?: boolean;
  /** The firmware packages the configuration was captured with (`seabios`: `1.16.3-2`, ...): what a bare --firmware means. */
  firmwarePackages?: Readonly<Record<string, string>>;
  /** Overrides the machine type's fw_cfg file slots (`-global fw_cfg_io.x-file-slots=N`). */
  fileSlots?: number;
  /** Absent for machines without QEMU-built ACPI (acpi=off). */
  acpi?: { initial: AcpiBlobs; rebuild: (m: QemuMachine) => AcpiBlobs };
  /** The command line QEMU ran (its -cpu decides what the CPU offers firmware); absent: not known. */
  argv?: readonly string[];
}

/** MCH PCIEXBAR at reset: base 0xb0000000, enable bit clear. */
export const PCIEXBAR_RESET = 0xb0000000;

export class QemuMachine {
  readonly type: MachineType;
  readonly policy: QemuPolicy;
  readonly hostPageSize: number;
  readonly program: string;
  readonly device: FwCfgDevice;
  /** MachineConfig.firmwarePackages (empty when unknown). */
  readonly firmwarePackages: Readonly<Record<string, string>>;
  /** What the CPU offers the firmware's page tables (x86 only; undefined when the command line is not known). */
  readonly cpu: CpuFacts | undefined;
  readonly ramList = new RamList();
  readonly acpi: AcpiBuildState | undefined;
  /** q35 only: firmware enables MMCONFIG by setting bit 0. */
  pciexbar = PCIEXBAR_RESET;
  /**
   * Whether firmware has programmed the platform (PCIEXBAR, PCI BARs) since
   * the last reset: QEMU's rebuild reads that state (MCFG, PCI windows).
   */
  platformProgrammed = false;
  /** What QEMU does with some files beyond serving them (q35's SMI feature negotiation). */
  readonly behaviours: QemuFileBehaviours;

  constructor(c: MachineConfig) {
    this.type = c.type;
    this.policy = c.policy;
    this.hostPageSize = c.hostPageSize;
    this.program = programName(c.type);
    this.firmwarePackages = c.firmwarePackages ?? {};
    this.cpu = c.argv === undefined || c.type.arch !== 'x86_64' ? undefined : { pages1G: cpuHas1GiBPages(c.argv), physBits: cpuPhysBits(c.argv) };
    this.device = new FwCfgDevice({ fileSlots: c.fileSlots ?? fileSlots(c.type), legacyOrder: legacyFwCfgOrder(c.type), dmaEnabled: c.dmaEnabled ?? fwCfgDma(c.type), program: this.program, modifyKeepsOpaque: c.policy.modifyKeepsCallback });
    for (const row of c.otherBlocks ?? []) {
      this.ramList.add(new RamBlock({ idstr: row.name, size: row.used, maxSize: row.max, resizeable: row.max !== row.used, hostPageSize: c.hostPageSize, messages: c.policy.ramSizeMessages }));
    }
    // what fw_cfg's common init gives every machine: the signature and the interface ID
    this.device.addBytes(FW_CFG_SIGNATURE, new TextEncoder().encode('QEMU'));
    this.device.addBytes(FW_CFG_ID, Uint8Array.of(this.device.dmaEnabled ? 3 : 1, 0, 0, 0));
    for (const f of c.files ?? []) this.device.addFile(f.name, f.data, { readOnly: f.writable !== true });
    this.behaviours = applyQemuFileBehaviours(this.device);
    const acpi = c.acpi;
    if (acpi !== undefined) {
      this.acpi = new AcpiBuildState({
        ctx: { device: this.device, ramList: this.ramList, policy: c.policy, hostPageSize: c.hostPageSize },
        program: this.program,
        rsdpInRam: rsdpInRam(c.type),
        rebuildOnSelect: rebuildsOnSelect(c.type),
        initial: acpi.initial,
        rebuild: () => acpi.rebuild(this),
      });
    }
  }

  /** `info ramblock` rows (all blocks, QEMU's order). */
  infoRamblock(): RamBlockRow[] {
    return this.ramList.rows();
  }

  /** Rows of the ACPI ROM blobs' blocks only. */
  romRows(): RamBlockRow[] {
    return this.ramList.rows((b) => b.idstr.startsWith('/rom@'));
  }

  /** Size of an fw_cfg file as its directory entry says. */
  fileSize(name: string): number | undefined {
    return this.device.fileRecords().find((r) => r.name === name)?.size;
  }

  /** Whether selecting `name` would still run QEMU's ACPI rebuild (callback opaque intact, not patched). */
  selectRebuilds(name: string): boolean {
    const it = this.device.fileItem(name);
    return this.acpi !== undefined && it?.selectCallback !== undefined && it.opaque !== null && this.acpi.patched === 0;
  }

  /** What firmware does before its first ACPI select: enable MMCONFIG (q35), assign PCI resources. */
  programPlatform(pciexbarBase = PCIEXBAR_RESET): void {
    if (this.type.family === 'q35') this.pciexbar = (pciexbarBase | 1) >>> 0;
    this.platformProgrammed = true;
  }

  /** qemu_system_reset: ROM data back, ACPI re-armed, PCIEXBAR off, fw_cfg device reset (DMA latch kept). */
  systemReset(): void {
    for (const rom of this.acpi?.roms ?? []) rom.reset();
    this.acpi?.reset();
    this.pciexbar = PCIEXBAR_RESET;
    this.platformProgrammed = false;
    this.behaviours.smi?.reset();
    this.behaviours.vmgenidReset?.();
    this.device.reset();
  }
}
