/**
 * Reads RAM block contents out of a QEMU precopy migration stream.
 *
 * Why: the ACPI ROM blobs (`/rom@etc/acpi/tables`, `/rom@etc/table-loader`,
 * `/rom@etc/acpi/rsdp`) must be seen exactly as QEMU built them at machine
 * creation. Selecting them through fw_cfg would make QEMU rebuild them, so a
 * paused VM is migrated to a file instead and the `ram` section is decoded.
 *
 * Covers streams of QEMU 5.2 onwards with default migration capabilities:
 * with or without the configuration record and section footers (both depend
 * on the machine type). Everything this reader cannot skip safely (other
 * live sections, device sections before RAM ends, compression, XBZRLE,
 * RDMA, postcopy, ignore-shared, mapped-ram) is refused with a typed error
 * rather than guessed at: device state has no length prefix, so one wrong
 * guess would silently misread everything after it.
 */
import type { ErrorCode } from '../../errors.js';
import { existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError } from '../../errors.js';
import { MigrationStreamError } from '../migration.js';
import { QemuError } from './errors.js';
import type { QemuProcess } from './qemu-process.js';

export { MigrationStreamError };

const QEVM_MAGIC = 0x5145564d;
const QEVM_VERSION = 3;
/** The `ram` section has been version 4 since long before QEMU 5.2; the loader refuses others. */
const RAM_SECTION_VERSION = 4;

const VM_EOF = 0x00;
const VM_SECTION_START = 0x01;
const VM_SECTION_PART = 0x02;
const VM_SECTION_END = 0x03;
const VM_SECTION_FULL = 0x04;
const VM_SUBSECTION = 0x05;
const VM_VMDESCRIPTION = 0x06;
const VM_CONFIGURATION = 0x07;
const VM_COMMAND = 0x08;
const VM_SECTION_FOOTER = 0x7e;

const RECORD_NAMES: Record<number, string> = {
  [VM_EOF]: 'EOF',
  [VM_SECTION_START]: 'SECTION_START',
  [VM_SECTION_PART]: 'SECTION_PART',
  [VM_SECTION_END]: 'SECTION_END',
  [VM_SECTION_FULL]: 'SECTION_FULL',
  [VM_SUBSECTION]: 'SUBSECTION',
  [VM_VMDESCRIPTION]: 'VMDESCRIPTION',
  [VM_CONFIGURATION]: 'CONFIGURATION',
  [VM_COMMAND]: 'COMMAND',
  [VM_SECTION_FOOTER]: 'SECTION_FOOTER',
};

const FLAG_ZERO = 0x02;
const FLAG_MEM_SIZE = 0x04;
const FLAG_PAGE = 0x08;
const FLAG_EOS = 0x10;
const FLAG_CONTINUE = 0x20;
const FLAG_XBZRLE = 0x40;
const FLAG_HOOK = 0x80;
const FLAG_COMPRESS_PAGE = 0x100;
const FLAG_MULTIFD_FLUSH = 0x200;

/** Encodings that need state or capabilities we do not model; never sent with defaults. */
const UNSUPPORTED_FLAGS: [number, string][] = [
  [FLAG_XBZRLE, 'XBZRLE (0x40)'],
  [FLAG_HOOK, 'RDMA hook (0x80)'],
  [FLAG_COMPRESS_PAGE, 'compressed page (0x100)'],
];

/** Migration commands that change how the rest of the stream is laid out (postcopy, packaged streams). */
const UNSUPPORTED_COMMANDS: Record<number, string> = {
  3: 'POSTCOPY_ADVISE',
  4: 'POSTCOPY_LISTEN',
  5: 'POSTCOPY_RUN',
  6: 'POSTCOPY_RAM_DISCARD',
  7: 'POSTCOPY_RESUME',
  8: 'PACKAGED',
  9: 'RECV_BITMAP',
};

