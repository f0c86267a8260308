// Careless and hostile invocations of every command: one line `fwcfg: COMMAND: ...` on stderr naming what was
// wrong, nothing on stdout, exit 2; every flag explained by --help; versions and firmware from their registries.
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Option } from '@commander-js/extra-typings';
import { COMMANDS } from '../src/cli/main.js';
import { buildProgram } from '../src/cli/program.js';
import { FIRMWARE_RECORDS } from '../src/firmware/records/index.js';
import { modelledQemuVersions } from '../src/qemu/version.js';
import { fwcfg } from './helpers/cli.js';
import { QEMU_VECTORS, ROOT } from './helpers/paths.js';

const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-hostile-'));
const EMPTY = mkdtempSync(join(tmp, 'empty-'));
const MISSING = join(tmp, 'missing');
const FILE = join(tmp, 'a-file.bin');
writeFileSync(FILE, new Uint8Array(128));
const SEED = join(QEMU_VECTORS, 'seed');
const Q35 = join(QEMU_VECTORS, 'q35');
const LOADER = join(SEED, 'before/etc_table-loader.bin');
const LISTING = join(SEED, 'before/loader.txt');
const CASE = join(ROOT, 'spec-vectors/firmware-conformance/baseline');
const CAPTURE = join(ROOT, 'spec-vectors/fwcfg-device/q35');
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** [argv, what the one line must say (after `fwcfg: COMMAND: `)] */
const CASES: [string[], RegExp][] = [
  // disasm / asm
  [['disasm'], /missing LOADER\.bin/],
  [['disasm', EMPTY], new RegExp(`${esc(EMPTY)}: is a directory`)],
  [['disasm', MISSING], new RegExp(`${esc(MISSING)}: no such file`)],
  [['disasm', '/dev/zero'], /\/dev\/zero: is a device; a loader script is a file/],
  [['lint', LOADER, '--file', 'etc/acpi/tables=/dev/urandom'], /\/dev\/urandom is a device/],
  [['disasm', LOADER, '--file'], /--file needs a value/],
  [['disasm', LOADER, '--file', 'noequals'], /--file noequals: wants NAME=PATH/],
  [['disasm', LOADER, '--file', `etc/acpi/tables=${EMPTY}`], /is a directory/],
  [['disasm', LOADER, '--json', '--hexdump'], /--json cannot be used with --hexdump/],
  [['disasm', LOADER, LOADER], /unexpected argument/],
  [['disasm', FILE.replace(/bin$/, 'nope'), '--jsn'], /unknown option --jsn \(did you mean --json\?\)/],
  [['asm', LISTING, '-o', EMPTY], new RegExp(`--output ${esc(EMPTY)}: is a directory`)],
  [['asm', LISTING, '-o', join(MISSING, 'x.bin')], /no directory .*missing to write it in/],
  [['asm', LISTING, '-o'], /--output needs a value/],
  [['asm', SEED], /is a directory/],
  // demo
  [['demo', MISSING], /no such directory/],
  [['demo', FILE], /is a file/],
  [['demo', SEED, Q35], /unexpected argument/],
  // simulate
  [['simulate', SEED], /--firmware <NAME> is required/],
  [['simulate', SEED, '--firmware', 'bios'], /--firmware bios: use none, seabios, ovmf, uboot/],
  [['simulate', SEED, '--firmware', 'seabios@0.1'], /--firmware seabios@0\.1: seabios 0\.1 is not modelled/],
  [['simulate', SEED, '--firmware', 'aavmf@2025.02'], /aavmf@2025\.02 does not run on pc-q35-7\.2 \(x86_64\): AAVMF is OVMF's arm build, on x86 name ovmf@2025\.02/],
  [['simulate', SEED, '--firmware', 'none', '--qemu', '9.9'], /--qemu 9\.9: QEMU 9\.9 is not modelled/],
  [['simulate', SEED, '--firmware', 'none', '--qemu', 'latest'], /--qemu latest: QEMU version "latest" is not major\.minor/],
  [['simulate', SEED, '--firmware', 'seabios', '--boots', '101'], /--boots 101: a whole number from 1 to 100/],
  [['simulate', SEED, '--firmware', 'seabios', '--boots', '-1'], /--boots -1: a whole number/],
  [['simulate', SEED, '--firmware', 'seabios', '--boots', '2.5'], /--boots 2\.5: a whole number/],
  [['simulate', SEED, '--firmware', 'seabios', '--out', FILE], new RegExp(`--out ${esc(FILE)}: exists and is not a directory`)],
  [['simulate', SEED, '--firmware', 'seabios', '--out', '--json'], /--out --json: wants a directory, not an option/],
  [['simulate', Q35, '--firmware', 'seabios', '--place', 'etc/acpi/tables=0x10000000000000000'], /past 2\^64/],
  [['simulate', Q35, '--firmware', 'seabios', '--place', 'etc/acpi/tables=high'], /ADDR is a guest-physical address/],
  [['simulate', Q35, '--firmware', 'seabios', '--place', 'etc/acpi/tables'], /--place etc\/acpi\/tables: wants FILE=ADDR/],
  [['simulate', Q35, '--firmware', 'seabios', '--place', 'etc/acpi/tables=0x100000000'], /is not inside pc-q35-7\.2's RAM/],
  [['simulate', Q35, '--firmware', 'seabios', '--place', 'etc/nope=0x1000000'], /the loader never ALLOCATEs "etc\/nope"/],
  [['simulate', Q35, '--firmware', 'seabios', '--place', 'etc/acpi/tables=0x7f000000', '--place', 'etc/acpi/tables=0x7e000000'], /pinned twice/],
  [['simulate', SEED, '--firmware', 'seabios', '--boots', '2', '--boots', '3'], /--boots is given twice \(the second time as 3\); give it once/],
  [['simulate', SEED, '--firmware', 'seabios', '--firmware', 'ovmf'], /--firmware is given twice/],
  [['simulate', SEED, '--firmware', 'none', '--out', EMPTY], /--out goes with a firmware boot/],
  [['simulate', SEED, '--firmware', 'none', '--place', 'etc/acpi/tables=0x7f000000'], /--place goes with a firmware boot/],
  [['simulate', SEED, '--firmware', 'ovmf', '--select', 'etc/acpi/rsdp'], /--select goes with --firmware none/],
  [['simulate', SEED, '--firmware', 'none', '--select', 'etc/nope'], /--select etc\/nope: seed serves no such fw_cfg file/],
  [['simulate', SEED, '--firmware', 'seabios', '--capture', FILE], /--capture .*: is a file/],
  [['simulate', SEED, '--firmware', 'seabios', '--host-page', '4097'], /--host-page 4097: a host page size in bytes: 4096 or 65536/],
  [['simulate', SEED, '--firmware', 'seabios', '--boots', '3', '--migrate-after', '1', '--to', '4.0'], /--to 4\.0: QEMU 4\.0 is not modelled/],
  [['simulate', SEED, '--firmware', 'seabios', '--boots', '3', '--to-host-page', '65536'], /--to-host-page goes with --migrate-after K/],
  [['simulate', SEED, '--firmware', 'seabios', '--migrate-after', '1'], /--migrate-after goes with --boots N/],
  [['simulate', FILE, '--firmware', 'none'], /is a file/],
  [['simulate', EMPTY, '--firmware', 'none'], /neither a QEMU vector \(manifest\.json\) nor a capture \(items\.json\)/],
  // migrate-check
  [['migrate-check', SEED, '--from', '7.2'], /--to <VERSION> is required/],
  [['migrate-check', SEED, '--from', '7.2', '--to', '9.9'], /--to 9\.9: QEMU 9\.9 is not modelled/],
  [['migrate-check', SEED, '--from', '7.2', '--to', '5.2', '--at', 'later'], /--at later: use creation, booted/],
  [['migrate-check', SEED, '--from', '7.2', '--to', '5.2', '--to-host-page', '1'], /--to-host-page 1: a host page size/],
  // exec
  [['exec', LOADER], /--firmware <NAME> is required/],
  [['exec', LOADER, '--firmware', 'none'], /--firmware none: use seabios, ovmf, uboot/],
  [['exec', CASE, '--firmware', 'seabios', '--file', `etc/x=${FILE}`], /--file goes with a loader file; .* is a case directory/],
  [['exec', CASE, '--firmware', 'seabios', '--no-dma'], /--no-dma goes with a loader file/],
  [['exec', LOADER, '--firmware', 'seabios', '--file', `${'a'.repeat(56)}=${FILE}`], /name too long \(max\. 55 char\)/],
  [['exec', LOADER, '--firmware', 'seabios', '--file-slots', '65536'], /--file-slots 65536: a whole number from 16 to 16352/],
  [['exec', LOADER, '--firmware', 'seabios', '--place', 'etc/nope=0x100000'], /the loader never ALLOCATEs "etc\/nope"/],
  [['exec', LOADER, '--firmware', 'seabios', '--out', FILE], /exists and is not a directory/],
  [['exec', MISSING, '--firmware', 'seabios'], /no such file or directory/],
  [['exec', EMPTY, '--firmware', 'seabios'], /case\.json: no such file/],
  [['exec', join(CASE, 'loader.bin'), '--firmware', 'seabios', '--file', `etc/acpi/tables=${FILE}`, '--file', `etc/acpi/tables=${FILE}`], /duplicate fw_cfg file name: etc\/acpi\/tables/],
  // tables
  [['tables', Q35, '--firmware', 'seabios'], /--out <DIR> is required/],
  [['tables', Q35, '--firmware', 'seabios', '--out', FILE], /exists and is not a directory/],
  [['tables', Q35, '--firmware', 'seabios', '--out', EMPTY, '--file', `a=${FILE}`], /--file goes with a loader file/],
  [['tables', LOADER, '--firmware', 'seabios', '--out', EMPTY, '--qemu', '5.2'], /--qemu goes with a vector or capture/],
  // lint
  [['lint'], /missing INPUT/],
  [['lint', SEED, '--file', `a=${FILE}`], /--file goes with a loader file, not with a directory/],
  [['lint', MISSING], /no such file or directory/],
  [['lint', '/dev/zero'], /\/dev\/zero: is a device, not a loader script or a vector or capture/],
  // fuzz
  [['fuzz'], /--surface <NAME> is required/],
  [['fuzz', '--surface', 'kernel'], /--surface kernel: use decoder, /],
  [['fuzz', '--surface', 'seabios', '--iterations', '0'], /--iterations 0: a whole number, at least 1/],
  [['fuzz', '--surface', 'seabios', '--workers', 'many'], /--workers many: a whole number from 1 to 256/],
  [['fuzz', '--surface', 'seabios', '--live', '5'], /--live goes with --surface device/],
  [['fuzz', '--surface', 'seabios', '--out', FILE], /exists and is not a directory/],
  // check / capture (refused before any QEMU starts)
  [['check'], /give QEMU arguments after --/],
  [['check', SEED, '--timeout', '5'], /--timeout goes with a command line to capture/],
  [['check', '--timeout', '0', '--', 'qemu-system-x86_64'], /--timeout 0: seconds, more than 0/],
  [['check', '--out', FILE, '--', 'qemu-system-x86_64'], /exists and is not a directory/],
  [['check', SEED, '--', 'qemu-system-x86_64'], /unexpected ".*seed" before --/],
  [['check', '--'], /no QEMU arguments after --/],
  [['capture', '--', 'qemu-system-x86_64'], /--out <DIR> is required/],
  [['capture', '--out', EMPTY], /QEMU arguments go after --/],
  [['capture', '--out', FILE, '--', 'qemu-system-x86_64'], /exists and is not a directory/],
  [['capture', '--out', EMPTY, '--timeout', 'soon', '--', 'qemu-system-x86_64'], /--timeout soon: seconds/],
  [['capture', '--out', EMPTY, 'stray', '--', 'qemu-system-x86_64'], /unexpected "stray" before --/],
  [['capture', '--out', EMPTY, 'qemu-system-x86_64'], /QEMU arguments go after --/],
  [['check', 'qemu-system-x86_64', '-machine', 'q35'], /unknown option -machine; .* \(QEMU's arguments go after --\)/],
  // boot-real (refused before any QEMU starts)
  [['boot-real', '--firmware', 'seabios'], /give a loader script/],
  [['boot-real', LOADER, '--firmware', 'bios'], /--firmware bios: use seabios, ovmf, uboot, optionally NAME@VERSION/],
  [['boot-real', LOADER, '--firmware', 'aavmf'], /--firmware aavmf: use seabios, ovmf, uboot/],
  [['boot-real', LOADER, '--firmware', 'uboot@1999.01'], /--firmware uboot@1999\.01: uboot 1999\.01 is not modelled \(modelled: uboot@2021\.01, uboot@2023\.01, uboot@2025\.01, uboot@2025\.01-3\.2\)/],
  [['boot-real', LOADER, '--firmware', 'uboot@2023.01@x'], /--firmware uboot@2023\.01@x: use seabios, ovmf, uboot, optionally NAME@VERSION/],
  [['boot-real', '--config', SEED, '--firmware', 'uboot', '--image', MISSING], /--image .*missing: no such file/],
  [['boot-real', '--config', SEED, '--firmware', 'seabios', '--file', `a=${FILE}`], /--file cannot be used with --config|--config cannot be used with --file/],
  [['boot-real', '--config', SEED, '--firmware', 'seabios', '--boots', '21'], /--boots 21: a whole number from 1 to 20/],
  [['boot-real', LOADER, '--firmware', 'seabios', '--compare'], /--compare goes with --config DIR/],
  [['boot-real', LOADER, '--firmware', 'seabios', '--image', MISSING], /--image .*missing: no such file/],
  // qtest
  [['qtest'], /missing CAPTURE_DIR/],
  [['qtest', MISSING], /no such directory \(an fw_cfg item capture\)/],
  [['qtest', FILE], /is a file/],
  [['qtest', CAPTURE, '--machine', 'mainframe'], /--machine mainframe: use /],
];

test('every careless invocation: one line naming what was wrong, nothing on stdout, exit 2', async (t) => {
  for (const [argv, message] of CASES) {
    const r = await fwcfg(...argv);
    const what = argv.map((a) => a.replace(ROOT + '/', '')).join(' ');
    t.is(r.code, 2, `${what}\n${r.stderr}`);
    t.is(r.stdout, '', what);
    t.is(r.stderr.split('\n').length, 2, `${what}: one line\n${r.stderr}`);
    t.true(r.stderr.startsWith(`fwcfg: ${argv[0]}: `), `${what}: names its command\n${r.stderr}`);
    t.regex(r.stderr, message, what);
    t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
  }
});

test('unknown commands and top-level options are one line too; no command at all prints the overview on stderr', async (t) => {
  for (const [argv, message] of [
    [['frobnicate'], /^fwcfg: unknown command "frobnicate"; fwcfg --help lists the commands\n$/],
    [['simulte'], /^fwcfg: unknown command "simulte" \(did you mean simulate\?\)/],
    [['--frob'], /^fwcfg: unknown option --frob/],
    [['help', 'frob'], /^fwcfg: unknown command "frob"; fwcfg --help lists the commands\n$/],
  ] as const) {
    const r = await fwcfg(...argv);
    t.is(r.code, 2);
    t.is(r.stdout, '');
    t.regex(r.stderr, message);
  }
  const none = await fwcfg();
  t.is(none.code, 2);
  t.is(none.stdout, '');
  for (const c of COMMANDS) t.true(none.stderr.includes(`  ${c.name} `), c.name);
});

// every flag that takes a value, of every command, given none
const program = buildProgram({ io: { out: () => undefined, outBytes: () => undefined, err: () => undefined }, status: 0, qemuArgs: undefined }, COMMANDS);
const valued = program.commands.flatMap((c) => (c.options as readonly Option[]).filter((o) => o.required).map((o) => ({ command: c.name(), flag: o.long! })));

test('every flag that takes a value says so when it gets none', async (t) => {
  t.true(valued.length > 40);
  for (const { command, flag } of valued) {
    const r = await fwcfg(command, flag);
    t.is(r.code, 2, `${command} ${flag}`);
    t.is(r.stdout, '');
    t.regex(r.stderr, new RegExp(`^fwcfg: ${esc(command)}: ${esc(flag)} needs a value \\(${esc(flag)} <[A-Z_=.|]+>\\)\\n$`), `${command} ${flag}`);
  }
});

test('fwcfg COMMAND --help explains every flag in a line with an example, and shows examples', async (t) => {
  for (const c of program.commands) {
    const name = c.name();
    if (name === 'help') continue;
    const r = await fwcfg(name, '--help');
    t.is(r.code, 0, name);
    t.is(r.stderr, '');
    t.regex(r.stdout, new RegExp(`^Usage: fwcfg ${esc(name)} `), name);
    t.regex(r.stdout, /\nExamples:\n {2}(fwcfg|printf) /, `${name}: examples`);
    for (const o of c.options as readonly Option[]) {
      t.true((o.description ?? '').length > 15, `${name} ${o.flags}: described`);
      // a flag with a value shows one (e.g. --boots 3), a switch says what it does
      if (o.required && o.long !== '--help') t.regex(o.description, /e\.g\. /, `${name} ${o.flags}: an example`);
      t.true(r.stdout.includes(o.flags), `${name} --help lists ${o.flags}`);
    }
  }
});

test('--version and the help texts list the QEMU releases and firmware from their registries', async (t) => {
  const v = await fwcfg('--version');
  t.is(v.code, 0);
  t.is(v.stdout.split('\n').length, 2, 'one line');
  t.regex(v.stdout, /^fwcfg \d+\.\d+\.\d+ /);
  for (const q of modelledQemuVersions()) t.true(v.stdout.includes(q), q);
  for (const f of FIRMWARE_RECORDS) t.true(v.stdout.includes(f.id), f.id);
  const h = await fwcfg('simulate', '--help');
  t.true(h.stdout.replace(/\s+/g, ' ').includes(`(${modelledQemuVersions().join(', ')}; default`), 'the --qemu line lists the records');
  for (const f of FIRMWARE_RECORDS) t.true(h.stdout.replace(/\s+/g, ' ').includes(f.id), f.id);
  // every modelled release and firmware record is accepted where it is offered
  for (const q of modelledQemuVersions()) t.is((await fwcfg('migrate-check', SEED, '--from', '7.2', '--to', q, '--json')).code, 0, q);
  for (const f of FIRMWARE_RECORDS.filter((r) => r.arches.includes('x86_64'))) t.is((await fwcfg('exec', CASE, '--firmware', f.id, '--json')).code, 0, f.id);
});
