// `fwcfg report`: the story as one HTML file, opened in a real browser. What the page must show
// is counted from the vectors' own bytes where they say it (the loader's entries, its ALLOCATEs,
// the ROM blocks, the sizes behind the seed's 0x2000 > 0x1000 on QEMU 5.2), and from the model's
// boots where only the model knows (every allocation of every boot).
import test from 'ava';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BOOTS, wholeStory, type WholeStory } from '../src/cli/whole-story.js';
import { decodeLoader } from '../src/loader/codec.js';
import { LOADER_FILE } from '../src/loader/constants.js';
import { AddressAxis } from '../src/report/address-axis.js';
import { diffBoots } from '../src/report/boot-diff.js';
import { BootCollector, reportHtml } from '../src/report/report.js';
import { stageFor } from '../src/simulate/firmware-run.js';
import { openConfiguration } from '../src/vectors/configuration.js';
import type { Vector } from '../src/vectors/vector.js';
import { Chromium, CHROMIUM, CHROMIUM_SKIP, type Page } from './helpers/chromium.js';
import { fwcfg } from './helpers/cli.js';
import { QEMU_VECTORS, ROOT } from './helpers/paths.js';

const OUT = join(ROOT, 'dist', 'test-output', 'report');
const hx = (n: number) => '0x' + n.toString(16);

interface Rendered {
  vector: Vector;
  story: WholeStory;
  collected: BootCollector;
  html: string;
}

function render(config: string): Rendered {
  const cfg = openConfiguration(join(QEMU_VECTORS, config));
  const collected = new BootCollector();
  const story = wholeStory(cfg, () => undefined, { observe: collected.observe });
  return { vector: cfg.vector, story, collected, html: reportHtml(story, { vector: cfg.vector, items: cfg.vector.items, boots: BOOTS, collected }) };
}

test('the page is self-contained: no URL, no external script, style sheet or font', (t) => {
  for (const config of ['seed', 'q35']) {
    const { html } = render(config);
    t.notRegex(html, /https?:\/\//i, config);
    t.notRegex(html, /<script[^>]*\bsrc\s*=/i, config);
    t.notRegex(html, /<link\b/i, config);
    t.notRegex(html, /@import|@font-face/i, config);
    // the only url() references are the SVG's own arrowheads
    t.deepEqual([...html.matchAll(/url\(([^)]*)\)/g)].filter((m) => !m[1]!.startsWith('#')).map((m) => m[0]), [], config);
    t.is([...html.matchAll(/<script\b/gi)].length, 1, `${config}: one inline script (the search)`);
    t.regex(html, /^<!DOCTYPE html>/, config);
  }
});

test('every string from the capture is escaped: names, messages, file names', (t) => {
  const r = render('seed');
  const evil = `<img src=x onerror="alert(1)">&'`;
  r.story.configuration.name = evil;
  r.story.lint.findings[0]!.message = evil;
  const first = r.collected.pictures.get('seabios')![0]!;
  first.allocations[0]!.file = evil;
  const html = reportHtml(r.story, { vector: r.vector, items: undefined, boots: BOOTS, collected: r.collected, text: evil });
  t.false(html.includes('<img'), 'no markup gets through');
  t.false(html.includes(`"alert(1)"`), 'quotes are escaped in attributes too');
  t.true(html.includes('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;'));
});

