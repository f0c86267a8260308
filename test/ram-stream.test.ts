// Reading RAM blocks out of a QEMU migration stream: synthetic streams for every record kind and fault, then live QEMU against the 7.2 vectors.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FwCfgError, InputError } from '../src/errors.js';
import { findOnPath } from '../src/qemu/live/find-binary.js';
import { liveQemuPids, QemuProcess } from '../src/qemu/live/qemu-process.js';
import { migrateToFile, MigrationStreamError, readRamBlocks } from '../src/qemu/live/ram-stream.js';
import { QEMU_VECTORS } from './helpers/paths.js';

// ---- a writer for synthetic streams ----

class W {
  readonly out: number[] = [];
  get length(): number {
    return this.out.length;
  }
  u8(v: number): this {
    this.out.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v >>> 8).u8(v);
  }
  u32(v: number): this {
    return this.u16(v >>> 16).u16(v & 0xffff);
  }
  u64(v: number): this {
    return this.u32(Math.floor(v / 2 ** 32)).u32(v >>> 0);
  }
  str8(s: string): this {
    this.u8(s.length);
    for (const ch of Buffer.from(s, 'latin1')) this.u8(ch);
    return this;
  }
  bytes(b: Uint8Array): this {
    for (const x of b) this.out.push(x);
    return this;
  }
  build(): Uint8Array {
    return Uint8Array.from(this.out);
  }
}

const ZERO = 0x02;
const MEM_SIZE = 0x04;
const PAGE = 0x08;
const EOS = 0x10;
const CONT = 0x20;
const MULTIFD_FLUSH = 0x200;
const RAM_ID = 2;

interface Opts {
  config?: string | null;
  footers?: boolean;
  pageSize?: number;
  /** Extra bytes written right after the configuration record (subsections). */
  subsections?: (w: W) => void;
  /** Replaces the PART chunk's records. */
  part?: (w: W) => void;
  /** Records inserted between the START and PART sections. */
  between?: (w: W) => void;
}

const BLOCKS: [string, number][] = [
  ['pc.ram', 0x4000],
  ['/rom@etc/acpi/tables', 0x3000],
  ['/rom@etc/acpi/rsdp', 0x1000],
];

function page(seed: number, size = 4096): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 7 + seed) & 0xff);
}

/** A stream shaped like QEMU's: header, configuration, ram START/PART/END, then device state this reader must not touch. */
function stream(o: Opts = {}): { bytes: Uint8Array; endOfRam: number } {
  const ps = o.pageSize ?? 4096;
  const footers = o.footers ?? true;
  const w = new W().u32(0x5145564d).u32(3);
  const config = o.config === undefined ? 'pc-q35-7.2' : o.config;
  if (config !== null) {
    w.u8(0x07).u32(config.length);
    for (const ch of Buffer.from(config, 'latin1')) w.u8(ch);
    o.subsections?.(w);
  }
  const footer = () => {
    if (footers) w.u8(0x7e).u32(RAM_ID);
  };
  w.u8(0x01).u32(RAM_ID).str8('ram').u32(0).u32(4);
  w.u64(BLOCKS.reduce((s, [, n]) => s + n, 0) | MEM_SIZE);
  for (const [name, len] of BLOCKS) w.str8(name).u64(len);
  w.u64(MULTIFD_FLUSH).u64(EOS);
  footer();
  o.between?.(w);
  w.u8(0x02).u32(RAM_ID);
  if (o.part) o.part(w);
  else {
    w.u64(0 | ZERO).str8('pc.ram').u8(0);
    w.u64(ps | ZERO | CONT).u8(0);
    w.u64(ps | PAGE).str8('/rom@etc/acpi/tables').bytes(page(1, ps));
    w.u64(2 * ps | PAGE | CONT).bytes(page(2, ps));
  }
  w.u64(EOS);
  footer();
  w.u8(0x08).u16(11).u16(0); // SWITCHOVER_START (QEMU 10+): skipped
  w.u8(0x03).u32(RAM_ID);
  w.u64(0 | ZERO).str8('/rom@etc/acpi/tables').u8(0xaa);
  w.u64(0 | PAGE).str8('/rom@etc/acpi/rsdp').bytes(page(3, ps));
  w.u64(2 * ps | PAGE).str8('/rom@etc/acpi/tables').bytes(page(4, ps)); // sent again: the later copy wins
  w.u64(EOS);
  footer();
  const endOfRam = w.length;
  // a device section and junk: must never be read
  w.u8(0x04).u32(3).str8('timer').u32(0).u32(2);
  for (let i = 0; i < 64; i++) w.u8(0xff);
  return { bytes: w.build(), endOfRam };
}

