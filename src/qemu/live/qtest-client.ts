/** The qtest side of a live QEMU: send protocol lines, get QEMU's replies (pipelined, time-bounded). */
import type { Socket } from 'node:net';
import { LineChannel } from './line-channel.js';

export class QtestClient {
  private readonly channel: LineChannel;

  constructor(socket: Socket, timeoutMs = 20_000) {
    // IRQ notices arrive only with irq_intercept_*; they are not replies
    this.channel = new LineChannel(socket, 'qtest', timeoutMs, (l) => l.startsWith('IRQ '));
  }

  command(line: string): Promise<string> {
    return this.channel.request(line);
  }

  /** Many commands in flight at once; QEMU answers them in order. */
  commands(lines: readonly string[]): Promise<string[]> {
    return this.channel.requestMany(lines);
  }

  close(): void {
    this.channel.close();
  }
}
