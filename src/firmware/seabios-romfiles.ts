/**
 * SeaBIOS's romfile list as its own ACPI tables see it (src/romfile.c,
 * src/fw/paravirt.c qemu_cfg_legacy / qemu_cfg_init): QEMU's numbered items
 * presented as files (the part acpi_setup reads: etc/irq0-override,
 * etc/max-cpus, the NUMA maps, the -acpitable tables), then every file of
 * the directory read at fw_cfg init. romfile_add prepends, so a lookup finds
 * the directory's files first, the last of a name winning.
 *
 * Built only when the fallback runs: reading the numbered items on every
 * boot would cost the loader's hot path fw_cfg traffic it does not need, and
 * the items never change during a boot, so reading them later reads the same.
 */
import { FW_CFG_ACPI_TABLES, FW_CFG_IRQ0_OVERRIDE, FW_CFG_MAX_CPUS, FW_CFG_NUMA } from '../fwcfg/keys.js';
import type { FwCfgDirEntry, FwCfgGuest } from './fwcfg-guest.js';
import { noAlloc } from './seabios-warnings.js';

/** One romfile: `size` bytes of item `select` from `skip` (qemu_romfile_add). */
export interface Romfile {
  name: string;
  select: number;
  skip: number;
  size: number;
}

const le = (b: Uint8Array): number => {
  let v = 0;
  for (let i = Math.min(b.length, 6) - 1; i >= 0; i--) v = v * 256 + b[i]!;
  return v;
};

export class SeaBiosRomfiles {
  private readonly fw: FwCfgGuest;
  /** In romfile_add order; lookups walk it from the end. */
  private readonly list: Romfile[] = [];
  /** Bytes romfile_loadfile's malloc_tmphigh can get: a file that does not fit is not loaded. */
  private readonly tmpRoom: number;
  /** Where loading failures print their warning. */
  private readonly warnings: string[];

  constructor(fw: FwCfgGuest, directory: readonly FwCfgDirEntry[], tmpRoom: number, warnings: string[]) {
    this.fw = fw;
    this.tmpRoom = tmpRoom;
    this.warnings = warnings;
    this.list.push({ name: 'etc/irq0-override', select: FW_CFG_IRQ0_OVERRIDE, skip: 0, size: 1 });
    this.list.push({ name: 'etc/max-cpus', select: FW_CFG_MAX_CPUS, skip: 0, size: 2 });
    // the NUMA item: a u64 node count, a u64 node per possible CPU, a u64 size per node
    const nodes = le(fw.readBytes(FW_CFG_NUMA, 0, 8));
    const maxCpus = this.loadInt('etc/max-cpus', 0);
    this.list.push({ name: 'etc/numa-cpu-map', select: FW_CFG_NUMA, skip: 8, size: maxCpus * 8 });
    this.list.push({ name: 'etc/numa-nodes', select: FW_CFG_NUMA, skip: 8 + maxCpus * 8, size: nodes * 8 });
    // -acpitable: a u16 count, then a u16 length before each table
    const count = le(fw.readBytes(FW_CFG_ACPI_TABLES, 0, 2));
    let at = 2;
    for (let i = 0; i < count; i++) {
      const len = le(fw.readBytes(FW_CFG_ACPI_TABLES, at, 2));
      at += 2;
      this.list.push({ name: `acpi/table${i}`, select: FW_CFG_ACPI_TABLES, skip: at, size: len });
      at += len;
    }
    for (const d of directory) this.list.push({ name: d.name, select: d.select, skip: 0, size: d.size });
  }

  /** romfile_find. */
  find(name: string): Romfile | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i]!.name === name) return this.list[i];
    return undefined;
  }

  /** romfile_findprefix, walked to the end: every romfile whose name starts with `prefix`, in lookup order. */
  withPrefix(prefix: string): Romfile[] {
    const out: Romfile[] = [];
    for (let i = this.list.length - 1; i >= 0; i--) if (this.list[i]!.name.startsWith(prefix)) out.push(this.list[i]!);
    return out;
  }

  /** The file's bytes, read from the item as file->copy does. */
  read(f: Romfile): Uint8Array {
    return this.fw.readBytes(f.select, f.skip, f.size);
  }

  /** romfile_loadint: a file of 1, 2, 4 or 8 bytes as a little-endian number, else `fallback` (values past 2^48 are not met here). */
  loadInt(name: string, fallback: number): number {
    const f = this.find(name);
    if (f === undefined || f.size === 0 || f.size > 8 || (f.size & (f.size - 1)) !== 0) return fallback;
    return le(this.read(f));
  }

  /** romfile_loadfile: the whole file, or undefined for none, an empty one, or one ZoneTmpHigh cannot hold. */
  loadFile(name: string): Uint8Array | undefined {
    const f = this.find(name);
    if (f === undefined || f.size === 0) return undefined;
    if (f.size + 1 > this.tmpRoom) {
      this.warnings.push(noAlloc('romfile_loadfile:65'));
      return undefined;
    }
    return this.read(f);
  }
}
