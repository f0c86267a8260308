/**
 * A conformance case as a real boot: its files injected in the order
 * case.json lists them, its extra QEMU arguments, and the WRITE_POINTER
 * target preset as the corpus harness did (not possible without DMA: the
 * target then keeps QEMU's zeros).
 */
import type { CorpusCase } from '../simulate/corpus-case.js';
import type { RealFirmware } from '../qemu/live/firmware-images.js';
import type { OutcomeOptions } from './outcome-json.js';
import type { RealBootInput } from './run.js';

export function caseBootInput(c: CorpusCase, firmware: RealFirmware, more: Partial<RealBootInput> = {}): RealBootInput {
  const extra = c.json.qemu?.extra_args ?? [];
  // the DMA switch is the input's own `dma`; every other argument passes through
  const extraArgs = extra.filter((a, i) => !/dma_enabled=off/.test(a) && !(a === '-global' && /dma_enabled=off/.test(extra[i + 1] ?? '')));
  return {
    firmware,
    files: c.json.fw_cfg_files.map((f, i) => ({ name: f.fw_cfg_name, data: c.files[i]!.data, file: f.path.replace(/\.gz$/, '') })),
    presets: c.dma && c.target !== undefined ? [{ name: c.target.name, data: c.target.preset }] : [],
    dma: c.dma,
    extraArgs,
    ...more,
  };
}

export function caseOutcomeOptions(c: CorpusCase): OutcomeOptions {
  return { caseId: c.id, ...(c.target !== undefined ? { writePointerTarget: c.target.name } : {}) };
}
