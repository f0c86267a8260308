// Records spec-vectors/aavmf/<release>/: Debian's qemu-efi-aarch64 booted for real on arm virt
// (1 CPU, 2 GiB) under the QEMU of its own Debian release (bullseye, trixie, sid through
// ../shared/tools/debian-chroots/run-in; 2022.11 on the host, to check the method against
// spec-vectors/qemu-7.2/virt-aarch64). Per release: `capture/`, this project's `fwcfg capture` of
// the same command line (the configuration a model runs from: QEMU's blobs at creation and after
// AAVMF's first select), then a full boot observed by src/bootreal/aavmf-real.ts: `aavmf-memory/`
// (rsdp.bin and tables/SIG@ADDR.bin, what an OS finds from the EFI configuration table's ACPI 2.0
// entry) and `manifest.json`; then SHA256SUMS.aavmf. Needs root (run-in) and the chroots.
// Run after `npm run build`: node scripts/record-aavmf.mjs [RELEASE...]
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootAavmfReal } from '../dist/src/bootreal/aavmf-real.js';
import { captureQemu } from '../dist/src/qemu/capture.js';
import { writeSha256Sums } from './sha256sums.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const OUT = join(ROOT, 'spec-vectors/aavmf');
const RUN_IN = join(ROOT, '..', 'shared', 'tools', 'debian-chroots', 'run-in');
const RELEASES = {
  '2020.11': { suite: 'bullseye', label: 'bullseye chroot (Debian 11)', root: '/var/chroots/bullseye' },
  '2022.11': { suite: 'host', label: 'host (Debian 12)', root: '' },
  '2025.02': { suite: 'trixie', label: 'trixie chroot (Debian 13)', root: '/var/chroots/trixie' },
  '2026.08': { suite: 'sid', label: 'sid chroot (Debian unstable)', root: '/var/chroots/sid' },
};
const CODE = '/usr/share/AAVMF/AAVMF_CODE.fd';
const VARS = '/usr/share/AAVMF/AAVMF_VARS.fd';
const MACHINE = ['-machine', 'virt', '-smp', '1', '-m', '2G'];
const RAM = 2 ** 31;
// fw_cfg quiet this long after the loader's select: the 7.2 recording's quiet period (spec-vectors/qemu-7.2/virt-aarch64 boot.quiet_period_s)
const QUIET_MS = 8000;

const sha256 = (b) => createHash('sha256').update(b).digest('hex');
const hex = (n) => '0x' + n.toString(16);

function wrapper(dir, suite) {
  if (suite === 'host') return 'qemu-system-aarch64';
  const path = join(dir, `qemu-system-aarch64-${suite}`);
  writeFileSync(path, `#!/bin/sh\nexec '${RUN_IN}' ${suite} qemu-system-aarch64 "$@"\n`);
  chmodSync(path, 0o755);
  return path;
}

function packages(suite, names) {
  const cmd = suite === 'host' ? ['dpkg-query'] : [RUN_IN, suite, 'dpkg-query'];
  const text = execFileSync(cmd[0], [...cmd.slice(1), '-W', '-f', '${Package} ${Version}\n', ...names], { encoding: 'utf8' });
  return Object.fromEntries(text.trim().split('\n').map((l) => l.split(' ')));
}

