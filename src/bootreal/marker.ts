/**
 * Waiting for a firmware's boot marker in its log file, bounded in time.
 * Logs outlive a system_reset (QEMU keeps the chardev file open), so a later
 * boot looks only past the offset the log had when that boot started.
 */
import { existsSync, readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import type { QemuProcess } from '../qemu/live/qemu-process.js';

export function readText(path: string): string {
  return existsSync(path) ? readFileSync(path, 'latin1') : '';
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface MarkerWait {
  logPath: string;
  text: string;
  /** Only the log past this many characters counts (the boots before it wrote the rest). */
  from?: number;
  timeoutMs: number;
  progress: (message: string) => void;
}

/** Seconds until the marker appeared, or null when it did not within the bound. Throws when QEMU exits. */
export async function waitForMarker(q: QemuProcess, w: MarkerWait): Promise<number | null> {
  const started = Date.now();
  let lastNote = started;
  while (Date.now() - started < w.timeoutMs) {
    if (!q.running) throw new InputError('QEMU_EXITED', `QEMU exited during the boot: ${q.stderr.trim().split('\n').pop() ?? ''}`);
    if (readText(w.logPath).indexOf(w.text, w.from ?? 0) >= 0) return (Date.now() - started) / 1000;
    if (Date.now() - lastNote >= 10_000) {
      lastNote = Date.now();
      w.progress(`still waiting (${Math.round((lastNote - started) / 1000)} s)`);
    }
    await sleep(100);
  }
  return null;
}

export interface QuietWait {
  tracePath: string;
  /** Only the trace past this many bytes counts. */
  from: number;
  /** The trace line that must appear first. */
  after: RegExp;
  /** How long the trace must then stay unchanged. */
  quietMs: number;
  timeoutMs: number;
  progress: (message: string) => void;
}

/**
 * For a firmware that prints nothing where QEMU can log it without changing
 * the machine (OVMF's release build: its only output is a serial port, and a
 * serial port is a device QEMU describes in the DSDT): the boot counts as past
 * the loader once `after` has appeared in the fw_cfg trace and no select has
 * followed for `quietMs`. Seconds until then, or null past the bound.
 */
export async function waitForQuietTrace(q: QemuProcess, w: QuietWait): Promise<number | null> {
  const started = Date.now();
  let lastNote = started;
  let length = -1;
  let changedAt = started;
  while (Date.now() - started < w.timeoutMs) {
    if (!q.running) throw new InputError('QEMU_EXITED', `QEMU exited during the boot: ${q.stderr.trim().split('\n').pop() ?? ''}`);
    const trace = readText(w.tracePath).slice(w.from);
    if (trace.length !== length) {
      length = trace.length;
      changedAt = Date.now();
    } else if (w.after.test(trace) && Date.now() - changedAt >= w.quietMs) return (changedAt - started) / 1000;
    if (Date.now() - lastNote >= 10_000) {
      lastNote = Date.now();
      w.progress(`still waiting (${Math.round((lastNote - started) / 1000)} s)`);
    }
    await sleep(100);
  }
  return null;
}
