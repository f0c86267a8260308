/**
 * Option and argument values, each checked where it is parsed: a parser
 * takes the text the user typed and returns the value or throws a
 * UsageError naming the flag, the value and what is allowed. Commander calls
 * them (program.ts); the lists of QEMU releases and firmware come from their
 * registries at run time, never from here.
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { FwCfgError, UsageError, type ErrorCode } from '../errors.js';
import { FIRMWARES, firmwareNameOf } from '../firmware/record.js';
import { FIRMWARE_RECORDS, recordsNamed } from '../firmware/records/index.js';
import { modelledQemuVersions, qemuRecord } from '../qemu/version.js';
import { HOST_PAGE_SIZES } from '../simulate/options.js';

/** A parser for one occurrence of a flag (or an argument). */
export type Parse<T> = (text: string) => T;

const q = (s: string) => (/^[\w./@=:+,-]+$/.test(s) ? s : JSON.stringify(s));

/** `--flag value: why`; a positional argument (flag '') is named by its value alone. */
function refuse(flag: string, text: string, why: string, code: ErrorCode = 'USAGE'): never {
  throw new UsageError(code, `${flag === '' ? '' : `${flag} `}${q(text)}: ${why}`);
}

/** Marks the parsers of flags that may be given more than once. */
export const REPEATABLE = new WeakSet<object>();

/** Repeatable flags (`--file A=x --file B=y`): commander folds each occurrence into the list. */
export function repeatable<T>(parse: Parse<T>): (text: string, previous: T[] | undefined) => T[] {
  const fold = (text: string, previous: T[] | undefined): T[] => [...(previous ?? []), parse(text)];
  REPEATABLE.add(fold);
  return fold;
}

/**
 * A flag with one value given twice (`--firmware seabios --firmware ovmf`) is
 * a mistake, not a choice of the last: every such flag's parser refuses a
 * second occurrence.
 */
export function onlyOnce(flag: string, parse: ((text: string, previous: unknown) => unknown) | undefined): (text: string, previous: unknown) => unknown {
  return (text, previous) => {
    if (previous !== undefined) throw new UsageError('USAGE', `${flag} is given twice (the second time as ${q(text)}); give it once`);
    return parse === undefined ? text : parse(text, undefined);
  };
}

// ------------------------------------------------------------------ numbers

/** A whole number in [min, max], decimal (digits may be grouped with `_`). */
export function integer(flag: string, min: number, max: number): Parse<number> {
  return (text) => {
    const n = /^\d[\d_]*$/.test(text) ? Number(text.replace(/_/g, '')) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) refuse(flag, text, max === Number.MAX_SAFE_INTEGER ? `a whole number, at least ${min}` : `a whole number from ${min} to ${max}`);
    return n;
  };
}

/** Seconds, more than 0 and at most `max`. */
export function seconds(flag: string, max = 3600): Parse<number> {
  return (text) => {
    const s = /^\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
    if (!(s > 0 && s <= max)) refuse(flag, text, `seconds, more than 0 and at most ${max}`);
    return s;
  };
}

export function hostPage(flag: string): Parse<number> {
  return (text) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || !(HOST_PAGE_SIZES as readonly number[]).includes(n)) refuse(flag, text, `a host page size in bytes: ${HOST_PAGE_SIZES.join(' or ')}`, 'BAD_PAGE_SIZE');
    return n;
  };
}

/** One of a fixed set of words. */
export function oneOf<const T extends string>(flag: string, words: readonly T[]): Parse<T> {
  return (text) => {
    if (!(words as readonly string[]).includes(text)) refuse(flag, text, `use ${words.join(', ')}`);
    return text as T;
  };
}

// ------------------------------------------------------------------ registries

/** A QEMU release with a record in src/qemu/version.ts (`7.2`, `7.2.22`); returned as given. */
export function qemuRelease(flag: string): Parse<string> {
  return (text) => {
    try {
      qemuRecord(text);
    } catch (err) {
      if (err instanceof FwCfgError) refuse(flag, text, err.message, err.code);
      throw err;
    }
    return text;
  };
}

