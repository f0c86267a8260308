/**
 * Which capture stage's rebuild a firmware's modelled boot uses, and why it
 * may not be that firmware's: a capture holds QEMU's rebuild after one
 * firmware's boot (./firmware-run.ts stageFor). QEMU rebuilds from the
 * platform the firmware programmed (q35's PCIEXBAR becomes the MCFG), so a
 * stage recorded under a firmware that programs another PCIEXBAR gives
 * tables the real boot would not get (spec-vectors/uboot/README.md: U-Boot
 * programs 0xe0000000, SeaBIOS and OVMF 0xb0000000).
 */
import { FIRMWARE_RECORDS } from '../firmware/records/index.js';
import { firmwareNameOf, type FirmwareSpec } from '../firmware/record.js';
import type { Vector } from '../vectors/vector.js';

const hx = (n: number) => '0x' + n.toString(16);

/** A sentence when `stage` is another firmware's and its platform programming differs from this one's; else null. */
export function stageCaveat(vector: Vector, firmware: FirmwareSpec, stage: string): string | null {
  if (stage === 'before') return null;
  const name = firmwareNameOf(firmware);
  const own = FIRMWARE_RECORDS.filter((r) => r.name === name);
  if (own.length === 0 || own.some((r) => r.stages.includes(stage))) return null;
  // PCIEXBAR is q35's (the MCH); pc has none to program
  if (!/q35/.test(vector.manifest.machine_type)) return null;
  const versioned = own.find((r) => r.id === firmware);
  const mine = (versioned ?? own[0]!).platform.pciexbar;
  const recorded = FIRMWARE_RECORDS.filter((r) => r.stages.includes(stage));
  const theirs = [...new Set(recorded.map((r) => r.platform.pciexbar))];
  if (theirs.length === 0 || theirs.every((p) => p === mine)) return null;
  const ownStages = [...new Set(own.flatMap((r) => r.stages))].join('/');
  const who = [...new Set(recorded.map((r) => r.name))].join('/');
  return `${vector.name} has no ${ownStages} stage: QEMU's rebuild is the ${stage} stage's (${who} programmed PCIEXBAR ${theirs.map(hx).join('/')}), while ${name} programs ${hx(mine)}; the tables QEMU rebuilds for ${name} (its MCFG at least) differ from these, so differences in them are not the model's`;
}
