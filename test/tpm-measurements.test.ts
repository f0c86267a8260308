// What the TPM sees, held to real event logs: spec-vectors/tpm-measurements holds, per
// configuration, a capture of its command line and the event logs real firmware left in guest
// RAM in real boots of that machine (scripts/record-tpm-measurements.mjs). The model's
// measurements from the capture alone must be the log's ACPI DATA events, boot by boot.
import test from 'ava';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { parseEventLog, type TcgEventLog } from '../src/bootreal/tcg-event-log.js';
import { tpmFromConfig } from '../src/firmware/tpm.js';
import { findOnPath } from '../src/qemu/live/find-binary.js';
import { Swtpm, vtpmSocketPaths } from '../src/qemu/live/swtpm.js';
import { loadItemsCapture } from '../src/vectors/items-capture.js';
import { fwcfg } from './helpers/cli.js';
import { heldToLog, type MeasurementJson } from './helpers/measurements.js';
import { ROOT } from './helpers/paths.js';

const SET = join(ROOT, 'spec-vectors', 'tpm-measurements');
const configs = readdirSync(SET, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

interface BootJson {
  firmware: 'ovmf' | 'seabios';
  image: { version: string | null };
  boots: { bin: string; address: string; length: number }[];
}

function recorded(config: string, firmware: string): { boot: BootJson; logs: TcgEventLog[] } | undefined {
  const dir = join(SET, config, firmware);
  if (!existsSync(join(dir, 'boot.json'))) return undefined;
  const boot = JSON.parse(readFileSync(join(dir, 'boot.json'), 'utf8')) as BootJson;
  const logs = boot.boots.map((b) => {
    const log = parseEventLog(new Uint8Array(readFileSync(join(dir, b.bin))), 0, parseInt(b.address, 16));
    if (log === undefined) throw new Error(`${config}/${firmware}/${b.bin}: no event log header`);
    return log;
  });
  return { boot, logs };
}

interface BootJsonOut {
  boots: { boot: number; firmware: { measurements: MeasurementJson[]; loaderBytesRead: number } | null }[];
}

async function predicted(config: string, firmware: string, boots: number): Promise<BootJsonOut> {
  // the bare name: the release the capture found running (its version string in RAM, or the package)
  const r = await fwcfg('simulate', join(SET, config, 'capture'), '--firmware', firmware, '--boots', String(boots), '--json');
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as BootJsonOut;
}

for (const config of configs) {
  for (const firmware of ['ovmf', 'seabios'] as const) {
    const rec = recorded(config, firmware);
    if (rec === undefined) continue;
    test(`${config}, ${firmware}: the measurements predicted from the capture are the real event log's ACPI DATA events, boot by boot`, async (t) => {
      const model = await predicted(config, firmware, rec.logs.length);
      t.is(model.boots.length, rec.logs.length);
      rec.logs.forEach((log, i) => heldToLog(t, model.boots[i]!.firmware?.measurements ?? [], log, `${config} ${firmware} boot ${i + 1}`));
    });
  }
}

test('the OVMF release a capture names is the one the TPM saw: its EV_S_CRTM_VERSION string (empty before 2025.02)', (t) => {
  let checked = 0;
  for (const config of configs) {
    const rec = recorded(config, 'ovmf');
    if (rec === undefined) continue;
    const crtm = rec.logs[0]!.events.find((e) => e.pcr === 0 && e.eventType === 0x8)!;
    const version = Buffer.from(crtm.data).toString('utf16le').replace(/\0+$/, '');
    const run = loadItemsCapture(join(SET, config, 'capture')).json.firmware!.runs.find((r) => r.firmware === 'ovmf')!;
    if (version !== '') t.is(run.image.version, version, config);
    else t.regex(run.image.versionFrom ?? '', /^package ovmf/, `${config}: no version string in the image, the package's`);
    checked++;
  }
  t.true(checked >= 4);
});

test('where the rebuild grows the loader, boot 1 measures the rebuilt loader cut at the size OVMF read before the rebuild; boot 2 the whole of it', async (t) => {
  const grown = configs.filter((c) => c.startsWith('grows-'));
  t.true(grown.length >= 2);
  for (const config of grown) {
    const json = loadItemsCapture(join(SET, config, 'capture')).json;
    const run = json.firmware!.runs.find((r) => r.firmware === 'ovmf')!;
    const before = run.directory_at_start.find((d) => d.name === 'etc/table-loader')!.size;
    const after = run.roms.find((r) => r.name === 'etc/table-loader')!;
    t.true(after.fw_cfg_size > before, `${config}: the rebuild grows the loader`);
    const model = await predicted(config, 'ovmf', 2);
    const loader = (b: number) => model.boots[b]!.firmware!.measurements.find((m) => m.file === 'etc/table-loader')!;
    t.is(loader(0).length, before, `${config}: boot 1 reads the directory's size from before the rebuild`);
    t.is(loader(1).length, after.fw_cfg_size, `${config}: boot 2 reads the size the reset kept`);
    // the bytes of the rebuilt loader, cut: what the real log holds for boot 1
    const rebuilt = readFileSync(join(SET, config, 'capture', after.bin)).subarray(0, before);
    t.is(loader(0).digests['sha256'], createHash('sha256').update(rebuilt).digest('hex'), `${config}: the rebuilt content, cut`);
    t.is(recorded(config, 'ovmf')!.logs[0]!.events.find((e) => e.pcr === 1 && e.eventType === 0xa)!.digests['sha256'], loader(0).digests['sha256']);
  }
});

test("the measured blobs are the rebuild's: no ACPI DATA digest of the plain q35 boot is that of a blob as it was at machine creation", (t) => {
  const json = loadItemsCapture(join(SET, 'q35-crb-10.0', 'capture')).json;
  const logged = new Set(recorded('q35-crb-10.0', 'ovmf')!.logs[0]!.events.filter((e) => e.pcr === 1 && e.eventType === 0xa).map((e) => e.digests['sha256']));
  t.is(logged.size, 4);
  for (const r of json.creation!.roms) {
    const bytes = readFileSync(join(SET, 'q35-crb-10.0', 'capture', r.bin)).subarray(0, r.fw_cfg_size);
    t.false(logged.has(createHash('sha256').update(bytes).digest('hex')), r.name);
  }
});

test("fwcfg exec of the files OVMF read, with the capture's etc/tpm/config, measures the loader and etc/acpi/rsdp as the real boot did", async (t) => {
  const capture = join(SET, 'q35-crb-10.0', 'capture');
  const json = loadItemsCapture(capture).json;
  const run = json.firmware!.runs.find((r) => r.firmware === 'ovmf')!;
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-tpm-exec-'));
  try {
    const file = (name: string, bin: string, size: number) => {
      const path = join(tmp, name.replace(/\//g, '_'));
      writeFileSync(path, readFileSync(join(capture, bin)).subarray(0, size));
      return path;
    };
    const rom = (name: string) => run.roms.find((r) => r.name === name)!;
    const item = (name: string) => json.items.find((i) => i.name === name)!;
    const args = [file('etc/table-loader', rom('etc/table-loader').bin, rom('etc/table-loader').fw_cfg_size)];
    for (const name of ['etc/acpi/rsdp', 'etc/acpi/tables']) args.push('--file', `${name}=${file(name, rom(name).bin, rom(name).fw_cfg_size)}`);
    args.push('--file', `etc/tpm/config=${file('etc/tpm/config', item('etc/tpm/config').bin!, item('etc/tpm/config').size)}`);
    const r = await fwcfg('exec', ...args, '--firmware', 'ovmf@2025.02', '--json');
    t.is(r.code, 0, r.stderr);
    const report = (JSON.parse(r.stdout) as { firmware: { measurements: MeasurementJson[]; warnings: string[] } }).firmware;
    // exec's machine serves QEMU's own etc/tpm/log, empty as without a TPM (-fw_cfg cannot replace it):
    // OVMF's AllocatePages of 0 pages fails there, after it measured the loader and the RSDP
    t.deepEqual(report.warnings, ['entry 1: AllocatePages for 0 bytes (EFI_OUT_OF_RESOURCES)']);
    const real = recorded('q35-crb-10.0', 'ovmf')!.logs[0]!.events.filter((e) => e.pcr === 1 && e.eventType === 0xa);
    t.deepEqual(report.measurements.map((m) => [m.file, m.digests]), [['etc/table-loader', real[0]!.digests], ['etc/acpi/rsdp', real[1]!.digests]]);
    // without etc/tpm/config the machine has no TPM: nothing is measured
    const none = await fwcfg('exec', ...args.slice(0, -2), '--firmware', 'ovmf@2025.02', '--json');
    t.deepEqual((JSON.parse(none.stdout) as { firmware: { measurements: unknown[] } }).firmware.measurements, []);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('readable: simulate lists each measurement with its PCR, event, file, length and every bank; check lists them under the boot', async (t) => {
  const capture = join(SET, 'q35-crb-10.0', 'capture');
  const sim = await fwcfg('simulate', capture, '--firmware', 'ovmf');
  t.is(sim.code, 0, sim.stderr);
  t.regex(sim.stdout, /TPM measurements, in order:\n {4}PCR 1, event type 0xa "ACPI DATA": etc\/table-loader \(4096 bytes\)\n {6}sha1 {3}[0-9a-f]{40}\n {6}sha256 [0-9a-f]{64}\n {6}sha384 [0-9a-f]{96}\n {6}sha512 [0-9a-f]{128}\n/);
  const seabios = await fwcfg('simulate', capture, '--firmware', 'seabios');
  t.notRegex(seabios.stdout, /TPM measurements/);
  t.regex(seabios.stdout, /note: the machine has a TPM 2\.0; SeaBIOS 1\.16\.3 measures nothing of the loader or its files into it/);
  const check = await fwcfg('check', capture);
  t.regex(check.stdout, /OVMF: runs .*\n {5}measures into PCR 1: etc\/table-loader \(4096 bytes\), sha256 [0-9a-f]{64}\n {5}measures into PCR 1: etc\/acpi\/rsdp \(20 bytes\)/);
  const checkJson = JSON.parse((await fwcfg('check', capture, '--json')).stdout) as { firmware: { firmware: string; boots: { firmware: { measurements: MeasurementJson[] } }[] }[] };
  t.is(checkJson.firmware.find((f) => f.firmware === 'ovmf')!.boots[0]!.firmware.measurements.length, 4);
  // where a reboot makes the firmware read other bytes, the reboots section says what boot 2 measures
  t.notRegex(check.stdout, /measures other bytes/);
  const grown = await fwcfg('check', join(SET, 'grows-crb-10.0', 'capture'));
  t.regex(grown.stdout, /OVMF {5}boot 1: .*\n {5}boot 2 measures other bytes than boot 1:\n {7}measures into PCR 1: etc\/table-loader \(8192 bytes\), sha256 [0-9a-f]{64}\n/);
});

test('a VM generation ID is measured with its GUID: pinned on the command line it is predictable, and the report says a guid=auto QEMU measures another', async (t) => {
  const r = await fwcfg('simulate', join(SET, 'q35-vmgenid-crb-10.0', 'capture'), '--firmware', 'ovmf', '--json');
  const fw = (JSON.parse(r.stdout) as { firmware: { measurements: MeasurementJson[]; notes: string[] } }).firmware;
  t.true(fw.measurements.some((m) => m.file === 'etc/vmgenid_guid'));
  t.true(fw.notes.some((n) => /etc\/vmgenid_guid covers the VM generation ID .* guid=auto .* pin it with -device vmgenid,guid=UUID/.test(n)));
  const plain = await fwcfg('simulate', join(SET, 'q35-crb-10.0', 'capture'), '--firmware', 'ovmf', '--json');
  t.false((JSON.parse(plain.stdout) as { firmware: { notes: string[] } }).firmware.notes.some((n) => n.includes('vmgenid')));
});

test('the TPM from etc/tpm/config: version byte 2 is TPM 2.0, 1 is TPM 1.2, none or short is no TPM', (t) => {
  const config = readFileSync(join(SET, 'q35-crb-10.0', 'capture', loadItemsCapture(join(SET, 'q35-crb-10.0', 'capture')).json.items.find((i) => i.name === 'etc/tpm/config')!.bin!));
  t.is(tpmFromConfig(config), '2.0');
  t.is(tpmFromConfig(Uint8Array.of(0, 0x50, 0xd4, 0xfe, 1, 1)), '1.2');
  t.is(tpmFromConfig(undefined), undefined);
  t.is(tpmFromConfig(Uint8Array.of(0, 0, 0, 0)), undefined);
});

test('a vTPM on the command line: the socket path of each emulator tpmdev, through its chardev; a chardev that is not a unix socket is refused', (t) => {
  const tpm = (dev: string, chardev: string) => ['-machine', 'q35', '-chardev', chardev, '-tpmdev', dev, '-device', 'tpm-crb,tpmdev=t'];
  t.deepEqual(vtpmSocketPaths(tpm('emulator,id=t,chardev=c', 'socket,id=c,path=/tmp/a/sock')), ['/tmp/a/sock']);
  t.deepEqual(vtpmSocketPaths(tpm('type=emulator,chardev=c,id=t', 'socket,path=/tmp/a,,b,id=c')), ['/tmp/a,b']);
  t.deepEqual(vtpmSocketPaths(tpm('passthrough,id=t,path=/dev/tpm0', 'socket,id=c,path=/x')), []);
  t.deepEqual(vtpmSocketPaths(['-machine', 'q35']), []);
  t.is(t.throws(() => vtpmSocketPaths(tpm('emulator,id=t,chardev=d', 'socket,id=c,path=/x')))!.message, '-tpmdev emulator t: its chardev=d is not a -chardev on the command line');
  t.regex(t.throws(() => vtpmSocketPaths(tpm('emulator,id=t,chardev=c', 'socket,id=c,host=127.0.0.1,port=2321')))!.message, /-chardev c: a vTPM's chardev must be a unix socket/);
});

const execFileP = promisify(execFile);

test('fwcfg capture of a command line with a vTPM and no swtpm installed: one line saying so, exit 2, nothing on stdout', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-noswtpm-'));
  try {
    // a QEMU that would only print its version: the capture must stop before it matters
    const qemu = join(tmp, 'qemu-system-x86_64');
    writeFileSync(qemu, '#!/bin/sh\necho "QEMU emulator version 10.0.0"\n');
    chmodSync(qemu, 0o755);
    const argv = [join(ROOT, 'dist', 'fwcfg.mjs'), 'capture', '--out', join(tmp, 'out'), '--quiet', '--', qemu, '-machine', 'q35', '-chardev', `socket,id=c,path=${tmp}/sock`, '-tpmdev', 'emulator,id=t,chardev=c', '-device', 'tpm-crb,tpmdev=t'];
    const env = { PATH: `${tmp}:${dirname(process.execPath)}:/bin:/usr/bin`.split(':').filter((d) => findOnPath('swtpm', d) === undefined).join(':') };
    const r = await execFileP(process.execPath, argv, { env, encoding: 'utf8' }).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    t.is(r.code, 2);
    t.is(r.stdout, '');
    t.is(r.stderr, 'fwcfg: capture: the command line has a vTPM (-tpmdev emulator) and swtpm is not installed (not on PATH): install the swtpm package\n');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

const noSwtpm = findOnPath('swtpm') === undefined ? 'swtpm not installed' : undefined;
(noSwtpm === undefined ? test : test.skip)(`an swtpm listens at its path until stopped by its PID, then is gone with its socket${noSwtpm ? ` (skipped: ${noSwtpm})` : ''}`, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-swtpm-'));
  try {
    const path = join(tmp, 'sock');
    const tpm = await Swtpm.start(path, 10_000);
    t.notThrows(() => process.kill(tpm.pid, 0));
    t.true(existsSync(path));
    await tpm.stop();
    t.throws(() => process.kill(tpm.pid, 0));
    t.false(existsSync(path));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