/** `7.2`, `6.0`, ... as the registry lists them (for help texts). */
export function qemuReleases(): string {
  return modelledQemuVersions().join(', ');
}

/** `seabios`, `ovmf`, ... and the versioned ids the firmware registry holds (for help texts). */
export function firmwareChoices(): string {
  return `${FIRMWARES.join(', ')} (or NAME@VERSION: ${FIRMWARE_RECORDS.map((r) => r.id).join(', ')})`;
}

/**
 * `NAME` or `NAME@VERSION` of a firmware the registry (src/firmware/records/)
 * holds for some architecture; whether it runs on the machine at hand is the
 * machine's question. Returned as given (a bare name means the machine's default release).
 */
export function firmwareSpec(flag: string, extra: readonly string[] = []): Parse<string> {
  return (text) => {
    if (extra.includes(text)) return text;
    const [name, version, more] = text.split('@');
    const kind = firmwareNameOf(name ?? '');
    const known = (FIRMWARES as readonly string[]).includes(kind);
    const records = FIRMWARE_RECORDS.filter((r) => r.name === kind);
    if (!known || more !== undefined || (version !== undefined && recordsNamed(name!, version).length === 0)) {
      const names = [...extra, ...FIRMWARES].join(', ');
      const why = known && version !== undefined && more === undefined ? `${name} ${version} is not modelled (modelled: ${records.map((r) => r.id).join(', ')})` : `use ${names}, optionally NAME@VERSION (${FIRMWARE_RECORDS.map((r) => r.id).join(', ')})`;
      refuse(flag, text, why, 'UNKNOWN_FIRMWARE');
    }
    return text;
  };
}

/** `NAME` or `NAME@VERSION` (firmwareSpec) of one of `names`: a firmware this command can run for real. */
export function realFirmwareSpec(flag: string, names: readonly string[]): Parse<string> {
  const spec = firmwareSpec(flag);
  return (text) => {
    const name = text.split('@')[0]!;
    if (!names.includes(name)) refuse(flag, text, `use ${names.join(', ')}, optionally NAME@VERSION (e.g. ${names[names.length - 1]}@${FIRMWARE_RECORDS.find((r) => r.name === names[names.length - 1])?.version ?? 'VERSION'})`, 'UNKNOWN_FIRMWARE');
    return spec(text);
  };
}

// ------------------------------------------------------------------ paths

