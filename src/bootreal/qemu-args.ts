/**
 * The QEMU command of a real boot, as the conformance corpus ran it: TCG,
 * q35 without QEMU's own ACPI (`acpi=off`: no etc/acpi/* or table-loader of
 * its own), 1 CPU, 2 GiB, paused at start; fw_cfg selects traced, SeaBIOS's
 * debug port (0x402) to a file, OVMF's serial to a file; the case's files
 * injected with `-fw_cfg name=...,file=...` in the order given.
 */
import { join } from 'node:path';
import type { FirmwareImage } from '../qemu/live/firmware-images.js';
import { DEBUG_LOG, realFirmwareRecord, TRACE_LOG } from './real-firmware.js';

export const MACHINE_ARGS: readonly string[] = ['-machine', 'q35,acpi=off', '-smp', '1', '-m', '2G'];
export const RAM_SIZE = 2 ** 31;
/** `-global` that turns fw_cfg DMA off on q35 (the corpus's write-pointer-no-dma). */
export const NO_DMA_ARGS: readonly string[] = ['-global', 'fw_cfg_io.dma_enabled=off'];

export interface InjectedFile {
  name: string;
  /** File name inside the run's directory. */
  file: string;
}

export interface ArgsInput {
  dir: string;
  image: FirmwareImage;
  /** The run's copy of the OVMF vars template. */
  varsCopy?: string;
  files: readonly InjectedFile[];
  dma: boolean;
  extraArgs: readonly string[];
}

export { DEBUG_LOG, SERIAL_LOG, TRACE_LOG } from './real-firmware.js';

export function realBootArgs(i: ArgsInput): string[] {
  const args = ['-accel', 'tcg', '-cpu', 'max', '-nodefaults', '-no-user-config', '-display', 'none', '-S', ...MACHINE_ARGS];
  args.push('-D', join(i.dir, TRACE_LOG), '-trace', 'fw_cfg_select');
  args.push('-chardev', `file,id=dbg,path=${join(i.dir, DEBUG_LOG)}`, '-device', 'isa-debugcon,iobase=0x402,chardev=dbg');
  for (const f of i.files) args.push('-fw_cfg', `name=${f.name},file=${join(i.dir, f.file)}`);
  args.push(...realFirmwareRecord(i.image.firmware).qemuArgs(i.image, i.varsCopy, i.dir));
  if (!i.dma) args.push(...NO_DMA_ARGS);
  args.push(...i.extraArgs);
  return args;
}

/** The command as recorded: the run's directory written `$TMP`. */
export function recordedArgv(binary: string, args: readonly string[], dir: string): string[] {
  return [binary, ...args].map((a) => a.split(dir).join('$TMP'));
}
