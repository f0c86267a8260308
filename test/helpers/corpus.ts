// Booting a conformance case as its real run did: the corpus machine (q35, acpi=off, 2 GiB), the
// WRITE_POINTER target preset, and etc/system-states as the real QEMU served it.
import { toHex } from '../../src/bytes.js';
import { boot } from '../../src/simulate/boot.js';
import type { CorpusCase } from '../../src/simulate/corpus-case.js';
import { caseMachine } from '../../src/simulate/exec-machine.js';
import { guestFor } from '../../src/simulate/fwcfg-access.js';
import { policyFor } from '../../src/simulate/options.js';

/** What a case's outcome.json says of the files QEMU served (the read-back after the run). */
export interface ServedFiles {
  fw_cfg?: { readback?: Record<string, { bytes_hex: string }> };
}

export function bootCase(c: CorpusCase, firmware: 'seabios' | 'ovmf', placements: Map<string, number>, o: ServedFiles) {
  // the machine `fwcfg exec CASE_DIR` runs: files in order, the preset, DMA, S3 and file slots as case.json says
  const machine = caseMachine(c, policyFor(undefined));
  // S3 on or off (-global ICH9-LPC.disable_s3=1): etc/system-states as the real QEMU served it
  const states = o.fw_cfg?.readback?.['etc/system-states']?.bytes_hex;
  const ours = toHex(machine.device.fileItem('etc/system-states')!.data!);
  if (states !== undefined && states !== ours) throw new Error(`${c.id}: etc/system-states ${ours}, the real QEMU served ${states}`);
  const b = boot(machine, { firmware, placements }, guestFor);
  const wp = c.target === undefined ? undefined : toHex(machine.device.fileItem(c.target.name)!.data!);
  return { ...b, wp };
}
