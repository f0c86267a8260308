// Whether real boots can run here: QEMU, SeaBIOS and OVMF installed. Tests that need them skip with the reason.
import test from 'ava';
import { findFirmwareImage, findQemu, RealBootUnavailable } from '../../src/qemu/live/firmware-images.js';

/** Why the live tests cannot run here, or undefined when they can. */
function unavailable(): string | undefined {
  try {
    const qemu = findQemu();
    findFirmwareImage('seabios', qemu);
    findFirmwareImage('ovmf', qemu);
    return undefined;
  } catch (err) {
    if (err instanceof RealBootUnavailable) return err.message;
    throw err;
  }
}

export const missingFirmware = unavailable();
/** Serial (one QEMU at a time) when the firmware is here, skipped otherwise. */
export const live = missingFirmware === undefined ? test.serial : test.skip;
/** Appended to a live test's title: the reason it was skipped. */
export const why = missingFirmware === undefined ? '' : ` (skipped: ${missingFirmware})`;
