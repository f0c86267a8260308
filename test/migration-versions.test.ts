// Migration between QEMU releases, the seed's own claim: the model's prediction against what real
// destinations printed (spec-vectors/migration/observed.json, recorded with src/qemu/migrate-live.ts
// between the host's 7.2 and the chroots' 5.2, 10.0 and 11.1), and, where the chroots are here, the
// same migrations run live again.
import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrateLive, type LiveMigrationResult } from '../src/qemu/migrate-live.js';
import { qemuRecord } from '../src/qemu/version.js';
import { migrateCheck, type MigratePoint } from '../src/simulate/migrate-check.js';
import { openVector } from '../src/vectors/configuration.js';
import { chrootSkip, SUITE_OF, wrapper } from './helpers/chroots.js';
import { QEMU_X86 } from './helpers/qemu.js';
import { ROOT } from './helpers/paths.js';

interface Observed extends LiveMigrationResult {
  configuration: string;
  args: string[];
  from: string;
  to: string;
  at: MigratePoint;
}
const observed = (JSON.parse(readFileSync(join(ROOT, 'spec-vectors', 'migration', 'observed.json'), 'utf8')) as { migrations: Observed[] }).migrations;

function predict(m: Pick<Observed, 'configuration' | 'from' | 'to' | 'at'>) {
  const vector = openVector(join(ROOT, 'spec-vectors', m.configuration));
  return migrateCheck(vector, { from: qemuRecord(m.from), to: qemuRecord(m.to), fromHostPage: 0x1000, toHostPage: 0x1000, at: m.at });
}

/** The model's prediction holds the real outcome: the source's end, or whether the stream loaded and every line the destination printed. */
function same(t: import('ava').ExecutionContext, m: Pick<Observed, 'configuration' | 'from' | 'to' | 'at'>, real: LiveMigrationResult): void {
  const p = predict(m);
  if (real.sourceEnded !== null) {
    t.truthy(p.sourceError, 'the source QEMU ended before migrating');
    t.deepEqual(p.sourceError!.split('\n'), real.sourceEnded.stderr);
    return;
  }
  t.is(p.sourceError, null);
  t.is(p.loads, real.loaded, `the destination ${real.loaded ? 'loaded' : 'ended'}; it printed: ${real.stderr.join(' / ') || 'nothing'} (exit ${JSON.stringify(real.exit)})`);
  t.deepEqual(p.errorLines ?? [], real.stderr);
  if (real.loaded) t.deepEqual(p.destinationRomBlocks?.map((r) => [r.name, r.used, r.max]), real.destinationRomBlocks?.map((r) => [r.name, r.used, r.max]));
}

test('the recorded migrations cover the seed\'s claims: 7.2 -> 5.2 after the rebuild fails with its three lines, at creation it loads; 5.2 -> 7.2; 11.1 -> 10.0', (t) => {
  const find = (c: string, from: string, to: string, at: string) => observed.find((m) => m.configuration === c && m.from === from && m.to === to && m.at === at);
  t.deepEqual(find('migration/seed-pc-q35-5.2-on-7.2', '7.2', '5.2', 'booted')?.stderr, [
    'qemu-system-x86_64: Size too large: /rom@etc/table-loader: 0x2000 > 0x1000: Invalid argument',
    "qemu-system-x86_64: error while loading state for instance 0x0 of device 'ram'",
    'qemu-system-x86_64: load of migration failed: Invalid argument',
  ]);
  t.true(find('migration/seed-pc-q35-5.2-on-7.2', '7.2', '5.2', 'creation')?.loaded);
  t.true(find('migration/seed-pc-q35-5.2-on-5.2', '5.2', '7.2', 'creation')?.loaded);
  t.true(find('migration/seed-pc-q35-7.2-on-11.1', '11.1', '10.0', 'booted')?.loaded);
});

for (const m of observed) {
  test(`model = recorded: ${m.configuration} from ${m.from} to ${m.to} (${m.at})`, (t) => same(t, m, m));
}

// live again: every pair whose QEMUs are here
const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-migrate-'));
test.after.always(() => rmSync(tmp, { recursive: true, force: true }));
function binaryOf(release: string): { binary?: string; skip?: string } {
  const suite = SUITE_OF[release];
  if (suite === undefined) return QEMU_X86 === undefined ? { skip: 'qemu-system-x86_64 is not installed' } : { binary: QEMU_X86 };
  const skip = chrootSkip(suite);
  return skip === undefined ? { binary: wrapper(tmp, suite, 'qemu-system-x86_64') } : { skip };
}
for (const m of observed) {
  const from = binaryOf(m.from);
  const to = binaryOf(m.to);
  const skip = from.skip ?? to.skip;
  const title = `live: ${m.configuration} migrated from QEMU ${m.from} to ${m.to} (${m.at}) does what the model predicts`;
  (skip === undefined ? test.serial : test.skip)(skip === undefined ? title : `${title} (skipped: ${skip})`, async (t) => {
    t.timeout(180_000);
    const nv = join(tmp, 'nvdimm0.img');
    writeFileSync(nv, new Uint8Array(0));
    truncateSync(nv, 256 << 20);
    const args = [...m.args.map((a) => a.split('{tmp}').join(tmp))];
    const real = await migrateLive({ sourceBinary: from.binary!, destinationBinary: to.binary!, args, at: m.at, streamPath: join(tmp, 'stream.bin') });
    same(t, m, real);
  });
}