/** Capabilities listed in configuration/capabilities that add per-block fields to the RAM setup. */
const LAYOUT_CAPABILITIES = new Set(['x-ignore-shared', 'mapped-ram']);

export interface RamBlockContents {
  /** The used length the source announced in the RAM setup. */
  usedLength: number;
  /** The block's first usedLength bytes, or null when not selected by `only`. */
  bytes: Uint8Array | null;
}

export interface RamStreamOptions {
  /** The target page size (TARGET_PAGE_SIZE); 4096 for x86_64 and aarch64 virt. */
  pageSize?: number;
  /** Which blocks to keep bytes for; default: the ROM blobs (`/rom@...`). */
  only?: (name: string) => boolean;
}

export interface RamStream {
  /** The machine type from the configuration record; null when the machine type sends none. */
  machineType: string | null;
  /** Every block of the RAM setup, in stream order. */
  blocks: Map<string, RamBlockContents>;
}

interface BlockState {
  name: string;
  usedLength: number;
  bytes: Uint8Array | null;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/** A bounds-checked big-endian reader: every shortfall is a typed error, never a RangeError. */
class Cursor {
  at = 0;
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get left(): number {
    return this.bytes.length - this.at;
  }

  need(n: number, what: string): void {
    if (n > this.left) throw new MigrationStreamError('STREAM_TRUNCATED', `migration stream ends at byte ${this.bytes.length} while reading ${what} at byte ${this.at} (${n} bytes needed)`);
  }

  peek(): number | undefined {
    return this.at < this.bytes.length ? this.bytes[this.at] : undefined;
  }

  u8(what: string): number {
    this.need(1, what);
    return this.bytes[this.at++]!;
  }

  u16(what: string): number {
    this.need(2, what);
    const v = this.view.getUint16(this.at);
    this.at += 2;
    return v;
  }

  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.at);
    this.at += 4;
    return v;
  }

  /** A u64 split as QEMU's RAM records use it: value above the flag bits, flags below `mask`. */
  u64Split(mask: number, what: string): { value: number; flags: number } {
    this.need(8, what);
    const hi = this.view.getUint32(this.at);
    const lo = this.view.getUint32(this.at + 4);
    // above 2^53 a Number would round the offset silently
    if (hi >= 0x200000) throw new MigrationStreamError('STREAM_VALUE', `${what} at byte ${this.at} is 0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')}, not below 2^53`);
    this.at += 8;
    const flags = lo & mask;
    return { value: hi * 2 ** 32 + (lo - flags), flags };
  }

  u64(what: string): number {
    return this.u64Split(0, what).value;
  }

  skip(n: number, what: string): void {
    this.need(n, what);
    this.at += n;
  }

  /** A string with a u8 length prefix (idstrs, subsection names). */
  name8(what: string): string {
    const len = this.u8(`the length of ${what}`);
    this.need(len, what);
    const s = Buffer.from(this.bytes.buffer, this.bytes.byteOffset + this.at, len).toString('latin1');
    this.at += len;
    return s;
  }

  fail(code: ErrorCode, at: number, message: string): never {
    throw new MigrationStreamError(code, `migration stream byte ${at}: ${message}`);
  }
}

/**
 * Decodes the `ram` section of a precopy stream and stops once its END chunk
 * (and footer) has been read; the device sections after it are not parsed.
 */
