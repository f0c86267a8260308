// Reboots on the releases whose reset keeps the rebuild callback (QEMU 10.0 and 11.1, each with the
// SeaBIOS and OVMF Debian ships beside it): a configuration captured live through the release's chroot,
// then booted three times for real (system_reset between boots) and compared with the model's three
// boots, check by check (test/helpers/live-reboots.ts). What the OS gets at each boot is the release's
// own story. The seed: 10.0 + SeaBIOS 1.16.3: its own tables, then QEMU's; 11.1 + SeaBIOS 1.17.0: no
// ACPI, then QEMU's; OVMF 2025.02 / 2026.08: QEMU's every time. Plain q35 (nothing grows at the
// rebuild): QEMU's tables at every boot on both releases, under both firmwares.
import test from 'ava';
import { chrootSkip } from './helpers/chroots.js';
import { liveReboots, type BootStory } from './helpers/live-reboots.js';

const SEED = ['-machine', 'q35,nvdimm=on', '-smp', '1', '-m', 'size=2G,slots=8,maxmem=4G', '-object', 'memory-backend-file,id=mem0,mem-path={tmp}/nvdimm0.img,size=256M', '-device', 'nvdimm,label-size=131072,memdev=mem0,id=nvdimm0,slot=1', '-device', 'vmgenid', '-device', 'intel-iommu'];
// the command line of ../shared/vectors/qemu-10.0/q35 and qemu-11.1/q35 (manifest.json config_args)
const Q35 = ['-machine', 'q35', '-smp', '1', '-m', '2G'];
const QEMU_EVERY_BOOT: BootStory = { seabios: ['qemu', 'qemu', 'qemu'], ovmf: ['qemu', 'qemu', 'qemu'] };

const CASES = [
  { suite: 'trixie', release: '10.0', config: 'seed', args: SEED, files: { 'nvdimm0.img': 256 << 20 }, expected: { seabios: ['firmware', 'qemu', 'qemu'], ovmf: ['qemu', 'qemu', 'qemu'] } },
  { suite: 'sid', release: '11.1', config: 'seed', args: SEED, files: { 'nvdimm0.img': 256 << 20 }, expected: { seabios: ['none', 'qemu', 'qemu'], ovmf: ['qemu', 'qemu', 'qemu'] } },
  { suite: 'trixie', release: '10.0', config: 'q35', args: Q35, expected: QEMU_EVERY_BOOT },
  { suite: 'sid', release: '11.1', config: 'q35', args: Q35, expected: QEMU_EVERY_BOOT },
] as const;

for (const c of CASES) {
  const skip = chrootSkip(c.suite);
  const title = `QEMU ${c.release} (${c.suite} chroot): fwcfg check of the ${c.config}'s capture, and its three real boots under SeaBIOS and OVMF, are the model's, check by check`;
  (skip === undefined ? test.serial : test.skip)(skip === undefined ? title : `${title} (skipped: ${skip})`, async (t) => {
    t.timeout(900_000);
    await liveReboots(t, c);
  });
}