test('the address axis: a 20-byte RSDP and a 128 KiB blob are both visible, 2 GiB of free RAM costs less than the blob, order is kept', (t) => {
  const rsdp = { start: 0xf59e0, end: 0xf59f4 };
  const blob = { start: 0x7ffde000, end: 0x7fffe000 };
  const axis = new AddressAxis([{ start: 0, end: 0x80000000 }], [rsdp, blob], [0xf0000, 0x100000]);
  const w = (s: { start: number; end: number }) => axis.x(s.end) - axis.x(s.start);
  t.true(w(rsdp) >= 20, `RSDP ${w(rsdp)} px`);
  t.true(w(blob) > w(rsdp) && w(blob) < 5 * w(rsdp), `blob ${w(blob)} px`);
  const free = axis.pieces.find((p) => p.kind === 'free' && p.start === 0x100000)!;
  t.true(free.x1 - free.x0 < w(blob) && free.x1 - free.x0 < 2 * w(rsdp), `the free RAM between them is drawn compressed: ${free.x1 - free.x0} px`);
  const xs = [0, 0xf0000, rsdp.start, rsdp.start + 10, rsdp.end, 0x100000, 0x40000000, blob.start, blob.start + 0x1000, blob.end, 0x80000000].map((a) => axis.x(a));
  t.deepEqual(
    xs,
    [...xs].sort((a, b) => a - b),
  );
  t.is(axis.x(rsdp.start + 10), (axis.x(rsdp.start) + axis.x(rsdp.end)) / 2, 'linear inside a piece');
});

test("the seed's second SeaBIOS boot differs from the first only in bytes the first never patched: the RSDP's pointer and checksum (its last two commands)", (t) => {
  const r = render('seed');
  const [first, second] = r.collected.pictures.get('seabios')!;
  const v = fromVector(r.vector, 'seabios');
  // the fields of the rebuilt loader's commands SeaBIOS never read at boot 1
  const unread = v.entries.slice(v.read).flatMap((e) => (e.type === 'addPointer' && e.destFile === 'etc/acpi/rsdp' ? [[e.offset, e.offset + e.size]] : e.type === 'addChecksum' && e.file === 'etc/acpi/rsdp' ? [[e.offset, e.offset + 1]] : []));
  t.is(unread.length, 2);
  const diff = diffBoots(first!, second!).find((d) => d.name === 'etc/acpi/rsdp')!;
  t.true(diff.differing > 0);
  for (const range of diff.ranges) for (let i = range.offset; i < range.offset + range.length; i++) if (range.before[i - range.offset] !== range.after[i - range.offset]) t.true(unread.some(([a, b]) => i >= a! && i < b!), `byte ${i}`);
});

