// The field table (fields.ts) against itself, the codec, buffer-layout and the name maps.
import test from 'ava';
import fc from 'fast-check';
import { decodeEntry, encodeEntry } from '../src/loader/codec.js';
import { ENTRY_SIZE } from '../src/loader/constants.js';
import type { LoaderCommand } from '../src/loader/entry.js';
import { COMMAND_FIELD, COMMAND_NAMES, commandSpec, ENTRY_NAMES, FIELDS_END, LOADER_COMMANDS, type CommandSpec, type FieldSpec, type NameFieldOffset } from '../src/loader/fields.js';
import { decodeWithLayout, fieldSpans } from '../src/loader/layout.js';

const WIDTH = { u8: 1, u32: 4, name: 56 } as const;

/** A field read straight from bytes with DataView and the table's offset and width, sharing no code with the codec. */
function readField(bytes: Uint8Array, at: number, f: FieldSpec): string | number {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at + f.offset, f.width);
  if (f.kind === 'u8') return view.getUint8(0);
  if (f.kind === 'u32') return view.getUint32(0, true);
  let s = '';
  for (let i = 0; i < f.width && view.getUint8(i) !== 0; i++) s += String.fromCharCode(view.getUint8(i));
  return s;
}

function writeField(bytes: Uint8Array, at: number, f: FieldSpec, v: string | number): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset + at + f.offset, f.width);
  if (f.kind === 'u8') view.setUint8(0, v as number);
  else if (f.kind === 'u32') view.setUint32(0, v as number, true);
  else for (let i = 0; i < (v as string).length; i++) view.setUint8(i, (v as string).charCodeAt(i));
}

const modelValue = (entry: LoaderCommand, f: FieldSpec): string | number => (entry as unknown as Record<string, string | number>)[f.property]!;

const value = (f: FieldSpec): fc.Arbitrary<string | number> =>
  f.kind === 'u8'
    ? fc.integer({ min: 0, max: 0xff })
    : f.kind === 'u32'
      ? fc.integer({ min: 0, max: 0xffffffff })
      : fc.array(fc.integer({ min: 1, max: 0xff }), { maxLength: 55 }).map((cs) => String.fromCharCode(...cs));

const entryOf = (spec: CommandSpec): fc.Arbitrary<LoaderCommand> =>
  fc.tuple(...spec.fields.map(value)).map((vs) => Object.fromEntries([['type', spec.type], ...spec.fields.map((f, i) => [f.property, vs[i]])]) as LoaderCommand);

test('each command covers bytes 0..127 exactly once: command word, fields in order, reserved tail', (t) => {
  for (const spec of LOADER_COMMANDS) {
    const owner = new Array<string | undefined>(ENTRY_SIZE).fill(undefined);
    const claim = (name: string, from: number, width: number) => {
      for (let i = from; i < from + width; i++) {
        t.is(owner[i], undefined, `${spec.name}: byte ${i} claimed by ${owner[i]} and ${name}`);
        owner[i] = name;
      }
    };
    claim(COMMAND_FIELD.wire, COMMAND_FIELD.offset, COMMAND_FIELD.width);
    let next = 4;
    for (const f of spec.fields) {
      t.is(f.width, WIDTH[f.kind], `${spec.name}.${f.wire}: width of a ${f.kind}`);
      t.is(f.offset, next, `${spec.name}.${f.wire} follows the previous field`);
      claim(f.wire, f.offset, f.width);
      next = f.offset + f.width;
    }
    t.is(spec.end, next);
    claim('reserved', spec.end, ENTRY_SIZE - spec.end);
    t.true(owner.every((o) => o !== undefined), `${spec.name}: every byte has an owner`);
    // the word path relies on it
    for (const f of spec.fields) if (f.kind !== 'u8') t.is(f.offset % 4, 0, `${spec.name}.${f.wire} is word aligned`);
  }
});

test('names are unique where they are used as keys', (t) => {
  const unique = (xs: readonly unknown[]) => new Set(xs).size === xs.length;
  t.true(unique(LOADER_COMMANDS.map((c) => c.command)));
  t.true(unique(LOADER_COMMANDS.map((c) => c.name)));
  t.true(unique(LOADER_COMMANDS.map((c) => c.type)));
  for (const c of LOADER_COMMANDS) {
    t.true(unique(c.fields.map((f) => f.wire)), c.name);
    t.true(unique(c.fields.map((f) => f.key)), c.name);
    t.true(unique(c.fields.map((f) => f.property)), c.name);
    t.false(c.fields.some((f) => f.key === 'raw' || f.wire === 'raw' || f.wire === 'reserved'), c.name);
  }
});