function expectedTables(ps = 4096): Uint8Array {
  const b = new Uint8Array(3 * ps);
  b.fill(0xaa, 0, ps);
  b.set(page(1, ps), ps);
  b.set(page(4, ps), 2 * ps);
  return b;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof FwCfgError) return err.code;
    throw err;
  }
  return 'NO ERROR';
}

// ---- synthetic streams ----

test('ZERO, PAGE and CONTINUE records fill the selected blocks; others are announced without bytes', (t) => {
  const { bytes } = stream();
  const r = readRamBlocks(bytes);
  t.is(r.machineType, 'pc-q35-7.2');
  t.deepEqual(
    [...r.blocks].map(([n, b]) => [n, b.usedLength, b.bytes === null]),
    [
      ['pc.ram', 0x4000, true],
      ['/rom@etc/acpi/tables', 0x3000, false],
      ['/rom@etc/acpi/rsdp', 0x1000, false],
    ],
  );
  t.deepEqual(r.blocks.get('/rom@etc/acpi/tables')!.bytes, expectedTables());
  t.deepEqual(r.blocks.get('/rom@etc/acpi/rsdp')!.bytes, page(3));
  const all = readRamBlocks(bytes, { only: () => true });
  t.deepEqual(all.blocks.get('pc.ram')!.bytes, new Uint8Array(0x4000), 'pages never sent stay zero');
  t.is(readRamBlocks(bytes, { only: (n) => n === 'pc.ram' }).blocks.get('/rom@etc/acpi/tables')!.bytes, null);
});

test('streams without a configuration record and without footers (old machine types)', (t) => {
  const r = readRamBlocks(stream({ config: null, footers: false }).bytes);
  t.is(r.machineType, null);
  t.deepEqual(r.blocks.get('/rom@etc/acpi/tables')!.bytes, expectedTables());
});

test('the page size is a parameter: 1 KiB pages keep their flags below 0x400', (t) => {
  const r = readRamBlocks(stream({ pageSize: 1024 }).bytes, { pageSize: 1024 });
  t.deepEqual(r.blocks.get('/rom@etc/acpi/tables')!.bytes!.subarray(0, 3 * 1024), expectedTables(1024));
  t.throws(() => readRamBlocks(stream().bytes, { pageSize: 1000 }), { instanceOf: InputError, code: 'PAGE_SIZE' });
  t.throws(() => readRamBlocks(stream().bytes, { pageSize: 512 }), { instanceOf: InputError, code: 'PAGE_SIZE' });
  // the wrong page size misreads the first PAGE record; the missing footer gives it away
  t.throws(() => readRamBlocks(stream().bytes, { pageSize: 8192 }), { instanceOf: MigrationStreamError });
});

test('truncation at every byte before the end of the RAM section is STREAM_TRUNCATED, naming offsets', (t) => {
  for (const footers of [true, false]) {
    const { bytes, endOfRam } = stream({ footers, subsections: (w) => w.u8(0x05).str8('configuration/uuid').u32(1).bytes(new Uint8Array(16)) });
    for (let n = 0; n < endOfRam; n++) {
      const err = t.throws(() => readRamBlocks(bytes.subarray(0, n)), { instanceOf: MigrationStreamError }, `footers ${footers}, ${n} bytes`);
      if (err?.code !== 'STREAM_TRUNCATED') t.fail(`${n} bytes: ${err?.code} ${err?.message}`);
      else if (!new RegExp(`^migration stream ends at byte ${n} while reading .+ at byte \\d+ \\(\\d+ bytes needed\\)$`).test(err.message)) t.fail(err.message);
    }
    t.notThrows(() => readRamBlocks(bytes.subarray(0, endOfRam)), 'device state after the RAM section is not needed');
  }
});

