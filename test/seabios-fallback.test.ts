// SeaBIOS's own ACPI tables (src/firmware/seabios-acpi.ts) against real SeaBIOS: the seed under
// QEMU 7.2 / SeaBIOS 1.16.2 and QEMU 10.0 / SeaBIOS 1.16.3, the conformance cases where the real
// SeaBIOS fell back, a live boot with more CPUs and NUMA nodes, and the AML record against the
// installed images.
import test from 'ava';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acpiSetup } from '../src/firmware/seabios-acpi.js';
import { AML_HEADER, AML_IMAGES, DSDT_BODY, SSDT_MISC_AT, SSDT_MISC_BODY, SSDT_PCIHP_AT, SSDT_PCIHP_BODY, SSDT_PROC_AT, SSDT_PROC_BODY } from '../src/firmware/records/seabios-aml.js';
import { SEABIOS_1_16_2 } from '../src/firmware/records/seabios.js';
import { ZoneAllocator } from '../src/firmware/zone-allocator.js';
import { boot, firmwareMemory, type Boot } from '../src/simulate/boot.js';
import { itemsCaptureFor } from '../src/simulate/captures.js';
import { loadCase } from '../src/simulate/corpus-case.js';
import { firmwareMachine } from '../src/simulate/firmware-run.js';
import { driverScratch, guestFor } from '../src/simulate/fwcfg-access.js';
import { policyFor } from '../src/simulate/options.js';
import { fwcfg } from './helpers/cli.js';
import { bootCase, type ServedFiles } from './helpers/corpus.js';
import { QEMU_VECTORS, ROOT, loadVector } from './helpers/paths.js';
import { x86FirmwareMissing } from './helpers/qemu.js';

const hexNum = (s: string) => parseInt(s, 16);
const bytesOf = (path: string) => new Uint8Array(readFileSync(path));

/** The seed's machine as the CLI builds it: the capture plus its fw_cfg item capture (QEMU's numbered items). */
function seedMachine() {
  const v = loadVector('seed');
  const items = itemsCaptureFor(v, undefined);
  if (items === undefined) throw new Error('spec-vectors/fwcfg-device/seed is missing');
  return firmwareMachine(v, { policy: policyFor('7.2'), hostPageSize: 0x1000, firmware: 'seabios', items });
}

/** A real SeaBIOS boot's record: the tables an OS found (manifest or outcome.json), its RSDP, its debug console. */
interface RealFallback {
  tables: { signature: string; address: number; length: number; bytes: Uint8Array }[];
  rsdp: { address: number; bytes?: Uint8Array };
  log: string;
}

/** The model's tables, RSDP and warnings held to the real boot's, byte for byte. */
function sameAsReal(t: import('ava').ExecutionContext, b: Boot, real: RealFallback): void {
  const { report, memory } = b;
  t.deepEqual(
    report.tables.map((x) => [x.signature, x.address, x.length, x.source]),
    real.tables.map((x) => [x.signature, x.address, x.length, 'firmware']),
    'the tables an OS reaches, in the order it reaches them',
  );
  for (const x of real.tables) t.deepEqual(memory.read(x.address, x.length), x.bytes, `${x.signature} bytes`);
  t.deepEqual(report.rsdp, { address: real.rsdp.address, fromLoader: false });
  if (real.rsdp.bytes !== undefined) t.deepEqual(memory.read(real.rsdp.address, real.rsdp.bytes.length), real.rsdp.bytes, 'the RSDP in use');
  t.deepEqual(report.warnings, real.log.split('\n').filter((l) => l.startsWith('WARNING')), 'warnings: the debug console');
  // the debug console names the DSDT and where the RSDP went
  const dsdt = /^ACPI DSDT=0x([0-9a-f]+)$/m.exec(real.log);
  const copied = /^Copying ACPI RSDP from 0x[0-9a-f]+ to 0x([0-9a-f]+)$/m.exec(real.log);
  t.is(report.tables.find((x) => x.signature === 'DSDT')?.address, hexNum(dsdt![1]!));
  t.is(report.rsdp?.address, hexNum(copied![1]!));
  for (const x of report.tables) t.true(report.scratch.some((s) => x.address >= s.start && x.address + x.length <= s.end), `${x.signature} lies in memory the run declares`);
}

