// Records spec-vectors/ovmf-bgrt/: per configuration a `fwcfg capture` of a command line that keeps
// (or drops) QEMU's default display, and `live.json`: what real OVMF left in guest RAM after booting
// that capture's own command line (src/bootreal/config-run.ts): the tables an OS reaches from OVMF's
// ACPI 2.0 RSDP, the bytes of its RSDT, XSDT and BGRT, and the head and digest of the BMP the BGRT
// points to. Needs root and the Debian chroots of ../shared/tools/debian-chroots for the other
// releases. Run after `npm run build`:
//   node scripts/record-ovmf-bgrt.mjs [CONFIG...]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureQemu } from '../dist/src/qemu/capture.js';
import { runConfigBoots } from '../dist/src/bootreal/config-run.js';
import { rsdpCandidates } from '../dist/src/bootreal/acpi-roots.js';
import { readRsdp, walkTables } from '../dist/src/acpi/walk.js';
import { openVector } from '../dist/src/vectors/configuration.js';
import { writeSha256Sums } from './sha256sums.mjs';
import { qemuFor } from './chroot-qemu.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const OUT = join(ROOT, 'spec-vectors/ovmf-bgrt');

// suite: the chroot whose QEMU runs it (null: this host's); boots: real boots of the capture
const q35 = ['-machine', 'q35', '-m', '2G'];
const CONFIGS = {
  'q35-7.2': { suite: null, args: q35, boots: 2 },
  'q35-5.2': { suite: 'bullseye', args: q35, boots: 1 },
  'q35-10.0': { suite: 'trixie', args: q35, boots: 1 },
  'q35-11.1': { suite: 'sid', args: q35, boots: 1 },
  'pc-7.2': { suite: null, args: ['-machine', 'pc', '-m', '2G'], boots: 1 },
  'q35-vga-none-7.2': { suite: null, args: [...q35, '-vga', 'none'], boots: 1 },
  'q35-bochs-display-7.2': { suite: null, args: [...q35, '-vga', 'none', '-device', 'bochs-display'], boots: 1 },
};
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(CONFIGS);
const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const hex = (b) => Buffer.from(b).toString('hex');

/** OVMF's ACPI 2.0 RSDP: the highest revision-2 one (QEMU's loader copy was freed and overwritten). */
function uefiRsdp(ram) {
  const found = rsdpCandidates(ram, 0x100000, ram.base + ram.bytes.length, 4).filter((a) => ram.bytes[a - ram.base + 15] >= 2);
  if (found.length === 0) throw new Error('no ACPI 2.0 RSDP in RAM');
  return Math.max(...found);
}

function observe(boot) {
  const { memory } = boot.run.ram;
  const rsdp = uefiRsdp(boot.run.ram);
  const walk = walkTables(memory, readRsdp(memory, rsdp));
  const out = { boot: boot.boot, rsdp: `0x${rsdp.toString(16)}`, tables: walk.tables.map((t) => ({ signature: t.signature, address: `0x${t.address.toString(16)}`, length: t.length, checksum_ok: t.checksumOk })), bytes: {} };
  for (const t of walk.tables) if (['RSDT', 'XSDT', 'BGRT'].includes(t.signature)) out.bytes[t.signature] = hex(memory.read(t.address, t.length));
  const bgrt = walk.tables.find((t) => t.signature === 'BGRT');
  if (bgrt !== undefined) {
    const image = Number(Buffer.from(memory.read(bgrt.address + 40, 8)).readBigUInt64LE(0));
    const size = Buffer.from(memory.read(image + 2, 4)).readUInt32LE(0);
    const bmp = memory.read(image, size);
    out.image = { address: `0x${image.toString(16)}`, size, head: hex(bmp.subarray(0, 54)), sha256: sha256(bmp) };
  }
  return out;
}

for (const config of wanted) {
  const c = CONFIGS[config];
  if (c === undefined) throw new Error(`unknown configuration ${config} (known: ${Object.keys(CONFIGS).join(', ')})`);
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-bgrt-'));
  const dir = join(OUT, config);
  try {
    const binary = qemuFor(tmp, c.suite);
    rmSync(dir, { recursive: true, force: true });
    const progress = (m) => process.stderr.write(`${config}: ${m}\n`);
    const capture = join(dir, 'capture');
    await captureQemu({ out: capture, qemuArgs: [binary, ...c.args], config, tmpDir: tmp, force: true, progress });
    const r = await runConfigBoots({ vector: openVector(capture), firmware: 'ovmf', boots: c.boots, progress }, observe);
    const live = { config, user_argv: ['qemu-system-x86_64', ...c.args], qemu: r.qemuVersion, image: r.image.code, argv: r.argv.map((a) => a.split(tmp).join('$TMP')), recorded_by: 'scripts/record-ovmf-bgrt.mjs', date: new Date().toISOString(), boots: r.results };
    writeFileSync(join(dir, 'live.json'), JSON.stringify(live, null, 1) + '\n');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

writeSha256Sums(ROOT, 'ovmf-bgrt');
