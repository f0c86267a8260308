// Holding the model's predicted TPM measurements to a real firmware's event log.
import type { ExecutionContext } from 'ava';
import { EV_SEPARATOR, type TcgEvent, type TcgEventLog } from '../../src/bootreal/tcg-event-log.js';

/** A prediction as `fwcfg simulate --json` prints it (firmware.measurements[]). */
export interface MeasurementJson {
  pcr: number;
  eventType: number;
  eventData: string;
  file: string;
  length: number;
  digests: Record<string, string>;
}

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1');

/** The events QemuFwCfgAcpi.c logs: PCR 1, EV_PLATFORM_CONFIG_FLAGS, "ACPI DATA". */
export function acpiDataEvents(log: TcgEventLog): TcgEvent[] {
  return log.events.filter((e) => e.pcr === 1 && e.eventType === 0xa && text(e.data) === 'ACPI DATA');
}

/**
 * The prediction is the log's ACPI DATA events: as many, in order, the same
 * PCR, type and event data, and every bank's digest (the log's banks are the
 * prediction's). The log must be a whole pre-boot log (PCR 1's separator in
 * it), so that an empty list says something.
 */
export function heldToLog(t: ExecutionContext, predicted: readonly MeasurementJson[], log: TcgEventLog, label: string): void {
  t.true(log.events.some((e) => e.pcr === 1 && e.eventType === EV_SEPARATOR), `${label}: the log holds PCR 1's separator`);
  const real = acpiDataEvents(log);
  t.is(predicted.length, real.length, `${label}: ${predicted.length} predicted (${predicted.map((m) => m.file).join(', ')}), ${real.length} in the log`);
  real.forEach((r, i) => {
    const p = predicted[i];
    if (p === undefined) return;
    t.deepEqual([p.pcr, p.eventType, p.eventData], [r.pcr, r.eventType, text(r.data)], `${label}: event ${i}`);
    t.deepEqual(p.digests, r.digests, `${label}: event ${i}, ${p.file} (${p.length} bytes)`);
  });
}
