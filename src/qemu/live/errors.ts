/** Failures of a live QEMU: it did not start, exited, or did not answer in time. */
import { FwCfgError, InputError } from '../../errors.js';

export class QemuError extends FwCfgError {}

/** QEMU ended before its sockets connected (a refused option, an unknown machine type, a failed -incoming): with everything it printed. */
export class QemuExited extends InputError {
  readonly stderr: string;
  readonly exit: { code: number | null; signal: string | null };
  constructor(message: string, stderr: string, exit: { code: number | null; signal: string | null }) {
    super('QEMU_EXITED', message);
    this.stderr = stderr;
    this.exit = exit;
  }
}
