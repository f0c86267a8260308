/** `fwcfg capture --out DIR [--rebuild] [--force] [--config NAME] [--quiet] -- [qemu-system-*] ARGS...` */
import { Command, Option } from '@commander-js/extra-typings';
import { UsageError } from '../../errors.js';
import { captureQemu } from '../../qemu/capture.js';
import { outDirOption } from '../options.js';
import { byteCount, hx } from '../output.js';
import { examples, type CliCommand } from '../program.js';
import { seconds } from '../values.js';

export const captureCommand: CliCommand = {
  name: 'capture',
  qemuCommandLine: true,
  build: (cli) =>
    new Command('capture')
      .summary('read everything a QEMU command line serves through fw_cfg, and each firmware\'s rebuild, into a directory')
      .description(
        "Start the installed QEMU paused with this command line, read every fw_cfg item as a guest reads it, the memory map and non-zero RAM/ROM pages, the ACPI blobs as QEMU built them at creation, and per firmware the rebuild its boot triggers. Format: docs/capture-format.md. Progress on stderr.",
      )
      .usage('--out DIR [options] -- [qemu-system-*] QEMU_ARGS...')
      // anything before -- that is not a flag: most likely a QEMU command line missing its --
      .argument('[QEMU_ARGS...]', "QEMU's command line, after --: the binary (default qemu-system-x86_64) and its arguments")
      .addOption(outDirOption('the capture directory').makeOptionMandatory())
      .addOption(new Option('--no-firmware', 'skip the creation blobs and the per-firmware rebuilds (items and memory only)'))
      .addOption(new Option('--rebuild', 'on q35, also the rebuild after programming PCIEXBAR only'))
      .addOption(new Option('--force', 'overwrite a capture already in DIR'))
      .addOption(new Option('--config <NAME>', "the configuration's name in items.json (default: the machine type), e.g. --config seed"))
      .addOption(new Option('--description <TEXT>', 'a line saying what the configuration is, kept in items.json, e.g. --description "q35 with an NVDIMM"'))
      .addOption(new Option('--timeout <SECONDS>', 'how long each QEMU start may take (default 30), e.g. --timeout 60').argParser(seconds('--timeout')))
      .addOption(new Option('--boot-timeout <SECONDS>', "how long a firmware may take to reach its first ACPI select (default 120), e.g. --boot-timeout 300").argParser(seconds('--boot-timeout')))
      .addOption(new Option('--quiet', 'no progress lines on stderr'))
      .addHelpText('after', examples('fwcfg capture --out /tmp/q35 -- qemu-system-x86_64 -machine q35 -m 2G', 'fwcfg capture --out /tmp/virt --quiet -- qemu-system-aarch64 -machine virt -cpu max'))
      .action(async (stray, o) => {
        const qemuArgs = cli.qemuArgs;
        if (qemuArgs === undefined || qemuArgs.length === 0) throw new UsageError('USAGE', 'QEMU arguments go after --, e.g. fwcfg capture --out DIR -- qemu-system-x86_64 -machine q35');
        if (stray.length > 0) throw new UsageError('USAGE', `unexpected ${JSON.stringify(stray[0])} before --: QEMU's arguments go after it`);
        const result = await captureQemu({
          out: o.out,
          qemuArgs,
          rebuild: o.rebuild === true,
          noFirmware: o.firmware === false,
          ...(o.bootTimeout !== undefined ? { bootTimeoutMs: o.bootTimeout * 1000 } : {}),
          force: o.force === true,
          config: o.config,
          description: o.description,
          timeoutMs: o.timeout === undefined ? undefined : o.timeout * 1000,
          progress: o.quiet === true ? undefined : (m) => cli.io.err(`capture: ${m}\n`),
        });
        const io = cli.io;
        const items = result.json.items;
        const files = items.filter((i) => i.kind === 'file').length;
        io.out(`${o.out}: ${items.length} items (${items.length - files} keys, ${files} files), ${result.json.memory_contents?.length ?? 0} memory runs, layout ${result.json.layout}, id ${result.json.id}\n`);
        for (const c of result.json.rebuild?.size_changes ?? []) io.out(`rebuild: ${c.name} ${byteCount(c.before)} -> ${byteCount(c.after)}\n`);
        if (result.json.rebuild !== undefined && result.json.rebuild.size_changes.length === 0) io.out('rebuild: no size changes\n');
        if (result.json.machine_type) io.out(`QEMU ${result.json.qemu_version ?? '?'}, machine ${result.json.machine_type}, host pages ${result.json.host_page_size}\n`);
        for (const r of result.json.creation?.roms ?? []) io.out(`creation: ${r.name} ${byteCount(r.fw_cfg_size)}, block used ${hx(r.used)}, max ${hx(r.max)}\n`);
        for (const run of result.json.firmware?.runs ?? []) {
          const who = `${run.firmware}${run.image.version ? ` ${run.image.version}` : ''}${result.json.firmware?.booted === run.firmware ? ' (the command line boots it)' : ''}`;
          if (run.outcome === 'rebuilt') io.out(`${who}: first ACPI select ${run.first_acpi_select!.name}; rebuilt ${run.roms.map((r) => `${r.name} ${byteCount(r.fw_cfg_size)}`).join(', ')}\n`);
          else if (run.outcome === 'qemu-exited' && run.exit === null) io.out(`${who}: QEMU did not start with it:\n${run.stderr.map((l) => `  ${l}\n`).join('')}`);
          else if (run.outcome === 'qemu-exited') io.out(`${who}: QEMU ended (${run.exit?.signal ?? `status ${run.exit?.code}`}) on the way:\n${run.stderr.map((l) => `  ${l}\n`).join('')}`);
          else io.out(`${who}: no ACPI select within the boot timeout\n`);
        }
        for (const u of result.json.firmware?.unavailable ?? []) io.out(`${u.firmware}: not captured: ${u.reason}\n`);
      }),
};
