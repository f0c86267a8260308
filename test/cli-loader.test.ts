// `fwcfg disasm` / `fwcfg asm`: the stable CLI contract.
import test from 'ava';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fwcfg, fwcfgBin } from './helpers/cli.js';
import { loaderStages, QEMU_VECTORS } from './helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-cli-'));
const seedLoader = join(QEMU_VECTORS, 'seed/after/etc_table-loader.bin');
const seedTables = join(QEMU_VECTORS, 'seed/after/etc_acpi_tables.bin');

test('disasm then asm is byte-identical for every real blob, text and JSON', async (t) => {
  for (const { config, stage, vector } of loaderStages()) {
    const rom = vector.rom(stage, 'etc/table-loader');
    const bin = join(tmp, `${config}-${stage}.bin`);
    writeFileSync(bin, vector.romBytes(stage, 'etc/table-loader'));
    for (const json of [false, true]) {
      const d = await fwcfg('disasm', bin, ...(json ? ['--json'] : []), '--file', `etc/acpi/tables=${vector.path(vector.rom(stage, 'etc/acpi/tables').path)}`);
      t.is(d.code, 0, d.stderr);
      const listing = join(tmp, `${config}-${stage}.${json ? 'json' : 'txt'}`);
      writeFileSync(listing, d.stdout);
      const a = await fwcfg('asm', listing);
      t.is(a.code, 0, a.stderr);
      t.is(a.stdoutBytes.length, rom.fw_cfg_size);
      t.deepEqual(a.stdoutBytes, vector.romBytes(stage, 'etc/table-loader'), `${config}/${stage} json=${json}`);
    }
  }
});

test('disasm shows every entry, padding included, and annotates table offsets', async (t) => {
  const r = await fwcfg('disasm', seedLoader, '--file', `etc/acpi/tables=${seedTables}`);
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('['));
  t.is(lines.length, 64);
  t.is(lines[5], '[  5] ADD_POINTER   dest="etc/acpi/tables" src="etc/acpi/tables" offset=0x2823 size=4    ; FACP+0x24');
  t.is(lines[15], '[ 15] ADD_CHECKSUM  file="etc/acpi/tables" offset=0x2b56 start=0x2b4d length=0x3c    ; MCFG+0x0');
  t.is(lines[63], '[ 63] PADDING');
  t.regex(r.stdout, /# 8192 bytes = 64 entries of 128 bytes: 34 commands, 30 zero padding entries/);
});

test('disasm --json: one object per 128-byte entry, numbers as numbers', async (t) => {
  const r = await fwcfg('disasm', seedLoader, '--json', '--file', `etc/acpi/tables=${seedTables}`);
  const json = JSON.parse(r.stdout) as Record<string, unknown>[];
  t.is(json.length, 64);
  t.deepEqual(json[0], { index: 0, command: 1, command_name: 'ALLOCATE', file: 'etc/acpi/rsdp', align: 16, zone: 2, zone_name: 'FSEG' });
  t.deepEqual(json[5], { index: 5, command: 2, command_name: 'ADD_POINTER', dest_file: 'etc/acpi/tables', src_file: 'etc/acpi/tables', offset: 0x2823, size: 4, annotation: 'FACP+0x24' });
  t.deepEqual(json[10], { index: 10, command: 4, command_name: 'WRITE_POINTER', dest_file: 'etc/vmgenid_addr', src_file: 'etc/vmgenid_guid', dst_offset: 0, src_offset: 40, size: 8 });
  t.deepEqual(json[63], { index: 63, command: 0, command_name: 'PADDING' });
});

test('disasm --hexdump prints each entry with the field map from the layout description', async (t) => {
  const r = await fwcfg('disasm', seedLoader, '--hexdump');
  t.regex(r.stdout, /\[  0\] ALLOCATE {6}file="etc\/acpi\/rsdp" align=16 zone=FSEG\(2\)\n {2}0000 {2}01 00 00 00 65 74 63 2f 61 63 70 69 2f 72 73 64 {2}\|\.\.\.\.etc\/acpi\/rsd\|/);
  t.regex(r.stdout, /fields: command@0x0\+4 file@0x4\+56 align@0x3c\+4 zone@0x40\+1 reserved@0x41\+63/);
});

