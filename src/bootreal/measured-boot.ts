/**
 * A real boot with a software TPM, read back for what the TPM saw: QEMU
 * started with the machine's own arguments (its vTPM gets a fresh swtpm:
 * qemu/live/swtpm.ts), the firmware let run until its event log in guest RAM
 * (tcg-event-log.ts) holds the EV_SEPARATOR of PCR 1 — after it the firmware
 * measures nothing more into PCR 1 before the OS, so every ACPI DATA event
 * is in — then stopped and the log read once more. Boots after the first
 * follow a system_reset (QEMU resets the TPM with the machine), the last
 * boot's log wiped first so that only the new boot's can be found. Every
 * wait is bounded; QEMU and its swtpm are killed by PID whatever happens.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../errors.js';
import { captureArgs } from '../qemu/capture.js';
import type { CaptureFirmware } from '../vectors/capture-json.js';
import type { ItemsCaptureJson } from '../vectors/items-capture.js';
import { QemuError } from '../qemu/live/errors.js';
import { QemuProcess } from '../qemu/live/qemu-process.js';
import { parseMachineType } from '../qemu/machine-type.js';
import { parseRamBlocks } from '../qemu/monitor-text.js';
import { lowRamRange } from '../simulate/boot.js';
import { sleep } from './marker.js';
import { dumpRam } from './ram-image.js';
import { EV_SEPARATOR, findEventLogs, type TcgEventLog } from './tcg-event-log.js';
import { firmwareImageKind } from '../qemu/firmware-kinds.js';

export interface MeasuredBootInput {
  binary: string;
  /** The machine's arguments, the vTPM's -chardev/-tpmdev/-device among them (no firmware options). */
  args: readonly string[];
  /** UEFI: the code image as QEMU opens it, and a variable store template (a path here) copied for the run. Absent: QEMU's default BIOS. */
  pflash?: { code: string; varsTemplate: string };
  /** Bound on each boot until PCR 1's separator is logged (default 240 s). */
  timeoutMs?: number;
  /** Boots, a system_reset between them (default 1). */
  boots?: number;
  progress?: (message: string) => void;
}

export interface MeasuredBoots {
  /** The QEMU command (the run's directory written $RUN). */
  argv: string[];
  boots: MeasuredBoot[];
}

export interface MeasuredBoot {
  log: TcgEventLog;
  /** The log's bytes as they lay in guest RAM (header event to the end of the last record). */
  bytes: Uint8Array;
  elapsedS: number;
}

const POLL_MS = 3000;

/**
 * The real boot a capture's firmware run stands for: the capture's QEMU, the
 * machine's arguments (given: a capture writes its temporary paths $TMP),
 * and the very images that run used (OVMF: its code as QEMU opened it and
 * the variable store template it copied; SeaBIOS: QEMU's default BIOS).
 */
export function captureBootInput(capture: ItemsCaptureJson, firmware: CaptureFirmware, args: readonly string[]): MeasuredBootInput {
  const run = capture.firmware?.runs.find((r) => r.firmware === firmware && r.outcome === 'rebuilt');
  if (run === undefined) throw new InputError('NO_STAGE', `the capture has no ${firmware} run that reached its first ACPI select`);
  const binary = String(capture['qemu_binary_path'] ?? (capture['user_argv'] as string[] | undefined)?.[0] ?? 'qemu-system-x86_64');
  // QEMU loads its default BIOS unasked; a command line's own firmware options are in `args`
  if (firmwareImageKind(firmware).qemuDefault || run.image.source === 'command line') return { binary, args };
  const [code, varsTemplate] = run.image.files;
  if (code === undefined || varsTemplate === undefined) throw new InputError('BAD_CAPTURE', `the capture's ${firmware} run gives no code and variable store template to boot with`);
  return { binary, args, pflash: { code, varsTemplate } };
}

