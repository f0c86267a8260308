// Boots after a real migration between QEMU releases (src/bootreal/migrated-boots.ts): the
// configuration captured live on the source release (the model's input), booted K times there,
// migrated into a file, loaded by the destination release, and booted on by system_reset. Every boot,
// the source's and the destination's, is held to `simulate --boots N --migrate-after K --to V`
// check by check, and the destination is seen running the source's firmware, as the model says:
// SeaBIOS's banner on the debug console, and the firmware's RAM block read from the stream the
// destination loaded and from one more migration after its last boot (SeaBIOS's pc.bios; OVMF's
// system.flash0, which the destination first maps from its own file of that path: a chroot's own
// OVMF build, of the same size, that the stream overwrites). A reset reloads neither.
import test from 'ava';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootMigrated } from '../src/bootreal/migrated-boots.js';
import { captureQemu } from '../src/qemu/capture.js';
import { openVector } from '../src/vectors/configuration.js';
import { KNOWN_IMAGES } from '../src/qemu/known-firmware-images.js';
import type { RealFirmware } from '../src/qemu/live/firmware-images.js';
import { chrootSkip, inChroot, SUITE_OF, wrapper } from './helpers/chroots.js';
import { QEMU_X86 } from './helpers/qemu.js';

// a GUID of its own: both ends' captures, the model and the live QEMUs all hold the same one
const GUID = '6c4b2f5e-1f0d-4b8e-9a57-0d1f2e3c4b5a';
const SEED = (machine: string) => ['-machine', `${machine},nvdimm=on`, '-smp', '1', '-m', 'size=2G,slots=8,maxmem=4G', '-object', 'memory-backend-file,id=mem0,mem-path={tmp}/nvdimm0.img,size=256M', '-device', 'nvdimm,label-size=131072,memdev=mem0,id=nvdimm0,slot=1', '-device', `vmgenid,guid=${GUID}`, '-device', 'intel-iommu'];

interface Case {
  config: string;
  args: string[];
  from: string;
  to: string;
  migrateAfter: number;
  boots: number;
  firmware?: RealFirmware;
  /** OVMF: the release of the image the destination's own file of that path holds (another than the source's: the guest must not run it). */
  destinationOwn?: string;
  /** What the OS gets at each boot that runs (the release's story), and where the destination ended, if it did. */
  os: string[];
  ends?: RegExp;
}

// the migrations spec-vectors/migration/observed.json records as loading (a machine type both releases know)
const CASES: Case[] = [
  { config: 'q35', args: ['-machine', 'pc-q35-5.2', '-m', '2G'], from: '7.2', to: '5.2', migrateAfter: 1, boots: 3, os: ['qemu', 'qemu', 'qemu'] },
  { config: 'seed', args: SEED('pc-q35-7.2'), from: '11.1', to: '10.0', migrateAfter: 1, boots: 2, os: ['none', 'qemu'] },
  { config: 'seed', args: SEED('pc-q35-5.2'), from: '7.2', to: '5.2', migrateAfter: 0, boots: 2, os: [], ends: /Size too large: \/rom@etc\/table-loader: 0x2000 > 0x1000/ },
  // SeaBIOS 1.14.0 (5.2's) loads its own tables on 7.2, then never boots again after the reset (it does not on 5.2 either)
  { config: 'seed', args: SEED('pc-q35-5.2'), from: '5.2', to: '7.2', migrateAfter: 0, boots: 2, os: ['firmware', 'none'] },
  // OVMF: sid's build (2026.08) moves in system.flash0 onto 10.0, whose own file of that path is trixie's 2025.02
  { config: 'seed', args: SEED('pc-q35-7.2'), from: '11.1', to: '10.0', migrateAfter: 1, boots: 2, firmware: 'ovmf', destinationOwn: '2025.02', os: ['qemu', 'qemu'] },
  // two boots on the source before the move: the destination's boot 3 follows them
  { config: 'q35', args: ['-machine', 'pc-q35-7.2', '-m', '2G'], from: '10.0', to: '11.1', migrateAfter: 2, boots: 3, os: ['qemu', 'qemu', 'qemu'] },
];

function binaryOf(release: string, dir: string): { binary?: string; skip?: string } {
  const suite = SUITE_OF[release];
  if (suite === undefined) return QEMU_X86 === undefined ? { skip: 'qemu-system-x86_64 is not installed' } : { binary: QEMU_X86 };
  const skip = chrootSkip(suite);
  return skip === undefined ? { binary: wrapper(dir, suite, 'qemu-system-x86_64') } : { skip };
}

