// `node scripts/record-flash-transcript.mjs [--check]`: arm virt's flash (virt.flash0 at 0) driven through
// every command state by qtest on the installed qemu-system-aarch64, the replies recorded as
// spec-vectors/pflash/virt-flash.txt (the transcript format of spec-vectors/fwcfg-device/transcripts/).
// --check records again and exits 1 when any reply differs from the file.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runOnQemu } from '../dist/src/conformance/runner.js';
import { loadItemsCapture } from '../dist/src/vectors/items-capture.js';

const ROOT = new URL('..', import.meta.url).pathname;
const OUT = join(ROOT, 'spec-vectors/pflash/virt-flash.txt');
const capture = loadItemsCapture(join(ROOT, 'spec-vectors/fwcfg-captures/virt'));

const steps = [];
const step = (title, ...requests) => steps.push({ title, requests });
const hex = (n) => '0x' + n.toString(16);

step('the request a random sequence sent (found by fwcfg fuzz --live): 0x3c is no command; back to read array', 'write 0x0 0x20 0x3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c', 'readq 0x0', 'read 0x0 0x20', 'readl 0x1000');
step('read device ID (0x90): manufacturer at bank word 0, device at word 1, per 16-bit device, both devices', 'writeb 0x0 0x90', 'readl 0x0', 'readl 0x4', 'readl 0x8', 'readb 0x0', 'readb 0x1', 'readb 0x3', 'readw 0x2', 'readw 0x4', 'readq 0x0', 'read 0x1 0x7', 'readl 0x400', 'readl 0x404', 'b64read 0x0 0xc');
step('0xff: read array', 'writeb 0x0 0xff', 'readl 0x0');
step('CFI query (0x98): the whole table, then writes other than 0xff keep the query mode', 'writel 0x0 0x98', ...Array.from({ length: 0x56 }, (_, i) => `readl ${hex(i * 4)}`), 'readb 0x41', 'readw 0x42', 'readq 0x40', 'writel 0x0 0x70', 'readl 0x40', 'writeb 0x10 0xd0', 'readl 0x44', 'writew 0x0 0x0', 'readl 0x48', 'writeb 0x0 0xff', 'readl 0x40');
step('status (0x70): 0x80 per device; widths and odd offsets', 'writeb 0x0 0x70', 'readb 0x0', 'readw 0x0', 'readl 0x0', 'readq 0x0', 'readw 0x1', 'readl 0x2', 'read 0x3 0x6', 'readl 0x3ffffc', 'writeb 0x0 0xff');
step('program (0x40, 0x10): the second cycle writes its bytes, status until read array', 'writeb 0x100 0x40', 'readl 0x100', 'writel 0x100 0x12345678', 'readl 0x100', 'writeb 0x0 0xff', 'readl 0x100', 'writew 0x0 0x10', 'writew 0x106 0xbeef', 'writeb 0x0 0xff', 'readq 0x100', 'writeb 0x0 0x40', 'writeq 0x200 0x1122334455667788', 'readl 0x200', 'writeb 0x0 0xff', 'readq 0x200');
step('clear status (0x50): status 0, read array; the next command sets 0x80 again', 'writeb 0x0 0x50', 'readl 0x100', 'writeb 0x0 0x70', 'readl 0x0', 'writeb 0x0 0x60', 'readl 0x0', 'writeb 0x0 0x01', 'readl 0x0', 'writeb 0x0 0xff');
step('block erase (0x20): the 256 KiB block reads 0xff at once; 0xd0 confirms, anything else reads the array', 'writel 0x40000 0x20', 'readl 0x40000', 'writel 0x40000 0xd0', 'readl 0x0', 'writeb 0x0 0xff', 'readl 0x40000', 'readl 0x7fffc', 'readl 0x80000', 'readl 0x3fffc', 'writeb 0x80010 0x20', 'writeb 0x80010 0x3c', 'readl 0x80000', 'readl 0xbfffc', 'writeb 0x0 0x20', 'writeb 0x0 0xff', 'readq 0x0', 'readl 0x100');
step('block lock (0x60): 0xd0 or 0x01 confirm (status), anything else reads the array', 'writeb 0x0 0x60', 'writeb 0x0 0x01', 'readl 0x0', 'writeb 0x0 0x60', 'writeb 0x0 0xd0', 'readl 0x0', 'writeb 0x0 0x60', 'writeb 0x0 0x55', 'readl 0x0', 'writeb 0x0 0x60', 'writeb 0x0 0xff', 'readl 0x0');
step('write to buffer (0xe8): count, count+1 data accesses inside the 4 KiB window of the count address, 0xd0 writes them', 'writel 0x1000 0xe8', 'readl 0x0', 'writel 0x1ff8 0x3', 'writel 0x1ff0 0xaabbccdd', 'writew 0x1ff4 0x1122', 'readl 0x1ff0', 'writeb 0x1ffe 0x77', 'writel 0x1000 0x5a5a5a5a', 'readl 0x0', 'writel 0x0 0xd0', 'readl 0x0', 'writeb 0x0 0xff', 'readl 0x1ff0', 'readl 0x1ff4', 'readl 0x1ffc', 'readl 0x1000');
step('write to buffer: a data access outside the window is a programming error (0x10); the confirm then drops the buffer', 'writel 0x0 0xe8', 'writel 0x0 0x1', 'writel 0x3000 0x11111111', 'readl 0x0', 'writel 0x10 0x22222222', 'readl 0x0', 'writel 0x0 0xd0', 'readl 0x0', 'readl 0x10', 'readl 0x3000', 'writeb 0x0 0xe8', 'readl 0x0', 'writeb 0x0 0xff', 'writeb 0x0 0x70', 'readl 0x0', 'writeb 0x0 0x50', 'writeb 0x0 0x70', 'readl 0x0', 'writeb 0x0 0xff');
step('write to buffer: anything but 0xd0 after the data drops the buffer; commands during the data are data', 'writel 0x2000 0xe8', 'writel 0x2000 0x2', 'writel 0x2000 0xff', 'writel 0x2004 0x50', 'readl 0x0', 'writel 0x2008 0x90', 'writel 0x2000 0x77', 'readl 0x0', 'readl 0x2000', 'readl 0x2008');
step('write to buffer: a wide count keeps only 16 bits; an unaligned access past the window end is an error', 'writel 0x3000 0xe8', 'writel 0x3000 0xffff0000', 'writel 0x3ffe 0x11223344', 'readl 0x0', 'writeb 0x0 0xd0', 'readl 0x0', 'readl 0x3ffc', 'writeb 0x0 0x50');
step('unknown commands, 0x00 and 0xf0 read the array; unaligned and wide writes are cut in pieces of at most 4 bytes', 'writeb 0x0 0x90', 'writeb 0x0 0x00', 'readl 0x0', 'writeb 0x0 0x90', 'writeb 0x0 0xf0', 'readl 0x0', 'writeb 0x0 0x90', 'writeb 0x0 0x33', 'readl 0x0', 'writeq 0x0 0x9000000070', 'readl 0x0', 'writeb 0x0 0xff', 'writel 0x3 0x9070ff40', 'readl 0x0', 'writeb 0x0 0xff', 'memset 0x0 0x3 0x90', 'readl 0x0', 'writeb 0x0 0xff', 'readl 0x0');
step('the second flash (virt.flash1) is a device of its own', 'writeb 0x4000000 0x90', 'readl 0x4000000', 'readl 0x0', 'writeb 0x0 0x70', 'readl 0x4000004', 'readl 0x0', 'writeb 0x4000000 0xff', 'writeb 0x0 0xff', 'readl 0x4000000');

