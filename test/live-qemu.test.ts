// Live QEMU: the client (bounded, always cleaned up by PID), fwcfg capture end to end, and facts checked side by side.
import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOnEmulator, runOnQemu } from '../src/conformance/runner.js';
import { LineChannel } from '../src/qemu/live/line-channel.js';
import { liveQemuPids, QemuProcess } from '../src/qemu/live/qemu-process.js';
import { loadItemsCapture } from '../src/vectors/items-capture.js';
import { fwcfg } from './helpers/cli.js';
import { referenceCapture, sharedCapture } from './helpers/machines.js';
import { QEMU_X86 } from './helpers/qemu.js';

const X86_ARGS = ['-accel', 'tcg', '-S', '-display', 'none', '-nodefaults', '-machine', 'q35', '-m', '256M'];
const live = QEMU_X86 === undefined ? test.skip : test.serial;
const why = QEMU_X86 === undefined ? ' (skipped: qemu-system-x86_64 not found)' : '';

function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

live(`QemuProcess: starts paused under qtest and QMP, answers, and is killed by PID on close${why}`, async (t) => {
  const q = await QemuProcess.start({ binary: 'qemu-system-x86_64', args: X86_ARGS });
  t.deepEqual(await q.qtest.commands(['outw 0x510 0x0', 'inb 0x511', 'inl 0x514']), ['OK', 'OK 0x0051', 'OK 0x554d4551']);
  t.regex(await q.qmp.hmp('info ramblock'), /pc\.ram/);
  t.deepEqual(liveQemuPids(), [q.pid]);
  await q.close();
  t.true(gone(q.pid));
  t.deepEqual(liveQemuPids(), []);
});

live(`QemuProcess.with closes QEMU even when the work throws${why}`, async (t) => {
  let pid = 0;
  await t.throwsAsync(
    QemuProcess.with({ binary: 'qemu-system-x86_64', args: X86_ARGS }, async (q) => {
      pid = q.pid;
      throw new Error('boom');
    }),
    { message: 'boom' },
  );
  t.true(pid > 0 && gone(pid));
});

live(`a QEMU that refuses its arguments is bad input with QEMU's own message${why}`, async (t) => {
  await t.throwsAsync(QemuProcess.start({ binary: 'qemu-system-x86_64', args: ['-machine', 'no-such-machine'] }), {
    code: 'QEMU_EXITED',
    message: /qemu-system-x86_64 exited \(status 1\) before qtest connected: qemu-system-x86_64: unsupported machine type/,
  });
  await t.throwsAsync(QemuProcess.start({ binary: 'qemu-system-nope', args: [] }), { code: 'NO_QEMU', message: 'qemu-system-nope not found on PATH' });
  t.deepEqual(liveQemuPids(), []);
});

