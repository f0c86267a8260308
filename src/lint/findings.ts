/** A lint finding: how bad, which entry, why, in one line. */
export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  severity: Severity;
  /** Entry index in etc/table-loader, or -1 for the script or machine as a whole. */
  entry: number;
  code: string;
  message: string;
  /** The personalities it concerns, when not all. */
  firmware?: string[];
}

export const finding = (severity: Severity, entry: number, code: string, message: string, firmware?: string[]): Finding => ({ severity, entry, code, message, ...(firmware ? { firmware } : {}) });
