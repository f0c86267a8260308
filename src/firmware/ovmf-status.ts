/**
 * What the OVMF loader functions return, spelled as edk2 spells it: an EFI
 * status name (MdePkg Base.h; RETURN_NOT_FOUND is the RETURN_STATUS name
 * QemuFwCfgS3Lib uses for the same value), with the reason the firmware
 * logged when it is an error. A firmware that never returns (the DMA
 * completion spin) is not a status: it is `Hung`, a result of its own.
 */

export type EfiError =
  | 'EFI_PROTOCOL_ERROR'
  | 'EFI_UNSUPPORTED'
  | 'EFI_NOT_FOUND'
  | 'EFI_OUT_OF_RESOURCES'
  | 'EFI_INVALID_PARAMETER'
  | 'EFI_ACCESS_DENIED'
  | 'RETURN_NOT_FOUND';

export type EfiStatus = 'EFI_SUCCESS' | EfiError;

export interface Success {
  readonly status: 'EFI_SUCCESS';
}

export interface Failure<S extends EfiError> {
  readonly status: S;
  /** The firmware's log line for it (without the function name). */
  readonly reason: string;
}

/** A function's result: success, or one of the errors `S` it documents. */
export type Result<S extends EfiError> = Success | Failure<S>;

/**
 * The release build waiting for a DMA transfer whose control word never
 * reads 0 (QEMU set the error bit): the firmware spins forever, nothing
 * after it runs, nothing is rolled back.
 */
export interface Hung {
  readonly hung: true;
  readonly reason: string;
}

/** A failure of the whole script, with the entry it came from (-1: the script as a whole). */
export type LoaderFailure = Failure<EfiError> & { readonly index: number };

export const SUCCESS: Success = Object.freeze({ status: 'EFI_SUCCESS' });

export function failure<S extends EfiError>(status: S, reason: string): Failure<S> {
  return { status, reason };
}

export function isHung(r: object): r is Hung {
  return 'hung' in r;
}
