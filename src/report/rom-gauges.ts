/**
 * Every `/rom@` RAM block's used length against its maximum, at machine
 * creation and after each boot's rebuild, under each QEMU release the story
 * was checked against. The story's own boots ran under one release; the
 * others are lived here through simulate/ (the same lifecycle, another
 * QEMU record), so a block that outgrows its maximum shows where QEMU aborts
 * (the seed's 0x2000 > 0x1000 on 5.2).
 */
import { hostPageAlign } from '../memory/address.js';
import { machineFromVector, machineRefusal } from '../qemu/from-vector.js';
import { simulateLifecycle, type BootRecord } from '../simulate/lifecycle.js';
import { policyFor } from '../simulate/options.js';
import type { ItemsCapture } from '../vectors/items-capture.js';
import type { Vector } from '../vectors/vector.js';
import type { ReportStory, StoryBlob } from './story.js';

export type GaugeOutcome = 'fits' | 'refused' | 'gone';

export interface GaugeState {
  /** 'creation' or 'boot N'. */
  when: string;
  /** The firmware whose boots left the block so (empty at creation). */
  who: string[];
  used: number | null;
  max: number;
  /** fits: the block holds it; refused: the rebuild asked for `wanted` and QEMU aborted; gone: QEMU aborted on another block. */
  outcome: GaugeOutcome;
  wanted?: number;
  /** The boot's first ACPI select made QEMU rebuild. */
  rebuilt: boolean;
}

export interface RomGauge {
  qemu: string;
  block: string;
  file: string;
  states: GaugeState[];
  /**
   * Set when this release has no such machine type (it would not start the
   * VM): the bars then only apply its sizing rules to the story's sizes.
   */
  sizedOnly?: string;
}

export interface GaugeSource {
  vector: Vector;
  items: ItemsCapture | undefined;
  /** Boots per firmware the story lived. */
  boots: number;
}

/** The releases the story's blobs were sized against, in the story's order. */
export function storyReleases(story: ReportStory): string[] {
  return [...new Set(story.creation.flatMap((c) => c.byQemu.map((q) => q.qemu)))];
}

function bootState(c: StoryBlob, qemu: string, b: BootRecord, label: string, creationMax: number, hostPageSize: number): GaugeState {
  const base = { when: `boot ${b.boot}`, who: [label], rebuilt: b.rebuiltAt !== null };
  if (b.qemuError !== null) {
    const refused = c.byQemu.find((q) => q.qemu === qemu)?.fits === false;
    return refused
      ? { ...base, used: null, max: creationMax, outcome: 'refused', ...(c.sizeAfterBoot !== null ? { wanted: hostPageAlign(c.sizeAfterBoot, hostPageSize) } : {}) }
      : { ...base, used: null, max: creationMax, outcome: 'gone' };
  }
  const row = b.ramblocks.find((r) => r.name === c.ramblock);
  return { ...base, used: row?.used ?? null, max: row?.max ?? creationMax, outcome: row === undefined ? 'gone' : 'fits' };
}

/** One state per boot and outcome: firmware that left a block alike share a bar. */
function merge(states: GaugeState[]): GaugeState[] {
  const out: GaugeState[] = [];
  for (const s of states) {
    const same = out.find((o) => o.when === s.when && o.used === s.used && o.max === s.max && o.outcome === s.outcome && o.wanted === s.wanted && o.rebuilt === s.rebuilt);
    if (same !== undefined) same.who.push(...s.who);
    else out.push({ ...s, who: [...s.who] });
  }
  return out;
}

export function romGauges(story: ReportStory, source: GaugeSource): RomGauge[] {
  const own = story.configuration.qemuRelease ?? '7.2';
  const hostPageSize = story.configuration.hostPageSize;
  const gauges: RomGauge[] = [];
  for (const qemu of storyReleases(story)) {
    const policy = policyFor(qemu);
    if (machineRefusal(source.vector, policy) !== null) {
      gauges.push(...sizedGauges(story, qemu, hostPageSize, source.vector.manifest.machine_type));
      continue;
    }
    const creation = machineFromVector(source.vector, { policy, hostPageSize }).romRows();
    // the story's boots where it ran under this release; the same lifecycle under the others
    const lives = story.firmware.map((f) => {
      if (qemu === own) return { label: f.label, boots: f.boots };
      const life = simulateLifecycle(source.vector, { policy, hostPageSize, firmware: f.firmware, boots: source.boots, ...(source.items ? { items: source.items } : {}) });
      life.memories.forEach((m) => m?.release());
      return { label: f.label, boots: life.report.boots };
    });
    for (const c of story.creation) {
      const at = creation.find((r) => r.name === c.ramblock);
      const creationMax = at?.max ?? c.max;
      const states: GaugeState[] = [{ when: 'creation', who: [], used: at?.used ?? c.used, max: creationMax, outcome: 'fits', rebuilt: false }];
      for (let n = 1; n <= source.boots; n++) {
        for (const l of lives) {
          const b = l.boots[n - 1];
          if (b !== undefined) states.push(bootState(c, qemu, b, l.label, creationMax, hostPageSize));
        }
      }
      gauges.push({ qemu, block: c.ramblock, file: c.file, states: merge(states) });
    }
  }
  return gauges;
}

/** A release without the machine type: the story's sizes against that release's maxima (creation, then after the rebuild). */
function sizedGauges(story: ReportStory, qemu: string, hostPageSize: number, machineType: string): RomGauge[] {
  const sizedOnly = `QEMU ${qemu} has no ${machineType} machine: these are the story's sizes under its maxima`;
  return story.creation.map((c) => {
    const q = c.byQemu.find((x) => x.qemu === qemu)!;
    const states: GaugeState[] = [{ when: 'creation', who: [], used: hostPageAlign(c.size, hostPageSize), max: q.max, outcome: 'fits', rebuilt: false }];
    if (c.sizeAfterBoot !== null) {
      const wanted = hostPageAlign(c.sizeAfterBoot, hostPageSize);
      states.push(q.fits === false ? { when: 'boot 1', who: [], used: null, max: q.max, outcome: 'refused', wanted, rebuilt: true } : { when: 'boot 1', who: [], used: wanted, max: q.max, outcome: 'fits', rebuilt: true });
    }
    return { qemu, block: c.ramblock, file: c.file, states, sizedOnly };
  });
}