test('configuration subsections: target-page-bits is checked, capabilities that change the layout are refused', (t) => {
  const sub = (name: string, body: (w: W) => void) => (w: W) => body(w.u8(0x05).str8(name).u32(1));
  const ok = readRamBlocks(stream({ config: 'virt-7.2', subsections: sub('configuration/target-page-bits', (w) => w.u32(12)) }).bytes);
  t.is(ok.machineType, 'virt-7.2');
  const caps = (names: string[]) => sub('configuration/capabilities', (w) => names.reduce((x, n) => x.str8(n), w.u32(names.length)));
  t.is(readRamBlocks(stream({ subsections: caps(['validate-uuid']) }).bytes).machineType, 'pc-q35-7.2');
  t.throws(() => readRamBlocks(stream({ subsections: sub('configuration/target-page-bits', (w) => w.u32(16)) }).bytes), {
    code: 'STREAM_PAGE_SIZE',
    // 8 header + 15 configuration + 1 type + 31 name + 4 version
    message: "migration stream byte 59: the stream's target page size is 2^16, not the 4096 given",
  });
  t.throws(() => readRamBlocks(stream({ subsections: caps(['x-ignore-shared']) }).bytes), { code: 'STREAM_UNSUPPORTED', message: /byte 59: capability x-ignore-shared/ });
  t.throws(() => readRamBlocks(stream({ subsections: caps(['events', 'mapped-ram']) }).bytes), { code: 'STREAM_UNSUPPORTED', message: /capability mapped-ram/ });
  t.throws(() => readRamBlocks(stream({ subsections: sub('configuration/new-thing', () => undefined) }).bytes), {
    code: 'STREAM_SUBSECTION',
    message: 'migration stream byte 23: unknown configuration subsection "configuration/new-thing" (its length is not in the stream)',
  });
});

test('flags: XBZRLE, compression and RDMA hooks are refused; unknown combinations too', (t) => {
  const with1 = (flags: number, extra: (w: W) => void = (w) => w.str8('/rom@etc/acpi/rsdp')) => stream({ part: (w) => extra(w.u64(flags)) }).bytes;
  for (const [flags, what] of [
    [0x40, 'XBZRLE'],
    [0x80, 'RDMA hook'],
    [0x100, 'compressed page'],
    [0x100 | CONT, 'compressed page'],
  ] as const) {
    t.throws(() => readRamBlocks(with1(flags)), { code: 'STREAM_UNSUPPORTED', message: new RegExp(`^migration stream byte \\d+: RAM record uses ${what}`) });
  }
  for (const flags of [0x01, 0x400, 0x800, ZERO | PAGE, MEM_SIZE]) {
    t.is(code(() => readRamBlocks(with1(flags))), 'STREAM_FLAGS', `flags 0x${flags.toString(16)}`);
  }
  t.throws(() => readRamBlocks(with1(0x400)), { message: /unknown combination of RAM flags 0x400 \(page size 4096\)/ });
  // with 1 KiB pages 0x400 is part of the offset, not a flag
  const small = stream({ pageSize: 1024, part: (w) => w.u64(0x400 | ZERO).str8('/rom@etc/acpi/rsdp').u8(0x11) }).bytes;
  t.deepEqual(readRamBlocks(small, { pageSize: 1024 }).blocks.get('/rom@etc/acpi/rsdp')!.bytes!.subarray(0x400, 0x800), new Uint8Array(0x400).fill(0x11));
});

test('blocks, offsets and footers are checked', (t) => {
  const part = (body: (w: W) => void) => stream({ part: body }).bytes;
  t.throws(() => readRamBlocks(part((w) => w.u64(ZERO).str8('nope').u8(0))), { code: 'STREAM_BLOCK', message: /RAM block "nope" is not in the RAM setup/ });
  const noLast = stream({ part: (w) => w.u64(ZERO | CONT).u8(0) });
  t.throws(() => readRamBlocks(noLast.bytes), { code: 'STREAM_BLOCK', message: /continues a block but no block was named before/ });
  t.throws(() => readRamBlocks(part((w) => w.u64(0x1000 | PAGE).str8('/rom@etc/acpi/rsdp').bytes(page(0)))), {
    code: 'STREAM_OFFSET',
    message: /page offset 0x1000 is outside \/rom@etc\/acpi\/rsdp \(used length 0x1000\)/,
  });
  const { bytes } = stream();
  const badFooter = bytes.slice();
  // the START footer's section id sits right before the PART record
  const startFooter = Buffer.from(bytes).indexOf(Buffer.from([0x7e, 0, 0, 0, RAM_ID]));
  badFooter[startFooter + 4] = 9;
  t.throws(() => readRamBlocks(badFooter), { code: 'STREAM_FOOTER', message: `migration stream byte ${startFooter}: footer names section 9, not the RAM section 2` });
  const tooBig = bytes.slice();
  // the MEM_SIZE record's high word: 8 header + 15 configuration + 17 START header
  new DataView(tooBig.buffer).setUint32(40, 0x200000);
  t.is(code(() => readRamBlocks(tooBig)), 'STREAM_VALUE');
});

