/**
 * Constants of QEMU's BIOS linker-loader wire format (hw/acpi/bios-linker-loader.c).
 * Where each command's fields sit, and what the commands are called: fields.ts.
 */

/** Every command occupies exactly this many bytes. */
export const ENTRY_SIZE = 128;
/** File-name fields are 56 bytes (FW_CFG_MAX_FILE_PATH); QEMU writes at most 55 + NUL. */
export const FILE_NAME_SIZE = 56;
export const FILE_NAME_MAX_LENGTH = FILE_NAME_SIZE - 1;

export const COMMAND_ALLOCATE = 1;
export const COMMAND_ADD_POINTER = 2;
export const COMMAND_ADD_CHECKSUM = 3;
export const COMMAND_WRITE_POINTER = 4;

export const ZONE_HIGH = 1;
export const ZONE_FSEG = 2;

/** i386 pads the command blob with zeros to a multiple of this (ACPI_BUILD_ALIGN_SIZE). */
export const LOADER_PAD_ALIGN = 0x1000;
/** QEMU >= 6.0 caps the loader RAMBlock at 64 KiB: 512 entries. */
export const LOADER_MAX_SIZE = 0x10000;

export const LOADER_FILE = 'etc/table-loader';
export const TABLES_FILE = 'etc/acpi/tables';
export const RSDP_FILE = 'etc/acpi/rsdp';

export const ZONE_NAMES: Readonly<Record<number, string>> = {
  [ZONE_HIGH]: 'HIGH',
  [ZONE_FSEG]: 'FSEG',
};