export function readRamBlocks(stream: Uint8Array, options: RamStreamOptions = {}): RamStream {
  const pageSize = options.pageSize ?? 4096;
  // RAM flags live below the page size, and MULTIFD_FLUSH (0x200) must fit there
  if (!Number.isInteger(pageSize) || pageSize < 0x400 || pageSize > 0x10000 || (pageSize & (pageSize - 1)) !== 0) {
    throw new InputError('PAGE_SIZE', `page size ${pageSize} is not a power of two from 1024 to 65536`);
  }
  const only = options.only ?? ((name: string) => name.startsWith('/rom@'));
  const flagMask = pageSize - 1;
  // annotated so that `c.fail(...)` (returns never) narrows types after it
  const c: Cursor = new Cursor(stream);

  const magic = c.u32('the magic');
  if (magic !== QEVM_MAGIC) c.fail('STREAM_MAGIC', 0, `magic is ${hex(magic)}, not 0x5145564d ('QEVM')`);
  const version = c.u32('the stream version');
  if (version !== QEVM_VERSION) c.fail('STREAM_VERSION', 4, `stream version is ${version}, only 3 is supported`);

  let machineType: string | null = null;
  const blocks = new Map<string, BlockState>();
  let ramId: number | undefined;
  let footers: boolean | undefined;
  let last: BlockState | undefined;
  let first = true;

  const configuration = () => {
    const len = c.u32('the machine type length');
    c.need(len, 'the machine type');
    machineType = Buffer.from(stream.buffer, stream.byteOffset + c.at, len).toString('latin1');
    c.at += len;
    // Subsections carry no length: only the ones QEMU defines for this record can be stepped over.
    while (c.peek() === VM_SUBSECTION) {
      const at = c.at++;
      const name = c.name8('a configuration subsection name');
      c.u32(`the version of ${name}`);
      if (name === 'configuration/target-page-bits') {
        // sent when the target's page size is larger than its minimum (e.g. aarch64): a direct check of pageSize
        const bitsAt = c.at;
        const bits = c.u32('the target page bits');
        if (bits > 30 || 2 ** bits !== pageSize) c.fail('STREAM_PAGE_SIZE', bitsAt, `the stream's target page size is 2^${bits}, not the ${pageSize} given`);
      } else if (name === 'configuration/capabilities') {
        const count = c.u32('the capability count');
        for (let i = 0; i < count; i++) {
          const capAt = c.at;
          const cap = c.name8('a capability name');
          if (LAYOUT_CAPABILITIES.has(cap)) c.fail('STREAM_UNSUPPORTED', capAt, `capability ${cap} changes the RAM section's layout; migrate with default capabilities`);
        }
      } else if (name === 'configuration/uuid') {
        c.skip(16, 'the VM UUID');
      } else {
        c.fail('STREAM_SUBSECTION', at, `unknown configuration subsection ${JSON.stringify(name)} (its length is not in the stream)`);
      }
    }
  };

  const allocate = (n: number, name: string, at: number): Uint8Array => {
    try {
      return new Uint8Array(n);
    } catch (err) {
      if (err instanceof RangeError) c.fail('STREAM_VALUE', at, `RAM block ${name} (${hex(n)} bytes) is too large to hold in memory; leave it out of \`only\``);
      throw err;
    }
  };

  /** One chunk of `ram` section data, up to and including its EOS record. */
  const ramChunk = (setup: boolean) => {
    let records = 0;
    for (;;) {
      const at = c.at;
      const { value, flags } = c.u64Split(flagMask, 'a RAM record');
      for (const [bit, what] of UNSUPPORTED_FLAGS) {
        if (flags & bit) c.fail('STREAM_UNSUPPORTED', at, `RAM record uses ${what}, which needs a non-default capability`);
      }
      if (setup && records === 0 && flags !== FLAG_MEM_SIZE) c.fail('STREAM_FLAGS', at, `RAM setup starts with flags ${hex(flags)}, not MEM_SIZE (0x4)`);
      records++;
      let block: BlockState | undefined;
      if (flags & (FLAG_ZERO | FLAG_PAGE)) {
        if (flags & FLAG_CONTINUE) {
          if (last === undefined) c.fail('STREAM_BLOCK', at, 'RAM record continues a block but no block was named before');
          block = last;
        } else {
          const nameAt = c.at;
          const name = c.name8('a RAM block id');
          block = blocks.get(name);
          if (block === undefined) c.fail('STREAM_BLOCK', nameAt, `RAM block ${JSON.stringify(name)} is not in the RAM setup`);
        }
        last = block;
        if (value >= block.usedLength) c.fail('STREAM_OFFSET', at, `page offset ${hex(value)} is outside ${block.name} (used length ${hex(block.usedLength)})`);
      }
      switch (flags & ~FLAG_CONTINUE) {
        case FLAG_MEM_SIZE: {
          if (!setup || records !== 1 || (flags & FLAG_CONTINUE)) c.fail('STREAM_FLAGS', at, `MEM_SIZE record (flags ${hex(flags)}) outside the start of the RAM setup`);
          // the total is the sum of the used lengths; blocks follow until it is used up
          let total = value;
          while (total > 0) {
            const nameAt = c.at;
            const name = c.name8('a RAM block id');
            const usedLength = c.u64(`the used length of ${name}`);
            if (usedLength > total) c.fail('STREAM_TOTAL', nameAt, `block ${name} (${hex(usedLength)} bytes) is larger than what the announced total leaves (${hex(total)})`);
            if (blocks.has(name)) c.fail('STREAM_BLOCK', nameAt, `RAM block ${name} is announced twice`);
            blocks.set(name, { name, usedLength, bytes: only(name) ? allocate(usedLength, name, nameAt) : null });
            total -= usedLength;
          }
          break;
        }
        case FLAG_ZERO: {
          // QEMU before 8.x allowed any fill byte; later ones always send 0
          const fill = c.u8('the fill byte of a zero page');
          if (block!.bytes !== null) block!.bytes.fill(fill, value, Math.min(value + pageSize, block!.usedLength));
          break;
        }
        case FLAG_PAGE: {
          c.need(pageSize, `a ${pageSize}-byte page of ${block!.name}`);
          if (block!.bytes !== null) {
            // a used length that is not page-aligned keeps only the part of the last page inside it
            const n = Math.min(pageSize, block!.usedLength - value);
            block!.bytes.set(stream.subarray(c.at, c.at + n), value);
          }
          c.at += pageSize;
          break;
        }
        case FLAG_MULTIFD_FLUSH:
          // a synchronisation point for multifd channels; carries no data
          break;
        case FLAG_EOS:
          return;
        default:
          c.fail('STREAM_FLAGS', at, `unknown combination of RAM flags ${hex(flags)} (page size ${pageSize})`);
      }
    }
  };

  /** Footers are on or off for the whole stream (machine-type property); the first chunk tells which. */
  const footer = () => {
    const at = c.at;
    const next = c.peek();
    if (footers === undefined) {
      if (next === undefined) c.need(1, 'the byte after the RAM section data');
      footers = next === VM_SECTION_FOOTER;
    }
    if (!footers) return;
    const type = c.u8('a section footer');
    if (type !== VM_SECTION_FOOTER) c.fail('STREAM_FOOTER', at, `expected a section footer (0x7e) after the RAM section data, found ${hex(type)}; is the page size ${pageSize} right?`);
    const id = c.u32('the section id of a footer');
    if (id !== ramId) c.fail('STREAM_FOOTER', at, `footer names section ${id}, not the RAM section ${ramId}`);
  };

  for (;;) {
    const at = c.at;
    if (c.left === 0) c.need(1, 'a record type (the RAM section has not ended)');
    const type = c.u8('a record type');
    switch (type) {
      case VM_CONFIGURATION:
        if (!first) c.fail('STREAM_RECORD', at, 'CONFIGURATION record after the first record');
        configuration();
        break;
      case VM_SECTION_START:
      case VM_SECTION_FULL: {
        const sectionId = c.u32('a section id');
        const idstr = c.name8('a section idstr');
        c.u32(`the instance id of ${idstr}`);
        const versionAt = c.at;
        const versionId = c.u32(`the version of ${idstr}`);
        if (idstr !== 'ram' || type === VM_SECTION_FULL) {
          // neither live sections nor device state carry a length, so they cannot be stepped over
          c.fail('STREAM_SECTION', at, `${RECORD_NAMES[type]} of section ${JSON.stringify(idstr)} (id ${sectionId}) before the RAM section ended; it cannot be skipped`);
        }
        if (ramId !== undefined) c.fail('STREAM_SECTION', at, `second SECTION_START of "ram" (id ${sectionId})`);
        if (versionId !== RAM_SECTION_VERSION) c.fail('STREAM_VERSION', versionAt, `"ram" section version ${versionId}, expected ${RAM_SECTION_VERSION}`);
        ramId = sectionId;
        ramChunk(true);
        footer();
        break;
      }
      case VM_SECTION_PART:
      case VM_SECTION_END: {
        const sectionId = c.u32('a section id');
        if (ramId === undefined || sectionId !== ramId) c.fail('STREAM_SECTION', at, `${RECORD_NAMES[type]} of section id ${sectionId}, which is not the RAM section${ramId === undefined ? ' (not started yet)' : ` (id ${ramId})`}`);
        ramChunk(false);
        footer();
        if (type === VM_SECTION_END) {
          const out = new Map<string, RamBlockContents>();
          for (const b of blocks.values()) out.set(b.name, { usedLength: b.usedLength, bytes: b.bytes });
          return { machineType, blocks: out };
        }
        break;
      }
      case VM_COMMAND: {
        const cmd = c.u16('a command number');
        const len = c.u16('a command length');
        const name = UNSUPPORTED_COMMANDS[cmd];
        if (name !== undefined) c.fail('STREAM_UNSUPPORTED', at, `command ${name} (${cmd}): postcopy streams are not supported`);
        // e.g. SWITCHOVER_START (QEMU 10+): no effect on the RAM contents
        c.skip(len, `the ${len}-byte argument of command ${cmd}`);
        break;
      }
      case VM_EOF:
        return c.fail('STREAM_NO_RAM', at, ramId === undefined ? 'end of stream (EOF record) without a RAM section' : 'end of stream (EOF record) before the RAM section ended');
      default:
        c.fail('STREAM_RECORD', at, `unexpected record type ${hex(type)}${RECORD_NAMES[type] ? ` (${RECORD_NAMES[type]})` : ''}`);
    }
    first = false;
  }
}