/** A capture's manifest stage: tables_in_memory and the RSDP in use, with their files. */
function fromManifest(dir: string): RealFallback {
  const after = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).stages.after as {
    tables_in_memory: { signature: string; address: string; length: number; path: string }[];
    rsdp: { address: string; path: string };
  };
  return {
    tables: after.tables_in_memory.map((x) => ({ signature: x.signature, address: hexNum(x.address), length: x.length, bytes: bytesOf(join(dir, x.path)) })),
    rsdp: { address: hexNum(after.rsdp.address), bytes: bytesOf(join(dir, after.rsdp.path)) },
    log: readFileSync(join(dir, 'seabios-debug.log'), 'utf8'),
  };
}

test('qemu-7.2/seed: SeaBIOS 1.16.2 builds its own tables where the real one did, byte for byte, and publishes their RSDP', (t) => {
  const b = boot(seedMachine(), { firmware: 'seabios' }, guestFor);
  t.is(b.report.commandsExecuted, 32);
  sameAsReal(t, b, fromManifest(join(QEMU_VECTORS, 'seed')));
  t.deepEqual(b.report.tables.map((x) => x.signature), ['RSDT', 'FACP', 'FACS', 'DSDT', 'SSDT', 'APIC', 'HPET', 'SRAT', 'MCFG']);
});

test('qemu-10.0/seed: SeaBIOS 1.16.3 after QEMU 10.0\'s loader (allocations in another order): the same tables at the same addresses, the RSDP at 0xf52a0', (t) => {
  // no QEMU 10.0 record yet: acpi_setup on the zones as the real boot's loader left them
  // (its manifest's allocations, then write_pointer's 24-byte record), the machine's inputs
  // those of the same command line (qemu-7.2's seed: its item capture)
  const dir = join(ROOT, 'spec-vectors/qemu-10.0/seed');
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  t.deepEqual(manifest.config_args, loadVector('seed').manifest['config_args'], 'the same configuration as qemu-7.2/seed');
  const after = manifest.stages.after as { allocations: { file: string; zone_name: string; base: number; length: number }[]; write_pointers: unknown[] };
  const log = readFileSync(join(dir, 'seabios-debug.log'), 'utf8');
  // ZoneFSeg's room ended where the last F-segment copy before the loader went (SMBIOS), started where the UMB space does
  const fsegTop = Math.min(...[...log.matchAll(/^Copying (?:PIR|MPTABLE|SMBIOS) .* to 0x([0-9a-f]+)$/gm)].map((m) => hexNum(m[1]!)));
  const fsegBottom = hexNum(/^Space available for UMB: .*, ([0-9a-f]+)-[0-9a-f]+$/m.exec(log)![1]!);
  const machine = seedMachine();
  const top = 0x80000000;
  const high = new ZoneAllocator('ZoneHigh', { start: top - 0x1000000, end: top });
  const fseg = new ZoneAllocator('ZoneFSeg', { start: fsegBottom, end: fsegTop });
  for (const a of after.allocations) t.true((a.zone_name === 'HIGH' ? high : fseg).reserve(a.base, a.base + a.length), a.file);
  for (let i = 0; i < after.write_pointers.length; i++) high.allocate(24, 16);
  const scratch = driverScratch(machine);
  const memory = firmwareMemory(machine, [high.zone, { start: scratch, end: scratch + 0x1000 }], new Map());
  t.teardown(() => memory.release());
  const fw = guestFor(machine, memory, SEABIOS_1_16_2, scratch);
  const own = acpiSetup({ memory, fw, directory: fw.directory(), high, fseg, tmpRoom: 0x1000000, machine: { family: 'q35', pciexbar: 0xb0000000, qemuAcpi: true, ramTop: top }, rsdpNoRoomAt: 'copy_fseg_table:29' });
  const real = fromManifest(dir);
  t.is(own.rsdp, real.rsdp.address);
  t.deepEqual(memory.read(real.rsdp.address, 20), real.rsdp.bytes);
  for (const x of real.tables) t.deepEqual(memory.read(x.address, x.length), x.bytes, `${x.signature} at 0x${x.address.toString(16)}`);
  t.deepEqual(own.warnings, log.split('\n').filter((l) => /^WARNING .*free:/.test(l)), "build_srat's two free() warnings");
});

const CORPUS = join(ROOT, 'spec-vectors/firmware-conformance');
const fellBack = readdirSync(CORPUS).filter((id) => existsSync(join(CORPUS, id, 'seabios/os-tables'))).sort();

