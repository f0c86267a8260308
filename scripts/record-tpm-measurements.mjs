// Records spec-vectors/tpm-measurements/: per configuration a `fwcfg capture` of its command
// line (a vTPM: each QEMU the capture starts gets a fresh swtpm) and, per firmware, the TPM
// event log that firmware left in guest RAM in real boots of the same machine with the same
// firmware images (src/bootreal/measured-boot.ts: booted until PCR 1's separator is logged,
// system_reset between boots). Needs root, swtpm and the Debian chroots of
// ../shared/tools/debian-chroots. Run after `npm run build`:
//   node scripts/record-tpm-measurements.mjs [CONFIG...]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureQemu } from '../dist/src/qemu/capture.js';
import { captureBootInput, measuredBoots } from '../dist/src/bootreal/measured-boot.js';
import { writeSha256Sums } from './sha256sums.mjs';
import { qemuFor } from './chroot-qemu.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const OUT = join(ROOT, 'spec-vectors/tpm-measurements');

const vtpm = (tmp, device) => ['-chardev', `socket,id=chrtpm,path=${tmp}/swtpm-sock`, '-tpmdev', 'emulator,id=tpm0,chardev=chrtpm', '-device', `${device},tpmdev=tpm0`];
const base = ['-accel', 'tcg', '-nodefaults', '-no-user-config', '-smp', '1'];
const grows = ['-machine', 'q35,nvdimm=on', '-m', '2G,slots=2,maxmem=4G', '-object', 'memory-backend-ram,id=mem1,size=128M', '-device', 'nvdimm,memdev=mem1,id=nv1', '-device', 'intel-iommu'];
// suite: the chroot whose QEMU runs it (null: this host's); boots: real boots per firmware
const CONFIGS = {
  'q35-crb-10.0': { suite: 'trixie', args: (t) => [...base, '-machine', 'q35', '-m', '2G', ...vtpm(t, 'tpm-crb')], boots: { ovmf: 2, seabios: 1 } },
  'grows-crb-10.0': { suite: 'trixie', args: (t) => [...base, ...grows, ...vtpm(t, 'tpm-crb')], boots: { ovmf: 2 } },
  // a pinned VM generation ID: with guid=auto each QEMU would draw its own, and the measurement with it
  'q35-vmgenid-crb-10.0': { suite: 'trixie', args: (t) => [...base, '-machine', 'q35', '-m', '2G', '-device', 'vmgenid,guid=324e6eaf-d1d1-4bf6-bf41-b9bb6c91fb87', ...vtpm(t, 'tpm-crb')], boots: { ovmf: 1 } },
  'pc-tis-10.0': { suite: 'trixie', args: (t) => [...base, '-machine', 'pc', '-m', '2G', ...vtpm(t, 'tpm-tis')], boots: { ovmf: 1 } },
  'q35-crb-11.1': { suite: 'sid', args: (t) => [...base, '-machine', 'q35', '-m', '2G', ...vtpm(t, 'tpm-crb')], boots: { ovmf: 1 } },
  'grows-crb-11.1': { suite: 'sid', args: (t) => [...base, ...grows, ...vtpm(t, 'tpm-crb')], boots: { ovmf: 2 } },
  'q35-crb-7.2': { suite: null, args: (t) => [...base, '-machine', 'q35', '-m', '2G', ...vtpm(t, 'tpm-crb')], boots: { ovmf: 1 } },
};
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(CONFIGS);
const sha256 = (b) => createHash('sha256').update(b).digest('hex');

for (const config of wanted) {
  const c = CONFIGS[config];
  if (c === undefined) throw new Error(`unknown configuration ${config} (known: ${Object.keys(CONFIGS).join(', ')})`);
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-tpm-'));
  const dir = join(OUT, config);
  try {
    const binary = qemuFor(tmp, c.suite);
    const args = c.args(tmp);
    rmSync(dir, { recursive: true, force: true });
    const progress = (m) => process.stderr.write(`${config}: ${m}\n`);
    const { json } = await captureQemu({ out: join(dir, 'capture'), qemuArgs: [binary, ...args], config, tmpDir: tmp, force: true, progress });
    for (const [firmware, boots] of Object.entries(c.boots)) {
      const r = await measuredBoots({ ...captureBootInput(json, firmware, args), boots, progress: (m) => progress(`${firmware}: ${m}`) });
      mkdirSync(join(dir, firmware), { recursive: true });
      const run = json.firmware.runs.find((x) => x.firmware === firmware);
      writeFileSync(
        join(dir, firmware, 'boot.json'),
        JSON.stringify(
          {
            firmware,
            image: run.image,
            qemu: json.qemu,
            argv: r.argv.map((a) => a.split(tmp).join('$TMP')),
            swtpm: 'swtpm socket --tpm2 (this host), a fresh state directory per QEMU',
            recorded_by: 'scripts/record-tpm-measurements.mjs',
            date: new Date().toISOString(),
            boots: r.boots.map((b, i) => {
              const bin = `event-log-boot${i + 1}.bin`;
              writeFileSync(join(dir, firmware, bin), b.bytes);
              return { bin, sha256: sha256(b.bytes), address: `0x${b.log.address.toString(16)}`, length: b.log.length, events: b.log.events.length, elapsed_s: b.elapsedS };
            }),
          },
          null,
          1,
        ) + '\n',
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

writeSha256Sums(ROOT, 'tpm-measurements');
