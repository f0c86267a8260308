/** A minimal QMP client: capabilities negotiation, commands in order, HMP passthrough. */
import type { Socket } from 'node:net';
import { QemuError } from './errors.js';
import { LineChannel } from './line-channel.js';
import { connectUnix } from './unix-socket.js';

export class QmpClient {
  private readonly channel: LineChannel;
  private readonly socket: Socket;
  readonly events: unknown[] = [];

  private constructor(socket: Socket, timeoutMs: number) {
    this.socket = socket;
    this.channel = new LineChannel(socket, 'qmp', timeoutMs, (line) => {
      if (line.trim() === '') return true;
      try {
        const msg = JSON.parse(line) as Record<string, unknown>;
        if ('event' in msg) {
          this.events.push(msg);
          return true;
        }
      } catch {
        // not JSON: let the waiter see it
      }
      return false;
    });
  }

  /** Connects (retrying while QEMU creates the socket), reads the greeting, negotiates capabilities. */
  static async connect(path: string, timeoutMs = 20_000, deadline = Date.now() + timeoutMs): Promise<QmpClient> {
    for (;;) {
      try {
        const socket = await connectUnix(path);
        const client = new QmpClient(socket, timeoutMs);
        const greeting = await client.channel.expect('QMP greeting');
        if (!greeting.includes('"QMP"')) throw new QemuError('QMP_PROTOCOL', `qmp: unexpected greeting ${greeting.slice(0, 80)}`);
        await client.execute('qmp_capabilities');
        return client;
      } catch (err) {
        if (err instanceof QemuError) throw err;
        if (Date.now() > deadline) throw new QemuError('QEMU_TIMEOUT', `qmp: cannot connect to ${path} (${(err as Error).message})`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  /** Runs a QMP command; rejects with QEMU's error description. */
  async execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    const line = JSON.stringify(args === undefined ? { execute: command } : { execute: command, arguments: args });
    const reply = JSON.parse(await this.channel.request(line, command)) as { return?: unknown; error?: { class: string; desc: string } };
    if (reply.error !== undefined) throw new QemuError('QMP_ERROR', `qmp ${command}: ${reply.error.desc}`);
    return reply.return;
  }

  /** A human-monitor command (e.g. `info mtree -f`) and its text. */
  async hmp(commandLine: string): Promise<string> {
    return String(await this.execute('human-monitor-command', { 'command-line': commandLine }));
  }

  close(): void {
    this.channel.close();
    this.socket.destroy();
  }
}
