/**
 * What SeaBIOS says on its debug port (0x402) that matters to the loader:
 * its warnings (`WARNING - <kind> at <function>:<line>!`, printed by
 * warn_internalerror / warn_noalloc) and the lines about ACPI, zones and
 * memory. OVMF's release build prints nothing there; U-Boot prints its
 * `error: ...` lines on its serial console (./uboot-console.ts).
 */

export interface LogWarning {
  text: string;
  kind: string;
  /** SeaBIOS: where in its source the warning was raised (U-Boot's lines do not say). */
  function?: string;
  line?: number;
}

export function logWarnings(log: string): LogWarning[] {
  const out: LogWarning[] = [];
  for (const m of log.matchAll(/^(WARNING - (.+?) at (\w+):(\d+)!)\s*$/gm)) out.push({ text: m[1]!, kind: m[2]!, function: m[3]!, line: Number(m[4]) });
  return out;
}

const INTERESTING = [/^Moving pm_base/, /^WARNING/, /^table\(/, /^ACPI/, /^Copying ACPI/, /^Space available for UMB/, /^Returned \d+ bytes of ZoneHigh/, /^e820 map/, /^ {2}\d+: [0-9a-f]{16} - /];

export function linesOfInterest(log: string): string[] {
  return log.split('\n').map((l) => l.replace(/\r$/, '')).filter((l) => INTERESTING.some((r) => r.test(l)));
}
