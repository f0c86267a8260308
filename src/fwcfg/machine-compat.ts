/**
 * What a machine type's compat properties do to fw_cfg (fw-cfg.md §8, checked
 * on QEMU 7.2 for pc-i440fx and pc-q35 2.4 to 2.9 and virt 2.8/2.9):
 * - DMA interface (ID bit 1, the DMA register) from 2.5 (hw_compat_2_4
 *   turns it off);
 * - the name-sorted directory from 2.6; pc-i440fx/pc-q35 2.5 and older use
 *   the legacy fixed order;
 * - 0x20 file slots from 2.9 (hw_compat_2_8: 0x10).
 * Unversioned names (pc, q35, virt, microvm, ...) are the newest type.
 */
import type { FwCfgDeviceOptions } from './device.js';
import { FW_CFG_FILE_SLOTS_DEFAULT, FW_CFG_FILE_SLOTS_MIN } from './keys.js';

export interface FwCfgMachineCompat extends Required<Pick<FwCfgDeviceOptions, 'fileSlots' | 'legacyOrder' | 'dmaEnabled'>> {
  /** [major, minor] of a versioned machine type, undefined for the newest. */
  version: [number, number] | undefined;
}

const atMost = (v: [number, number], major: number, minor: number) => v[0] < major || (v[0] === major && v[1] <= minor);

/** fw_cfg options for a `-machine` type name such as `pc-i440fx-2.0`, `pc-q35-2.5`, `virt-2.8`, `q35`. */
export function fwCfgMachineCompat(machine: string): FwCfgMachineCompat {
  const type = machine.split(',')[0]!;
  const m = /-(\d+)\.(\d+)$/.exec(type);
  const version: [number, number] | undefined = m ? [Number(m[1]), Number(m[2])] : undefined;
  if (version === undefined) return { fileSlots: FW_CFG_FILE_SLOTS_DEFAULT, legacyOrder: false, dmaEnabled: true, version };
  const pcFamily = /^pc(-i440fx|-q35)?-\d/.test(type);
  return {
    fileSlots: atMost(version, 2, 8) ? FW_CFG_FILE_SLOTS_MIN : FW_CFG_FILE_SLOTS_DEFAULT,
    legacyOrder: pcFamily && atMost(version, 2, 5),
    dmaEnabled: !atMost(version, 2, 4),
    version,
  };
}
