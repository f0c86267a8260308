/**
 * The file order of machine types 2.5 and older (`legacy_fw_cfg_order`):
 * files are sorted by a fixed rank, equal ranks in insertion order.
 */

/** Ranks QEMU gives groups of files that have no fixed name. */
export const ORDER_OVERRIDE_VGA = 70;
export const ORDER_OVERRIDE_NIC = 80;
export const ORDER_OVERRIDE_USER = 100;
export const ORDER_OVERRIDE_DEVICE = 110;
export const ORDER_OVERRIDE_LAST = 200;

const RANKS: ReadonlyMap<string, number> = new Map([
  ['etc/boot-menu-wait', 10],
  ['bootsplash.jpg', 11],
  ['bootsplash.bmp', 12],
  ['etc/boot-fail-wait', 15],
  ['etc/smbios/smbios-tables', 20],
  ['etc/smbios/smbios-anchor', 30],
  ['etc/e820', 40],
  ['etc/reserved-memory-end', 50],
  ['genroms/kvmvapic.bin', 55],
  ['genroms/linuxboot.bin', 60],
  ['etc/system-states', 90],
  ['etc/extra-pci-roots', 120],
  ['etc/acpi/tables', 130],
  ['etc/table-loader', 140],
  ['etc/tpm/log', 150],
  ['etc/acpi/rsdp', 160],
  ['bootorder', 170],
  ['etc/msr_feature_control', 180],
]);

/** The rank of `name`, or undefined for a name QEMU does not know (it then warns and uses 200). */
export function legacyRank(name: string): number | undefined {
  return RANKS.get(name);
}
