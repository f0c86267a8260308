// The U-Boot model against real boots (spec-vectors/uboot/, recorded by scripts/record-uboot.mjs):
// every recorded boot of Debian's u-boot-qemu 2021.01, 2023.01, 2025.01 (trixie and sid builds) on
// q35, pc and virt is run through the model with the machine QEMU made and the packages it ran, and
// every observable check must agree: selects, placement and bytes of each blob, the RSDP and tables
// an OS finds, PCIEXBAR, U-Boot's error lines. Offline: no QEMU needed.
import test from 'ava';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compareWithModel } from '../src/bootreal/uboot-compare.js';
import { loadUbootObservation, type UbootObservation } from '../src/bootreal/uboot-observation.js';
import { upstreamRelease } from '../src/firmware/records/index.js';
import { ROOT } from './helpers/paths.js';

const DIR = join(ROOT, 'spec-vectors', 'uboot');
const cases = readdirSync(DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const load = (name: string) => loadUbootObservation(join(DIR, name));

test('the recordings cover every release on q35, pc and virt, and the cases that move the placement', (t) => {
  for (const release of ['2021.01', '2023.01', '2025.01', '2025.01-3.2']) {
    for (const c of ['q35', 'pc', 'virt', 'q35-vmgenid', 'q35-4G', 'pc-1G', 'fseg-then-missing-file', 'heap-exhausted']) t.true(cases.includes(`${release}-${c}`), `${release}-${c}`);
  }
  for (const release of ['2023.01', '2025.01', '2025.01-3.2']) t.true(cases.includes(`${release}-seed`));
});

for (const name of cases) {
  test(`${name}: the model's boot is the real one, check by check`, (t) => {
    const obs = load(name);
    const c = compareWithModel(obs);
    // the registry picks the build the boot ran, from its packages alone
    const pkg = obs.json.packages['u-boot-qemu']!;
    t.true(c.record === `uboot@${pkg}` || c.record === `uboot@${upstreamRelease(pkg)}`, `${c.record} for u-boot-qemu ${pkg}`);
    t.true(obs.json.uboot.banner.startsWith(`U-Boot ${upstreamRelease(pkg)}`), obs.json.uboot.banner);
    const differs = c.checks.filter((k) => k.status === 'differs');
    t.deepEqual(differs, [], `${name}: ${differs.map((k) => `${k.what}: ${k.detail}`).join('; ')}`);
    // x86 boots that ran the loader expose placement and bytes to compare; none of it may be vacuous
    if (obs.json.loader_read && obs.json.reached_prompt && obs.json.blobs.length > 0) {
      t.true(c.checks.filter((k) => k.status === 'same' && k.what.endsWith(' bytes')).length >= 1);
      t.true(c.checks.filter((k) => k.status === 'same' && k.what.endsWith(' placed')).length === obs.json.blobs.length);
    }
  });
}

test('what each target does with the loader: x86 runs it, no qemu_arm64 build ever selects it', (t) => {
  for (const name of cases) {
    const obs = load(name);
    const model = compareWithModel(obs).model;
    if (obs.json.arch === 'aarch64') {
      t.false(obs.json.loader_read, name);
      t.false(obs.json.selects_boot.some((s) => s.name.startsWith('etc/acpi/') || s.name === 'etc/table-loader'), name);
      t.is(model.outcome, 'not-run', name);
      t.is(model.loaderBytesRead, 0, name);
    } else t.true(obs.json.loader_read, name);
  }
  // 2021.01's arm64 build has no fw_cfg driver at all; 2025.01's reads QEMU's SMBIOS at boot
  t.deepEqual(load('2021.01-virt').json.selects_boot, []);
  t.deepEqual(load('2023.01-virt').json.selects_boot, []);
  t.deepEqual(load('2025.01-virt').json.selects_boot.map((s) => s.name), ['signature', 'id', 'file_dir', 'etc/smbios/smbios-anchor', 'etc/smbios/smbios-tables']);
});

test('figures: where the blobs go on q35 with 2 GiB, release by release', (t) => {
  const placed = (name: string) => Object.fromEntries(load(name).json.blobs.map((b) => [b.file, b.base]));
  t.deepEqual(placed('2021.01-q35'), { 'etc/acpi/rsdp': 0xf0400, 'etc/acpi/tables': 0x7ed255c0 });
  t.deepEqual(placed('2023.01-q35'), { 'etc/acpi/rsdp': 0xf0060, 'etc/acpi/tables': 0x7ed1aa80 });
  t.deepEqual(placed('2025.01-q35'), { 'etc/acpi/rsdp': 0xf0060, 'etc/acpi/tables': 0x7ece5bc0 });
  t.deepEqual(placed('2025.01-3.2-q35'), { 'etc/acpi/rsdp': 0xf0060, 'etc/acpi/tables': 0x7ece6bc0 });
  // U-Boot enables MMCONFIG at its own ECAM base before its select, so QEMU's MCFG says 0xe0000000
  t.is(load('2023.01-q35').json.pciexbar, 0xe0000001);
  // the seed's loader grows to 8 KiB at U-Boot's select; U-Boot reads the 4 KiB its directory said, and the RSDP is never patched
  for (const r of ['2023.01', '2025.01', '2025.01-3.2']) {
    const obs = load(`${r}-seed`);
    t.is(obs.json.rsdp, null);
    t.deepEqual(obs.json.rsdp_signatures, [{ address: 0xf0060, checksum_ok: false }]);
    t.is(compareWithModel(obs).model.loaderBytesRead, 4096);
  }
  // 2021.01's error path frees its F-segment blob and resets the machine, over and over
  t.false(load('2021.01-fseg-then-missing-file').json.reached_prompt);
  t.true(load('2023.01-fseg-then-missing-file').json.reached_prompt);
});

/** The same recording with one blob moved: the comparison must see it. */
function moved(obs: UbootObservation, file: string, by: number): UbootObservation {
  return { ...obs, json: { ...obs.json, blobs: obs.json.blobs.map((b) => (b.file === file ? { ...b, base: b.base + by } : b)) } };
}

test('the comparison is not vacuous: a moved blob, other bytes, another build are each seen', (t) => {
  const obs = load('2023.01-q35');
  const whatDiffers = (o: UbootObservation) => compareWithModel(o).checks.filter((k) => k.status === 'differs').map((k) => k.what);
  t.true(whatDiffers(moved(obs, 'etc/acpi/tables', 0x40)).includes('etc/acpi/tables placed'));
  const bytes = new Map(obs.blobBytes);
  const tables = bytes.get('etc/acpi/tables')!.slice();
  tables[0x100] ^= 0xff;
  bytes.set('etc/acpi/tables', tables);
  t.true(whatDiffers({ ...obs, blobBytes: bytes }).includes('etc/acpi/tables bytes'));
  // the same boot claimed by the sid build: its heap sits 4 KiB higher
  t.true(whatDiffers({ ...obs, json: { ...obs.json, packages: { ...obs.json.packages, 'u-boot-qemu': '2025.01-3.2' } } }).includes('etc/acpi/tables placed'));
});

test("free() after a failure: the bytes it leaves on the F-segment blob after the MP table are the real ones, so no RSDP survives there", (t) => {
  for (const r of ['2023.01', '2025.01', '2025.01-3.2']) {
    for (const c of ['fseg-then-missing-file', 'heap-exhausted']) {
      const obs = load(`${r}-${c}`);
      const freed = compareWithModel(obs).checks.filter((k) => k.what.includes('after free()'));
      t.true(freed.length >= 1 && freed.every((k) => k.status === 'same'), `${r}-${c}: ${JSON.stringify(freed)}`);
      // and the check sees the pointers: one changed byte of them is a difference
      const area = obs.biosArea!.slice();
      area[0xf0060 - 0xe0000] ^= 0xff;
      t.true(compareWithModel({ ...obs, biosArea: area }).checks.some((k) => k.what.includes('after free()') && k.status === 'differs'), `${r}-${c}`);
    }
  }
});
