/** `fwcfg migrate-check VECTOR_DIR --from V --to V [--at creation|booted] [--host-page N] [--to-host-page N] [--json]` */
import { openVector } from '../../vectors/configuration.js';
import { UsageError } from '../../errors.js';
import { hostPageFor, policyFor } from '../../simulate/options.js';
import { migrateCheck, type MigratePoint } from '../../simulate/migrate-check.js';
import { onePositional, parse } from '../args.js';
import { jsonText, type Io } from '../output.js';

export const usage = 'fwcfg migrate-check (VECTOR_DIR | CAPTURE_DIR) --from 7.2 --to 5.2 [--at creation|booted] [--host-page 4096|65536] [--to-host-page 4096|65536] [--json]';

export function migrateCheckCommand(argv: string[], io: Io): number {
  const { values, positionals } = parse('migrate-check', argv, {
    from: { type: 'string' },
    to: { type: 'string' },
    at: { type: 'string' },
    'host-page': { type: 'string' },
    'to-host-page': { type: 'string' },
    json: { type: 'boolean' },
  });
  const dir = onePositional('migrate-check', positionals, 'vector directory');
  if (typeof values['from'] !== 'string' || typeof values['to'] !== 'string') throw new UsageError('USAGE', 'migrate-check: --from and --to are required');
  const at = (values['at'] ?? 'booted') as string;
  if (at !== 'creation' && at !== 'booted') throw new UsageError('USAGE', `migrate-check: --at ${at}: use creation or booted`);
  const fromPage = hostPageFor(values['host-page'] as string | undefined);
  const r = migrateCheck(openVector(dir), {
    from: policyFor(values['from']),
    to: policyFor(values['to']),
    fromHostPage: fromPage,
    toHostPage: values['to-host-page'] === undefined ? fromPage : hostPageFor(values['to-host-page'] as string),
    at: at as MigratePoint,
  });
  if (values['json'] === true) {
    io.out(jsonText(r));
    return 0;
  }
  const when = r.at === 'booted' ? 'after the guest-triggered rebuild' : 'at machine creation';
  if (r.sourceError !== null) io.out(`${r.vector}: the source QEMU ${r.from} never gets there: it aborts during the rebuild:\n  ${r.sourceError.split('\n').join('\n  ')}\n`);
  else if (r.loads) io.out(`${r.vector}: migration ${when} from QEMU ${r.from} to ${r.to} would load.\n`);
  else io.out(`${r.vector}: migration ${when} from QEMU ${r.from} to ${r.to} would fail; the destination prints:\n${r.errorLines!.map((l) => `  ${l}`).join('\n')}\n`);
  return 0;
}