test('name fields start at the offsets firmware code is typed with', (t) => {
  const typed: NameFieldOffset[] = [4, 60];
  const offsets = new Set(LOADER_COMMANDS.flatMap((c) => c.fields.filter((f) => f.kind === 'name').map((f) => f.offset)));
  t.deepEqual([...offsets].sort((a, b) => a - b), typed);
});

test('the name maps and FIELDS_END come from the table', (t) => {
  t.deepEqual(COMMAND_NAMES, { 1: 'ALLOCATE', 2: 'ADD_POINTER', 3: 'ADD_CHECKSUM', 4: 'WRITE_POINTER' });
  t.deepEqual({ ...ENTRY_NAMES }, { allocate: 'ALLOCATE', addPointer: 'ADD_POINTER', addChecksum: 'ADD_CHECKSUM', writePointer: 'WRITE_POINTER', padding: 'PADDING', unknown: 'UNKNOWN' });
  t.deepEqual(FIELDS_END, { 1: 65, 2: 121, 3: 72, 4: 125 });
  for (const c of LOADER_COMMANDS) t.is(commandSpec(c.command), c);
  t.is(commandSpec(0), undefined);
  t.is(commandSpec(5), undefined);
});

for (const spec of LOADER_COMMANDS) {
  test(`${spec.name}: the codec writes every field where the table says, both paths`, (t) => {
    fc.assert(
      fc.property(entryOf(spec), fc.constantFrom(0, 1, 2, 4), (entry, at) => {
        const out = new Uint8Array(at + ENTRY_SIZE).fill(0xa5);
        encodeEntry(entry, out, at);
        t.is(new DataView(out.buffer, at).getUint32(0, true), spec.command);
        for (const f of spec.fields) t.is(readField(out, at, f), modelValue(entry, f), `${f.wire} at ${f.offset}`);
        t.true(out.subarray(at + spec.end).every((b) => b === 0), 'reserved tail is zero');
        t.true(out.subarray(0, at).every((b) => b === 0xa5), 'nothing before the entry');
      }),
      { numRuns: 300 },
    );
  });

  test(`${spec.name}: the codec reads every field from where the table says, both paths`, (t) => {
    fc.assert(
      fc.property(entryOf(spec), fc.constantFrom(0, 1, 2, 4), (entry, at) => {
        const bytes = new Uint8Array(at + ENTRY_SIZE);
        new DataView(bytes.buffer, at).setUint32(0, spec.command, true);
        for (const f of spec.fields) writeField(bytes, at, f, modelValue(entry, f));
        t.deepEqual(decodeEntry(bytes, at), entry);
        // buffer-layout, built from the same table, agrees
        const oracle = decodeWithLayout(bytes, at);
        for (const f of spec.fields) {
          const v = oracle.fields[f.wire]!;
          t.is(typeof v === 'number' ? v : String.fromCharCode(...v.subarray(0, v.indexOf(0) < 0 ? v.length : v.indexOf(0))), modelValue(entry, f), f.wire);
        }
      }),
      { numRuns: 300 },
    );
  });

  test(`${spec.name}: a decoded entry has the table's properties in the table's order`, (t) => {
    const bytes = new Uint8Array(ENTRY_SIZE);
    bytes[0] = spec.command;
    t.deepEqual(Object.keys(decodeEntry(bytes)), ['type', ...spec.fields.map((f) => f.property)]);
    const odd = new Uint8Array(ENTRY_SIZE + 1);
    odd[1] = spec.command;
    t.deepEqual(Object.keys(decodeEntry(odd, 1)), ['type', ...spec.fields.map((f) => f.property)]);
  });

  test(`${spec.name}: fieldSpans is the table plus the reserved tail`, (t) => {
    t.deepEqual(fieldSpans(spec.command), [
      { name: 'command', offset: 0, size: 4, kind: 'u32' },
      ...spec.fields.map((f) => ({ name: f.wire, offset: f.offset, size: f.width, kind: f.kind })),
      { name: 'reserved', offset: spec.end, size: ENTRY_SIZE - spec.end, kind: 'reserved' },
    ]);
  });
}
