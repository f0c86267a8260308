/**
 * A live QEMU under qtest: started paused with `-qtest unix:PATH` (QEMU
 * connects to a socket we listen on) and QMP, every wait bounded in time, and
 * always killed by PID: on close(), when this Node process exits, and — if
 * Node itself is killed — by a small watchdog shell that outlives it by at
 * most a second. A command line with an emulator vTPM gets a fresh swtpm,
 * started before QEMU and stopped with it (swtpm.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../errors.js';
import { QemuError, QemuExited } from './errors.js';
import { findOnPath } from './find-binary.js';
import { QmpClient } from './qmp-client.js';
import { QtestClient } from './qtest-client.js';
import { killWhenParentDies } from './watchdog.js';
import { startVtpms, type Swtpm } from './swtpm.js';

export interface QemuProcessOptions {
  /** `qemu-system-x86_64`, `qemu-system-aarch64`, or a path. */
  binary: string;
  /** Machine arguments; -qtest, -qtest-log and -qmp are added. */
  args: readonly string[];
  /** Bound for starting and for each reply (default 20 s). */
  timeoutMs?: number;
  /** Hard limit on the process' life (default 10 min); it is killed then. */
  lifetimeMs?: number;
  /** Use a given temporary directory instead of a fresh one (kept on close). */
  dir?: string;
}

const live = new Set<QemuProcess>();
let hooked = false;

/** swtpms started for a QEMU that is not yet a QemuProcess (still starting). */
const pendingTpms: Swtpm[] = [];

function killAllNow(): void {
  for (const q of live) q.killNow();
  for (const t of pendingTpms) t.killNow();
}

function forgetPending(tpms: readonly Swtpm[]): void {
  for (const t of tpms) pendingTpms.splice(pendingTpms.indexOf(t), 1);
}

