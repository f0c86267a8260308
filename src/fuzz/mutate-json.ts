/**
 * Mutations of a parsed JSON document (a manifest, an items.json): delete a
 * key, change a value's type, give a number a hostile value (huge, negative,
 * fractional, past 2^53), point a path outside the directory, rename a key
 * (stage names), duplicate or swap array elements. Most mutations aim at the
 * keys a reader takes (`keys`), so the mutants get past the fields nobody
 * reads and into the consumers.
 */
import type { Prng } from '../prng.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Slot {
  parent: Json[] | { [k: string]: Json };
  key: string | number;
  /** The nearest object key above (an array element's is its array's). */
  name: string;
}

const isObject = (v: Json): v is { [k: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);

function slots(root: Json): Slot[] {
  const out: Slot[] = [];
  const walk = (v: Json, name: string) => {
    if (Array.isArray(v)) v.forEach((x, i) => (out.push({ parent: v, key: i, name }), walk(x, name)));
    else if (isObject(v)) for (const [k, x] of Object.entries(v)) out.push({ parent: v, key: k, name: k }), walk(x, k);
  };
  walk(root, '');
  return out;
}

const NUMBERS = [-1, 0, 1, 0.5, 7, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 2 ** 64, 1e308, -(2 ** 31)];
const PATHS = ['../../x', '../manifest.json', '/etc/passwd', 'a\u0000b', '', '.', 'before/../../x', 'before/missing.bin', 'before', 'C:\\x', './manifest.json'];
const TYPES: Json[] = [null, true, '12', [], {}, 0, 'x'];

export interface JsonMutationOptions {
  /** Keys the readers take: most mutations land on (or under) them. */
  keys: ReadonlySet<string>;
  /** Strings worth trying anywhere (names, stage names, machine types). */
  strings: readonly string[];
}

const HEX = ['0x0', '0x1', '0xfff', '0x1000', '0x10000', '0xffffffff', '0x100000000', '0x1fffffffffffff', '0xffffffffffffffff'];

/** A value of the same kind as `old`, chosen to be hostile: what gets past a schema into the consumers. */
function sameKind(r: Prng, old: Json, strings: () => string[], o: JsonMutationOptions): Json {
  if (typeof old === 'number') return r.chance(0.5) ? r.pick([old + 1, old - 1, old * 2, old + 4096, Math.floor(old / 2), old + 0.5, -old]) : r.pick(NUMBERS);
  if (typeof old === 'boolean') return !old;
  if (typeof old === 'string' && /^0x[0-9a-f]+$/i.test(old)) {
    if (r.chance(0.4)) return r.pick(HEX);
    const v = BigInt(old);
    const w = r.pick([v + 1n, v > 0n ? v - 1n : 0n, v * 2n, v + 0x1000n, v ^ (1n << BigInt(r.int(64))), v >> 1n]);
    return `0x${w.toString(16)}`;
  }
  if (typeof old === 'string') {
    const found = strings();
    return r.chance(0.3) ? r.pick(PATHS) : r.chance(0.5) && found.length > 0 ? r.pick(found) : r.pick(o.strings);
  }
  if (Array.isArray(old)) {
    if (old.length === 0) return old;
    const i = r.int(old.length);
    const how = r.int(3);
    if (how === 0) old.splice(i, 1);
    else if (how === 1) old.splice(i, 0, structuredClone(old[r.int(old.length)]!));
    else [old[i], old[0]] = [old[0]!, old[i]!];
    return old;
  }
  return old;
}

/** One mutation of `root`, in place; returns the new root (a mutation may replace it). */
export function mutateJson(r: Prng, root: Json, o: JsonMutationOptions): Json {
  const all = slots(root);
  if (all.length === 0) return r.pick(TYPES);
  const aimed = all.filter((s) => o.keys.has(s.name));
  const s = aimed.length > 0 && r.chance(0.85) ? r.pick(aimed) : r.pick(all);
  const p = s.parent as Record<string | number, Json>;
  const old = p[s.key]!;
  const strings = () => all.map((x) => (x.parent as Record<string | number, Json>)[x.key]).filter((v): v is string => typeof v === 'string');
  if (r.chance(0.6)) {
    p[s.key] = sameKind(r, old, strings, o);
    return root;
  }
  switch (r.int(6)) {
    case 0:
      if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 1);
      else delete s.parent[s.key];
      break;
    case 1:
      p[s.key] = typeof old === 'number' && r.chance(0.5) ? String(old) : r.pick(TYPES);
      break;
    case 2:
      // rename a key (e.g. swap stage names), replacing what was there
      if (isObject(s.parent)) {
        const to = r.chance(0.5) ? r.pick(o.strings) : r.pick(Object.keys(s.parent));
        delete s.parent[s.key];
        s.parent[to] = old;
      }
      break;
    case 3:
      // duplicate an element (or the whole value into an array)
      if (Array.isArray(s.parent)) s.parent.splice(s.key as number, 0, structuredClone(old));
      else if (Array.isArray(old) && old.length > 0) old.push(structuredClone(r.pick(old)));
      break;
    case 4: {
      // swap with a sibling
      const keys: (string | number)[] = Array.isArray(s.parent) ? s.parent.map((_, i) => i) : Object.keys(s.parent);
      const k = r.pick(keys);
      [p[s.key], p[k]] = [p[k]!, old];
      break;
    }
    default: {
      // a value from elsewhere in the document
      const from = r.pick(all);
      p[s.key] = structuredClone((from.parent as Record<string | number, Json>)[from.key] ?? null);
    }
  }
  return root;
}
