/** `fwcfg migrate-check (VECTOR_DIR | CAPTURE_DIR) --from V --to V [--at creation|booted] [--host-page N] [--to-host-page N] [--json]` */
import { Command, Option } from '@commander-js/extra-typings';
import { migrateCheck } from '../../simulate/migrate-check.js';
import { policyFor } from '../../simulate/options.js';
import { openVector } from '../../vectors/configuration.js';
import { hostPageOption, toHostPageOption, jsonOption } from '../options.js';
import { jsonText } from '../output.js';
import { examples, type CliCommand } from '../program.js';
import { inputDir, oneOf, qemuRelease, qemuReleases } from '../values.js';

export const migrateCheckCommand: CliCommand = {
  name: 'migrate-check',
  build: (cli) =>
    new Command('migrate-check')
      .summary("whether a fresh QEMU of another release would load this VM's migration stream")
      .description("Whether the destination QEMU would load the migration stream of this machine (RAM blocks at their used lengths against the destination's maxima), and if not the lines it prints. Exit 0 either way.")
      .argument('<DIR>', 'a vector or capture directory', inputDir('', 'a vector or capture'))
      .addOption(new Option('--from <VERSION>', `the source QEMU release (${qemuReleases()}), e.g. --from 7.2`).argParser(qemuRelease('--from')).makeOptionMandatory())
      .addOption(new Option('--to <VERSION>', `the destination QEMU release (${qemuReleases()}), e.g. --to 5.2`).argParser(qemuRelease('--to')).makeOptionMandatory())
      .addOption(new Option('--at <POINT>', "when the VM migrates: creation (before the guest runs) or booted (after the firmware's select rebuilt the tables; the default), e.g. --at creation").argParser(oneOf('--at', ['creation', 'booted'] as const)))
      .addOption(hostPageOption("the source host's page size"))
      .addOption(toHostPageOption("the destination host's page size (default: the source's)"))
      .addOption(jsonOption())
      .addHelpText('after', examples('fwcfg migrate-check spec-vectors/qemu-7.2/seed --from 7.2 --to 5.2', 'fwcfg migrate-check spec-vectors/qemu-7.2/q35 --from 7.2 --to 6.0 --at creation --json'))
      .action((dir, o) => {
        const fromPage = o.hostPage ?? 0x1000;
        const r = migrateCheck(openVector(dir), { from: policyFor(o.from), to: policyFor(o.to), fromHostPage: fromPage, toHostPage: o.toHostPage ?? fromPage, at: o.at ?? 'booted' });
        if (o.json === true) return void cli.io.out(jsonText(r));
        const when = r.at === 'booted' ? 'after the guest-triggered rebuild' : 'at machine creation';
        if (r.sourceError !== null) cli.io.out(`${r.vector}: the source QEMU ${r.from} never gets there: it aborts during the rebuild:\n  ${r.sourceError.split('\n').join('\n  ')}\n`);
        else if (r.loads) cli.io.out(`${r.vector}: migration ${when} from QEMU ${r.from} to ${r.to} would load.\n`);
        else cli.io.out(`${r.vector}: migration ${when} from QEMU ${r.from} to ${r.to} would fail; the destination prints:\n${r.errorLines!.map((l) => `  ${l}`).join('\n')}\n`);
      }),
};
