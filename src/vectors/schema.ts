/**
 * A small declarative checker for the JSON files the readers take from
 * outside (manifest.json, items.json, case.json). A schema is built from the
 * checks below; `validate` runs it and turns the first mismatch into a typed
 * error naming the file and the JSON path:
 *
 *   manifest.json: stages.before.roms[2].fw_cfg_size: expected a non-negative integer, got "12"
 *
 * Checks return the value they were given (extra keys kept), typed as the
 * schema says, so a schema assigned to `Check<SomeInterface>` is checked by
 * the compiler against the interface its consumers use.
 */
import type { ErrorCode } from '../errors.js';
import { InputError } from '../errors.js';
import { unsafePathReason } from './file-source.js';

export interface Check<T> {
  (value: unknown, at: string): T;
}

/** A field that may be absent (`undefined` after JSON.parse). */
export interface OptionalCheck<T> extends Check<T | undefined> {
  readonly optional: true;
}

type Out<C> = C extends Check<infer T> ? T : never;
type OptionalKeys<S> = { [K in keyof S]: S[K] extends OptionalCheck<unknown> ? K : never }[keyof S];
type Shape<S> = { [K in Exclude<keyof S, OptionalKeys<S>>]: Out<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Out<S[K]>, undefined> };

/** The first place a value differs from its schema; `validate` names the file. */
class Mismatch {
  constructor(
    readonly at: string,
    readonly message: string,
    readonly code?: ErrorCode,
  ) {}
}

/** The value as messages show it: short JSON, `nothing` for a missing key. */
function shown(value: unknown): string {
  if (value === undefined) return 'nothing';
  const s = JSON.stringify(value);
  return s.length > 48 ? `${s.slice(0, 45)}...` : s;
}

function expected(at: string, what: string, value: unknown): never {
  throw new Mismatch(at, `expected ${what}, got ${shown(value)}`);
}

/** The JSON path of `key` inside `at`: `stages.before`, `stages["odd key"]`, `roms[2]`. */
export function keyPath(at: string, key: string | number): string {
  if (typeof key === 'number') return `${at}[${key}]`;
  if (!/^[A-Za-z_][\w-]*$/.test(key)) return `${at}[${JSON.stringify(key)}]`;
  return at === '' ? key : `${at}.${key}`;
}

// ------------------------------------------------------------------ leaves

/** Anything (fields kept as they are, e.g. free-form notes). */
export const unknownValue: Check<unknown> = (v) => v;

export const string: Check<string> = (v, at) => (typeof v === 'string' ? v : expected(at, 'a string', v));

export const boolean: Check<boolean> = (v, at) => (typeof v === 'boolean' ? v : expected(at, 'true or false', v));

/** Sizes, lengths, counts, addresses held as numbers: exact in a double, never negative. */
export const size: Check<number> = (v, at) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : expected(at, 'a non-negative integer', v));

export const integer: Check<number> = (v, at) => (typeof v === 'number' && Number.isSafeInteger(v) ? v : expected(at, 'an integer', v));

/** A 32-bit field (fw_cfg sizes and IDs are u32 on the wire). */
export const u32: Check<number> = (v, at) => (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff ? v : expected(at, 'a non-negative integer below 2^32', v));

/** `0x`-prefixed hex text of at most `bits` bits (leading zeros allowed, as QEMU prints them). */
export function hex(bits: number): Check<string> {
  const re = new RegExp(`^0x0*[0-9a-fA-F]{1,${bits / 4}}$`);
  return (v, at) => (typeof v === 'string' && re.test(v) ? v : expected(at, `a ${bits}-bit hex number ("0x...")`, v));
}

/** An even run of hex digits (bytes), possibly empty. */
export const hexBytes: Check<string> = (v, at) => (typeof v === 'string' && v.length % 2 === 0 && /^[0-9a-fA-F]*$/.test(v) ? v : expected(at, 'hex bytes (an even number of hex digits)', v));

export const sha256: Check<string> = (v, at) => (typeof v === 'string' && /^[0-9a-fA-F]{64}$/.test(v) ? v : expected(at, 'a SHA-256 (64 hex digits)', v));

export const guid: Check<string> = (v, at) => (typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) ? v : expected(at, 'a GUID', v));

/** A file named relative to the capture's directory, never leaving it. */
export const relativePath: Check<string> = (v, at) => {
  if (typeof v !== 'string') expected(at, 'a relative path', v);
  const reason = unsafePathReason(v);
  if (reason !== undefined) throw new Mismatch(at, `path ${shown(v)} ${reason}`, 'UNSAFE_PATH');
  return v;
};

export function oneOf<const T extends readonly (string | number)[]>(...values: T): Check<T[number]> {
  return (v, at) => (values.includes(v as T[number]) ? (v as T[number]) : expected(at, `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, v));
}

// ------------------------------------------------------------------ structure

export function optional<T>(check: Check<T>): OptionalCheck<T> {
  const c = (v: unknown, at: string) => (v === undefined ? undefined : check(v, at));
  return Object.assign(c, { optional: true as const });
}

export function nullable<T>(check: Check<T>): Check<T | null> {
  return (v, at) => (v === null ? null : check(v, at));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function array<T>(item: Check<T>): Check<T[]> {
  return (v, at) => {
    if (!Array.isArray(v)) expected(at, 'an array', v);
    v.forEach((x, i) => item(x, keyPath(at, i)));
    return v as T[];
  };
}

/** An object used as a map: any keys, every value checked. */
export function record<T>(value: Check<T>): Check<Record<string, T>> {
  return (v, at) => {
    if (!isObject(v)) expected(at, 'an object', v);
    for (const [k, x] of Object.entries(v)) value(x, keyPath(at, k));
    return v as Record<string, T>;
  };
}

/** An object with these fields (others are kept unchecked). */
export function object<S extends Record<string, Check<unknown>>>(fields: S): Check<Shape<S>> {
  return (v, at) => {
    if (!isObject(v)) expected(at, 'an object', v);
    for (const [k, check] of Object.entries(fields)) check(Object.hasOwn(v, k) ? v[k] : undefined, keyPath(at, k));
    return v as Shape<S>;
  };
}

/** A rule between a value's fields, once their types hold; the rule returns what is wrong, if anything. */
export function rule<T>(check: Check<T>, broken: (value: T) => string | undefined): Check<T> {
  return (v, at) => {
    const value = check(v, at);
    const why = broken(value);
    if (why !== undefined) throw new Mismatch(at, why);
    return value;
  };
}

/**
 * Checks `value` (parsed from `file`) against `check`; the first mismatch is
 * an InputError with `code` (UNSAFE_PATH for a path leaving the directory).
 */
export function validate<T>(check: Check<T>, value: unknown, file: string, code: ErrorCode): T {
  try {
    return check(value, '');
  } catch (err) {
    if (!(err instanceof Mismatch)) throw err;
    throw new InputError(err.code ?? code, `${file}: ${err.at === '' ? '' : `${err.at}: `}${err.message}`);
  }
}

/** JSON text to a value, with a typed error naming the file. */
export function parseJson(bytes: Uint8Array, file: string, code: ErrorCode = 'BAD_JSON'): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new InputError(code, `${file}: not valid JSON (${(err as Error).message})`);
  }
}