test('report: usage errors are one line on stderr, exit 2, nothing on stdout', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-report-cli-'));
  try {
    const seed = join(QEMU_VECTORS, 'seed');
    const cases: [string[], RegExp][] = [
      [['report', seed], /^fwcfg: report: -o, --out <FILE> is required \(usage: fwcfg report \[options\] <DIR>\)\n$/],
      [['report', '-o', join(tmp, 'a.html')], /^fwcfg: report: missing DIR \(usage: fwcfg report \[options\] <DIR>\)\n$/],
      [['report', seed, '-o', tmp], /^fwcfg: report: --out .*: is a directory; give a file name to write\n$/],
      [['report', seed, '-o', join(tmp, 'no', 'such', 'a.html')], /^fwcfg: report: --out .*a\.html: no directory .*such to write it in\n$/],
      [['report', seed, '-o'], /^fwcfg: report: --out needs a value \(--out <FILE>\)\n$/],
      [['report', join(tmp, 'nothing-here'), '-o', join(tmp, 'b.html')], /^fwcfg: report: .*nothing-here: no such directory \(a vector or capture\)\n$/],
      [['check', seed, '--html', tmp], /^fwcfg: check: --html .*: is a directory; give a file name to write\n$/],
    ];
    for (const [argv, stderr] of cases) {
      const r = await fwcfg(...argv);
      t.is(r.code, 2, argv.join(' '));
      t.regex(r.stderr, stderr, argv.join(' '));
      t.is(r.stdout, '', argv.join(' '));
    }
    t.false(existsSync(join(tmp, 'b.html')));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

test('report writes the file and says so; check --html writes it beside the story (exit 1 for the seed)', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'fwcfg-report-cli-'));
  try {
    const seed = join(QEMU_VECTORS, 'seed');
    const a = join(tmp, 'seed.html');
    const r = await fwcfg('report', seed, '-o', a, '--quiet');
    t.is(r.code, 0, r.stderr);
    t.is(r.stdout, `wrote ${a}\n`);
    t.regex(readFileSync(a, 'utf8'), /<title>fwcfg report: seed<\/title>/);
    const b = join(tmp, 'check.html');
    const c = await fwcfg('check', seed, '--html', b, '--quiet');
    t.is(c.code, 1, 'the seed has lint errors');
    t.regex(c.stdout, /^seed: qemu-system-x86_64 [\s\S]*5\. Lint: [\s\S]*report written to .*check\.html\n$/);
    t.regex(readFileSync(b, 'utf8'), /data-rom="\/rom@etc\/table-loader"/);
    const j = await fwcfg('check', seed, '--html', b, '--json', '--quiet');
    t.is((JSON.parse(j.stdout) as { html: string }).html, b);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

// ------------------------------------------------------------------ in Chromium

const browserTest = CHROMIUM === undefined ? test.skip : test.serial;
const suffix = CHROMIUM === undefined ? ` (skipped: ${CHROMIUM_SKIP})` : '';

/** What the vector's own bytes say the first boot must show, for a firmware that reads the directory first. */
function fromVector(vector: Vector, firmware: 'seabios' | 'ovmf') {
  const before = vector.romBytes('before', LOADER_FILE);
  const rebuilt = vector.romBytes(stageFor(vector, firmware), LOADER_FILE);
  const entries = decodeLoader(rebuilt);
  const read = Math.min(entries.length, before.length / 128);
  return { before, rebuilt, entries, read, allocates: entries.slice(0, read).filter((e) => e.type === 'allocate').length };
}

async function checkPage(t: import('ava').ExecutionContext, page: Page, r: Rendered, config: string): Promise<void> {
  const count = (selector: string) => page.evaluate<number>(`document.querySelectorAll(${JSON.stringify(selector)}).length`);
  t.deepEqual(page.problems, [], `${config}: no console errors or exceptions`);

  // every allocation of every boot, drawn and listed (the model's), and boot 1's against the vector's ALLOCATEs
  for (const f of r.story.firmware) {
    for (const b of f.boots) {
      const at = `[data-boot="${f.firmware}-${b.boot}"]`;
      const n = b.firmware?.allocations.length ?? 0;
      t.is(await count(`${at} svg [data-alloc]`), n, `${config} ${f.firmware} boot ${b.boot}: drawn`);
      t.is(await count(`${at} tr[data-alloc-row]`), n, `${config} ${f.firmware} boot ${b.boot}: listed`);
    }
    const v = fromVector(r.vector, f.firmware as 'seabios' | 'ovmf');
    t.is(await count(`[data-boot="${f.firmware}-1"] svg [data-alloc]`), v.allocates, `${config} ${f.firmware} boot 1: the ALLOCATEs among the entries it read`);
  }

  // every /rom@ block of the capture, with a gauge under each modelled QEMU
  const roms = r.vector.stage('before').roms.map((x) => x.ramblock).sort();
  t.deepEqual((await page.evaluate<string[]>(`[...document.querySelectorAll('tr[data-rom]')].map((e) => e.dataset.rom)`)).sort(), roms, `${config}: the ROM blocks`);
  for (const q of ['5.2', '6.0', '7.2']) t.is(await count(`tr[data-rom] td[data-qemu="${q}"] [data-gauge="creation"]`), roms.length, `${config}: gauges at creation under ${q}`);

  // the loader SeaBIOS was served at boot 1: every 128-byte entry, its command, and what became of it
  const v = fromVector(r.vector, 'seabios');
  const rows = await page.evaluate<{ command: string; status: string }[]>(`(() => {
    const table = [...document.querySelectorAll('section.loader')].find((s) => [...s.querySelectorAll('th.status')].some((th) => th.textContent === 'SeaBIOSboot 1'));
    const col = [...table.querySelectorAll('thead th')].findIndex((th) => th.textContent === 'SeaBIOSboot 1');
    return [...table.querySelectorAll('tbody tr')].map((tr) => ({ command: tr.dataset.command, status: tr.children[col].textContent }));
  })()`);
  t.is(rows.length, v.rebuilt.length / 128, `${config}: one row per entry of the ${v.rebuilt.length}-byte loader`);
  t.deepEqual(
    rows.map((x) => x.command),
    v.entries.map((e) => e.type),
  );
  t.deepEqual(
    rows.map((x) => x.status),
    v.entries.map((e, i) => (i >= v.read ? 'never read' : e.type === 'padding' ? 'skipped' : 'ran')),
    `${config}: SeaBIOS read ${v.before.length} bytes (the directory's size before the rebuild)`,
  );

  // QEMU 5.2's verdict on the rebuilt loader, from the vector's sizes
  const refused = await page.evaluate<string[]>(`[...document.querySelectorAll('td[data-qemu="5.2"] .gauge.refused')].map((g) => g.textContent)`);
  if (v.rebuilt.length > v.before.length) t.true(refused.some((x) => x.includes(`${hx(v.rebuilt.length)} > ${hx(v.before.length)}: QEMU aborts`)), `${config}: ${refused.join(' | ')}`);
  else t.deepEqual(refused, []);

  // every finding is there, and every in-page link lands on something
  t.is(await count('[data-finding]'), r.story.lint.findings.length);
  t.deepEqual(await page.evaluate<string[]>(`[...document.querySelectorAll('a[href^="#"]')].map((a) => a.getAttribute('href')).filter((h) => !document.getElementById(h.slice(1)))`), [], `${config}: dangling links`);
  t.deepEqual(await page.evaluate<string[]>(`[...document.querySelectorAll('[id]')].map((e) => e.id).filter((id, i, all) => all.indexOf(id) !== i)`), [], `${config}: ids given twice`);

  // readable at 1280 px: the page itself does not scroll sideways (wide maps scroll in their own box)
  t.true((await page.evaluate<number>('document.documentElement.scrollWidth')) <= 1280, `${config}: page width`);

  // the search keeps what matches and hides the rest
  const visible = await page.evaluate<[number, number]>(`(() => {
    const input = document.getElementById('search');
    input.value = 'etc/acpi/rsdp';
    input.dispatchEvent(new Event('input'));
    const rows = [...document.querySelectorAll('[data-search]')];
    const shown = rows.filter((e) => !e.classList.contains('hidden')).length;
    input.value = '';
    input.dispatchEvent(new Event('input'));
    return [shown, rows.length];
  })()`);
  t.true(visible[0] > 0 && visible[0] < visible[1], `${config}: search shows ${visible[0]} of ${visible[1]}`);
  t.deepEqual(page.problems, [], `${config}: still no console errors`);
}

browserTest(`the seed's and q35's reports open in headless Chromium with every allocation, ROM block and loader entry; screenshots in dist/test-output/report${suffix}`, async (t) => {
  t.timeout(180_000);
  mkdirSync(OUT, { recursive: true });
  const browser = Chromium.launch();
  try {
    // the helper does see what this test asserts is absent
    const probe = join(OUT, 'probe.html');
    writeFileSync(probe, '<!DOCTYPE html><script>console.error("probe error"); throw new Error("probe exception");</script>');
    const probed = await browser.open(pathToFileURL(probe).href);
    t.deepEqual(
      probed.problems.map((p) => p.kind),
      ['console', 'exception'],
      JSON.stringify(probed.problems),
    );
    for (const config of ['seed', 'q35']) {
      const r = render(config);
      const file = join(OUT, `${config}.html`);
      writeFileSync(file, r.html);
      const page = await browser.open(pathToFileURL(file).href, 1280, 1800);
      await checkPage(t, page, r, config);
      const shot = await page.screenshot();
      writeFileSync(join(OUT, `${config}.png`), shot);
      writeFileSync(join(OUT, `${config}-full.png`), await page.screenshot(true));
      t.deepEqual([...shot.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
      t.log(`${config}: ${file}, ${join(OUT, `${config}.png`)}`);
    }
  } finally {
    await browser.close();
  }
});
