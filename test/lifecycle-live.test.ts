// A VM's life on the real thing: `fwcfg boot-real --config` boots a configuration's own ACPI three times with a QMP
// system_reset between boots and reads guest RAM after each; every boot must equal `fwcfg simulate --boots 3`
// (directory, ROM RAM blocks, QEMU's fw_cfg files, the bytes where the firmware placed each file, the RSDP and tables
// the OS reaches, what the OS gets). The facts asserted below come from the live boots; the model is held to them.
import test from 'ava';
import { join } from 'node:path';
import { bootRealConfig, type ConfigLifecycle } from '../src/bootreal/config-lifecycle.js';
import { configArgs, parseInfoRamblock } from '../src/bootreal/config-run.js';
import { MemorySource, readTree } from '../src/vectors/file-source.js';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { RealFirmware } from '../src/qemu/live/firmware-images.js';
import { Vector } from '../src/vectors/vector.js';
import { fwcfg } from './helpers/cli.js';
import { live, why } from './helpers/real-firmware.js';
import { ROOT } from './helpers/paths.js';


const vectorDir = (config: string) => join(ROOT, 'spec-vectors/qemu-7.2', config);

async function life(config: string, firmware: RealFirmware): Promise<ConfigLifecycle> {
  return bootRealConfig({ vector: Vector.load(vectorDir(config)), firmware, boots: 3, compare: true });
}

function differences(l: ConfigLifecycle): string[] {
  return (l.comparison ?? []).flatMap((c) => c.checks.filter((k) => k.status === 'different').map((k) => `boot ${c.boot}: ${k.what}: ${k.detail}`));
}

test('info ramblock as QEMU 7.2 prints it', (t) => {
  const text = [
    '              Block Name    PSize              Offset               Used              Total',
    '                  pc.ram    4 KiB  0x0000000000000000 0x0000000080000000 0x0000000080000000',
    '   /rom@etc/table-loader    4 KiB  0x0000000080280000 0x0000000000002000 0x0000000000010000',
  ].join('\n');
  t.deepEqual(parseInfoRamblock(text), [
    { name: 'pc.ram', used: 0x80000000, max: 0x80000000 },
    { name: '/rom@etc/table-loader', used: 0x2000, max: 0x10000 },
  ]);
});

test("a configuration's arguments: {tmp} and $TMP become the run's directory ($TMPDIR stays), temp files are sparse and never take the run's own names, vmgenid gets the pinned GUID", (t) => {
  const files = readTree(vectorDir('seed'));
  const withManifest = (edit: (m: Record<string, unknown>) => void) => {
    const m = JSON.parse(Buffer.from(files.get('manifest.json')!).toString('utf8')) as Record<string, unknown>;
    edit(m);
    const copy = new Map(files);
    copy.set('manifest.json', new Uint8Array(Buffer.from(JSON.stringify(m))));
    return Vector.load(new MemorySource(copy, 'seed-edited'));
  };
  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-config-args-'));
  try {
    const v = withManifest((m) => (m['config_args'] = [...(m['config_args'] as string[]), '-name', '$TMP/x,$TMPDIR']));
    const args = configArgs(v, dir, '11111111-2222-3333-4444-555555555555');
    t.true(args.includes(`memory-backend-file,id=mem0,mem-path=${dir}/nvdimm0.img,size=256M`));
    t.true(args.includes('vmgenid,guid=11111111-2222-3333-4444-555555555555'));
    t.true(args.includes(`${dir}/x,$TMPDIR`));
    const st = statSync(join(dir, 'nvdimm0.img'));
    t.is(st.size, 256 * 2 ** 20);
    t.true(st.blocks * 512 < 2 ** 20, 'sparse');
    for (const name of ['OVMF_VARS.fd', 'trace.log', '../x', '.hidden']) {
      const bad = withManifest((m) => (m['temp_files'] = { [name]: { size: 1 } }));
      t.throws(() => configArgs(bad, dir, undefined), { message: new RegExp(`temp_files\\.${name.replace(/\./g, '\\.')}`) });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('boot-real --config: bad input is one line and exit 2', async (t) => {
  for (const argv of [
    ['boot-real', '--config', vectorDir('seed'), '--firmware', 'seabios', '--boots', '0'],
    ['boot-real', '--config', vectorDir('seed'), '--firmware', 'seabios', '--file', 'x=y'],
    ['boot-real', '--boots', '2', '--firmware', 'seabios'],
    ['boot-real', '--config', vectorDir('virt-aarch64'), '--firmware', 'ovmf'],
  ]) {
    const r = await fwcfg(...argv);
    t.is(r.code, 2, argv.join(' '));
    t.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

live(`q35 under SeaBIOS: three boots, QEMU's tables every time, each boot equal to the model${why}`, async (t) => {
  const l = await life('q35', 'seabios');
  t.deepEqual(differences(l), []);
  t.deepEqual(l.boots.map((b) => b.os.tables), ['qemu', 'qemu', 'qemu']);
  // the loader grows 17 -> 19 commands inside its 0x1000: nothing is resized, every boot reads the same
  t.deepEqual(l.boots.map((b) => b.directory.find((d) => d.name === 'etc/table-loader')?.size), [4096, 4096, 4096]);
});

live(`q35 under OVMF: three boots, QEMU's tables every time, each boot equal to the model${why}`, async (t) => {
  const l = await life('q35', 'ovmf');
  t.deepEqual(differences(l), []);
  t.deepEqual(l.boots.map((b) => b.os.tables), ['qemu', 'qemu', 'qemu']);
});

live(`seed under SeaBIOS: its own tables on boot 1, a broken RSDT from boot 2 on, each boot equal to the model${why}`, async (t) => {
  const l = await life('seed', 'seabios');
  t.deepEqual(differences(l), []);
  t.deepEqual(l.boots.map((b) => b.os.tables), ['firmware', 'broken', 'broken']);
  // after the reset the loader keeps its 0x2000 and its creation bytes; SeaBIOS runs them over tables rebuilt at its select of the RSDP
  t.deepEqual(l.boots.map((b) => b.directory.find((d) => d.name === 'etc/table-loader')?.size), [4096, 8192, 8192]);
  const rsdt = l.boots[1]!.firmware.tables.find((x) => x.signature === 'RSDT');
  t.is(rsdt?.address, 0x7ffe1bc2);
  t.false(rsdt?.checksumOk);
  // every memory check of every boot compared bytes (SeaBIOS frees nothing)
  t.true(l.comparison!.every((c) => c.checks.filter((k) => k.what.startsWith('memory:')).length === 4 && c.checks.every((k) => k.status !== 'unobservable')));
});

live(`seed under OVMF: QEMU's tables on boot 1, none from boot 2 on, each boot equal to the model${why}`, async (t) => {
  const l = await life('seed', 'ovmf');
  t.deepEqual(differences(l), []);
  t.deepEqual(l.boots.map((b) => b.os.tables), ['qemu', 'none', 'none']);
  // the vmgenid device forgets the address at reset; OVMF's failed boot never writes it again
  t.deepEqual(l.boots.map((b) => b.writableFiles['etc/vmgenid_addr']), ['28c0bf7f00000000', '0000000000000000', '0000000000000000']);
});
