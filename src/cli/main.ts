/** The `fwcfg` command: dispatch, and the one-line error contract (exit 2 bad input, 1 internal fault). */
import { FwCfgError, UsageError } from '../errors.js';
import { asm, usage as asmUsage } from './commands/asm.js';
import { capture, usage as captureUsage } from './commands/capture.js';
import { check, usage as checkUsage } from './commands/check.js';
import { demo, usage as demoUsage } from './commands/demo.js';
import { disasm, usage as disasmUsage } from './commands/disasm.js';
import { migrateCheckCommand, usage as migrateUsage } from './commands/migrate-check.js';
import { exec, usage as execUsage } from './commands/exec.js';
import { tables, usage as tablesUsage } from './commands/tables.js';
import { lint, usage as lintUsage } from './commands/lint.js';
import { fuzz, usage as fuzzUsage } from './commands/fuzz.js';
import { simulate, usage as simulateUsage } from './commands/simulate.js';
import { qtest, usage as qtestUsage } from './commands/qtest.js';
import { report, usage as reportUsage } from './commands/report.js';
import { bootRealCommand, usage as bootRealUsage } from './commands/boot-real.js';
import { processIo, type Io } from './output.js';

type Command = (argv: string[], io: Io) => number | Promise<number>;

const COMMANDS: Record<string, { run: Command; usage: string }> = {
  disasm: { run: disasm, usage: disasmUsage },
  asm: { run: asm, usage: asmUsage },
  demo: { run: demo, usage: demoUsage },
  simulate: { run: simulate, usage: simulateUsage },
  'migrate-check': { run: migrateCheckCommand, usage: migrateUsage },
  exec: { run: exec, usage: execUsage },
  'boot-real': { run: bootRealCommand, usage: bootRealUsage },
  tables: { run: tables, usage: tablesUsage },
  lint: { run: lint, usage: lintUsage },
  fuzz: { run: fuzz, usage: fuzzUsage },
  check: { run: check, usage: checkUsage },
  report: { run: report, usage: reportUsage },
  capture: { run: capture, usage: captureUsage },
  qtest: { run: qtest, usage: qtestUsage },
};

function usageText(): string {
  return 'usage:\n' + Object.values(COMMANDS).map((c) => `  ${c.usage}\n`).join('');
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined) {
      // a mistake, not a request: the usage goes where errors go
      io.err(usageText());
      return 2;
    }
    if (name === '--help' || name === '-h' || name === 'help') {
      io.out(usageText());
      return 0;
    }
    const command = COMMANDS[name];
    if (command === undefined) throw new UsageError('USAGE', `unknown command ${JSON.stringify(name)}; try fwcfg --help`);
    // (for capture, only what comes before -- is ours)
    const own = (name === 'capture' || name === 'check') && rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest;
    if (own.includes('--help') || own.includes('-h')) {
      io.out(`usage: ${command.usage}\n`);
      return 0;
    }
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof FwCfgError) {
      io.err(`fwcfg: ${err.message}\n`);
      return 2;
    }
    io.err(`fwcfg: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env['FWCFG_DEBUG'] && err instanceof Error) io.err(`${err.stack}\n`);
    return 1;
  }
}