const requests = steps.flatMap((s) => s.requests);
const replies = await runOnQemu(capture, requests);
let i = 0;
let text = `# fw_cfg qtest transcript: virt-flash
# config: virt
# args: ${capture.json.argv.slice(1).join(' ')}
# qemu: ${capture.json.qemu}
# purpose: arm virt's flash (pflash_cfi01 at 0 and 0x4000000) in every command state: what reads answer after each kind of write
# recorded by: node scripts/record-flash-transcript.mjs (live qemu-system-aarch64, qtest)
# format: '## step' comment, '> request' sent on the qtest socket, '< reply' received
`;
for (const s of steps) {
  text += `## ${s.title}\n`;
  for (const r of s.requests) text += `> ${r}\n< ${replies[i++]}\n`;
}
if (process.argv.includes('--check')) {
  const old = readFileSync(OUT, 'utf8');
  const strip = (t) => t.split('\n').filter((l) => !l.startsWith('# qemu:')).join('\n');
  if (strip(old) !== strip(text)) {
    console.log(`${OUT}: the live QEMU answers differently now`);
    process.exitCode = 1;
  } else console.log(`${OUT}: ${requests.length} replies as recorded`);
} else {
  writeFileSync(OUT, text);
  console.log(`wrote ${OUT}: ${requests.length} requests`);
}
