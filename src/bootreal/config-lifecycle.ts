/**
 * `boot-real --config`: a configuration's life on the real QEMU and firmware
 * (boots separated by system_reset), and, when asked, the model's life of
 * the same configuration (`simulate --boots N`) checked against it boot by
 * boot while each boot's RAM is at hand.
 */
import type { GuestMemory } from '../memory/guest-memory.js';
import { simulateLifecycle, type Lifecycle } from '../simulate/lifecycle.js';
import { policyFor } from '../simulate/options.js';
import { stageFor } from '../simulate/firmware-run.js';
import { stageCaveat } from '../simulate/stage-caveat.js';
import { itemsCaptureFor } from '../simulate/captures.js';
import { LOADER_FILE } from '../loader/constants.js';
import type { Vector } from '../vectors/vector.js';
import { bootableFamily, configQemuBinary, runConfigBoots } from './config-run.js';
import { findFirmwareImage, findQemu, qemuVersionLine, type RealFirmware } from '../qemu/live/firmware-images.js';
import { realFirmwareSpec } from './firmware-spec.js';
import type { FirmwareSpec } from '../firmware/record.js';
import { compareBoot, liveBoot, type BootComparison, type LiveBoot } from './lifecycle-compare.js';

export interface ConfigLifecycleInput {
  vector: Vector;
  firmware: RealFirmware;
  /** `--firmware` as given (`uboot@2023.01`): a version must be the installed image's; the model plays what it resolves to (./firmware-spec.ts). */
  spec?: string;
  boots: number;
  /** Run the model too and compare each boot with it. */
  compare: boolean;
  /** Sees each boot while its RAM is current (e.g. to write the located copies out). */
  onBoot?: (boot: LiveBoot, ram: GuestMemory) => void;
  timeoutMs?: number;
  image?: string;
  progress?: (message: string) => void;
}

export interface ConfigLifecycle {
  config: string;
  machineType: string;
  firmware: RealFirmware;
  qemu: string;
  firmwareImage: string;
  argv: string[];
  vmgenidGuid: string | null;
  boots: LiveBoot[];
  /** Per boot, when compared (null otherwise). */
  comparison: BootComparison[] | null;
}

/** The vmgenid GUID the model's boot uses (the capture's), for the live run to pin; undefined when the capture has none. */
export function modelGuid(vector: Vector, firmware: FirmwareSpec): string | undefined {
  const stage = stageFor(vector, firmware);
  return vector.hasStage(stage) ? vector.stage(stage).qmp_vm_generation_id : undefined;
}

export async function bootRealConfig(input: ConfigLifecycleInput): Promise<ConfigLifecycle> {
  bootableFamily(input.vector);
  // the model plays the QEMU this host runs; a vector captured on another version is not a like-for-like check
  const installed = /version (\d+\.\d+)/.exec(qemuVersionLine(findQemu(configQemuBinary(input.vector))))?.[1];
  const captured = /version (\d+\.\d+)/.exec(input.vector.manifest.qemu_version)?.[1];
  const image = findFirmwareImage(input.firmware, findQemu(configQemuBinary(input.vector)), input.image);
  const modelFirmware = realFirmwareSpec(input.spec ?? input.firmware, image);
  const stage = stageFor(input.vector, modelFirmware);
  const caveat = stageCaveat(input.vector, modelFirmware, stage);
  const guid = modelGuid(input.vector, modelFirmware);
  const creationLoader = input.vector.hasRom('before', LOADER_FILE) ? input.vector.romBytes('before', LOADER_FILE) : undefined;
  const items = itemsCaptureFor(input.vector, undefined);
  let model: Lifecycle | undefined;
  if (input.compare) {
    input.progress?.(`the model's ${input.boots} boots of ${input.vector.name}`);
    model = simulateLifecycle(input.vector, { policy: policyFor(installed ?? captured), hostPageSize: 0x1000, firmware: modelFirmware, boots: input.boots, keepFiles: true, ...(items !== undefined ? { items } : {}) });
  }
  try {
    const run = await runConfigBoots(
      {
        vector: input.vector,
        firmware: input.firmware,
        boots: input.boots,
        ...(guid !== undefined ? { vmgenidGuid: guid } : {}),
        ...(input.timeoutMs !== undefined ? { timeoutMs: input.timeoutMs } : {}),
        ...(input.image !== undefined ? { image: input.image } : {}),
        ...(input.progress !== undefined ? { progress: input.progress } : {}),
      },
      (b) => {
        const live = liveBoot(b, creationLoader);
        input.onBoot?.(live, b.run.ram.memory);
        const i = b.boot - 1;
        const record = model?.report.boots[i];
        const comparison = model !== undefined && record !== undefined ? compareBoot({ record, memory: model.memories[i], files: model.files[i]! }, b, live) : undefined;
        return { live, comparison };
      },
    );
    return {
      config: input.vector.name,
      machineType: input.vector.manifest.machine_type,
      firmware: input.firmware,
      qemu: run.qemuVersion,
      firmwareImage: run.image.description,
      argv: run.argv,
      vmgenidGuid: guid ?? null,
      boots: run.results.map((r) => r.live),
      comparison: model === undefined ? null : run.results.map((r, i) => withCaveat(withVersion(r.comparison ?? unmodelled(i + 1, model!), installed, captured), caveat)),
    };
  } finally {
    for (const m of model?.memories ?? []) m?.release();
  }
}

/** A live boot the model never reached (it stopped earlier): a difference, said as such. */
export function unmodelled(boot: number, model: Lifecycle): BootComparison {
  return { boot, equal: false, checks: [{ what: 'the boot itself', status: 'different', detail: `the model did not reach boot ${boot} (${model.report.stopped ?? 'it ran fewer boots'}); the real QEMU did` }] };
}

function withVersion(c: BootComparison, installed: string | undefined, captured: string | undefined): BootComparison {
  if (installed === undefined || captured === undefined || installed === captured) return c;
  return { ...c, equal: false, checks: [{ what: 'QEMU version', status: 'different', detail: `the vector was captured on QEMU ${captured}, this host runs ${installed}: the configuration's tables need not be the same` }, ...c.checks] };
}

function withCaveat(c: BootComparison, caveat: string | null): BootComparison {
  return caveat === null ? c : { ...c, caveat };
}
