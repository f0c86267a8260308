/**
 * Flags several commands share, each defined once: its value's name, its
 * parser (values.ts) and its one-line help with an example. The lists in
 * the help (QEMU releases, firmware) are read from the registries when the
 * program is built.
 */
import { Option, type Command, type OptionValues } from '@commander-js/extra-typings';
import { firmwareChoices, firmwareSpec, hostPage, inputDir, integer, namedFile, outputDir, placement, qemuRelease, qemuReleases, repeatable } from './values.js';

export const jsonOption = () => new Option('--json', 'print one JSON document (numbers as numbers, bytes as lowercase hex) instead of the account');

export const firmwareOption = (what = 'the firmware that boots the machine') =>
  new Option('--firmware <NAME>', `${what}: ${firmwareChoices()}; e.g. --firmware seabios`).argParser(firmwareSpec('--firmware')).makeOptionMandatory();

export const qemuOption = () =>
  new Option('--qemu <VERSION>', `model the machine under this QEMU release's rules (${qemuReleases()}; default: the release it was captured on), e.g. --qemu 5.2`).argParser(qemuRelease('--qemu'));

export const hostPageOption = (what = "the host's page size in bytes, which RAM blocks align to") =>
  new Option('--host-page <BYTES>', `${what}: 4096 (default) or 65536, e.g. --host-page 65536`).argParser(hostPage('--host-page'));

export const toHostPageOption = (what: string) => new Option('--to-host-page <BYTES>', `${what}: 4096 or 65536, e.g. --to-host-page 65536`).argParser(hostPage('--to-host-page'));

export const fileOption = (what = "an fw_cfg file the loader's commands name, and the file holding its bytes") =>
  new Option('--file <NAME=PATH>', `${what} (repeatable), e.g. --file etc/acpi/tables=tables.bin`).argParser(repeatable(namedFile('--file')));

export const writableOption = () =>
  new Option('--writable <NAME=PATH>', 'a file the guest may write (a WRITE_POINTER target), preset with these bytes (repeatable), e.g. --writable etc/smi/requested-features=preset.bin').argParser(
    repeatable(namedFile('--writable')),
  );

export const placeOption = () =>
  new Option('--place <FILE=ADDR>', "pin a file's ALLOCATE to a guest-physical address (decimal or 0x hex) instead of the firmware's own choice (repeatable), e.g. --place etc/acpi/tables=0x7ff00000").argParser(
    repeatable(placement('--place')),
  );

export const outDirOption = (what: string) => new Option('--out <DIR>', `${what}; DIR is created if absent, e.g. --out /tmp/out`).argParser(outputDir('--out'));

export const captureOption = () =>
  new Option('--capture <ITEMS_DIR>', 'the fw_cfg item capture of the same configuration, for a rebuild on a platform nothing programmed (default: found in spec-vectors/fwcfg-device/), e.g. --capture spec-vectors/fwcfg-device/q35').argParser(
    inputDir('--capture', 'an fw_cfg item capture'),
  );

/** The machine a script runs on (exec, tables, with a loader file): QEMU's settings the conformance corpus varies. */
export const noDmaOption = () => new Option('--no-dma', 'fw_cfg DMA off, as -global fw_cfg_io.dma_enabled=off (firmware falls back to the data port)');
export const noS3Option = () => new Option('--no-s3', 'S3 off, as -global ICH9-LPC.disable_s3=1 (etc/system-states says S3 is disabled)');
export const fileSlotsOption = () =>
  new Option('--file-slots <N>', 'fw_cfg file directory slots, as -global fw_cfg_io.x-file-slots=N (16 to 16352; default 32), e.g. --file-slots 256').argParser(integer('--file-slots', 0x10, 0x3fe0));

/** The flags of a loader script's machine, for the commands that run one (exec, tables). */
export type ScriptMachineValues = { file?: NamedFile[]; writable?: NamedFile[]; dma: boolean; s3: boolean; fileSlots?: number };
type NamedFile = { name: string; path: string };

export function scriptMachineOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>): Command<A, O & ScriptMachineValues, G> {
  return cmd.addOption(fileOption()).addOption(writableOption()).addOption(noDmaOption()).addOption(noS3Option()).addOption(fileSlotsOption()) as unknown as Command<A, O & ScriptMachineValues, G>;
}
