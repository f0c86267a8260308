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
  /** The fw_cfg file (and so the ROM blob) it is about, when it is about one. */
  file?: string;
}

export const finding = (severity: Severity, entry: number, code: string, message: string, firmware?: string[]): Finding => ({ severity, entry, code, message, ...(firmware ? { firmware } : {}) });

/** The same finding, marked as being about one fw_cfg file (a report links it to that file's RAM block). */
export const aboutFile = (f: Finding, file: string): Finding => ({ ...f, file });
