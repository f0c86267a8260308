/**
 * A fresh software TPM for each vTPM a QEMU command line asks for. QEMU's
 * `-tpmdev emulator,id=T,chardev=C` with `-chardev socket,id=C,path=P`
 * connects, as QEMU starts, to the control socket of an swtpm listening at P
 * (docs/capture-format.md, "A vTPM"); QEMU refuses to start when nothing
 * listens there. Each swtpm gets an empty state directory of its own (a TPM
 * as manufactured: its PCR banks as libtpms allocates them), and is stopped
 * by its PID when its QEMU is, or when this Node process ends.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { lstatSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { QemuError } from './errors.js';
import { findOnPath } from './find-binary.js';
import { killWhenParentDies } from './watchdog.js';

export const SWTPM = 'swtpm';

/**
 * A QemuOpts value (`emulator,id=tpm0,chardev=chrtpm`): key=value pairs split
 * at single commas (`,,` is a comma inside a value); a first part without `=`
 * is the value of `implied` (type for -tpmdev, backend for -chardev).
 */
export function parseQemuOpts(text: string, implied: string): Map<string, string> {
  const parts: string[] = [''];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ',' && text[i + 1] === ',') {
      parts[parts.length - 1] += ',';
      i++;
    } else if (text[i] === ',') parts.push('');
    else parts[parts.length - 1] += text[i];
  }
  const opts = new Map<string, string>();
  parts.forEach((p, i) => {
    const eq = p.indexOf('=');
    if (eq >= 0) opts.set(p.slice(0, eq), p.slice(eq + 1));
    else if (i === 0) opts.set(implied, p);
    else opts.set(p, 'on');
  });
  return opts;
}

/** The values of every `flag` in `args`, parsed. */
function optionsOf(args: readonly string[], flag: string, implied: string): Map<string, string>[] {
  const out: Map<string, string>[] = [];
  args.forEach((a, i) => {
    if (a === flag && args[i + 1] !== undefined) out.push(parseQemuOpts(args[i + 1]!, implied));
  });
  return out;
}

/** The control socket path of every emulator vTPM on the command line (none: no swtpm needed). */
export function vtpmSocketPaths(args: readonly string[]): string[] {
  const chardevs = optionsOf(args, '-chardev', 'backend');
  return optionsOf(args, '-tpmdev', 'type')
    .filter((t) => t.get('type') === 'emulator')
    .map((t) => {
      const id = t.get('chardev');
      const dev = chardevs.find((c) => c.get('id') === id);
      if (id === undefined || dev === undefined) throw new InputError('VTPM_CHARDEV', `-tpmdev emulator${t.has('id') ? ` ${t.get('id')}` : ''}: its chardev=${id ?? '(none)'} is not a -chardev on the command line`);
      const path = dev.get('path');
      if (dev.get('backend') !== 'socket' || path === undefined) throw new InputError('VTPM_CHARDEV', `-chardev ${id}: a vTPM's chardev must be a unix socket (socket,id=${id},path=PATH) for swtpm to listen on`);
      return path;
    });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isSocket(path: string): boolean | undefined {
  try {
    return lstatSync(path).isSocket();
  } catch {
    return undefined;
  }
}

/** The inode of the socket at `path` (undefined: none there). */
function socketInode(path: string): bigint | undefined {
  try {
    const st = lstatSync(path, { bigint: true });
    return st.isSocket() ? st.ino : undefined;
  } catch {
    return undefined;
  }
}

export class Swtpm {
  private constructor(
    readonly path: string,
    readonly pid: number,
    private readonly child: ChildProcess,
    private readonly stateDir: string,
    private readonly exited: Promise<void>,
  ) {}

  /** The socket this swtpm bound (a later swtpm at the same path binds another: stop() leaves that one alone). */
  private inode: bigint | undefined;

  /** Starts `swtpm socket --tpm2` with its control socket at `path` and waits (bounded) until it listens. */
  static async start(path: string, timeoutMs: number): Promise<Swtpm> {
    const binary = findOnPath(SWTPM);
    if (binary === undefined) throw new InputError('NO_SWTPM', `the command line has a vTPM (-tpmdev emulator) and swtpm is not installed (not on PATH): install the swtpm package`);
    const stale = isSocket(path);
    if (stale === false) throw new InputError('VTPM_CHARDEV', `${path}: the vTPM's socket path holds a file that is not a socket`);
    // a socket left by an earlier swtpm (killed ones leave theirs): the new one must bind the path
    if (stale === true) unlinkSync(path);
    const stateDir = mkdtempSync(join(tmpdir(), 'fwcfg-swtpm-'));
    const child = spawn(binary, ['socket', '--tpm2', '--tpmstate', `dir=${stateDir}`, '--ctrl', `type=unixio,path=${path}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      if (stderr.length < 1 << 16) stderr += s;
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.pid === undefined) {
      rmSync(stateDir, { recursive: true, force: true });
      throw new QemuError('SWTPM_START', `${binary} could not be started`);
    }
    killWhenParentDies(child.pid);
    const tpm = new Swtpm(path, child.pid, child, stateDir, exited);
    const started = Date.now();
    while ((tpm.inode = socketInode(path)) === undefined) {
      if (child.exitCode !== null || child.signalCode !== null || Date.now() - started > timeoutMs) {
        await tpm.stop();
        const first = stderr.split('\n').find((l) => l.trim() !== '')?.trim();
        throw new QemuError('SWTPM_START', `swtpm did not listen at ${path}${first ? `: ${first}` : ` within ${timeoutMs} ms`}`);
      }
      await sleep(10);
    }
    return tpm;
  }

  /** SIGKILL by PID, at once (exit hooks). */
  killNow(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  /** Stops it by PID (SIGTERM, then SIGKILL after a second), removes its state and its socket. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(this.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const done = await Promise.race([this.exited.then(() => true), sleep(1000).then(() => false)]);
      if (!done) {
        this.killNow();
        await Promise.race([this.exited, sleep(2000)]);
      }
    }
    rmSync(this.stateDir, { recursive: true, force: true });
    try {
      if (this.inode !== undefined && socketInode(this.path) === this.inode) unlinkSync(this.path);
    } catch {
      // gone already
    }
  }
}

/** One fresh swtpm per emulator vTPM of `args` (started before QEMU, which connects at once). */
export async function startVtpms(args: readonly string[], timeoutMs: number): Promise<Swtpm[]> {
  const started: Swtpm[] = [];
  try {
    for (const path of vtpmSocketPaths(args)) started.push(await Swtpm.start(path, timeoutMs));
  } catch (err) {
    await Promise.all(started.map((s) => s.stop()));
    throw err;
  }
  return started;
}
