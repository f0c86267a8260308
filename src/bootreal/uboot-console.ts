/**
 * U-Boot's serial console over a QEMU `-chardev socket` (a Unix socket QEMU
 * listens on): everything U-Boot prints is kept, waits are bounded, and a
 * command is typed the way a person does (one line) and answered by the text
 * up to the next prompt. Connect before `cont`: QEMU drops output nobody reads.
 */
import type { Socket } from 'node:net';
import { connectUnix } from '../qemu/live/unix-socket.js';
import { QemuError } from '../qemu/live/errors.js';

/** U-Boot's prompt (`CONFIG_SYS_PROMPT` in every Debian QEMU build). */
export const UBOOT_PROMPT = '=> ';

export class UbootConsole {
  private text = '';
  private readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      if (this.text.length < 8 << 20) this.text += chunk;
    });
    socket.on('error', () => undefined);
  }

  /** Connects to QEMU's listening socket, retrying while QEMU creates it. */
  static async connect(path: string, timeoutMs = 20_000): Promise<UbootConsole> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        return new UbootConsole(await connectUnix(path));
      } catch (err) {
        if (Date.now() > deadline) throw new QemuError('QEMU_TIMEOUT', `serial console: cannot connect to ${path} (${(err as Error).message})`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }

  /** Everything U-Boot printed so far (CR LF as it sent them). */
  get transcript(): string {
    return this.text;
  }

  /** Waits until `text` appears past character `from`; the index just after it, or null past the bound. */
  async waitFor(text: string, timeoutMs: number, from = 0, alive: () => boolean = () => true): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const at = this.text.indexOf(text, from);
      if (at >= 0) return at + text.length;
      if (!alive()) return null;
      await new Promise((r) => setTimeout(r, 20));
    }
    return null;
  }

  send(text: string): void {
    this.socket.write(text, 'latin1');
  }

  /** Types `line` at the prompt; what U-Boot printed before its next prompt (the echo removed), or null past the bound. */
  async command(line: string, timeoutMs: number): Promise<string | null> {
    const from = this.text.length;
    this.send(line + '\r');
    const end = await this.waitFor('\n' + UBOOT_PROMPT, timeoutMs, from);
    if (end === null) return null;
    const out = this.text.slice(from, end - UBOOT_PROMPT.length).replace(/\r\n/g, '\n');
    return out.startsWith(line) ? out.slice(line.length).replace(/^\n/, '') : out;
  }

  close(): void {
    this.socket.destroy();
  }
}
