/** Failures of a live QEMU: it did not start, exited, or did not answer in time. */
import { FwCfgError } from '../../errors.js';

export class QemuError extends FwCfgError {}
