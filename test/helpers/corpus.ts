// Booting a conformance case as its real run did: the corpus machine (q35, acpi=off, 2 GiB), the
// WRITE_POINTER target preset, and etc/system-states as the real QEMU served it.
import { fromHex, toHex } from '../../src/bytes.js';
import { boot } from '../../src/simulate/boot.js';
import type { CorpusCase } from '../../src/simulate/corpus-case.js';
import { execMachine } from '../../src/simulate/exec-machine.js';
import { guestFor } from '../../src/simulate/fwcfg-access.js';
import { policyFor } from '../../src/simulate/options.js';

/** What a case's outcome.json says of the files QEMU served (the read-back after the run). */
export interface ServedFiles {
  fw_cfg?: { readback?: Record<string, { bytes_hex: string }> };
}

export function bootCase(c: CorpusCase, firmware: 'seabios' | 'ovmf', placements: Map<string, number>, o: ServedFiles) {
  const files = c.files.map((f) => ({ ...f }));
  if (c.target !== undefined) files.push({ name: c.target.name, data: c.target.preset.slice(), writable: true });
  const machine = execMachine(files, policyFor(undefined), { dma: c.dma });
  // S3 on or off (-global ICH9-LPC.disable_s3=1) as the real QEMU served etc/system-states
  const states = o.fw_cfg?.readback?.['etc/system-states']?.bytes_hex;
  if (states !== undefined) machine.device.fileItem('etc/system-states')!.data!.set(fromHex(states)!);
  const b = boot(machine, { firmware, placements }, guestFor);
  const wp = c.target === undefined ? undefined : toHex(machine.device.fileItem(c.target.name)!.data!);
  return { ...b, wp };
}
