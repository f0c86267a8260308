/** Argument parsing on top of node:util parseArgs, with usage errors as UsageError. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export function parse(command: string, argv: string[], options: Options): Parsed {
  try {
    const r = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (err) {
    // parseArgs messages are long, several lines, and mention internals: one line in our voice
    const text = (err as Error).message;
    const ambiguous = /^Option '(--?[\w-]+)[^']*' argument is ambiguous/.exec(text);
    const missing = /^Option '(--?[\w-]+)[^']*' argument missing/.exec(text);
    const msg = ambiguous
      ? `${ambiguous[1]} wants a value, not one starting with a dash (write ${ambiguous[1]}=VALUE if you mean it)`
      : missing
        ? `${missing[1]} wants a value`
        : text.split('\n')[0]!.split('. ')[0]!.replace(/^Unknown option '(.*)'$/, 'unknown option $1');
    throw new UsageError('USAGE', `${command}: ${msg}`);
  }
}

/** `NAME=PATH` pairs of a repeatable option, in order. */
export function namedPaths(command: string, flag: string, raw: unknown): { name: string; path: string }[] {
  const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  return list.map((item) => {
    const s = String(item);
    const eq = s.indexOf('=');
    if (eq <= 0 || eq === s.length - 1) throw new UsageError('USAGE', `${command}: --${flag} wants NAME=PATH, got ${JSON.stringify(s)}`);
    return { name: s.slice(0, eq), path: s.slice(eq + 1) };
  });
}

export function onePositional(command: string, positionals: string[], what: string): string {
  if (positionals.length !== 1) {
    throw new UsageError('USAGE', `${command}: expected one ${what}, got ${positionals.length === 0 ? 'none' : positionals.map((p) => JSON.stringify(p)).join(' ')}`);
  }
  return positionals[0]!;
}