/** What is at a path; 'other' is a pipe or socket (`<(...)` gives one), 'device' a character or block device. */
function kindOf(path: string): 'file' | 'dir' | 'device' | 'other' | undefined {
  try {
    const s = statSync(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : s.isCharacterDevice() || s.isBlockDevice() ? 'device' : 'other';
  } catch {
    return undefined;
  }
}

/** A value that is an option the user forgot to give a value before (`--out --json`). */
function notAnOption(flag: string, text: string, what: string): void {
  if (text.startsWith('-') && text !== '-') refuse(flag, text, `wants ${what}, not an option (write ./${text} for a path that starts with a dash)`);
}

/** An existing regular file (`-` is standard input, where `allowStdin`). */
export function inputFile(flag: string, what: string, allowStdin = false): Parse<string> {
  return (text) => {
    if (allowStdin && text === '-') return text;
    notAnOption(flag, text, what);
    const kind = kindOf(text);
    if (kind === undefined) refuse(flag, text, `no such file (${what})`, 'READ_FAILED');
    if (kind === 'dir') refuse(flag, text, `is a directory; ${what} is a file`, 'READ_FAILED');
    // /dev/zero would be read until memory runs out
    if (kind === 'device') refuse(flag, text, `is a device; ${what} is a file`, 'READ_FAILED');
    return text;
  };
}

/** An existing directory. */
export function inputDir(flag: string, what: string): Parse<string> {
  return (text) => {
    notAnOption(flag, text, what);
    const kind = kindOf(text);
    if (kind === undefined) refuse(flag, text, `no such directory (${what})`, 'READ_FAILED');
    if (kind !== 'dir') refuse(flag, text, `is a file; ${what} is a directory`, 'READ_FAILED');
    return text;
  };
}

/** An existing file or directory (the command tells them apart). */
export function inputPath(flag: string, what: string): Parse<string> {
  return (text) => {
    notAnOption(flag, text, what);
    const kind = kindOf(text);
    if (kind === undefined) refuse(flag, text, `no such file or directory (${what})`, 'READ_FAILED');
    if (kind === 'device') refuse(flag, text, `is a device, not ${what}`, 'READ_FAILED');
    return text;
  };
}

/** A directory to write into: created when absent, never an existing file. */
export function outputDir(flag: string): Parse<string> {
  return (text) => {
    notAnOption(flag, text, 'a directory');
    if (text === '') refuse(flag, text, 'wants a directory');
    const kind = kindOf(text);
    if (kind !== undefined && kind !== 'dir') refuse(flag, text, 'exists and is not a directory; give a directory to write into', 'WRITE_FAILED');
    return text;
  };
}

/** A file to write: not a directory, in a directory that exists. */
export function outputFile(flag: string): Parse<string> {
  return (text) => {
    notAnOption(flag, text, 'a file');
    if (text === '') refuse(flag, text, 'wants a file name');
    const kind = kindOf(text);
    if (kind === 'dir') refuse(flag, text, 'is a directory; give a file name to write', 'WRITE_FAILED');
    if (kindOf(dirname(text)) !== 'dir') refuse(flag, text, `no directory ${dirname(text)} to write it in`, 'WRITE_FAILED');
    return text;
  };
}

// ------------------------------------------------------------------ pairs

function pair(flag: string, text: string, left: string, right: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) refuse(flag, text, `wants ${left}=${right}`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** `NAME=PATH`: an fw_cfg file name and the existing file that holds its bytes. */
export function namedFile(flag: string): Parse<{ name: string; path: string }> {
  return (text) => {
    notAnOption(flag, text, 'NAME=PATH');
    const [name, path] = pair(flag, text, 'NAME', 'PATH');
    // QEMU's -fw_cfg refuses it so (checked on 7.2): a directory entry holds 55 bytes and a NUL
    if (new TextEncoder().encode(name).length > 55) refuse(flag, text, 'name too long (max. 55 char), as QEMU\'s -fw_cfg says');
    const kind = kindOf(path);
    if (kind === undefined) refuse(flag, text, `no such file ${q(path)} (the bytes of fw_cfg file ${name})`, 'READ_FAILED');
    if (kind === 'dir' || kind === 'device') refuse(flag, text, `${q(path)} is a ${kind === 'dir' ? 'directory' : 'device'}; the bytes of fw_cfg file ${name} are a file`, 'READ_FAILED');
    return { name, path };
  };
}

/** `FILE=ADDR`: a loader file's ALLOCATE pinned to a guest-physical address (decimal or 0x hex). */
export function placement(flag: string): Parse<{ file: string; address: number }> {
  return (text) => {
    notAnOption(flag, text, 'FILE=ADDR');
    const [file, addr] = pair(flag, text, 'FILE', 'ADDR');
    const m = /^(?:0[xX]([0-9a-fA-F]+)|(\d+))$/.exec(addr);
    if (m === null) refuse(flag, text, 'ADDR is a guest-physical address, decimal or 0x hex (e.g. etc/acpi/tables=0x7ff00000)');
    const big = m[1] !== undefined ? BigInt(`0x${m[1]}`) : BigInt(m[2]!);
    if (big >= 1n << 64n) refuse(flag, text, `0x${big.toString(16)} is past 2^64: no guest-physical address`);
    if (big >= 1n << 52n) refuse(flag, text, `0x${big.toString(16)} is past 2^52, beyond any guest RAM this tool models`);
    return { file, address: Number(big) };
  };
}

/** The `--place` list as the boot takes it; a file pinned twice is a mistake, not a choice. */
export function placementMap(list: readonly { file: string; address: number }[] | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of list ?? []) {
    if (out.has(p.file)) throw new UsageError('USAGE', `--place ${p.file}: pinned twice (0x${out.get(p.file)!.toString(16)} and 0x${p.address.toString(16)}); give one address`);
    out.set(p.file, p.address);
  }
  return out;
}
