/**
 * Every fault caused by outside input (a file, a listing, a producer call, a
 * guest access the model refuses) is a FwCfgError: the CLI turns these into one
 * line and exit status 2. Anything else escaping is a bug in this project.
 */
import type { ErrorCode } from './error-codes.js';

export type { ErrorCode } from './error-codes.js';

export class FwCfgError extends Error {
  /** Stable machine-readable identifier, e.g. `LOADER_TRUNCATED` (src/error-codes.ts lists them all). */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A byte stream that is not a well-formed table-loader (size, structure). */
export class LoaderFormatError extends FwCfgError {}

/** A text or JSON listing that cannot be assembled; carries the 1-based line. */
export class ListingSyntaxError extends FwCfgError {
  readonly line: number;
  constructor(line: number, message: string) {
    super('LISTING_SYNTAX', `line ${line}: ${message}`);
    this.line = line;
  }
}

/** A field value that the 128-byte wire format cannot hold. */
export class EncodeError extends FwCfgError {}

/** A BiosLinker call that QEMU would have stopped with an assertion. */
export class LinkerError extends FwCfgError {}

/** A file or directory given on the command line or read from a vector. */
export class InputError extends FwCfgError {}

/** The CLI was called with a wrong command, flag or value. */
export class UsageError extends FwCfgError {}
