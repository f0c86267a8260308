/**
 * A qtest endpoint: answers QEMU's qtest line protocol against an emulated
 * machine, formatting every reply as QEMU 7.2's qtest.c does, so a qtest
 * client cannot tell it from `qemu-system-* -qtest`.
 *
 * Replies: `OK` for out*, write*, write, b64write, memset; `OK 0x%04x` for
 * in* (even inl); `OK 0x%016x` for read[bwlq]; `OK 0x<hex>` for read; `OK
 * <base64>` for b64read; `OK little` for endianness; `ERR invalid argument
 * size` for write/b64write data shorter than 3 characters; `FAIL Unknown
 * command 'X'` for unknown commands. Where QEMU would abort on an assertion
 * (a missing or malformed number, a port above 0xffff, `read` of 0 bytes, an
 * empty line) and where the access reaches something this project does not
 * emulate, the endpoint answers `FAIL` with the reason and stays up.
 */
import type { AddressSpace } from '../memory/address-space.js';
import type { EmulatedMachine } from '../qemu/emulated-machine.js';
import { base64, glibDecodeInPlace, hexBytes, parseQemuNumber, writeCommandBytes } from './protocol.js';

/** qtest commands QEMU 7.2 knows that this endpoint does not model. */
const NOT_MODELED = new Set(['irq_intercept_out', 'irq_intercept_in', 'set_irq_in', 'clock_step', 'clock_set', 'module_load', 'rtas']);

/** Largest read this endpoint answers (QEMU would g_malloc it). */
const MAX_TRANSFER = 256 << 20;

class Fail extends Error {}

function num(words: string[], i: number, what: string): bigint {
  const v = parseQemuNumber(words[i]);
  if (v === undefined) throw new Fail(words[i] === undefined ? `missing ${what}` : `bad ${what} '${words[i]}'`);
  return v;
}

function size(words: string[], i: number): number {
  const v = num(words, i, 'size');
  if (v > BigInt(MAX_TRANSFER)) throw new Fail(`size ${v} is larger than this endpoint serves`);
  return Number(v);
}

function port(words: string[]): number {
  const v = num(words, 1, 'port');
  if (v > 0xffffn) throw new Fail(`port 0x${v.toString(16)} is above 0xffff (QEMU asserts)`);
  return Number(v);
}

function leBytes(v: bigint, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return b;
}

function leValue(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

const WIDTH: Record<string, number> = { b: 1, w: 2, l: 4, q: 8 };

export class QtestEndpoint {
  readonly machine: EmulatedMachine;
  /** Every request and reply, when recording. */
  transcript: { request: string; reply: string }[] | undefined;

  constructor(machine: EmulatedMachine, options: { record?: boolean } = {}) {
    this.machine = machine;
    if (options.record) this.transcript = [];
  }

  /** One request line (without its newline) to one reply line (without newline). */
  handle(line: string): string {
    const reply = this.answer(line);
    this.transcript?.push({ request: line, reply });
    return reply;
  }

  private spaces(): AddressSpace[] {
    return [this.machine.memory, this.machine.io, this.machine.dmaMemory];
  }

  private answer(line: string): string {
    for (const s of this.spaces()) s.unmodeled = undefined;
    let reply: string;
    try {
      reply = this.dispatch(line);
    } catch (err) {
      if (err instanceof Fail) return `FAIL ${err.message}`;
      throw err;
    }
    const touched = this.spaces().find((s) => s.unmodeled !== undefined);
    if (touched !== undefined) return `FAIL not modeled: ${touched.name} region ${touched.unmodeled}`;
    return reply;
  }

  private dispatch(line: string): string {
    if (line === '') throw new Fail('empty command (QEMU asserts)');
    const words = line.split(' ');
    const cmd = words[0]!;
    const m = this.machine;

    const io = /^(in|out)([bwl])$/.exec(cmd);
    if (io) {
      const width = WIDTH[io[2]!]!;
      const addr = port(words);
      if (io[1] === 'out') {
        const value = num(words, 2, 'value');
        m.io.write(BigInt(addr), leBytes(value, width));
        return 'OK';
      }
      const b = new Uint8Array(width);
      m.io.read(BigInt(addr), b);
      return 'OK 0x' + leValue(b).toString(16).padStart(4, '0');
    }

    const mem = /^(read|write)([bwlq])$/.exec(cmd);
    if (mem) {
      const width = WIDTH[mem[2]!]!;
      const addr = num(words, 1, 'address');
      if (mem[1] === 'write') {
        const value = num(words, 2, 'value');
        m.memory.write(addr, leBytes(value, width));
        return 'OK';
      }
      const b = new Uint8Array(width);
      m.memory.read(addr, b);
      return 'OK 0x' + leValue(b).toString(16).padStart(16, '0');
    }

    switch (cmd) {
      case 'read':
      case 'b64read': {
        const addr = num(words, 1, 'address');
        const len = size(words, 2);
        if (len === 0 && cmd === 'read') throw new Fail('read of 0 bytes (QEMU asserts)');
        const b = new Uint8Array(len);
        m.memory.read(addr, b);
        return cmd === 'read' ? 'OK 0x' + hexBytes(b) : 'OK ' + base64(b);
      }
      case 'write': {
        const addr = num(words, 1, 'address');
        const len = size(words, 2);
        if (words[3] === undefined) throw new Fail('missing data (QEMU asserts)');
        const bytes = writeCommandBytes(words[3], len);
        if (bytes === undefined) return 'ERR invalid argument size';
        if (len > 0) m.memory.write(addr, bytes);
        return 'OK';
      }
      case 'b64write': {
        const addr = num(words, 1, 'address');
        const len = size(words, 2);
        const text = words[3];
        if (text === undefined) throw new Fail('missing data (QEMU asserts)');
        if (text.length < 3) return 'ERR invalid argument size';
        const { buffer } = glibDecodeInPlace(text);
        // QEMU writes SIZE bytes of the decode buffer; past its NUL they are heap bytes nobody can predict
        if (len > buffer.length) throw new Fail(`b64write of ${len} bytes with only ${buffer.length} bytes of decode buffer (QEMU writes unpredictable heap bytes)`);
        if (len > 0) m.memory.write(addr, buffer.subarray(0, len));
        return 'OK';
      }
      case 'memset': {
        const addr = num(words, 1, 'address');
        const len = size(words, 2);
        const value = Number(num(words, 3, 'value') & 0xffn);
        if (len > 0) m.memory.fill(addr, len, value);
        return 'OK';
      }
      case 'endianness':
        return 'OK little';
      default:
        if (NOT_MODELED.has(cmd)) throw new Fail(`not modeled: ${cmd}`);
        return `FAIL Unknown command '${cmd}'`;
    }
  }
}
