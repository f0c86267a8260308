/** fw_cfg selector keys and bits (QEMU include/hw/nvram/fw_cfg.h, ../shared/spec/fw-cfg.md §1). */

export const FW_CFG_SIGNATURE = 0x00;
export const FW_CFG_ID = 0x01;
export const FW_CFG_UUID = 0x02;
export const FW_CFG_RAM_SIZE = 0x03;
export const FW_CFG_NOGRAPHIC = 0x04;
export const FW_CFG_NB_CPUS = 0x05;
export const FW_CFG_MACHINE_ID = 0x06;
export const FW_CFG_KERNEL_ADDR = 0x07;
export const FW_CFG_KERNEL_SIZE = 0x08;
export const FW_CFG_KERNEL_CMDLINE = 0x09;
export const FW_CFG_INITRD_ADDR = 0x0a;
export const FW_CFG_INITRD_SIZE = 0x0b;
export const FW_CFG_BOOT_DEVICE = 0x0c;
export const FW_CFG_NUMA = 0x0d;
export const FW_CFG_BOOT_MENU = 0x0e;
export const FW_CFG_MAX_CPUS = 0x0f;
export const FW_CFG_KERNEL_ENTRY = 0x10;
export const FW_CFG_KERNEL_DATA = 0x11;
export const FW_CFG_INITRD_DATA = 0x12;
export const FW_CFG_CMDLINE_ADDR = 0x13;
export const FW_CFG_CMDLINE_SIZE = 0x14;
export const FW_CFG_CMDLINE_DATA = 0x15;
export const FW_CFG_SETUP_ADDR = 0x16;
export const FW_CFG_SETUP_SIZE = 0x17;
export const FW_CFG_SETUP_DATA = 0x18;
export const FW_CFG_FILE_DIR = 0x19;
export const FW_CFG_FILE_FIRST = 0x20;

/** x86 arch-local keys. */
export const FW_CFG_ACPI_TABLES = 0x8000;
export const FW_CFG_SMBIOS_ENTRIES = 0x8001;
export const FW_CFG_IRQ0_OVERRIDE = 0x8002;
export const FW_CFG_E820_TABLE = 0x8003;
export const FW_CFG_HPET = 0x8004;

export const FW_CFG_WRITE_CHANNEL = 0x4000;
export const FW_CFG_ARCH_LOCAL = 0x8000;
export const FW_CFG_ENTRY_MASK = 0x3fff;
export const FW_CFG_INVALID = 0xffff;

export const FW_CFG_FILE_SLOTS_DEFAULT = 0x20;
export const FW_CFG_FILE_SLOTS_MIN = 0x10;
/** Largest slot count realize accepts: 0x3fff - 0x20 + 1. */
export const FW_CFG_FILE_SLOTS_MAX = 0x3fe0;
export const FW_CFG_MAX_FILE_PATH = 56;
/** One directory record: be32 size, be16 select, u16 reserved, name[56]. */
export const FW_CFG_FILE_RECORD_SIZE = 64;

/** ID item bits. */
export const FW_CFG_VERSION = 0x01;
export const FW_CFG_VERSION_DMA = 0x02;

/** What reading the DMA address register returns, byte by byte. */
export const FW_CFG_DMA_SIGNATURE = Uint8Array.from('QEMU CFG', (c) => c.charCodeAt(0));

/** DMA control bits. */
export const FW_CFG_DMA_CTL_ERROR = 0x01;
export const FW_CFG_DMA_CTL_READ = 0x02;
export const FW_CFG_DMA_CTL_SKIP = 0x04;
export const FW_CFG_DMA_CTL_SELECT = 0x08;
export const FW_CFG_DMA_CTL_WRITE = 0x10;

const WELL_KNOWN: Record<number, string> = {
  0x00: 'signature',
  0x01: 'id',
  0x02: 'uuid',
  0x03: 'ram_size',
  0x04: 'nographic',
  0x05: 'nb_cpus',
  0x06: 'machine_id',
  0x07: 'kernel_addr',
  0x08: 'kernel_size',
  0x09: 'kernel_cmdline',
  0x0a: 'initrd_addr',
  0x0b: 'initrd_size',
  0x0c: 'boot_device',
  0x0d: 'numa',
  0x0e: 'boot_menu',
  0x0f: 'max_cpus',
  0x10: 'kernel_entry',
  0x11: 'kernel_data',
  0x12: 'initrd_data',
  0x13: 'cmdline_addr',
  0x14: 'cmdline_size',
  0x15: 'cmdline_data',
  0x16: 'setup_addr',
  0x17: 'setup_size',
  0x18: 'setup_data',
  0x19: 'file_dir',
  0x8000: 'acpi_tables',
  0x8001: 'smbios_entries',
  0x8002: 'irq0_override',
  0x8003: 'e820_table',
  0x8004: 'hpet',
};

/** The name QEMU's traces give a well-known key, or undefined. */
export function wellKnownKeyName(key: number): string | undefined {
  return WELL_KNOWN[key & ~FW_CFG_WRITE_CHANNEL];
}

export function keyHex(key: number): string {
  return '0x' + key.toString(16).padStart(4, '0');
}
