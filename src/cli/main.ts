/** The `fwcfg` command: its commands, and the one-line error contract (exit 2 bad input, 1 internal fault). */
import type { CommandUnknownOpts } from '@commander-js/extra-typings';
import { FwCfgError } from '../errors.js';
import { asmCommand } from './commands/asm.js';
import { bootRealCommand } from './commands/boot-real.js';
import { captureCommand } from './commands/capture.js';
import { checkCommand } from './commands/check.js';
import { reportCommand } from './commands/report.js';
import { demoCommand } from './commands/demo.js';
import { disasmCommand } from './commands/disasm.js';
import { execCommand } from './commands/exec.js';
import { fuzzCommand } from './commands/fuzz.js';
import { lintCommand } from './commands/lint.js';
import { migrateCheckCommand } from './commands/migrate-check.js';
import { qtestCommand } from './commands/qtest.js';
import { simulateCommand } from './commands/simulate.js';
import { tablesCommand } from './commands/tables.js';
import { processIo, type Io } from './output.js';
import { buildProgram, CommanderError, commanderOutcome as commanderOutcomeOf, type Cli, type CliCommand } from './program.js';

/** Every command, in the order `fwcfg --help` lists them. */
export const COMMANDS: readonly CliCommand[] = [
  checkCommand,
  reportCommand,
  captureCommand,
  demoCommand,
  simulateCommand,
  migrateCheckCommand,
  execCommand,
  tablesCommand,
  lintCommand,
  disasmCommand,
  asmCommand,
  bootRealCommand,
  qtestCommand,
  fuzzCommand,
];

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const cli: Cli = { io, status: 0, qemuArgs: undefined };
  const entry = COMMANDS.find((c) => c.name === argv[0]);
  let own = argv;
  const dash = argv.indexOf('--');
  // a QEMU command line after -- is the command's to run, never ours to parse
  if (entry?.qemuCommandLine === true && dash >= 0) {
    own = argv.slice(0, dash);
    cli.qemuArgs = argv.slice(dash + 1);
  }
  let sub: CommandUnknownOpts | undefined;
  // `fwcfg help NAME` of no command: one line, as `fwcfg NAME` gets
  if (argv[0] === 'help' && argv[1] !== undefined && !COMMANDS.some((c) => c.name === argv[1])) return main([argv[1]], io);
  try {
    const program = buildProgram(cli, COMMANDS);
    sub = program.commands.find((c) => c.name() === argv[0]);
    await program.parseAsync(own, { from: 'user' });
    return cli.status;
  } catch (err) {
    if (err instanceof CommanderError) {
      const { status, line } = commanderOutcomeOf(err, sub);
      // `fwcfg check qemu-system-x86_64 -machine q35`: QEMU's flags read as ours for want of --
      const hint = entry?.qemuCommandLine === true && dash < 0 && err.code === 'commander.unknownOption' ? " (QEMU's arguments go after --)" : '';
      if (line !== undefined) io.err(`fwcfg: ${sub === undefined ? '' : `${sub.name()}: `}${line}${hint}\n`);
      return status;
    }
    if (err instanceof FwCfgError) {
      io.err(`fwcfg: ${withCommand(sub?.name(), err.message)}\n`);
      return 2;
    }
    io.err(`fwcfg: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env['FWCFG_DEBUG'] && err instanceof Error) io.err(`${err.stack}\n`);
    return 1;
  }
}

/** `simulate: <message>`, once: messages that already name their command keep it. */
function withCommand(name: string | undefined, message: string): string {
  if (name === undefined || message.startsWith(`${name}:`) || message.startsWith(`${name} `)) return message;
  return `${name}: ${message}`;
}
