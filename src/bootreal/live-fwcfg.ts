/**
 * fw_cfg of the real QEMU as the boot's observer uses it over qtest, while
 * the guest is paused: the file directory, presetting a writable file by a
 * DMA write (before the firmware runs), and reading files back through the
 * data port (after it stopped).
 */
import { dmaControl } from '../fwcfg/dma.js';
import { FW_CFG_DMA_CTL_SELECT, FW_CFG_DMA_CTL_WRITE } from '../fwcfg/keys.js';
import type { FwCfgDirEntry } from '../firmware/fwcfg-guest.js';
import type { LiveGuest } from '../qemu/live/live-guest.js';

/** RAM the preset's descriptor and buffer borrow before the firmware starts (zeroed again after). */
const SCRATCH = 0x100000n;
const SCRATCH_SIZE = 0x2000;

export function readDirectory(guest: LiveGuest): Promise<FwCfgDirEntry[]> {
  return guest.directory();
}

/** Writes `bytes` over the start of the file by one DMA SELECT|WRITE; returns QEMU's control word (0 = done). */
export async function presetFile(guest: LiveGuest, file: FwCfgDirEntry, bytes: Uint8Array): Promise<number> {
  const buffer = SCRATCH + 0x1000n;
  await guest.writeMemory(buffer, bytes);
  const control = await guest.dma(SCRATCH, dmaControl(FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, file.select), bytes.length, buffer);
  await guest.memset(SCRATCH, SCRATCH_SIZE, 0);
  return control;
}

/** The file's bytes now, through the data port (no guest memory touched). */
export async function readFile(guest: LiveGuest, file: FwCfgDirEntry): Promise<Uint8Array> {
  await guest.select(file.select);
  return guest.readPort(file.size);
}
