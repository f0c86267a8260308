// The qtest endpoint's protocol details, each checked against a live QEMU 7.2 (docs/qtest.md), and the CLI around it.
import test from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { glibDecodeInPlace, parseQemuNumber, writeCommandBytes } from '../src/qtest/protocol.js';
import { fwcfg } from './helpers/cli.js';
import { endpoint, SHARED_DIR } from './helpers/machines.js';
import { ROOT } from './helpers/paths.js';

test('numbers are strtoull base 0, consumed whole: hex, octal, decimal, signs wrap; anything else is refused', (t) => {
  t.is(parseQemuNumber('0x511'), 0x511n);
  t.is(parseQemuNumber('0X511'), 0x511n);
  t.is(parseQemuNumber('511'), 511n);
  t.is(parseQemuNumber('077'), 0o77n);
  t.is(parseQemuNumber('0'), 0n);
  t.is(parseQemuNumber('-1'), (1n << 64n) - 1n);
  t.is(parseQemuNumber('+5'), 5n);
  for (const bad of ['', '1e3', '0x', '08', '0x1g', ' ', '0x10000000000000000', undefined]) t.is(parseQemuNumber(bad), undefined, String(bad));
});

test('write data: two characters skipped, whole hex pairs only, a bad digit counts as -1', (t) => {
  t.deepEqual(writeCommandBytes('0x12', 4), Uint8Array.of(0x12, 0, 0, 0));
  t.deepEqual(writeCommandBytes('1234', 2), Uint8Array.of(0x34, 0));
  t.deepEqual(writeCommandBytes('0xz1a', 3), Uint8Array.of(0xf1, 0, 0));
  t.deepEqual(writeCommandBytes('0xzz', 1), Uint8Array.of(0xff));
  t.deepEqual(writeCommandBytes('0x1', 2), Uint8Array.of(0, 0));
  t.is(writeCommandBytes('0x', 1), undefined);
});

test('b64write decodes glib-style in place: only whole 4-character groups, the text stays behind the decoded bytes', (t) => {
  t.deepEqual(glibDecodeInPlace('AQID'), { buffer: Uint8Array.of(1, 2, 3, 0x44, 0), decoded: 3 });
  t.deepEqual(glibDecodeInPlace('AQI').decoded, 0);
  t.deepEqual(glibDecodeInPlace('!!!!').buffer, Uint8Array.of(0x21, 0x21, 0x21, 0x21, 0));
  t.deepEqual([...glibDecodeInPlace('AQIDBA==').buffer.subarray(0, 4)], [1, 2, 3, 4]);
});

test('replies are formatted as QEMU 7.2 formats them (each line checked live)', (t) => {
  const ep = endpoint('q35');
  const cases: [string, string][] = [
    ['endianness', 'OK little'],
    ['foo bar', "FAIL Unknown command 'foo'"],
    ['INB 0x511', "FAIL Unknown command 'INB'"],
    ['outw 0x510 0x10001', 'OK'],
    ['inb 0x511', 'OK 0x0003'],
    ['inb 511', 'OK 0x00ff'],
    ['inb 0x511 junk', 'OK 0x0000'],
    ['inw 0xffff', 'OK 0x00ff'],
    ['write 0x1000 0x4 0x12', 'OK'],
    ['read 0x1000 0x4', 'OK 0x12000000'],
    ['write 0x1000 0x4 0x1234567890', 'OK'],
    ['read 0x1000 0x8', 'OK 0x1234567800000000'],
    ['b64read 0x1000 0x8', 'OK EjRWeAAAAAA='],
    ['b64write 0x1000 0x4 AQID', 'OK'],
    ['read 0x1000 0x4', 'OK 0x01020344'],
    ['b64write 0x1000 0x2 AQIDBA==', 'OK'],
    ['memset 0x1000 0x2 0x1ff', 'OK'],
    ['read 0x1000 0x4', 'OK 0xffff0344'],
    ['b64write 0x1000 0x8 AQ', 'ERR invalid argument size'],
    ['write 0x1000 0x1 0x', 'ERR invalid argument size'],
    ['read 0x1000 0x4', 'OK 0xffff0344'],
    ['b64write 0x1000 0x1 AQI', 'OK'],
    ['read 0x1000 0x1', 'OK 0x41'],
    ['b64read 0x1000 0x0', 'OK '],
    ['memset 0x1000 0x0 0x1', 'OK'],
    ['writeq 0x1000 -1', 'OK'],
    ['writel 0x1000 0x123456789', 'OK'],
    ['readq 0x1000', 'OK 0xffffffff23456789'],
    ['writeb 0xc0000 0x12', 'OK'],
    ['readb 0xc0000', 'OK 0x0000000000000000'],
    ['readl 0xffff0', 'OK 0x0000000000e05bea'],
    ['readq 0xffffffff', 'OK 0x0000000000000000'],
    ['readb 0x100000000', 'OK 0x0000000000000000'],
    ['read 0xfffffffffffffffe 0x4', 'OK 0x00000000'],
  ];
  for (const [req, want] of cases) t.is(ep.handle(req), want, req);
});

