/**
 * The ACPI build state and its lazy rebuild (hw/i386/acpi-build.c
 * acpi_build_update / acpi_ram_update, and arm virt's equivalent): the first
 * select of any ACPI file after a reset rebuilds everything and resizes the
 * blobs in the order tables, RSDP, loader, each under &error_abort.
 */
import { FwCfgError } from '../errors.js';
import { RamBlockError } from '../memory/ram-block.js';
import { LOADER_FILE, RSDP_FILE, TABLES_FILE } from '../loader/constants.js';
import { romBlobMaxSize } from './acpi-sizes.js';
import type { RomContext } from './rom-blob.js';
import { RomBlob } from './rom-blob.js';
import type { AbortLocation } from './version.js';

export interface AcpiBlobs {
  tables: Uint8Array;
  loader: Uint8Array;
  rsdp: Uint8Array;
}

/** QEMU stopped: what it printed before abort(). */
export class QemuAbort extends FwCfgError {
  readonly lines: string[];
  constructor(lines: string[]) {
    super('QEMU_ABORT', lines.join('\n'));
    this.lines = lines;
  }
}

export function abortLines(location: AbortLocation, program: string, err: RamBlockError): string[] {
  const line = err.code === 'SIZE_TOO_LARGE' ? location.tooLargeLine : location.mismatchLine;
  return [`Unexpected error in qemu_ram_resize() at ${location.file}:${line ?? '?'}:`, `${program}: ${err.message}`];
}

export interface AcpiBuildOptions {
  ctx: RomContext;
  program: string;
  /** False on pc-i440fx <= 2.2: the RSDP is a plain fw_cfg file with the same select callback. */
  rsdpInRam: boolean;
  /** False on microvm: built once, the select callback does nothing. */
  rebuildOnSelect: boolean;
  /** The blobs as QEMU built them at machine creation. */
  initial: AcpiBlobs;
  /** What a rebuild produces now (the machine state it reads is the caller's business). */
  rebuild: () => AcpiBlobs;
}

export interface RebuildRecord {
  /** The ACPI file whose select triggered it. */
  trigger: string;
  aborted: boolean;
}

export class AcpiBuildState {
  /** Migrated as vmstate `acpi_build` v1. */
  patched = 0;
  readonly tables: RomBlob;
  readonly loader: RomBlob;
  readonly rsdp: RomBlob | undefined;
  /** The legacy RSDP buffer (rsdp_in_ram = false). */
  readonly legacyRsdp: Uint8Array | undefined;
  readonly rebuilds: RebuildRecord[] = [];
  private readonly o: AcpiBuildOptions;

  constructor(o: AcpiBuildOptions) {
    this.o = o;
    const { ctx, initial } = o;
    // the select callback; `opaque` is this state until modify_file clears it
    const cb = (name: string) => (o.rebuildOnSelect ? (opaque: unknown) => (opaque as AcpiBuildState | null)?.update(opaque, name) : undefined);
    const add = (name: string, data: Uint8Array) => new RomBlob(ctx, name, data, romBlobMaxSize(ctx.policy, name, data.length), cb(name), this);
    // creation order as acpi_setup: tables, loader, (tpm, vmgenid...), rsdp
    this.tables = add(TABLES_FILE, initial.tables);
    this.loader = add(LOADER_FILE, initial.loader);
    if (o.rsdpInRam) {
      this.rsdp = add(RSDP_FILE, initial.rsdp);
    } else {
      this.legacyRsdp = initial.rsdp.slice();
      ctx.device.addFile(RSDP_FILE, this.legacyRsdp, { selectCallback: cb(RSDP_FILE), opaque: this, readOnly: true });
    }
  }

  get roms(): RomBlob[] {
    return [this.tables, this.loader, ...(this.rsdp ? [this.rsdp] : [])];
  }

  /** The fw_cfg select callback body (acpi_build_update); `trigger` only feeds the record. */
  private update(opaque: unknown, trigger: string): void {
    if (opaque === null || this.patched !== 0) return;
    this.patched = 1;
    const blobs = this.o.rebuild();
    const record: RebuildRecord = { trigger, aborted: false };
    this.rebuilds.push(record);
    try {
      this.ramUpdate(this.tables, blobs.tables);
      if (this.rsdp !== undefined) this.ramUpdate(this.rsdp, blobs.rsdp);
      else this.legacyRsdp!.set(blobs.rsdp.subarray(0, this.legacyRsdp!.length));
      this.ramUpdate(this.loader, blobs.loader);
    } catch (err) {
      if (err instanceof RamBlockError) {
        record.aborted = true;
        throw new QemuAbort(abortLines(this.o.ctx.policy.abortLocation, this.o.program, err));
      }
      throw err;
    }
  }

  /** acpi_ram_update: resize (may abort), copy, (mark dirty). */
  private ramUpdate(rom: RomBlob, data: Uint8Array): void {
    rom.block.resize(data.length);
    rom.block.bytes().set(data);
  }

  /** acpi_build_reset: the next select rebuilds again (if its callback survived). */
  reset(): void {
    this.patched = 0;
  }
}
