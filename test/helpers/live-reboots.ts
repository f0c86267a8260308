// A configuration's reboots on a chroot's QEMU: captured live through the chroot, `fwcfg check` of
// the capture, then booted for real under SeaBIOS and OVMF (system_reset between boots) and each
// boot compared with the model's boot of the same number, check by check.
import type { ExecutionContext } from 'ava';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureQemu } from '../../src/qemu/capture.js';
import { fwcfg } from './cli.js';
import { wrapper } from './chroots.js';

/** What the OS gets at each boot, per firmware ('qemu', 'firmware', 'none', ...). */
export type BootStory = Record<'seabios' | 'ovmf', readonly string[]>;

interface BootRealJson {
  boots: { boot: number; os: { tables: string } }[];
  comparison: { boot: number; equal: boolean; checks: { what: string; status: string; detail: string }[] }[];
}

/**
 * Captures `args` (`{tmp}` is the run's directory; `files` are created there
 * sparse, by size) on the suite's QEMU, and holds `fwcfg check` and the real
 * boots to `expected`, the real boots also to the model.
 */
export async function liveReboots(t: ExecutionContext, c: { suite: string; release: string; config: string; args: readonly string[]; files?: Record<string, number>; expected: BootStory }): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), `fwcfg-reboots-${c.release}-${c.config}-`));
  try {
    for (const [name, size] of Object.entries(c.files ?? {})) {
      writeFileSync(join(tmp, name), new Uint8Array(0));
      truncateSync(join(tmp, name), size);
    }
    const out = join(tmp, 'capture');
    const args = ['-nodefaults', '-no-user-config', ...c.args.map((a) => a.split('{tmp}').join(tmp))];
    const { json } = await captureQemu({ out, qemuArgs: [wrapper(tmp, c.suite, 'qemu-system-x86_64'), ...args], config: c.config });
    t.true(json.qemu_version?.startsWith(c.release), json.qemu_version ?? 'no version');
    // the whole story from the same capture: the model's boots per firmware, the QEMU the capture names
    const story = await fwcfg('check', out, '--json');
    t.true(story.code === 0 || story.code === 1, story.stderr);
    const s = JSON.parse(story.stdout) as { configuration: { qemuRelease: string }; firmware: { firmware: string; boots: { os: { tables: string } }[] }[] };
    t.is(s.configuration.qemuRelease, c.release);
    for (const f of s.firmware) t.deepEqual(f.boots.map((b) => b.os.tables), [...c.expected[f.firmware as 'seabios' | 'ovmf']], `check: ${f.firmware}`);
    for (const firmware of ['seabios', 'ovmf'] as const) {
      const r = await fwcfg('boot-real', '--config', out, '--firmware', firmware, '--boots', '3', '--compare', '--json');
      t.is(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout) as BootRealJson;
      t.deepEqual(j.boots.map((b) => b.os.tables), [...c.expected[firmware]], `${firmware}: what the OS gets, boot by boot`);
      for (const cmp of j.comparison) {
        const diffs = cmp.checks.filter((x) => x.status !== 'same' && x.status !== 'unobservable');
        t.deepEqual(diffs, [], `${firmware} boot ${cmp.boot}: the model differs from the real boot`);
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
