/**
 * The reboot hazard: a blob the first rebuild resizes loses its select
 * callback (fw_cfg_modify_file clears it before QEMU 10.0), so after a reset it serves the
 * machine-creation build padded to the new size and its select no longer
 * rebuilds; what the next boot gets depends on which file the firmware
 * selects first. For a vector this is found by living three boots per
 * firmware; a capture lacks the creation build, so only the resize is told.
 */
import { LOADER_FILE, RSDP_FILE, TABLES_FILE } from '../loader/constants.js';
import { hostPageAlign } from '../memory/address.js';
import { firmwareRecordFor } from '../firmware/records/index.js';
import type { FirmwareName } from '../simulate/boot.js';
import { simulateLifecycle, type LifecycleReport } from '../simulate/lifecycle.js';
import { policyFor, releaseOf } from '../simulate/options.js';
import type { ItemsCapture } from '../vectors/items-capture.js';
import type { Vector } from '../vectors/vector.js';
import { parseMachineType } from '../qemu/machine-type.js';
import { aboutFile, finding, type Finding } from './findings.js';

const BOOTS = 3;

/** Files whose select stopped rebuilding between boot 1 and boot 2, with their sizes. */
function lostTriggers(life: LifecycleReport): Finding[] {
  const [first, second] = life.boots;
  if (first === undefined || second === undefined) return [];
  return second.directory
    .filter((f) => !f.selectRebuilds && first.directory.find((g) => g.name === f.name)?.selectRebuilds === true)
    .map((f) => {
      const was = first.directory.find((g) => g.name === f.name)!.size;
      return aboutFile(finding('warning', -1, 'REBOOT_LOST_TRIGGER', `${f.name}: the first rebuild resizes it (${was} -> ${f.size} bytes); after a reset it serves the machine-creation build padded to ${f.size} bytes and its select no longer rebuilds`), f.name);
    });
}

export function rebootHazards(vector: Vector, items: ItemsCapture | undefined): Finding[] {
  const out: Finding[] = [];
  let triggersTold = false;
  const machine = parseMachineType(vector.manifest.machine_type);
  for (const firmware of ['seabios', 'ovmf'] as FirmwareName[]) {
    if (firmwareRecordFor(firmware, machine.arch, vector.manifest.packages) === undefined) continue;
    const { report, memories } = simulateLifecycle(vector, { policy: policyFor(releaseOf(vector)), hostPageSize: 0x1000, firmware, boots: BOOTS, ...(items ? { items } : {}) });
    // findings are text: the boots' guest memory can go back to the pool
    for (const m of memories) m?.release();
    if (!triggersTold) {
      out.push(...lostTriggers(report));
      triggersTold = true;
    }
    const first = report.boots[0];
    if (first === undefined) continue;
    const breaks = report.boots.find((b) => b.boot > 1 && b.os.tables !== first.os.tables && (b.os.tables === 'broken' || b.os.tables === 'none'));
    if (breaks !== undefined) {
      const why = breaks.qemuError?.split('\n').at(-1) ?? breaks.os.reasons[0] ?? breaks.firmware?.warnings[0] ?? 'no ACPI tables';
      // a firmware that hangs boots no OS at all: say that, not that an OS finds no tables
      const what = breaks.firmware?.outcome === 'hung' ? 'hangs: no OS boots' : `gives the OS ${breaks.os.tables === 'broken' ? 'broken tables' : 'no ACPI tables'}`;
      out.push(finding('error', -1, 'REBOOT_BREAKS_TABLES', `${firmware}: boot ${breaks.boot} ${what} (boot 1: ${first.os.tables === 'qemu' ? "QEMU's tables" : first.os.tables === 'firmware' ? "the firmware's own" : first.os.tables}): ${why}`, [firmware]));
    }
  }
  return out;
}

/**
 * A capture with the rebuild after PCIEXBAR (format 2 `rebuild`): a file that
 * grows past its RAM block's page-aligned length there is resized, with the
 * consequences above from boot 2 on.
 */
export function captureRebootHazards(capture: ItemsCapture, hostPageSize = 0x1000): Finding[] {
  const out: Finding[] = [];
  for (const r of capture.rebuilt ?? []) {
    if (![TABLES_FILE, LOADER_FILE, RSDP_FILE].includes(r.name)) continue;
    const served = capture.items.find((i) => i.name === r.name);
    if (served === undefined) continue;
    if (hostPageAlign(r.bytes.length, hostPageSize) !== hostPageAlign(served.bytes.length, hostPageSize)) {
      out.push(
        aboutFile(
          finding(
            'warning',
            -1,
            'REBOOT_LOST_TRIGGER',
            `${r.name}: the rebuild after the firmware programs PCIEXBAR resizes it (${served.bytes.length} -> ${r.bytes.length} bytes): from boot 2 on its select no longer rebuilds and it serves the machine-creation build padded with zeros (a QEMU vector of this configuration, with the creation build, tells at which boot tables break)`,
          ),
          r.name,
        ),
      );
    }
  }
  return out;
}