/** A QEMU that never became a QemuProcess: its swtpms stopped by PID (before anything else may bind their paths). */
async function stopTpms(tpms: readonly Swtpm[]): Promise<void> {
  forgetPending(tpms);
  await Promise.all(tpms.map((t) => t.stop()));
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = () => {
      killAllNow();
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

export class QemuProcess {
  readonly binary: string;
  readonly argv: string[];
  readonly dir: string;
  readonly pid: number;
  readonly qtest: QtestClient;
  readonly qmp: QmpClient;
  private readonly child: ChildProcess;
  /** The software TPMs this QEMU's vTPMs talk to (none without -tpmdev emulator). */
  private readonly tpms: readonly Swtpm[];
  private readonly ownsDir: boolean;
  private readonly stderrText: () => string;
  private exited: Promise<void>;
  private lifetime: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(init: { binary: string; argv: string[]; dir: string; ownsDir: boolean; child: ChildProcess; tpms: readonly Swtpm[]; qtest: QtestClient; qmp: QmpClient; exited: Promise<void>; stderr: () => string }) {
    this.binary = init.binary;
    this.argv = init.argv;
    this.dir = init.dir;
    this.ownsDir = init.ownsDir;
    this.child = init.child;
    this.tpms = init.tpms;
    this.pid = init.child.pid!;
    this.qtest = init.qtest;
    this.qmp = init.qmp;
    this.exited = init.exited;
    this.stderrText = init.stderr;
  }

  /** Everything QEMU wrote to stderr so far (trace lines, warnings). */
  get stderr(): string {
    return this.stderrText();
  }

  static async start(options: QemuProcessOptions): Promise<QemuProcess> {
    const binary = findOnPath(options.binary);
    if (binary === undefined) throw new InputError('NO_QEMU', `${options.binary} not found on PATH`);
    const timeoutMs = options.timeoutMs ?? 20_000;
    const ownsDir = options.dir === undefined;
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'fwcfg-qemu-'));
    const qtestPath = join(dir, 'qtest.sock');
    const qmpPath = join(dir, 'qmp.sock');
    const argv = [binary, ...options.args, '-qtest', `unix:${qtestPath}`, '-qtest-log', 'none', '-qmp', `unix:${qmpPath},server=on,wait=off`];
    hookExit();
    // before QEMU: it connects to each vTPM's socket as it starts
    let tpms: Swtpm[];
    try {
      tpms = await startVtpms(options.args, timeoutMs);
    } catch (err) {
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    pendingTpms.push(...tpms);

    const server: Server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(qtestPath, () => resolve());
    });
    let stderr = '';
    const child = spawn(binary, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (s: string) => {
      if (stderr.length < 8 << 20) stderr += s;
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const cleanupEarly = async () => {
      server.close();
      if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
      await stopTpms(tpms);
      if (ownsDir) rmSync(dir, { recursive: true, force: true });
    };
    if (child.pid === undefined) {
      await cleanupEarly();
      throw new QemuError('QEMU_START', `${binary} could not be started`);
    }
    killWhenParentDies(child.pid);

    let socket: Socket;
    try {
      socket = await new Promise<Socket>((resolve, reject) => {
        const timer = setTimeout(() => reject(new QemuError('QEMU_TIMEOUT', `${options.binary} did not connect to qtest within ${timeoutMs} ms`)), timeoutMs);
        server.once('connection', (s) => {
          clearTimeout(timer);
          resolve(s);
        });
        child.once('exit', (code, signal) => {
          clearTimeout(timer);
          // give stderr a moment to drain
          setTimeout(() => {
            const first = stderr.split('\n').find((l) => l.trim() !== '') ?? '';
            reject(new QemuExited(`${options.binary} exited (${signal ?? `status ${code}`}) before qtest connected${first ? `: ${first.trim()}` : ''}`, stderr, { code, signal }));
          }, 50);
        });
      });
    } catch (err) {
      await cleanupEarly();
      throw err;
    }
    server.close();
    const qtest = new QtestClient(socket, timeoutMs);
    let qmp: QmpClient;
    try {
      qmp = await QmpClient.connect(qmpPath, timeoutMs);
    } catch (err) {
      // QEMU connects qtest while it parses its options: a bad option ends it right after, and QMP is gone with it
      const ended = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 500))]);
      qtest.close();
      const status = child.signalCode ?? `status ${child.exitCode}`;
      await cleanupEarly();
      if (ended) {
        await new Promise((r) => setTimeout(r, 50));
        const first = stderr.split('\n').find((l) => l.trim() !== '' && !/^(\d+@[\d.]+:)?fw_cfg_/.test(l)) ?? '';
        throw new QemuExited(`${options.binary} exited (${status}) at start${first ? `: ${first.trim()}` : ''}`, stderr, { code: child.exitCode, signal: child.signalCode });
      }
      throw err;
    }
    const q = new QemuProcess({ binary, argv, dir, ownsDir, child, tpms, qtest, qmp, exited, stderr: () => stderr });
    forgetPending(tpms);
    live.add(q);
    q.lifetime = setTimeout(() => void q.close(), options.lifetimeMs ?? 600_000);
    q.lifetime.unref();
    void exited.then(() => live.delete(q));
    return q;
  }

  /** Synchronous SIGKILL by PID (exit hooks), its swtpms too. */
  killNow(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const t of this.tpms) t.killNow();
  }

  /** Kills QEMU by PID, waits for it to exit (bounded), removes the temporary directory. */
  async close(): Promise<void> {
    if (this.closed) return this.exited;
    this.closed = true;
    if (this.lifetime) clearTimeout(this.lifetime);
    this.qtest.close();
    this.qmp.close();
    this.killNow();
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    await Promise.all(this.tpms.map((t) => t.stop()));
    live.delete(this);
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** How QEMU ended (null while it runs): its exit status, or the signal that ended it (an abort is SIGABRT). */
  get exitStatus(): { code: number | null; signal: string | null } | null {
    return this.running ? null : { code: this.child.exitCode, signal: this.child.signalCode };
  }

  /** Waits (bounded) until QEMU has exited and its stderr has drained; whether it did. */
  async waitExit(ms: number): Promise<boolean> {
    const done = await Promise.race([this.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
    // the pipe may deliver its last bytes just after the exit event
    if (done) await new Promise((r) => setTimeout(r, 50));
    return done;
  }

  /** Runs `fn` with a started QEMU and always closes it. */
  static async with<T>(options: QemuProcessOptions, fn: (q: QemuProcess) => Promise<T>): Promise<T> {
    const q = await QemuProcess.start(options);
    try {
      return await fn(q);
    } finally {
      await q.close();
    }
  }
}

/** PIDs of QEMUs this process started and has not yet seen exit (for leak checks). */
export function liveQemuPids(): number[] {
  return [...live].filter((q) => q.running).map((q) => q.pid);
}