test('replies are time-bounded: a peer that never answers gives QEMU_TIMEOUT', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-lc-'));
  const server = createServer(() => undefined);
  await new Promise<void>((r) => server.listen(join(dir, 's'), r));
  const { connect } = await import('node:net');
  const socket = connect(join(dir, 's'));
  await new Promise((r) => socket.once('connect', r));
  const ch = new LineChannel(socket, 'qtest', 100);
  await t.throwsAsync(ch.request('inb 0x511'), { code: 'QEMU_TIMEOUT', message: 'qtest: no reply to "inb 0x511" within 100 ms' });
  ch.close();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

live(`fwcfg capture --rebuild of the seed configuration: every item as the shared capture, the loader grows to 0x2000${why}`, async (t) => {
  t.timeout(60_000);
  const out = mkdtempSync(join(tmpdir(), 'fwcfg-cap-'));
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-cap-tmp-'));
  try {
    const { recreateTempFiles, replayArgs } = await import('../src/qemu/replay-args.js');
    const seed = referenceCapture('seed');
    recreateTempFiles(seed, tmp);
    const { binary, args } = replayArgs(seed, tmp);
    const r = await fwcfg('capture', '--out', join(out, 'seed'), '--rebuild', '--config', 'seed', '--', binary, ...args);
    t.is(r.code, 0, r.stderr);
    t.regex(r.stdout, /31 items \(12 keys, 19 files\), 2 memory runs, layout io, id 3\nrebuild: etc\/table-loader 4096 bytes \(0x1000\) -> 8192 bytes \(0x2000\)\n/);
    t.regex(r.stderr, /^capture: started qemu-system-x86_64 \(pid \d+\)\n/);
    const cap = loadItemsCapture(join(out, 'seed'));
    const shared = sharedCapture('seed');
    t.deepEqual(
      cap.items.map((i) => [i.key, i.name, i.size]),
      shared.items.map((i) => [i.key, i.name, i.size]),
    );
    cap.items.forEach((it, i) => t.deepEqual(it.bytes, shared.items[i]!.bytes, it.name));
    t.deepEqual(cap.rebuilt!.find((x) => x.name === 'etc/table-loader')!.bytes, referenceCapture('seed').rebuilt!.find((x) => x.name === 'etc/table-loader')!.bytes);
    t.deepEqual(liveQemuPids(), []);
    const again = await fwcfg('capture', '--out', join(out, 'seed'), '--', binary, ...args);
    t.is(again.code, 2);
    t.regex(again.stderr, /already holds a capture \(items\.json\); use --force to overwrite\n$/);
  } finally {
    rmSync(out, { recursive: true, force: true });
    rmSync(tmp, { recursive: true, force: true });
  }
});

live(`fwcfg capture: bad input is one line and exit 2${why}`, async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'fwcfg-cap-'));
  try {
    const cases: [string[], RegExp][] = [
      [['capture', '--out', join(out, 'x'), 'qemu-system-x86_64'], /^fwcfg: capture: QEMU arguments go after --/],
      [['capture', '--', 'qemu-system-x86_64'], /^fwcfg: capture: --out <DIR> is required \(usage: fwcfg capture --out DIR \[options\] -- \[qemu-system-\*\] QEMU_ARGS\.\.\.\)\n$/],
      [['capture', '--out', join(out, 'x'), '--timeout', 'soon', '--', 'qemu-system-x86_64'], /^fwcfg: capture: --timeout soon: seconds, more than 0 and at most 3600\n$/],
      [['capture', '--out', join(out, 'x'), '--', 'qemu-system-x86_64', '-machine', 'nope'], /^fwcfg: capture: qemu-system-x86_64 exited \(status 1\) before qtest connected: qemu-system-x86_64: unsupported machine type\n$/],
      [['capture', '--out', join(out, 'x'), '--rebuild', '--quiet', '--', 'qemu-system-x86_64', '-machine', 'pc', '-m', '128M'], /^fwcfg: capture: --rebuild needs a q35 machine: PCI 00:00\.0 is 8086:1237, not the q35 MCH 8086:29c0\n$/],
    ];
    for (const [argv, re] of cases) {
      const r = await fwcfg(...argv);
      t.is(r.code, 2, argv.join(' '));
      t.regex(r.stderr, re);
    }
    t.deepEqual(liveQemuPids(), []);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

live(`SMI negotiation: every request 0..15 gives the same features-ok on QEMU and on the emulator${why}`, async (t) => {
  const cap = referenceCapture('q35');
  const requests: string[] = [];
  for (let v = 0; v < 16; v++) {
    // a fresh negotiation each time needs a fresh machine: one request stream per value
    requests.push(`write 0x200000 0x8 0x${v.toString(16).padStart(2, '0')}00000000000000`);
  }
  const expected = [1, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];
  const results: number[] = [];
  for (const w of requests) {
    const seq = [w, 'write 0x100000 0x10 0x00290018000000080000000000200000', 'outl 0x514 0x0', 'outl 0x518 0x00001000', 'outw 0x510 0x28', 'inb 0x511'];
    const q = await runOnQemu(cap, seq);
    t.deepEqual(runOnEmulator(cap, seq), q, w);
    results.push(Number(q[5]!.slice(3)));
  }
  t.deepEqual(results, expected, 'broadcast alone, +hotplug, +hotplug+unplug are accepted; unplug without hotplug and bit 3 are not');
});

live(`facts the spec does not state, side by side: a WRITE from a buffer straddling RAM's end, and a status word straddling it${why}`, async (t) => {
  const cap = referenceCapture('seed');
  const seq = [
    'write 0x7ffffff8 0x8 0x5a5a5a5a11223344',
    'write 0x100000 0x10 0x0030001800000008000000007ffffffc',
    'outl 0x514 0x0',
    'outl 0x518 0x00001000',
    'read 0x100000 0x10',
    'outw 0x510 0x30',
    'read 0x0 0x1',
    ...Array<string>(8).fill('inb 0x511'),
    'write 0x7ffffff0 0x10 0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee',
    'outl 0x518 0xfeffff7f',
    'read 0x7ffffff0 0x10',
  ];
  const q = await runOnQemu(cap, seq);
  t.deepEqual(runOnEmulator(cap, seq), q);
  t.is(q[4], 'OK 0x0000000100000008000000007ffffffc');
  t.deepEqual(q.slice(7, 15), ['OK 0x0011', 'OK 0x0022', 'OK 0x0033', 'OK 0x0044', 'OK 0x0000', 'OK 0x0000', 'OK 0x0000', 'OK 0x0000'], 'the RAM half and zeros reached the item');
  t.is(q[17], 'OK 0xeeeeeeeeeeeeeeeeeeeeeeeeeeee0000', 'the two status bytes inside RAM were stored');
});