const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(RELEASES);
const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-record-aavmf-'));
try {
  for (const release of wanted) {
    const r = RELEASES[release];
    if (r === undefined) throw new Error(`unknown release ${release} (releases: ${Object.keys(RELEASES).join(' ')})`);
    const progress = (m) => process.stderr.write(`${release}: ${m}\n`);
    const qemu = wrapper(tmp, r.suite);
    const dir = join(OUT, release);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(join(dir, 'aavmf-memory', 'tables'), { recursive: true });

    // the configuration, captured with the release's own pflash pair (a fresh copy of its variable store)
    const capDir = mkdtempSync(join(tmp, `capture-${release}-`));
    const capVars = join(capDir, 'AAVMF_VARS.fd');
    copyFileSync(r.root + VARS, capVars);
    const pflash = ['-drive', `if=pflash,format=raw,readonly=on,file=${CODE}`, '-drive', `if=pflash,format=raw,file=${capVars}`];
    await captureQemu({
      out: join(dir, 'capture'),
      qemuArgs: [qemu, '-accel', 'tcg', '-cpu', 'max', '-nodefaults', '-no-user-config', '-display', 'none', ...MACHINE, ...pflash],
      config: `aavmf-${release}-virt`,
      description: `arm virt, 1 CPU, 2 GiB, with Debian's AAVMF ${release} (${CODE} and a copy of ${VARS})`,
      tmpDir: capDir,
      tempFiles: { 'AAVMF_VARS.fd': `a fresh copy of ${VARS}` },
      timeoutMs: 120_000,
      bootTimeoutMs: 300_000,
      progress,
    });

    const run = await bootAavmfReal({ qemu, code: CODE, vars: r.root + VARS, machineArgs: MACHINE, ramSize: RAM, quietMs: QUIET_MS, timeoutMs: 300_000, progress });
    writeFileSync(join(dir, 'aavmf-memory', 'rsdp.bin'), run.rsdpBytes);
    const tables = run.walk.tables.map((t, i) => {
      const path = `aavmf-memory/tables/${t.signature}@${t.address.toString(16)}.bin`;
      writeFileSync(join(dir, path), run.tableBytes[i]);
      return { signature: t.signature, address: hex(t.address), length: t.length, checksum_ok: t.checksumOk, referenced_by: t.referencedBy, path, sha256: sha256(run.tableBytes[i]) };
    });
    // the capture keeps each ROM block whole (its used length); the file served is its first `size` bytes
    const captured = (name, size) => {
      try {
        return sha256(readFileSync(join(dir, 'capture', 'firmware', 'aavmf', `${name.replace(/[^A-Za-z0-9._-]/g, '_')}.bin`)).subarray(0, size));
      } catch {
        return null;
      }
    };
    const manifest = {
      release,
      description: `Debian qemu-efi-aarch64 ${release} booted on arm virt (1 CPU, 2 GiB) under the QEMU of its own Debian release, observed from outside`,
      recorded_by: 'scripts/record-aavmf.mjs (this project): src/bootreal/aavmf-real.ts, and fwcfg capture (src/qemu/capture.ts) for capture/',
      suite: r.label,
      packages: packages(r.suite, ['qemu-efi-aarch64', 'qemu-system-arm']),
      qemu_version: run.qemuVersion,
      code_image: { path: CODE, sha256: sha256(readFileSync(r.root + CODE)) },
      vars_image: { path: VARS, sha256: sha256(readFileSync(r.root + VARS)), note: 'copied fresh into the run directory for each boot' },
      argv: run.argv,
      how_observed: [
        'QEMU started paused (-S) with -trace fw_cfg_select; fw_cfg directory read over qtest (fw_cfg MMIO at 0x9020000), a fence select of key 0x3ffe, then cont',
        `run until the trace showed the firmware's select of etc/table-loader and no select followed for ${QUIET_MS / 1000} s (the quiet period of the 7.2 recording), then stop and a second fence`,
        'all RAM (0x40000000, 2 GiB) by QMP pmemsave; the RSDP is the EFI configuration table\'s ACPI 2.0 entry (the EFI system table found by its signature and header CRC32); every "RSD PTR " at any alignment with valid checksums is listed too',
        'tables: the OS walk from that RSDP (XSDT entries, FADT X_DSDT/DSDT and FACS links); freed runs: whole pages filled with 0xAF (the DXE core\'s fill for freed pages)',
        'blobs in RAM: each ALLOCATEd file\'s bytes searched for in all RAM, the bytes the script patches masked (src/bootreal/blob-copies.ts)',
        'served files: QEMU\'s ACPI files read over qtest after the stop (the rebuild happened at the firmware\'s first select); their SHA-256 against capture/\'s rebuild',
      ],
      boot: { quiet_ms: QUIET_MS, last_select_after_s: run.quietFromS },
      fw_cfg: {
        selects: run.selects.map((s) => `${hex(s.key)} ${s.name}`),
        directory_reads: run.directoryReads.total,
        directory_reads_after_loader: run.directoryReads.afterLoader,
        served: Object.fromEntries([...run.files].map(([name, b]) => [name, { size: b.length, sha256: sha256(b), same_as_capture_rebuild: captured(name, b.length) === null ? null : captured(name, b.length) === sha256(b) }])),
      },
      rsdp: { address: hex(run.rsdp), selected_by: run.rsdpSelectedBy, revision: run.walk.rsdp.revision, rsdt_address: hex(run.walk.rsdp.rsdtAddress), xsdt_address: run.walk.rsdp.xsdtAddress === null ? null : hex(run.walk.rsdp.xsdtAddress), path: 'aavmf-memory/rsdp.bin' },
      rsdp_candidates_all_ram: run.rsdpCandidates.map(hex),
      efi_configuration_table_acpi: run.configTable.map((e) => ({ entry: hex(e.entry), guid: e.guid, rsdp: hex(e.rsdp) })),
      tables,
      blobs_in_ram: run.blobs.map((b) => ({ file: b.file, bases: b.bases.map(hex), locatable: b.locatable })),
      walk_problems: run.walk.problems,
      freed_runs: run.freedRuns.map((f) => ({ start: hex(f.start), end: hex(f.end), pages: (f.end - f.start) / 0x1000 })),
    };
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
    progress(`RSDP ${hex(run.rsdp)} (${run.rsdpSelectedBy}), XSDT ${manifest.rsdp.xsdt_address}, ${tables.length} tables, ${run.directoryReads.total} directory reads (${run.directoryReads.afterLoader} after the loader)`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
writeSha256Sums(ROOT, 'aavmf');
