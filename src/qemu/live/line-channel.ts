/**
 * A newline-delimited request/reply channel over a socket, with one reply per
 * request in order, a time bound per reply, and pipelining (many requests in
 * flight). Lines matching `skip` (qtest's asynchronous IRQ notices) are not
 * replies.
 */
import type { Socket } from 'node:net';
import { QemuError } from './errors.js';

interface Waiter {
  resolve(line: string): void;
  reject(err: Error): void;
  what: string;
}

export class LineChannel {
  private readonly socket: Socket;
  private readonly waiters: Waiter[] = [];
  private buffer = '';
  /** Lines that arrived before anyone waited for them (QMP's greeting). */
  private readonly unclaimed: string[] = [];
  private closedError: Error | undefined;
  private timer: NodeJS.Timeout | undefined;
  readonly skipped: string[] = [];

  constructor(
    socket: Socket,
    private readonly name: string,
    private readonly timeoutMs: number,
    private readonly skip: (line: string) => boolean = () => false,
  ) {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.onData(chunk));
    const closed = (err?: Error) => this.fail(new QemuError('QEMU_CLOSED', `${this.name}: connection closed${err ? ` (${err.message})` : ''}`));
    socket.on('close', () => closed());
    socket.on('error', (err) => closed(err));
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      if (this.skip(line)) {
        this.skipped.push(line);
        continue;
      }
      const w = this.waiters.shift();
      if (w !== undefined) w.resolve(line);
      else this.unclaimed.push(line);
    }
    this.arm();
  }

  private fail(err: Error): void {
    this.closedError ??= err;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }

  /** One timer for the oldest outstanding reply. */
  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const first = this.waiters[0];
    if (first === undefined) return;
    this.timer = setTimeout(() => {
      this.fail(new QemuError('QEMU_TIMEOUT', `${this.name}: no reply to ${JSON.stringify(first.what)} within ${this.timeoutMs} ms`));
      this.socket.destroy();
    }, this.timeoutMs);
    this.timer.unref();
  }

  private wait(what: string): Promise<string> {
    const early = this.unclaimed.shift();
    if (early !== undefined) return Promise.resolve(early);
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise<string>((resolve, reject) => {
      this.waiters.push({ resolve, reject, what });
      if (this.waiters.length === 1) this.arm();
    });
  }

  /** The next line, without sending anything (a greeting). */
  expect(what: string): Promise<string> {
    return this.wait(what);
  }

  /** Sends lines (each without newline) and resolves with their replies, in order. */
  requestMany(lines: readonly string[], what: (i: number) => string = (i) => lines[i]!): Promise<string[]> {
    if (this.closedError) return Promise.reject(this.closedError);
    const replies = lines.map((_, i) => this.wait(what(i)));
    this.socket.write(lines.map((l) => l + '\n').join(''));
    return Promise.all(replies);
  }

  async request(line: string, what = line): Promise<string> {
    const [r] = await this.requestMany([line], () => what);
    return r!;
  }

  close(): void {
    this.fail(new QemuError('QEMU_CLOSED', `${this.name}: closed`));
    this.socket.destroy();
  }
}
