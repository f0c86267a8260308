/** What every firmware personality runs with: guest memory, its way to fw_cfg, and the boot's options. */
import type { GuestMemory } from '../memory/guest-memory.js';
import type { FwCfgGuest } from './fwcfg-guest.js';

export interface FirmwareContext {
  memory: GuestMemory;
  fw: FwCfgGuest;
  /** What firmware does to the platform before its first ACPI select (MMCONFIG, PCI BARs). */
  programPlatform?: () => void;
  /** `--place FILE=ADDR`: pinned allocation bases. */
  placements?: ReadonlyMap<string, number>;
}