test('where QEMU would abort, and where the emulator does not model, the reply is FAIL and the endpoint stays up', (t) => {
  const ep = endpoint('q35');
  t.regex(ep.handle(''), /^FAIL empty command/);
  t.regex(ep.handle('inb  0x511'), /^FAIL bad port ''/);
  t.regex(ep.handle('outb 0x80'), /^FAIL missing value/);
  t.regex(ep.handle('inl 0x10000'), /^FAIL port 0x10000 is above 0xffff/);
  t.regex(ep.handle('read 0x1000 0x0'), /^FAIL read of 0 bytes/);
  t.regex(ep.handle('read 0x1000'), /^FAIL missing size/);
  t.regex(ep.handle('inb 1e3'), /^FAIL bad port '1e3'/);
  t.regex(ep.handle('readl 0xfed00000'), /^FAIL not modeled: memory region hpet/);
  t.regex(ep.handle('inb 0x70'), /^FAIL not modeled: I\/O region rtc-index/);
  t.regex(ep.handle('clock_step'), /^FAIL not modeled: clock_step/);
  t.regex(ep.handle('b64write 0x1000 0x10 AQID'), /^FAIL b64write of 16 bytes/);
  t.is(ep.handle('inb 0x511'), 'OK 0x0051', 'still serving');
});

test('arm virt: flash reads as captured, a write to flash is a flash command (test/flash.test.ts), the I/O space is all ones', (t) => {
  const ep = endpoint('virt');
  t.is(ep.handle('readb 0x1000'), 'OK 0x0000000000000000');
  t.is(ep.handle('writeb 0x1000 0x0'), 'OK', 'read-array: no change');
  t.is(ep.handle('writeb 0x1000 0x1'), 'OK', 'no such command: back to read array, as QEMU answers');
  t.is(ep.handle('readb 0x1000'), 'OK 0x0000000000000000');
  t.is(ep.handle('inl 0x0'), 'OK 0xffffffff');
  t.is(ep.handle('readq 0x3ffffffc'), 'OK 0xedfe0dd000000000', 'a hole then the DTB magic');
});

test('fwcfg qtest serves stdin/stdout (in-process and as the executable); a missing memory map needs --machine', async (t) => {
  const input = Readable.from(['outw 0x510 0x0\ninb 0x51', '1\ninl 0x514\nendianness\n', 'no newline at the end']);
  let out = '';
  const code = await (await import('../src/cli/main.js')).main(['qtest', join(SHARED_DIR, 'q35')], { out: (s) => void (out += s), outBytes: () => undefined, err: () => undefined, input });
  t.is(code, 0);
  t.is(out, 'OK\nOK 0x0051\nOK 0x554d4551\nOK little\n');

  const child = spawn(process.execPath, [join(ROOT, 'dist', 'fwcfg.mjs'), 'qtest', join(ROOT, 'spec-vectors', 'fwcfg-captures', 'virt')]);
  let got = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (got += s));
  child.stdin.end('writew 0x9020008 0x0\nreadl 0x9020000\nreadq 0x9020010\n');
  const status = await new Promise((r) => child.on('exit', r));
  t.is(status, 0);
  t.is(got, 'OK\nOK 0x00000000554d4551\nOK 0x47464320554d4551\n');

  const r = await fwcfg('qtest', join(ROOT, 'spec-vectors', 'fwcfg-device', 'q35'), '--machine', 'nope');
  t.is(r.code, 2);
  t.regex(r.stderr, /^fwcfg: qtest: --machine nope: use pc, pc-i440fx-2\.0, q35, q35-userfiles, seed, virt\n$/);
  const virtOnQ35 = await fwcfg('qtest', join(ROOT, 'spec-vectors', 'fwcfg-device', 'q35'), '--machine', 'virt');
  t.is(virtOnQ35.code, 2);
  t.regex(virtOnQ35.stderr, /is an mmio machine/);
  const none = await fwcfg('qtest', join(ROOT, 'no-such-dir'));
  t.is(none.code, 2);
  t.regex(none.stderr, /^fwcfg: qtest: .*no-such-dir: no such directory \(an fw_cfg item capture\)\n$/);
});
