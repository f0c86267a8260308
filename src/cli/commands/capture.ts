/** `fwcfg capture --out DIR [--rebuild] [--force] [--config NAME] [--quiet] -- [qemu-system-*] ARGS...` */
import { UsageError } from '../../errors.js';
import { captureQemu } from '../../qemu/capture.js';
import { parse } from '../args.js';
import type { Io } from '../output.js';

export const usage = 'fwcfg capture --out DIR [--rebuild] [--force] [--config NAME] [--description TEXT] [--timeout SECONDS] [--quiet] -- [qemu-system-*] QEMU_ARGS...';

export async function capture(argv: string[], io: Io): Promise<number> {
  const dash = argv.indexOf('--');
  if (dash < 0) throw new UsageError('USAGE', 'capture: QEMU arguments go after --, e.g. fwcfg capture --out DIR -- qemu-system-x86_64 -machine q35');
  const { values, positionals } = parse('capture', argv.slice(0, dash), {
    out: { type: 'string' },
    rebuild: { type: 'boolean' },
    force: { type: 'boolean' },
    config: { type: 'string' },
    description: { type: 'string' },
    timeout: { type: 'string' },
    quiet: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError('USAGE', `capture: unexpected ${JSON.stringify(positionals[0])} before --`);
  const out = values['out'];
  if (typeof out !== 'string' || out === '') throw new UsageError('USAGE', 'capture: --out DIR is required');
  let timeoutMs: number | undefined;
  if (values['timeout'] !== undefined) {
    const s = Number(values['timeout']);
    if (!Number.isFinite(s) || s <= 0) throw new UsageError('USAGE', `capture: --timeout wants seconds, got ${JSON.stringify(values['timeout'])}`);
    timeoutMs = s * 1000;
  }
  const quiet = values['quiet'] === true;
  const result = await captureQemu({
    out,
    qemuArgs: argv.slice(dash + 1),
    rebuild: values['rebuild'] === true,
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
  return 0;
}