test('records and sections this reader cannot skip are refused, naming them', (t) => {
  const { bytes } = stream();
  const badMagic = bytes.slice();
  badMagic[0] = 0x51 ^ 1;
  t.throws(() => readRamBlocks(badMagic), { code: 'STREAM_MAGIC', message: "migration stream byte 0: magic is 0x5045564d, not 0x5145564d ('QEVM')" });
  const v2 = bytes.slice();
  v2[7] = 2;
  t.throws(() => readRamBlocks(v2), { code: 'STREAM_VERSION', message: 'migration stream byte 4: stream version is 2, only 3 is supported' });
  t.throws(() => readRamBlocks(stream({ between: (w) => w.u8(0x01).u32(5).str8('block').u32(0).u32(1) }).bytes), {
    code: 'STREAM_SECTION',
    message: /: SECTION_START of section "block" \(id 5\) before the RAM section ended; it cannot be skipped$/,
  });
  t.throws(() => readRamBlocks(stream({ between: (w) => w.u8(0x04).u32(6).str8('virtio-mem-device-early').u32(0).u32(1) }).bytes), {
    code: 'STREAM_SECTION',
    message: /SECTION_FULL of section "virtio-mem-device-early"/,
  });
  t.throws(() => readRamBlocks(stream({ between: (w) => w.u8(0x02).u32(5) }).bytes), { code: 'STREAM_SECTION', message: /SECTION_PART of section id 5, which is not the RAM section \(id 2\)/ });
  t.throws(() => readRamBlocks(stream({ between: (w) => w.u8(0x08).u16(3).u16(16).u64(4096).u64(4096) }).bytes), {
    code: 'STREAM_UNSUPPORTED',
    message: /command POSTCOPY_ADVISE \(3\): postcopy streams are not supported/,
  });
  t.throws(() => readRamBlocks(stream({ between: (w) => w.u8(0x00) }).bytes), { code: 'STREAM_NO_RAM', message: /EOF record\) before the RAM section ended/ });
  t.throws(() => readRamBlocks(stream({ between: (w) => w.u8(0x06) }).bytes), { code: 'STREAM_RECORD', message: /unexpected record type 0x6 \(VMDESCRIPTION\)/ });
  t.throws(() => readRamBlocks(stream({ between: (w) => w.u8(0x07).u32(0) }).bytes), { code: 'STREAM_RECORD', message: /CONFIGURATION record after the first record/ });
  t.is(code(() => readRamBlocks(new W().u32(0x5145564d).u32(3).u8(0).build())), 'STREAM_NO_RAM');
});

test('migrateToFile refuses a path the shell would not see as one word', async (t) => {
  const noQemu = undefined as unknown as QemuProcess;
  await t.throwsAsync(migrateToFile(noQemu, "/tmp/it's.bin", 1000), { instanceOf: InputError, code: 'MIGRATE_PATH', message: /contains a quote or NUL/ });
});

// ---- live QEMU against the qemu-7.2 vectors ----

interface Manifest {
  qemu_binary: string;
  qemu_version: string;
  machine_type: string;
  config_args: string[];
  temp_files: Record<string, unknown>;
  summary: { before?: { rom_blocks: Record<string, unknown> } };
  stages: { before?: { argv: string[]; ramblock_at_start: { name: string; used: number }[] } };
}

/** The vector's own argv without its monitor and trace plumbing (QemuProcess adds its own QMP). */
function machineArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    if (['-qmp', '-D', '-trace'].includes(argv[i]!)) i++;
    else out.push(argv[i]!);
  }
  return out;
}