/**
 * Migrates `q` (normally paused with -S) into the file `path` and waits until
 * the file is whole. QEMU reports `completed` from its migration thread
 * before it closes the pipe to the command, so the stream is written under
 * `<path>.part` and renamed once `cat` has finished: `path` existing means
 * the stream is complete.
 */
export async function migrateToFile(q: QemuProcess, path: string, timeoutMs: number): Promise<void> {
  // QEMU runs the exec: command through /bin/sh -c; a single-quoted path is inert unless it holds a quote
  if (/['\0]/.test(path)) throw new InputError('MIGRATE_PATH', `migration file path ${JSON.stringify(path)} contains a quote or NUL; choose another path`);
  const target = resolve(path);
  const part = `${target}.part`;
  rmSync(target, { force: true });
  rmSync(part, { force: true });
  const deadline = Date.now() + timeoutMs;
  await q.qmp.execute('migrate', { uri: `exec:cat > '${part}' && mv -f '${part}' '${target}'` });
  let status = 'unknown';
  for (;;) {
    const info = (await q.qmp.execute('query-migrate')) as { status?: string; 'error-desc'?: string };
    status = info.status ?? 'none';
    if (status === 'completed') break;
    if (status === 'failed' || status === 'cancelled') {
      throw new QemuError('MIGRATE_FAILED', `migration to ${target} ${status}${info['error-desc'] ? `: ${info['error-desc']}` : ''}`);
    }
    if (Date.now() > deadline) {
      await q.qmp.execute('migrate_cancel').catch(() => undefined);
      throw new QemuError('QEMU_TIMEOUT', `migration to ${target} did not complete within ${timeoutMs} ms (status ${status})`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  while (!existsSync(target)) {
    if (Date.now() > deadline) throw new QemuError('QEMU_TIMEOUT', `migration to ${target} completed but the file was not closed within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
