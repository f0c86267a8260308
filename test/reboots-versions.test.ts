// Reboots on the releases whose reset keeps the rebuild callback (QEMU 10.0 and 11.1, each with the
// SeaBIOS and OVMF Debian ships beside it): the seed captured live through the release's chroot,
// then booted three times for real (system_reset between boots) and compared with the model's three
// boots, check by check. What the OS gets at each boot is the release's own story:
// 10.0 + SeaBIOS 1.16.3: its own tables, then QEMU's; 11.1 + SeaBIOS 1.17.0: no ACPI, then QEMU's;
// OVMF 2025.02 / 2026.08: QEMU's every time.
import test from 'ava';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureQemu } from '../src/qemu/capture.js';
import { fwcfg } from './helpers/cli.js';
import { chrootSkip, wrapper } from './helpers/chroots.js';

const SEED = ['-machine', 'q35,nvdimm=on', '-smp', '1', '-m', 'size=2G,slots=8,maxmem=4G', '-object', 'memory-backend-file,id=mem0,mem-path={tmp}/nvdimm0.img,size=256M', '-device', 'nvdimm,label-size=131072,memdev=mem0,id=nvdimm0,slot=1', '-device', 'vmgenid', '-device', 'intel-iommu'];

const CASES = [
  { suite: 'trixie', release: '10.0', seabios: ['firmware', 'qemu', 'qemu'], ovmf: ['qemu', 'qemu', 'qemu'] },
  { suite: 'sid', release: '11.1', seabios: ['none', 'qemu', 'qemu'], ovmf: ['qemu', 'qemu', 'qemu'] },
] as const;

interface BootRealJson {
  boots: { boot: number; os: { tables: string } }[];
  comparison: { boot: number; equal: boolean; checks: { what: string; status: string; detail: string }[] }[];
}

for (const c of CASES) {
  const skip = chrootSkip(c.suite);
  const title = `QEMU ${c.release} (${c.suite} chroot): fwcfg check of the seed's capture, and its three real boots under SeaBIOS and OVMF, are the model's, check by check`;
  (skip === undefined ? test.serial : test.skip)(skip === undefined ? title : `${title} (skipped: ${skip})`, async (t) => {
    t.timeout(900_000);
    const tmp = mkdtempSync(join(tmpdir(), `fwcfg-reboots-${c.release}-`));
    try {
      const nv = join(tmp, 'nvdimm0.img');
      writeFileSync(nv, new Uint8Array(0));
      truncateSync(nv, 256 << 20);
      const out = join(tmp, 'capture');
      const args = ['-nodefaults', '-no-user-config', ...SEED.map((a) => a.split('{tmp}').join(tmp))];
      const { json } = await captureQemu({ out, qemuArgs: [wrapper(tmp, c.suite, 'qemu-system-x86_64'), ...args], config: 'seed' });
      t.true(json.qemu_version?.startsWith(c.release), json.qemu_version ?? 'no version');
      // the whole story from the same capture: the model's boots per firmware, the QEMU the capture names
      const story = await fwcfg('check', out, '--json');
      t.true(story.code === 0 || story.code === 1, story.stderr);
      const s = JSON.parse(story.stdout) as { configuration: { qemuRelease: string }; firmware: { firmware: string; boots: { os: { tables: string } }[] }[] };
      t.is(s.configuration.qemuRelease, c.release);
      for (const f of s.firmware) t.deepEqual(f.boots.map((b) => b.os.tables), [...c[f.firmware as 'seabios' | 'ovmf']], `check: ${f.firmware}`);
      for (const firmware of ['seabios', 'ovmf'] as const) {
        const r = await fwcfg('boot-real', '--config', out, '--firmware', firmware, '--boots', '3', '--compare', '--json');
        t.is(r.code, 0, r.stderr);
        const j = JSON.parse(r.stdout) as BootRealJson;
        t.deepEqual(j.boots.map((b) => b.os.tables), [...c[firmware]], `${firmware}: what the OS gets, boot by boot`);
        for (const cmp of j.comparison) {
          const diffs = cmp.checks.filter((x) => x.status !== 'same' && x.status !== 'unobservable');
          t.deepEqual(diffs, [], `${firmware} boot ${cmp.boot}: the model differs from the real boot`);
        }
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
