/**
 * The `fwcfg` program on commander: every command registers itself as a
 * CliCommand (its flags, their parsers and help, its action), and every
 * mistake commander finds comes out in the one-line voice of the rest of
 * the tool (`fwcfg: <command>: <what, where, what is allowed>`, exit 2).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, type CommandUnknownOpts } from '@commander-js/extra-typings';
import { FIRMWARE_RECORDS } from '../firmware/records/index.js';
import { modelledQemuVersions } from '../qemu/version.js';
import { packageRoot } from '../vectors/package-root.js';
import type { Io } from './output.js';
import { onlyOnce, REPEATABLE } from './values.js';

/** What a command's action reads and sets besides its flags. */
export interface Cli {
  io: Io;
  /** The exit status the action chose (0 unless it says otherwise). */
  status: number;
  /** What came after `--`, for commands that take a QEMU command line there. */
  qemuArgs: string[] | undefined;
}

/**
 * One `fwcfg` command. `build` returns its commander Command: name,
 * summary, arguments and options (each with its parser from values.ts and a
 * one-line description with an example), examples, and an action that sets
 * `cli.status`. main.ts lists the commands; adding one is one module and one
 * line there.
 */
export interface CliCommand {
  name: string;
  /** Takes QEMU's command line after `--` (only what comes before it is parsed as flags). */
  qemuCommandLine?: boolean;
  build(cli: Cli): CommandUnknownOpts;
}

/** `Examples:` appended to a command's help. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
}

function versionLine(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return `fwcfg ${pkg.version} (QEMU ${modelledQemuVersions().join(', ')}; firmware ${FIRMWARE_RECORDS.map((r) => r.id).join(', ')})`;
}

export function buildProgram(cli: Cli, commands: readonly CliCommand[]): Command {
  const output = { writeOut: (s: string) => cli.io.out(s), writeErr: (s: string) => cli.io.err(s), outputError: () => undefined };
  const program = new Command('fwcfg')
    .description("QEMU's fw_cfg device and ACPI table loader, byte for byte: what QEMU serves, what each firmware does with it, what the OS finds.")
    .version(versionLine(), '-V, --version', 'print the version, the QEMU releases and the firmware releases modelled')
    .helpOption('-h, --help', 'explain a command and each of its flags (fwcfg COMMAND --help)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput(output);
  program.addHelpText('after', '\nRun `fwcfg COMMAND --help` for what each flag does, with examples. Errors: one line on stderr, exit 2.\n');
  for (const c of commands) {
    const cmd = c.build(cli);
    for (const o of cmd.options as unknown as { required: boolean; long?: string; parseArg?: (text: string, previous: unknown) => unknown }[]) {
      if (o.required && o.long !== undefined && !(o.parseArg !== undefined && REPEATABLE.has(o.parseArg))) o.parseArg = onlyOnce(o.long, o.parseArg);
    }
    // (addCommand does not pass the program's settings on: each command gets them here)
    cmd.exitOverride().configureOutput(output).showSuggestionAfterError(true).helpOption('-h, --help', 'explain this command and its flags');
    program.addCommand(cmd);
  }
  return program;
}

const plain = (flags: string) => flags.split(/[ ,]/).find((f) => f.startsWith('--')) ?? flags;

/**
 * A commander error as one line in the tool's voice, or the exit status of a
 * help or version request. `sub` is the command being parsed, if commander got that far.
 */
export function commanderOutcome(err: CommanderError, sub: CommandUnknownOpts | undefined): { status: number; line?: string } {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return { status: 0 };
  // `fwcfg help CMD` (0), or no command given: commander has printed the overview on stderr (2)
  if (err.code === 'commander.help') return { status: err.exitCode === 0 ? 0 : 2 };
  const text = err.message.replace(/^error: /, '');
  const suggestion = /\n\(Did you mean (.*)\?\)$/.exec(text)?.[1];
  const hint = suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
  const head = text.split('\n')[0]!;
  const usage = sub === undefined ? '' : `fwcfg ${sub.name()} ${sub.usage()}`;
  let line: string;
  switch (err.code) {
    case 'commander.unknownOption':
      line = `unknown option ${/'(.*)'/.exec(head)?.[1] ?? head}${hint}; ${sub === undefined ? 'fwcfg --help' : `fwcfg ${sub.name()} --help`} lists the options`;
      break;
    case 'commander.unknownCommand':
      line = `unknown command ${JSON.stringify(/'(.*)'/.exec(head)?.[1] ?? head)}${hint}; fwcfg --help lists the commands`;
      break;
    case 'commander.optionMissingArgument': {
      const flags = /'(.*)'/.exec(head)?.[1] ?? '';
      line = `${plain(flags)} needs a value (${plain(flags)} ${/<.*>/.exec(flags)?.[0] ?? 'VALUE'})`;
      break;
    }
    case 'commander.missingMandatoryOptionValue': {
      const flags = /'(.*)'/.exec(head)?.[1] ?? '';
      line = `${flags} is required (usage: ${usage})`;
      break;
    }
    case 'commander.missingArgument':
      line = `missing ${/'(.*)'/.exec(head)?.[1] ?? 'an argument'} (usage: ${usage})`;
      break;
    case 'commander.excessArguments': {
      const expected = sub?.registeredArguments.length ?? 0;
      const extra = sub?.args.slice(expected) ?? [];
      line = `unexpected argument ${extra.map((a) => JSON.stringify(a)).join(' ')} (usage: ${usage})`;
      break;
    }
    case 'commander.conflictingOption': {
      const [a, b] = [...head.matchAll(/'([^']*)'/g)].map((m) => plain(m[1]!));
      line = `${a} cannot be used with ${b}`;
      break;
    }
    default:
      line = text.replace(/\n/g, ' ');
  }
  return { status: 2, line };
}

export { CommanderError };