test('the conformance corpus has real SeaBIOS fallbacks to hold the model to', (t) => {
  t.deepEqual(fellBack, ['empty-script', 'no-table-loader', 'script-size-not-multiple']);
});

for (const id of fellBack) {
  test(`${id} (q35, acpi=off): the model's own tables are the real SeaBIOS's, byte for byte`, (t) => {
    const c = loadCase(join(CORPUS, id));
    const dir = join(c.dir, 'seabios');
    const o = JSON.parse(readFileSync(join(dir, 'outcome.json'), 'utf8')) as ServedFiles & { rsdp: { address: string }; tables: { signature: string; address: string; length: number }[] };
    const b = bootCase(c, 'seabios', new Map(), o);
    t.teardown(() => b.memory.release());
    const file = (x: { signature: string; address: string }) => join(dir, 'os-tables', `${x.signature}@${x.address.slice(2).padStart(8, '0')}.bin`);
    sameAsReal(t, b, {
      tables: o.tables.map((x) => ({ signature: x.signature, address: hexNum(x.address), length: x.length, bytes: bytesOf(file(x)) })),
      rsdp: { address: hexNum(o.rsdp.address) },
      log: readFileSync(join(dir, 'debug.log'), 'utf8'),
    });
  });
}

test('a release without the fallback (1.17.0) publishes nothing: no RSDP, no tables, the loader warning alone', (t) => {
  const machine = seedMachine();
  const record = { ...SEABIOS_1_16_2, profile: (m: Parameters<typeof SEABIOS_1_16_2.profile>[0]) => ({ ...SEABIOS_1_16_2.profile(m), fallback: { tables: 'none' as const } }) };
  const facts = { family: 'q35' as const, arch: 'x86_64' as const, lowRam: { start: 0, end: 0x80000000 }, numa: true, s3: true };
  const profile = record.profile(facts);
  const scratch = driverScratch(machine);
  const memory = firmwareMemory(machine, [...record.workRanges(profile), { start: scratch, end: scratch + 0x1000 }], new Map());
  t.teardown(() => memory.release());
  const report = record.run({ memory, fw: guestFor(machine, memory, record, scratch), programPlatform: () => machine.programPlatform(0xb0000000) }, profile, facts);
  t.is(report.rsdp, null);
  t.deepEqual(report.tables, []);
  t.deepEqual(report.warnings, ['WARNING - internal error detected at qemu_platform_setup:251!']);
  t.true(report.notes.some((n) => /builds no ACPI tables of its own/.test(n)));
});

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Installed SeaBIOS images: this host's and any chroot's. */
function installedImages(): Map<string, string> {
  const roots = ['/', ...(existsSync('/var/chroots') ? readdirSync('/var/chroots').map((d) => join('/var/chroots', d)) : [])];
  const out = new Map<string, string>();
  for (const root of roots) {
    const path = join(root, 'usr/share/seabios/bios-256k.bin');
    if (existsSync(path)) out.set(sha256(readFileSync(path)), path);
  }
  return out;
}
const images = installedImages();

for (const image of AML_IMAGES) {
  const path = images.get(image.sha256);
  (path === undefined ? test.skip : test)(`the AML record is what ${image.release}'s bios-256k.bin carries${path === undefined ? ' (skipped: that image is not installed here)' : ''}`, (t) => {
    const rom = bytesOf(path!);
    const templates: [string, number, Uint8Array, string][] = [
      ['DSDT', image.at.dsdt, DSDT_BODY, 'BXDSDT\0\0'],
      ['SSDT', image.at.ssdtMisc, SSDT_MISC_BODY, 'BXSSDTSU'],
      ['SSDT', image.at.ssdtProc, SSDT_PROC_BODY, 'BXSSDT\0\0'],
      ['SSDT', image.at.ssdtPcihp, SSDT_PCIHP_BODY, 'BXSSDTPC'],
    ];
    for (const [signature, at, body, tableId] of templates) {
      const header = Buffer.from(rom.subarray(at, at + AML_HEADER));
      t.is(header.toString('latin1', 0, 4), signature);
      t.is(header.toString('latin1', 16, 24), tableId);
      t.is(header.readUInt32LE(4), AML_HEADER + body.length, `${tableId}: the compiled length`);
      t.deepEqual(rom.subarray(at + AML_HEADER, at + AML_HEADER + body.length), body, tableId);
    }
  });
}

