// LoaderScript (the firmware's field-by-field reader) held to decodeEntry: the same command, fields,
// names and byte 55 for every entry, on the word path (aligned) and the byte path (unaligned).
import test from 'ava';
import fc from 'fast-check';
import { LoaderFormatError } from '../src/errors.js';
import { decodeEntry, encodeEntry } from '../src/loader/codec.js';
import { FILE_NAME_MAX_LENGTH } from '../src/loader/constants.js';
import { commandOf, commandSpec, type NameFieldOffset } from '../src/loader/fields.js';
import { cStringImage } from '../src/loader/name-field.js';
import { LoaderScript } from '../src/loader/script.js';
import { loaderStages } from './helpers/paths.js';

/** `entries` back to back at byte `shift` of a fresh buffer (shift 1: no word view, the byte path). */
function laidOut(entries: readonly Uint8Array[], shift: number): Uint8Array {
  const buf = new Uint8Array(shift + entries.length * 128);
  entries.forEach((e, i) => buf.set(e, shift + i * 128));
  return buf.subarray(shift);
}

/** Every reading of the script agrees with decoding the same 128 bytes. */
function agrees(t: { deepEqual: (a: unknown, b: unknown, m?: string) => void }, entries: readonly Uint8Array[]): void {
  for (const shift of [0, 1]) {
    const script = new LoaderScript(laidOut(entries, shift));
    entries.forEach((bytes, i) => {
      const e = decodeEntry(bytes);
      const at = `entry ${i}, shift ${shift}`;
      const o = script.entry(i);
      t.deepEqual(script.isPadding(o), e.type === 'padding', at);
      if (e.type === 'padding') return;
      t.deepEqual(script.command(o), commandOf(e), at);
      if (e.type === 'unknown') return;
      const spec = commandSpec(script.command(o))!;
      t.deepEqual(spec.type, e.type, at);
      for (const f of spec.fields) {
        const model = (e as unknown as Record<string, string | number>)[f.property];
        if (f.kind === 'name') {
          t.deepEqual(script.name(o, f.offset as NameFieldOffset), model, `${at}: ${f.wire}`);
          t.deepEqual(script.byte55(o, f.offset as NameFieldOffset), bytes[f.offset + FILE_NAME_MAX_LENGTH], `${at}: ${f.wire} byte 55`);
          if (typeof model === 'string' && model.length <= FILE_NAME_MAX_LENGTH) {
            // hasName: the field's C string is the name, and not a name one byte longer or shorter
            t.deepEqual(script.hasName(o, f.offset as NameFieldOffset, cStringImage(model)), true, `${at}: ${f.wire} hasName`);
            if (model.length < FILE_NAME_MAX_LENGTH) t.deepEqual(script.hasName(o, f.offset as NameFieldOffset, cStringImage(model + "x")), false, `${at}: ${f.wire} longer`);
            if (model.length > 0) t.deepEqual(script.hasName(o, f.offset as NameFieldOffset, cStringImage(model.slice(0, -1))), false, `${at}: ${f.wire} shorter`);
          }
        } else t.deepEqual(f.kind === 'u32' ? script.u32(o, f.offset) : script.u8(o, f.offset), model, `${at}: ${f.wire}`);
      }
    });
  }
}

const realEntries = loaderStages().flatMap(({ vector, stage }) => {
  const b = vector.romBytes(stage, 'etc/table-loader');
  return Array.from({ length: b.length / 128 }, (_, i) => b.slice(i * 128, i * 128 + 128));
});

test('every real loader reads as it decodes', (t) => {
  t.true(realEntries.length > 100);
  agrees(t, realEntries);
});

test('property: real entries with bytes changed anywhere read as they decode', (t) => {
  fc.assert(
    fc.property(
      fc.array(
        fc.record({
          entry: fc.integer({ min: 0, max: realEntries.length - 1 }),
          edits: fc.array(fc.record({ at: fc.integer({ min: 0, max: 127 }), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 6 }),
        }),
        { minLength: 1, maxLength: 12 },
      ),
      (picks) => {
        const entries = picks.map(({ entry, edits }) => {
          const b = realEntries[entry]!.slice();
          for (const { at, value } of edits) b[at] = value;
          return b;
        });
        agrees(t, entries);
      },
    ),
    { numRuns: 300 },
  );
});

test('names: bytes after the NUL, no NUL at all, every NUL position, and fields that share their first 16 bytes', (t) => {
  // names that share their first 16 bytes (one cache slot) with the NUL at every position of a word
  const shared = ['', 'a', 'ab', 'abc', 'abcd', 'abcde', 'abcdx', 'abcx', 'abx', 'ax', 'x'].map((s) => `etc/acpi/tables-${s}`);
  const names = ['', 'a', 'etc/acpi/rsd', 'etc/acpi/rsdp', 'etc/acpi/rsdp2', 'etc/acpi/tables', ...shared, ...[...shared].reverse(), 'x'.repeat(55)];
  const entries: Uint8Array[] = [];
  for (let round = 0; round < 2; round++) {
    for (const name of names) {
      const b = new Uint8Array(128);
      encodeEntry({ type: 'addPointer', destFile: name, srcFile: name, offset: 0, size: 4 }, b);
      entries.push(b.slice());
      // garbage after the NUL: the C string is the same, the field is not canonical
      for (let k = name.length + 1; k < Math.min(56, name.length + 4); k++) b[4 + k] = 0x47;
      entries.push(b.slice());
    }
    // no NUL: all 56 bytes are the name, and byte 55 is non-zero
    const full = new Uint8Array(128);
    encodeEntry({ type: 'allocate', file: 'y', align: 16, zone: 1 }, full);
    full.fill(0x5a, 4, 60);
    entries.push(full);
  }
  agrees(t, entries);
  const script = new LoaderScript(laidOut(entries, 0));
  t.is(script.name(script.entry(1), 4), '');
  t.is(script.name(script.entry(entries.length - 1), 4), 'Z'.repeat(56));
  // equal names come back as one string (compared as pointers by executors)
  t.is(script.name(script.entry(0), 60), script.name(script.entry(entries.length / 2), 60));
});

test('a script is whole entries; entries past the end are typed errors', (t) => {
  t.throws(() => new LoaderScript(new Uint8Array(130)), { instanceOf: LoaderFormatError, code: 'LOADER_SIZE' });
  const script = new LoaderScript(new Uint8Array(256));
  t.is(script.count, 2);
  t.true(script.isPadding(script.entry(1)));
  for (const i of [2, -1, 0.5, Number.NaN]) t.throws(() => script.entry(i), { instanceOf: LoaderFormatError, code: 'LOADER_TRUNCATED' });
});