test('asm writes -o OUT; the listing may be a file or stdin-free path', async (t) => {
  const listing = join(tmp, 'one.txt');
  writeFileSync(listing, 'ALLOCATE file="etc/acpi/tables" align=64 zone=HIGH\n');
  const out = join(tmp, 'one.bin');
  const r = await fwcfg('asm', listing, '-o', out);
  t.is(r.code, 0);
  t.is(r.stdout, '');
  const b = readFileSync(out);
  t.is(b.length, 128);
  t.is(b[64], 1);
});

test('bad input: one line on stderr, exit 2; names what was wrong and where', async (t) => {
  const short = join(tmp, 'short.bin');
  writeFileSync(short, new Uint8Array(1930));
  let r = await fwcfg('disasm', short);
  t.is(r.code, 2);
  t.is(r.stderr, `fwcfg: disasm: ${short}: loader is 1930 bytes, not a multiple of 128: 10 trailing bytes after 15 entries\n`);
  const bad = join(tmp, 'bad.txt');
  writeFileSync(bad, '# ok\nALLOCATE file="a" align=16 zone=1\nADD_POINTER dest="a" src="a" offset=zz size=4\n');
  r = await fwcfg('asm', bad);
  t.is(r.code, 2);
  t.is(r.stderr, `fwcfg: asm: ${bad}: line 3: offset=zz is not a number (decimal or 0x hex)\n`);
  r = await fwcfg('disasm', join(tmp, 'missing.bin'));
  t.is(r.stderr, `fwcfg: disasm: ${join(tmp, 'missing.bin')}: no such file (a loader script)\n`);
  t.is(r.code, 2);
  r = await fwcfg('disasm', seedLoader, '--file', 'noequals');
  t.is(r.stderr, 'fwcfg: disasm: --file noequals: wants NAME=PATH\n');
  r = await fwcfg('disasm', seedLoader, '--frob');
  t.is(r.code, 2);
  t.is(r.stderr, 'fwcfg: disasm: unknown option --frob; fwcfg disasm --help lists the options\n');
  r = await fwcfg('frob');
  t.is(r.stderr, 'fwcfg: unknown command "frob"; fwcfg --help lists the commands\n');
  r = await fwcfg('disasm');
  t.is(r.stderr, 'fwcfg: disasm: missing LOADER.bin (usage: fwcfg disasm [options] <LOADER.bin>)\n');
  const badJson = join(tmp, 'bad.json');
  writeFileSync(badJson, '[{"command": 1, "file": "a", "align": 16}]');
  r = await fwcfg('asm', badJson);
  t.is(r.stderr, `fwcfg: asm: ${badJson}: line 1: entry 0: zone must be an integer 0..255\n`);
});

test('the bundled executable: shebang, exit codes, no stack traces', async (t) => {
  const head = readFileSync(new URL('../../dist/fwcfg.mjs', import.meta.url), 'utf8').slice(0, 20);
  t.true(head.startsWith('#!/usr/bin/env node'));
  const ok = await fwcfgBin('disasm', seedLoader);
  t.is(ok.code, 0);
  t.regex(ok.stdout, /\[ 33\] ADD_CHECKSUM  file="etc\/acpi\/rsdp" offset=0x8 start=0x0 length=0x14/);
  const bad = await fwcfgBin('disasm', '/nonexistent');
  t.is(bad.code, 2);
  t.is(bad.stderr, 'fwcfg: disasm: /nonexistent: no such file (a loader script)\n');
  const demo = await fwcfgBin('demo');
  t.is(demo.code, 0);
  t.regex(demo.stdout, /loader holds 32 commands in 4096 bytes \(0x1000\)[\s\S]*QEMU rebuilds: 34 commands, padded to 8192 bytes \(0x2000\)[\s\S]*entries 32 to 33 never run/);
  t.regex(demo.stdout, /SeaBIOS reads 4096 bytes of etc\/table-loader of the 8192 the file holds now and runs 32 commands[\s\S]*the firmware's own tables/);
  t.regex(demo.stdout, /OVMF reads 4096 bytes[\s\S]*MCFG at 0x7fb74000[\s\S]*destination refuses it/);
});

test('an internal fault is exit 1 with one line, not a stack trace', async (t) => {
  const { main } = await import('../src/cli/main.js');
  let stderr = '';
  const io = {
    out: () => {
      throw new TypeError('simulated bug');
    },
    outBytes: () => {},
    err: (s: string) => void (stderr += s),
  };
  t.is(await main(['disasm', seedLoader], io), 1);
  t.is(stderr, 'fwcfg: internal error: simulated bug\n');
});