const versions = new Map<string, string | undefined>();
function versionOf(binary: string): string | undefined {
  if (!versions.has(binary)) {
    const path = findOnPath(binary);
    versions.set(binary, path === undefined ? undefined : execFileSync(path, ['--version'], { encoding: 'utf8' }).split('\n')[0]!.trim());
  }
  return versions.get(binary);
}

// configurations needing temporary files (nvdimm backing) are left to the capture tests
for (const config of ['q35', 'virt-aarch64', 'pc-i440fx-2.2', 'pc', 'microvm', 'q35-vmgenid']) {
  const m = JSON.parse(readFileSync(join(QEMU_VECTORS, config, 'manifest.json'), 'utf8')) as Manifest;
  const before = m.stages.before!;
  const args = machineArgs(before.argv);
  const version = versionOf(m.qemu_binary);
  const skip = version === undefined ? `${m.qemu_binary} not found` : version !== m.qemu_version ? `${version}, the vectors come from ${m.qemu_version}` : undefined;
  const live = skip === undefined ? test.serial : test.skip;
  live(`live ${config}: the ROM blobs in a migration of ${m.qemu_binary} ${args.join(' ')} equal the vector's before/ files${skip ? ` (skipped: ${skip})` : ''}`, async (t) => {
    t.timeout(120_000);
    t.deepEqual(args.slice(-m.config_args.length), m.config_args, 'the arguments are the vector’s');
    for (const a of ['-S', '-nodefaults', '-no-user-config']) t.true(args.includes(a), a);
    const dir = mkdtempSync(join(tmpdir(), 'fwcfg-ramstream-'));
    try {
      const file = join(dir, 'stream.bin');
      await QemuProcess.with({ binary: m.qemu_binary, args }, async (q) => {
        await migrateToFile(q, file, 60_000);
        t.is(((await q.qmp.execute('query-status')) as { status: string }).status, 'postmigrate');
      });
      t.false(existsSync(`${file}.part`));
      const r = readRamBlocks(readFileSync(file));
      t.is(r.machineType, config === 'pc-i440fx-2.2' ? null : m.machine_type, 'pc-i440fx-2.2 sends no configuration record');
      t.deepEqual(
        [...r.blocks].map(([name, b]) => [name, b.usedLength]),
        before.ramblock_at_start.map((row) => [row.name, row.used]),
      );
      const roms = Object.keys(m.summary.before!.rom_blocks);
      t.true(roms.includes('etc/table-loader') && roms.includes('etc/acpi/tables'));
      for (const rom of roms) {
        const want = readFileSync(join(QEMU_VECTORS, config, 'before', `${rom.replaceAll('/', '_')}.bin`));
        const got = r.blocks.get(`/rom@${rom}`)?.bytes;
        t.truthy(got, rom);
        t.true(Buffer.from(got!).equals(want), `${rom}: ${got?.length} bytes vs ${want.length} in the vector`);
      }
      t.deepEqual(
        [...r.blocks].filter(([, b]) => b.bytes !== null).map(([n]) => n),
        roms.map((rom) => `/rom@${rom}`).sort((a, b) => before.ramblock_at_start.findIndex((x) => x.name === a) - before.ramblock_at_start.findIndex((x) => x.name === b)),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    t.deepEqual(liveQemuPids(), []);
  });
}

const QEMU_X86 = findOnPath('qemu-system-x86_64');
(QEMU_X86 === undefined ? test.skip : test.serial)(`live: a migration QEMU cannot write fails with QEMU's error${QEMU_X86 === undefined ? ' (skipped: qemu-system-x86_64 not found)' : ''}`, async (t) => {
  await QemuProcess.with({ binary: 'qemu-system-x86_64', args: ['-accel', 'tcg', '-S', '-nodefaults', '-display', 'none', '-machine', 'q35', '-m', '128M'] }, async (q) => {
    await t.throwsAsync(migrateToFile(q, '/nonexistent-dir-fwcfg/x.bin', 20_000), { instanceOf: FwCfgError, code: 'MIGRATE_FAILED', message: /^migration to \/nonexistent-dir-fwcfg\/x\.bin failed/ });
  });
});
