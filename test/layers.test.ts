// ../shared/DESIGN.md's rooms and the way their doors open, held to the source: every import
// between two rooms of src/ (type-only ones and re-exports too) points down the order below, the
// whole-tool features do not import one another, and no module imports itself through others.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import test from 'ava';
import { packageRoot } from '../src/vectors/package-root.js';

const src = join(packageRoot(), 'src');

/**
 * Top to bottom; rooms in one row are peers and may not import each other. `index` is
 * src/index.ts (the library's face), `base` the other files at src/'s top (bytes, errors, prng).
 * fuzz/ sits above lint/ because linting is one of the surfaces it drives.
 */
const ORDER: readonly (readonly string[])[] = [
  ['index'],
  ['cli'],
  ['fuzz'],
  ['lint', 'bootreal', 'report'],
  ['simulate'],
  ['conformance'],
  ['qtest'],
  ['firmware'],
  ['qemu'],
  ['fwcfg'],
  ['loader'],
  ['acpi'],
  ['memory'],
  ['vectors'],
  ['base'],
];
const rank = new Map<string, number>(ORDER.flatMap((row, i) => row.map((room) => [room, ORDER.length - i] as const)));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.d.ts') ? [p] : [];
  });
}

function roomOf(file: string): string {
  const parts = relative(src, file).split('/');
  if (parts.length > 1) return parts[0]!;
  return parts[0] === 'index.ts' ? 'index' : 'base';
}

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

/** Relative imports and re-exports of a module (static ones, and dynamic ones of a literal path). */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const out: Import[] = [];
  for (const m of text.matchAll(/^(import|export)\s+(type\s+)?[^;]*?\sfrom\s+'(\.[^']+)'/gms)) {
    out.push({ from: file, to: resolve(dirname(file), m[3]!).replace(/\.js$/, '.ts'), typeOnly: m[2] !== undefined });
  }
  for (const m of text.matchAll(/^import\s+'(\.[^']+)'/gm)) out.push({ from: file, to: resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts'), typeOnly: false });
  for (const m of text.matchAll(/import\('(\.[^']+)'\)/g)) out.push({ from: file, to: resolve(dirname(file), m[1]!).replace(/\.js$/, '.ts'), typeOnly: false });
  return out;
}

const files = sources(src);
const imports = files.flatMap(importsOf);

test('every room of src/ has a place in the order', (t) => {
  const rooms = new Set(files.map(roomOf));
  rooms.delete('types'); // ambient declarations for untyped packages: nothing imports them
  t.deepEqual([...rooms].filter((r) => !rank.has(r)), []);
  t.true(imports.length > 500, `${imports.length} imports read`);
});

/** Imports between rooms that do not point down the order (peers included), as text. */
function upward(list: readonly Import[]): string[] {
  return list
    .filter((i) => roomOf(i.from) !== roomOf(i.to))
    .filter((i) => !(rank.get(roomOf(i.from))! > rank.get(roomOf(i.to))!))
    .map((i) => `${relative(src, i.from)} -> ${relative(src, i.to)}${i.typeOnly ? ' (types)' : ''}`);
}

/** The import cycles among `modules` through run-time imports, each as its path. */
function cyclesIn(modules: readonly string[], list: readonly Import[]): string[] {
  const edges = new Map<string, string[]>(modules.map((f) => [f, []]));
  for (const i of list) if (!i.typeOnly && edges.has(i.to)) edges.get(i.from)!.push(i.to);
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]): void => {
    state.set(f, 'open');
    path.push(f);
    for (const to of edges.get(f)!) {
      if (state.get(to) === 'open') cycles.push(path.slice(path.indexOf(to)).map((x) => relative(src, x)).join(' -> '));
      else if (!state.has(to)) visit(to, path);
    }
    path.pop();
    state.set(f, 'done');
  };
  for (const f of modules) if (!state.has(f)) visit(f, []);
  return cycles;
}

test('imports between rooms point down, and peers do not import each other', (t) => {
  t.deepEqual(upward(imports), []);
});

test('no module imports itself through others (at run time)', (t) => {
  t.deepEqual(cyclesIn(files, imports), []);
});

test('the checks see an upward import, an import between peers and a cycle', (t) => {
  const at = (p: string) => join(src, p);
  const made: Import[] = [
    { from: at('loader/codec.ts'), to: at('firmware/seabios.ts'), typeOnly: true },
    { from: at('lint/lint.ts'), to: at('report/html.ts'), typeOnly: false },
    { from: at('firmware/seabios.ts'), to: at('loader/codec.ts'), typeOnly: false },
  ];
  t.deepEqual(upward(made), ['loader/codec.ts -> firmware/seabios.ts (types)', 'lint/lint.ts -> report/html.ts']);
  const loop: Import[] = [
    { from: at('a/x.ts'), to: at('a/y.ts'), typeOnly: false },
    { from: at('a/y.ts'), to: at('a/z.ts'), typeOnly: false },
    { from: at('a/z.ts'), to: at('a/x.ts'), typeOnly: false },
    { from: at('a/z.ts'), to: at('a/w.ts'), typeOnly: true },
    { from: at('a/w.ts'), to: at('a/z.ts'), typeOnly: false },
  ];
  t.deepEqual(cyclesIn([at('a/x.ts'), at('a/y.ts'), at('a/z.ts'), at('a/w.ts')], loop), ['a/x.ts -> a/y.ts -> a/z.ts']);
  // and the parser tells type-only imports from the others
  const parsed = importsOf(join(src, 'firmware', 'seabios.ts'));
  t.true(parsed.some((i) => relative(src, i.to) === 'acpi/walk.ts' && !i.typeOnly));
  t.true(parsed.some((i) => relative(src, i.to) === 'memory/guest-memory.ts' && i.typeOnly));
});