for (const c of CASES) {
  const dir = mkdtempSync(join(tmpdir(), 'fwcfg-migrated-'));
  test.after.always(() => rmSync(dir, { recursive: true, force: true }));
  const from = binaryOf(c.from, dir);
  const to = binaryOf(c.to, dir);
  const skip = from.skip ?? to.skip;
  const firmware = c.firmware ?? 'seabios';
  const title = `live: the ${c.config} (${c.args[1]!.split(',')[0]}) on QEMU ${c.from}, migrated ${c.migrateAfter === 0 ? 'as created' : `after boot ${c.migrateAfter}`} to ${c.to}: each of its ${c.boots} boots under ${firmware} is the model's`;
  (skip === undefined ? test.serial : test.skip)(skip === undefined ? title : `${title} (skipped: ${skip})`, async (t) => {
    t.timeout(600_000);
    const nv = join(dir, 'nvdimm0.img');
    writeFileSync(nv, new Uint8Array(0));
    truncateSync(nv, 256 << 20);
    const args = ['-nodefaults', '-no-user-config', ...c.args.map((a) => a.split('{tmp}').join(dir))];
    // the model's inputs: the configuration captured on each release (each QEMU builds its own tables)
    const capture = async (release: string, binary: string) => {
      const out = join(dir, `capture-${release}`);
      const { json } = await captureQemu({ out, qemuArgs: [binary, ...args], config: c.config });
      t.true(json.qemu_version?.startsWith(release), json.qemu_version ?? 'no version');
      return openVector(out);
    };
    const vector = await capture(c.from, from.binary!);
    const destinationCapture = await capture(c.to, to.binary!);
    const r = await bootMigrated({ vector, destinationCapture, args, source: { binary: from.binary!, release: c.from }, destination: { binary: to.binary!, release: c.to }, firmware, boots: c.boots, migrateAfter: c.migrateAfter });
    t.true(r.migration.loaded, r.migration.stderr.join('\n'));
    t.is(r.model.migration?.loaded, true);
    // the boots that ran, where they ran, and what the OS got at each: the release's story, and the model's
    t.deepEqual(r.boots.map((b) => b.on), r.boots.map((b) => (b.boot <= c.migrateAfter ? 'source' : 'destination')));
    t.deepEqual(r.boots.map((b) => b.os.tables), c.os);
    t.deepEqual(r.boots.map((b) => b.os.tables), r.model.boots.slice(0, r.boots.length).map((b) => b.os.tables));
    // the guest keeps the source's firmware across the move and every reset: the model's release, in the source's stream and still after the destination's last boot
    const held = r.heldFirmware;
    t.log(JSON.stringify(held), r.model.firmwareRelease);
    if (r.ended === null) t.deepEqual(held.destination, held.source, 'the destination holds the firmware the source sent');
    if (firmware === 'ovmf') {
      t.is(`OVMF ${held.source.flashImage?.release}`, r.model.firmwareRelease);
      // the file the destination's command line names, as its QEMU opens it, is another build: the stream overwrote it
      const suite = SUITE_OF[c.to];
      const own = KNOWN_IMAGES[createHash('sha256').update(readFileSync(suite === undefined ? held.image : inChroot(suite, held.image))).digest('hex')];
      t.is<string | null, string | null>(own?.release ?? null, c.destinationOwn ?? null, `the destination's own ${held.image}`);
      t.not(held.destination?.flashImage?.release, own?.release);
    } else {
      const release = /SeaBIOS (\S+)/.exec(r.model.firmwareRelease)?.[1];
      t.true(held.source.seabiosVersion?.startsWith(`${release}-`) ?? false, `the stream's pc.bios: SeaBIOS ${held.source.seabiosVersion}, the model's ${r.model.firmwareRelease}`);
      // (a boot that hangs in SeaBIOS's reset path prints no banner)
      for (const b of r.boots) if (b.completed || b.firmwareBanner !== null) t.true(b.firmwareBanner?.startsWith(`${release}-`) ?? false, `boot ${b.boot} on the ${b.on}: SeaBIOS ${b.firmwareBanner ?? '(no banner)'}, the model's ${r.model.firmwareRelease}`);
    }
    if (c.ends !== undefined) {
      t.regex(r.ended?.stderr.join('\n') ?? '', c.ends);
      t.is(r.model.boots.length, r.ended!.boot, 'the model stops at the boot where the real destination ended');
    } else t.is(r.ended, null);
    for (const cmp of r.comparison) t.deepEqual(cmp.checks.filter((x) => x.status === 'different'), [], `boot ${cmp.boot}: the model differs from the real boot`);
    t.is(r.comparison.length, c.boots - (c.ends !== undefined ? c.boots - r.ended!.boot : 0));
  });
}
