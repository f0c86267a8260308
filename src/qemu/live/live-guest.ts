/**
 * Doing what a guest does to fw_cfg, on a live QEMU over qtest: selector
 * writes, data-register reads, DMA descriptors in guest RAM. Used by the
 * capture; every access is an ordinary qtest command, so QEMU serves it
 * exactly as it would serve firmware.
 */
import { fileCount, parseFileDirectory, type FwCfgFile } from '../../fwcfg/directory.js';
import { FW_CFG_DMA_CTL_READ, FW_CFG_DMA_CTL_SELECT, FW_CFG_FILE_DIR, FW_CFG_FILE_RECORD_SIZE } from '../../fwcfg/keys.js';
import { dmaControl, encodeDmaAccess } from '../../fwcfg/dma.js';
import { QemuError } from './errors.js';
import type { QtestClient } from './qtest-client.js';

export interface LiveLayout {
  kind: 'io' | 'mmio';
  /** MMIO base (data register), for kind 'mmio'. */
  base?: bigint;
  dma: boolean;
}

const hex = (n: bigint | number) => '0x' + n.toString(16);

function ok(reply: string, what: string): string {
  if (!reply.startsWith('OK')) throw new QemuError('QTEST_REPLY', `qtest ${what}: ${reply}`);
  return reply.length > 2 ? reply.slice(3) : '';
}

export class LiveGuest {
  constructor(
    readonly qtest: QtestClient,
    readonly layout: LiveLayout,
  ) {}

  private async run(lines: string[]): Promise<string[]> {
    const replies = await this.qtest.commands(lines);
    return replies.map((r, i) => ok(r, lines[i]!));
  }

  selectLine(key: number): string {
    if (this.layout.kind === 'io') return `outw 0x510 ${hex(key & 0xffff)}`;
    // big-endian selector: the bytes in memory order are the key's high byte, then low
    return `write ${hex(this.layout.base! + 8n)} 0x2 0x${(key & 0xffff).toString(16).padStart(4, '0')}`;
  }

  async select(key: number): Promise<void> {
    await this.run([this.selectLine(key)]);
  }

  /** `n` bytes through the data register, one byte per access (inb / readb), pipelined. */
  async readPort(n: number): Promise<Uint8Array> {
    const line = this.layout.kind === 'io' ? 'inb 0x511' : `readb ${hex(this.layout.base!)}`;
    const out = new Uint8Array(n);
    const STEP = 8192;
    for (let at = 0; at < n; at += STEP) {
      const k = Math.min(STEP, n - at);
      const replies = await this.run(Array.from({ length: k }, () => line));
      replies.forEach((r, i) => (out[at + i] = Number(BigInt(r) & 0xffn)));
    }
    return out;
  }

  /** The file directory through the data register (it has no select callback: reading it changes nothing). */
  async directory(): Promise<FwCfgFile[]> {
    await this.select(FW_CFG_FILE_DIR);
    const head = await this.readPort(4);
    const body = await this.readPort(Math.min(fileCount(head), 0x10000) * FW_CFG_FILE_RECORD_SIZE);
    const all = new Uint8Array(4 + body.length);
    all.set(head, 0);
    all.set(body, 4);
    return parseFileDirectory(all);
  }

  async readMemory(addr: bigint, len: number): Promise<Uint8Array> {
    const out = new Uint8Array(len);
    const STEP = 1 << 20;
    const lines: string[] = [];
    for (let at = 0; at < len; at += STEP) lines.push(`b64read ${hex(addr + BigInt(at))} ${hex(Math.min(STEP, len - at))}`);
    const replies = await this.run(lines);
    replies.forEach((r, i) => out.set(Buffer.from(r, 'base64'), i * STEP));
    return out;
  }

  async writeMemory(addr: bigint, bytes: Uint8Array): Promise<void> {
    const STEP = 1 << 20;
    const lines: string[] = [];
    for (let at = 0; at < bytes.length; at += STEP) {
      const part = bytes.subarray(at, Math.min(bytes.length, at + STEP));
      lines.push(`b64write ${hex(addr + BigInt(at))} ${hex(part.length)} ${Buffer.from(part).toString('base64')}`);
    }
    if (lines.length > 0) await this.run(lines);
  }

  async memset(addr: bigint, len: number, value: number): Promise<void> {
    if (len > 0) await this.run([`memset ${hex(addr)} ${hex(len)} ${hex(value & 0xff)}`]);
  }

  /** Lines that make the device run the descriptor at `at` (both halves / one 64-bit store). */
  kickLines(at: bigint): string[] {
    if (this.layout.kind === 'io') {
      const swap = (v: number) => hex(((v & 0xff) << 24 | (v & 0xff00) << 8 | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0);
      return [`outl 0x514 ${swap(Number(at >> 32n))}`, `outl 0x518 ${swap(Number(at & 0xffffffffn))}`];
    }
    const swapped = BigInt.asUintN(64, at).toString(16).padStart(16, '0').match(/../g)!.reverse().join('');
    return [`writeq ${hex(this.layout.base! + 0x10n)} 0x${swapped}`];
  }

  /** Writes a descriptor at `at`, runs it, returns the control word QEMU wrote back. */
  async dma(at: bigint, control: number, length: number, address: bigint): Promise<number> {
    if (!this.layout.dma) throw new QemuError('NO_DMA', 'this machine has no fw_cfg DMA interface');
    const desc = encodeDmaAccess({ control, length, address });
    const replies = await this.run([`write ${hex(at)} 0x10 0x${Buffer.from(desc).toString('hex')}`, ...this.kickLines(at), `read ${hex(at)} 0x4`]);
    return parseInt(replies[replies.length - 1]!, 16);
  }

  /** A whole item by DMA SELECT|READ into guest RAM at `buf`, read back. */
  async dmaReadItem(desc: bigint, buf: bigint, key: number, len: number, capacity: number): Promise<{ bytes: Uint8Array; control: number }> {
    const out = new Uint8Array(len);
    let control = 0;
    for (let at = 0; at < len || at === 0; at += capacity) {
      const n = Math.min(capacity, len - at);
      const bits = at === 0 ? FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ : FW_CFG_DMA_CTL_READ;
      control |= await this.dma(desc, dmaControl(bits, key), n, buf);
      if (n > 0) out.set(await this.readMemory(buf, n), at);
      if (len === 0) break;
    }
    return { bytes: out, control };
  }
}