test("the AML record's patch points are where acpi_extract would put them", (t) => {
  const whole = (body: Uint8Array) => Buffer.concat([Buffer.alloc(AML_HEADER), body]);
  // an AML PkgLength: the lead byte's top bits count the bytes that follow
  const pkgLength = (b: Buffer, at: number) => {
    const n = b[at]! >> 6;
    let len = n === 0 ? b[at]! & 0x3f : b[at]! & 0x0f;
    for (let i = 1; i <= n; i++) len |= b[at + i]! << (4 + 8 * (i - 1));
    return len;
  };
  const misc = whole(SSDT_MISC_BODY);
  const name = (b: Buffer, at: number) => b.toString('latin1', at, at + 4);
  // NAME_*_CONST: the value after the name and its prefix byte (DWord 0x0c, Byte 0x0a, Word 0x0b)
  t.deepEqual([name(misc, SSDT_MISC_AT.pci32Start - 5), misc[SSDT_MISC_AT.pci32Start - 1]], ['P0S_', 0x0c]);
  t.deepEqual([name(misc, SSDT_MISC_AT.pci32End - 5), misc[SSDT_MISC_AT.pci32End - 1]], ['P0E_', 0x0c]);
  t.deepEqual([name(misc, SSDT_MISC_AT.pci64Valid - 5), misc[SSDT_MISC_AT.pci64Valid - 1]], ['P1V_', 0x0a]);
  t.deepEqual([name(misc, SSDT_MISC_AT.isaPest - 5), misc[SSDT_MISC_AT.isaPest - 1]], ['PEST', 0x0b]);
  // NAME_BUFFER8: Name(X, Buffer(8) {...}) = 08 X 11 0b 0a 08, then the 8 bytes
  for (const [at, n] of [[SSDT_MISC_AT.pci64Start, 'P1S_'], [SSDT_MISC_AT.pci64End, 'P1E_'], [SSDT_MISC_AT.pci64Length, 'P1L_']] as const) t.deepEqual([name(misc, at - 8), [...misc.subarray(at - 4, at)]], [n, [0x11, 0x0b, 0x0a, 0x08]]);
  t.deepEqual([name(misc, SSDT_MISC_AT.s3Name), name(misc, SSDT_MISC_AT.s4Name)], ['_S3_', '_S4_']);
  t.deepEqual([...misc.subarray(SSDT_MISC_AT.s4Pkg - 3, SSDT_MISC_AT.s4Pkg + 4)], [0x12, 0x08, 0x04, 0x0a, 0x02, 0x0a, 0x02]);
  // the Processor and Device templates: their op, their name, their constants, and their end
  const proc = whole(SSDT_PROC_BODY);
  t.deepEqual([...proc.subarray(SSDT_PROC_AT.start, SSDT_PROC_AT.start + 2)], [0x5b, 0x83]);
  t.is(SSDT_PROC_AT.start + 2 + pkgLength(proc, SSDT_PROC_AT.start + 2), SSDT_PROC_AT.end, 'PkgLength reaches the end');
  t.deepEqual([name(proc, SSDT_PROC_AT.name), proc[SSDT_PROC_AT.name + 4], name(proc, SSDT_PROC_AT.id - 5), proc[SSDT_PROC_AT.id]], ['CPAA', 0xaa, 'ID__', 0xaa]);
  const hp = whole(SSDT_PCIHP_BODY);
  t.deepEqual([...hp.subarray(SSDT_PCIHP_AT.start, SSDT_PCIHP_AT.start + 2)], [0x5b, 0x82]);
  t.is(SSDT_PCIHP_AT.start + 2 + pkgLength(hp, SSDT_PCIHP_AT.start + 2), SSDT_PCIHP_AT.end, 'PkgLength reaches the end');
  t.deepEqual([name(hp, SSDT_PCIHP_AT.name), name(hp, SSDT_PCIHP_AT.id - 5), hp[SSDT_PCIHP_AT.id], name(hp, SSDT_PCIHP_AT.adr - 5), hp.readUInt32LE(SSDT_PCIHP_AT.adr), name(hp, SSDT_PCIHP_AT.ej0)], ['SAA_', '_SUN', 0xaa, '_ADR', 0xaa0000, '_EJ0']);
});

