/** `fwcfg capture --out DIR [--rebuild] [--force] [--config NAME] [--quiet] -- [qemu-system-*] ARGS...` */
import { UsageError } from '../../errors.js';
import { captureQemu } from '../../qemu/capture.js';
import { parse } from '../args.js';
import type { Io } from '../output.js';

export const usage = 'fwcfg capture --out DIR [--no-firmware] [--rebuild] [--force] [--config NAME] [--description TEXT] [--timeout SECONDS] [--boot-timeout SECONDS] [--quiet] -- [qemu-system-*] QEMU_ARGS...';

export async function capture(argv: string[], io: Io): Promise<number> {
  const dash = argv.indexOf('--');
  if (dash < 0) throw new UsageError('USAGE', 'capture: QEMU arguments go after --, e.g. fwcfg capture --out DIR -- qemu-system-x86_64 -machine q35');
  const { values, positionals } = parse('capture', argv.slice(0, dash), {
    out: { type: 'string' },
    rebuild: { type: 'boolean' },
    'no-firmware': { type: 'boolean' },
    'boot-timeout': { type: 'string' },
    force: { type: 'boolean' },
    config: { type: 'string' },
    description: { type: 'string' },
    timeout: { type: 'string' },
    quiet: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError('USAGE', `capture: unexpected ${JSON.stringify(positionals[0])} before --`);
  const out = values['out'];
  if (typeof out !== 'string' || out === '') throw new UsageError('USAGE', 'capture: --out DIR is required');
  const seconds = (flag: string): number | undefined => {
    const v = values[flag];
    if (v === undefined) return undefined;
    const s = Number(v);
    if (typeof v !== 'string' || !/^\d+(\.\d+)?$/.test(v) || !(s > 0) || s > 3600) throw new UsageError('USAGE', `capture: --${flag} ${String(v)}: seconds, more than 0 and at most 3600`);
    return s * 1000;
  };
  const timeoutMs = seconds('timeout');
  const bootTimeoutMs = seconds('boot-timeout');
  const quiet = values['quiet'] === true;
  const result = await captureQemu({
    out,
    qemuArgs: argv.slice(dash + 1),
    rebuild: values['rebuild'] === true,
    noFirmware: values['no-firmware'] === true,
    ...(bootTimeoutMs !== undefined ? { bootTimeoutMs } : {}),
    force: values['force'] === true,
    config: values['config'] as string | undefined,
    description: values['description'] as string | undefined,
    timeoutMs,
    progress: quiet ? undefined : (m) => io.err(`capture: ${m}\n`),
  });
  const items = result.json.items;
  const files = items.filter((i) => i.kind === 'file').length;
  io.out(`${out}: ${items.length} items (${items.length - files} keys, ${files} files), ${result.json.memory_contents?.length ?? 0} memory runs, layout ${result.json.layout}, id ${result.json.id}\n`);
  for (const c of result.json.rebuild?.size_changes ?? []) io.out(`rebuild: ${c.name} 0x${c.before.toString(16)} -> 0x${c.after.toString(16)}\n`);
  if (result.json.rebuild !== undefined && result.json.rebuild.size_changes.length === 0) io.out('rebuild: no size changes\n');
  if (result.json.machine_type) io.out(`QEMU ${result.json.qemu_version ?? '?'}, machine ${result.json.machine_type}, host pages ${result.json.host_page_size}\n`);
  for (const r of result.json.creation?.roms ?? []) io.out(`creation: ${r.name} ${r.fw_cfg_size} bytes (block used 0x${r.used.toString(16)}, max 0x${r.max.toString(16)})\n`);
  for (const run of result.json.firmware?.runs ?? []) {
    const who = `${run.firmware}${run.image.version ? ` ${run.image.version}` : ''}${result.json.firmware?.booted === run.firmware ? ' (the command line boots it)' : ''}`;
    if (run.outcome === 'rebuilt') io.out(`${who}: first ACPI select ${run.first_acpi_select!.name}; rebuilt ${run.roms.map((r) => `${r.name} ${r.fw_cfg_size}`).join(', ')}\n`);
    else if (run.outcome === 'qemu-exited' && run.exit === null) io.out(`${who}: QEMU did not start with it:\n${run.stderr.map((l) => `  ${l}\n`).join('')}`);
    else if (run.outcome === 'qemu-exited') io.out(`${who}: QEMU ended (${run.exit?.signal ?? `status ${run.exit?.code}`}) on the way:\n${run.stderr.map((l) => `  ${l}\n`).join('')}`);
    else io.out(`${who}: no ACPI select within the boot timeout\n`);
  }
  for (const u of result.json.firmware?.unavailable ?? []) io.out(`${u.firmware}: not captured: ${u.reason}\n`);
  return 0;
}
