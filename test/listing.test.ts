// Text listing and JSON form: lossless for every real blob and for odd entries; errors carry line numbers.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { ListingSyntaxError } from '../src/errors.js';
import { decodeLoader, encodeLoader } from '../src/loader/codec.js';
import { loaderFromJson, loaderToJson } from '../src/loader/json.js';
import { formatListing, parseListing } from '../src/loader/listing.js';
import type { LoaderEntry } from '../src/loader/entry.js';
import { loaderStages } from './helpers/paths.js';

for (const { config, stage, vector } of loaderStages()) {
  test(`${config}/${stage}: text and JSON listings assemble back to the captured bytes`, (t) => {
    const bytes = vector.romBytes(stage, 'etc/table-loader');
    const entries = decodeLoader(bytes);
    t.deepEqual(encodeLoader(parseListing(formatListing(entries))), bytes);
    t.deepEqual(encodeLoader(loaderFromJson(JSON.parse(JSON.stringify(loaderToJson(entries))))), bytes);
    // the capture's own listing (another decoder's output) assembles to the commands it lists
    const theirs = parseListing(readFileSync(vector.path(stage, 'loader.txt'), 'utf8'));
    const commandBytes = encodeLoader(theirs);
    t.deepEqual(commandBytes, bytes.subarray(0, commandBytes.length));
    t.true(bytes.subarray(commandBytes.length).every((b) => b === 0));
  });
}

const odd = (): LoaderEntry[] => {
  const rawName = new Uint8Array(128);
  rawName[0] = 2;
  rawName.set(Buffer.from('etc/a\0garbage "quoted" \\ \xff', 'latin1'), 4);
  rawName.set(Buffer.from('etc/b', 'latin1'), 60);
  rawName[116] = 8;
  rawName[120] = 4;
  const noNul = new Uint8Array(128);
  noNul[0] = 1;
  noNul.fill(0x7e, 4, 60);
  noNul[64] = 2;
  return [...decodeLoader(new Uint8Array([...rawName, ...noNul])), { type: 'unknown', command: 0x80000001, raw: new Uint8Array(128).fill(9) }, { type: 'padding' }, { type: 'allocate', file: 'q"u\\o\x01\xfe', align: 0, zone: 7 }];
};

test('odd entries (raw names, no NUL, unknown, padding, escapes) survive text and JSON', (t) => {
  const entries = odd();
  const bytes = encodeLoader(entries);
  const text = formatListing(entries);
  t.regex(text, /file="q\\"u\\\\o\\x01\\xfe" align=0 zone=7/);
  t.regex(text, /UNKNOWN {7}command=0x80000001 raw=0909/);
  t.deepEqual(encodeLoader(parseListing(text)), bytes);
  t.deepEqual(encodeLoader(loaderFromJson(JSON.parse(JSON.stringify(loaderToJson(entries))))), bytes);
  const json = loaderToJson(entries);
  t.deepEqual(json[0]!['name_issues'], ['dest_file: non-zero byte after the NUL at field offset 6']);
  t.deepEqual(json[1]!['name_issues'], ['file: no NUL in 56 bytes (byte 55 is non-zero)']);
  t.is(json[3]!['command_name'], 'PADDING');
});

const syntax = (text: string) => {
  try {
    parseListing(text);
  } catch (err) {
    if (err instanceof ListingSyntaxError) return err.message;
    throw err;
  }
  return 'parsed';
};

test('listing errors name the line', (t) => {
  t.is(syntax('# c\n\nFROB x=1'), 'line 3: unknown command "FROB" (ALLOCATE, ADD_POINTER, ADD_CHECKSUM, WRITE_POINTER, PADDING, UNKNOWN)');
  t.is(syntax('ALLOCATE file="a" align=16'), 'line 1: ALLOCATE needs zone=');
  t.is(syntax('ALLOCATE file="a" align=16 zone=1 size=4'), 'line 1: ALLOCATE has no field size');
  t.is(syntax('ALLOCATE file="a" align=0x1_0 zone=1'), 'line 1: align=0x1_0 is not a number (decimal or 0x hex)');
  t.is(syntax('ALLOCATE file="a" align=4294967296 zone=1'), 'line 1: align=4294967296 does not fit in a u32');
  t.is(syntax('ADD_POINTER dest="a" src="b" offset=1 size=256'), 'line 1: size=256 does not fit in a u8');
  t.is(syntax('PADDING\n[ 5] PADDING'), 'line 2: index [5] but this is entry 1');
  t.is(syntax('ALLOCATE file="abc align=1 zone=1'), 'line 1: unterminated string for file');
  t.is(syntax('ALLOCATE file=abc align=1 zone=1'), 'line 1: file must be a quoted name');
  t.is(syntax(`ALLOCATE file="${'n'.repeat(56)}" align=1 zone=1`), 'line 1: file is 56 bytes; a name field holds at most 55 plus NUL (give raw= for a field without NUL)');
  t.is(syntax('ALLOCATE file="a\\q" align=1 zone=1'), 'line 1: bad escape in file: use \\" \\\\ or \\xNN');
  t.is(syntax('ALLOCATE file="a" file="b" align=1 zone=1'), 'line 1: file given twice');
  t.is(syntax('UNKNOWN command=0x2 raw=' + '00'.repeat(128)), 'line 1: UNKNOWN with command=2: that is ADD_POINTER');
  t.is(syntax('UNKNOWN command=0x9 raw=00'), 'line 1: raw= must be 256 hex digits (128 bytes)');
  t.is(syntax('ALLOCATE file="\u20ac" align=1 zone=1'), 'line 1: file has character U+20ac; names are bytes: write \\xNN');
  t.is(syntax('ALLOCATE oops'), 'line 1: expected key=value, found "oops"');
});

test('JSON errors name the entry', (t) => {
  const err = (v: unknown) => t.throws(() => loaderFromJson(v), { instanceOf: ListingSyntaxError })?.message;
  t.is(err({}), 'line 1: expected a JSON array of entries');
  t.is(err([{ command: 1, file: 'a', align: 16 }]), 'line 1: entry 0: zone must be an integer 0..255');
  t.is(err([{ command_name: 'PADDING' }, { command: 7 }]), 'line 2: entry 1: command 7 is not one of ALLOCATE, ADD_POINTER, ADD_CHECKSUM, WRITE_POINTER: give raw');
  t.is(err([{ command: 3, file: 5, offset: 0, start: 0, length: 0 }]), 'line 1: entry 0: file must be a string');
  t.is(err([{ index: 3, command: 0 }]), 'line 1: entry 0: index 3 but this is entry 0');
  t.is(err([{ command: 1, file: 'a', align: 1, zone: 1, raw: 'zz' }]), 'line 1: entry 0: raw must be a string of 256 hex digits');
});
