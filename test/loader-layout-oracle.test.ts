// The hand-written codec against the declarative buffer-layout description, on every real entry.
import test from 'ava';
import { decodeEntry, encodeEntry } from '../src/loader/codec.js';
import { decodeWithLayout, encodeWithLayout } from '../src/loader/layout.js';
import type { LoaderEntry } from '../src/loader/entry.js';
import { loaderStages } from './helpers/paths.js';

/** The C string of a 56-byte field as the oracle sees it. */
function cstring(field: Uint8Array): string {
  const nul = field.indexOf(0);
  return String.fromCharCode(...field.subarray(0, nul < 0 ? field.length : nul));
}

function fieldsOf(e: LoaderEntry): Record<string, number | string> {
  switch (e.type) {
    case 'allocate':
      return { file: e.file, align: e.align, zone: e.zone };
    case 'addPointer':
      return { dest_file: e.destFile, src_file: e.srcFile, offset: e.offset, size: e.size };
    case 'addChecksum':
      return { file: e.file, offset: e.offset, start: e.start, length: e.length };
    case 'writePointer':
      return { dest_file: e.destFile, src_file: e.srcFile, dst_offset: e.dstOffset, src_offset: e.srcOffset, size: e.size };
    default:
      return {};
  }
}

let compared = 0;
for (const { config, stage, vector } of loaderStages()) {
  test(`${config}/${stage}: fast decode agrees with buffer-layout field by field`, (t) => {
    const bytes = vector.romBytes(stage, 'etc/table-loader');
    for (let o = 0; o < bytes.length; o += 128) {
      const fast = decodeEntry(bytes, o);
      const oracle = decodeWithLayout(bytes, o);
      if (fast.type === 'padding') {
        t.is(oracle.command, 0);
        t.true([...(oracle.fields['data'] as Buffer)].every((b) => b === 0));
        continue;
      }
      const expected: Record<string, number | string> = {};
      for (const [k, v] of Object.entries(oracle.fields)) {
        if (k === 'reserved') {
          t.true([...(v as Buffer)].every((b) => b === 0), `entry ${o / 128}: reserved bytes are zero`);
          continue;
        }
        expected[k] = typeof v === 'number' ? v : cstring(v);
      }
      t.deepEqual(fieldsOf(fast), expected, `entry ${o / 128}`);
      // and the oracle's encoder writes the same 128 bytes as the fast one
      const mine = new Uint8Array(128);
      encodeEntry(fast, mine);
      const names: Record<string, number | Uint8Array> = {};
      for (const [k, v] of Object.entries(expected)) names[k] = typeof v === 'string' ? Uint8Array.from(v, (c) => c.charCodeAt(0)) : v;
      t.deepEqual(mine, encodeWithLayout(oracle.command, names));
      t.deepEqual(mine, bytes.subarray(o, o + 128));
      compared++;
    }
  });
}

test.after('compared a meaningful number of entries', () => {
  if (compared > 0 && compared < 300) throw new Error(`only ${compared} entries compared`);
});