/** The log with the most events (a firmware keeps one; copies of its header elsewhere parse to fewer). */
function fullest(logs: readonly TcgEventLog[]): TcgEventLog | undefined {
  return [...logs].sort((a, b) => b.events.length - a.events.length)[0];
}

const separated = (log: TcgEventLog | undefined) => log?.events.some((e) => e.pcr === 1 && e.eventType === EV_SEPARATOR) === true;

/** Runs the stopped guest until PCR 1's separator is in its log, stops it, reads the log. */
async function bootOnce(q: QemuProcess, lowEnd: number, timeoutMs: number, progress: (m: string) => void): Promise<MeasuredBoot> {
  const started = Date.now();
  await q.qmp.execute('cont');
  for (;;) {
    await sleep(POLL_MS);
    if (!q.running) throw new QemuError('QEMU_EXITED', `measured boot: QEMU ended during the boot: ${q.stderr.trim().split('\n').at(-1) ?? ''}`);
    const log = fullest(findEventLogs(await dumpRam(q, lowEnd)));
    progress(log === undefined ? 'no event log in RAM yet' : `event log at 0x${log.address.toString(16)}: ${log.events.length} events`);
    if (separated(log)) break;
    if (Date.now() - started > timeoutMs) throw new QemuError('QEMU_TIMEOUT', `measured boot: no EV_SEPARATOR in PCR 1 within ${Math.round(timeoutMs / 1000)} s (${log === undefined ? 'no event log found' : `${log.events.length} events logged`})`);
  }
  await q.qmp.execute('stop');
  const image = await dumpRam(q, lowEnd);
  const log = fullest(findEventLogs(image))!;
  return { log, bytes: Uint8Array.from(image.bytes.subarray(log.address, log.address + log.length)), elapsedS: Math.round((Date.now() - started) / 100) / 10 };
}

export async function measuredBoots(input: MeasuredBootInput): Promise<MeasuredBoots> {
  const progress = input.progress ?? (() => undefined);
  const timeoutMs = input.timeoutMs ?? 240_000;
  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-measured-'));
  try {
    const firmware: string[] = [];
    if (input.pflash !== undefined) {
      copyFileSync(input.pflash.varsTemplate, join(dir, 'VARS.fd'));
      firmware.push('-drive', `if=pflash,format=raw,readonly=on,file=${input.pflash.code}`, '-drive', `if=pflash,format=raw,file=${join(dir, 'VARS.fd')}`);
    }
    const args = captureArgs([...input.args, ...firmware]);
    const count = input.boots ?? 1;
    return await QemuProcess.with({ binary: input.binary, args, dir, timeoutMs: 60_000, lifetimeMs: count * (timeoutMs + 60_000) }, async (q) => {
      const ram = parseRamBlocks(await q.qmp.hmp('info ramblock')).find((b) => b.name === 'pc.ram');
      const type = (await q.qmp.execute('qom-get', { path: '/machine', property: 'type' })) as string;
      if (ram === undefined) throw new QemuError('NO_MEMORY_MAP', 'measured boot: the machine has no pc.ram block (an x86 pc or q35 machine is needed)');
      const low = lowRamRange(parseMachineType(type.replace(/-machine$/, '')).family, ram.used);
      const boots: MeasuredBoot[] = [];
      for (let n = 1; n <= count; n++) {
        const last = boots.at(-1);
        if (last !== undefined) {
          await q.qmp.execute('system_reset');
          const r = await q.qtest.command(`memset 0x${last.log.address.toString(16)} 0x${last.log.length.toString(16)} 0x00`);
          if (!r.startsWith('OK')) throw new QemuError('QTEST_REPLY', `qtest memset: ${r}`);
        }
        progress(`boot ${n}: running until PCR 1's separator is logged (at most ${Math.round(timeoutMs / 1000)} s)`);
        boots.push(await bootOnce(q, low.end, timeoutMs, progress));
      }
      return { argv: q.argv.map((a) => a.split(dir).join('$RUN')), boots };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