test('ZoneHigh gives a freed block back whole (a replaced -acpitable DSDT): the next allocation that fits lands in it', (t) => {
  const z = new ZoneAllocator('ZoneHigh', { start: 0x1000, end: 0x2000 });
  const a = z.allocate(0x100, 16)!;
  const b = z.allocate(0x100, 16)!;
  z.allocate(0x100, 16);
  z.release(b, b + 0x100);
  t.deepEqual([a, b], [0x1f00, 0x1e00]);
  t.is(z.allocate(0x80, 16), 0x1e80, 'the top of the freed block');
  t.deepEqual(z.free(), [{ start: 0x1e00, end: 0x1e80 }, { start: 0x1000, end: 0x1d00 }]);
  z.release(0x1e80, 0x1f00);
  t.deepEqual(z.free(), [{ start: 0x1e00, end: 0x1f00 }, { start: 0x1000, end: 0x1d00 }], 'merged with the free space below it');
});

const skip = x86FirmwareMissing('seabios');

/** Command lines whose real SeaBIOS falls back (no QEMU ACPI), and the tables it then publishes. */
const LIVE: { what: string; args: (dir: string) => string[]; tables: string }[] = [
  {
    what: '2 of 4 CPUs, two NUMA nodes',
    args: () => ['-smp', '2,maxcpus=4', '-m', '2G', '-object', 'memory-backend-ram,id=m0,size=1G', '-object', 'memory-backend-ram,id=m1,size=1G', '-numa', 'node,nodeid=0,cpus=0-1,memdev=m0', '-numa', 'node,nodeid=1,cpus=2-3,memdev=m1'],
    tables: 'RSDT@0x7fffe120 FACP@0x7fffff80 FACS@0x7fffff40 DSDT@0x7fffe160 SSDT@0x7ffff5e0 APIC@0x7ffff4e0 HPET@0x7ffff4a0 SRAT@0x7ffff390 MCFG@0x7ffff350',
  },
  {
    // looked up last first: the 236-byte DSDT is linked, then freed for the 60-byte one; the RSDT lands in its place
    what: '-acpitable: two DSDTs and another table',
    args: (dir) => ['-smp', '1', '-m', '2G', '-acpitable', `sig=DSDT,data=${join(dir, 'a.bin')}`, '-acpitable', `sig=OEMX,data=${join(dir, 'b.bin')}`, '-acpitable', `sig=DSDT,data=${join(dir, 'c.bin')}`],
    tables: 'RSDT@0x7ffff550 FACP@0x7fffff80 FACS@0x7fffff40 DSDT@0x7ffff410 SSDT@0x7ffff700 APIC@0x7ffff610 HPET@0x7ffff5d0 MCFG@0x7ffff590 OEMX@0x7ffff450',
  },
];

for (const c of LIVE) {
  (skip === undefined ? test.serial : test.skip)(`live: q35 without QEMU's ACPI, ${c.what}: SeaBIOS's own tables are where the model puts them, byte for byte${skip === undefined ? '' : ` (skipped: ${skip})`}`, async (t) => {
    t.timeout(180_000);
    const dir = mkdtempSync(join(tmpdir(), 'fwcfg-fallback-'));
    try {
      for (const [name, n] of [['a.bin', 24], ['b.bin', 40], ['c.bin', 200]] as const) writeFileSync(join(dir, name), Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff));
      const out = join(dir, 'capture');
      const check = await fwcfg('check', '--out', out, '--', 'qemu-system-x86_64', '-nodefaults', '-no-user-config', '-cpu', 'max', '-machine', 'q35,acpi=off', ...c.args(dir));
      t.is(check.code, 0, check.stderr);
      const r = await fwcfg('boot-real', '--config', out, '--firmware', 'seabios', '--boots', '1', '--compare');
      t.is(r.code, 0, r.stdout + r.stderr);
      t.notRegex(r.stdout, /DIFF/);
      t.true(r.stdout.includes(`same  tables the OS reaches: model ${c.tables}; live ${c.tables}`), r.stdout);
      for (const sig of c.tables.split(' ').map((x) => x.slice(0, 4))) t.regex(r.stdout, new RegExp(`same +table bytes: ${sig} at 0x[0-9a-f]+: \\d+ bytes equal`), sig);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
