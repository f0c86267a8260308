/**
 * `fwcfg report`: the whole story of a configuration as one self-contained
 * HTML file (inline SVG and CSS, one small inline script for the search, no
 * network). The story comes in from the cli room (it holds lint's
 * findings); the boots come in as pictures collected while the story lived
 * them (BootCollector); the RAM block gauges are lived here under every
 * release the story was sized against.
 */
import { LOADER_FILE, RSDP_FILE, TABLES_FILE } from '../loader/constants.js';
import { parseMachineType } from '../qemu/machine-type.js';
import type { FirmwareName } from '../simulate/boot.js';
import type { Lifecycle } from '../simulate/lifecycle.js';
import type { Span } from './address-axis.js';
import { bootPictures, type BootPicture } from './boot-picture.js';
import { bootsSideBySide, osVerdict } from './boots.js';
import { gaugeTable } from './gauges.js';
import { html, Ids, trusted, type Html } from './html.js';
import { creationGroup, entryHrefIn, loaderGroups, loaderTable, type EntryFinding, type LoaderGroup } from './loader-table.js';
import { bootMap, F_SEGMENT, mapAxis, type MapContext } from './memory-map.js';
import { romGauges, storyReleases, type GaugeSource } from './rom-gauges.js';
import type { ReportStory, StoryFinding } from './story.js';
import { CSS, SEARCH_SCRIPT } from './style.js';

/** Takes each firmware's life as the story lives it (pass `observe` to the story) and keeps what the pictures need. */
export class BootCollector {
  readonly pictures = new Map<FirmwareName, BootPicture[]>();
  ram: Span[] = [];

  readonly observe = (firmware: FirmwareName, life: Lifecycle): void => {
    this.pictures.set(firmware, bootPictures(life));
    this.ram = life.ram;
  };
}

export interface ReportSource extends GaugeSource {
  boots: number;
  collected: BootCollector;
  /** The story as `fwcfg check` prints it (shown folded at the end). */
  text?: string;
}

interface Links {
  groups: LoaderGroup[];
  findingId: (f: StoryFinding) => string;
  romRowId: (block: string) => string;
  bootsId: (firmware: string) => string;
}

function findingTarget(f: StoryFinding, story: ReportStory, links: Links): { href: string; what: string } | undefined {
  if (f.entry >= 0) {
    const href = entryHrefIn(links.groups, f.entry);
    if (href !== undefined) return { href, what: `loader entry ${f.entry}` };
  }
  const blob = f.file === undefined ? undefined : story.creation.find((c) => c.file === f.file);
  if (blob !== undefined) return { href: `#${links.romRowId(blob.ramblock)}`, what: blob.ramblock };
  const fw = story.firmware.find((x) => f.firmware?.includes(x.firmware));
  if (fw !== undefined) return { href: `#${links.bootsId(fw.firmware)}`, what: `${fw.label}'s boots` };
  return undefined;
}

function lintSection(story: ReportStory, links: Links): Html {
  const items = story.lint.findings.map((f) => {
    const to = findingTarget(f, story, links);
    return html`<li id="${links.findingId(f)}" data-finding="${f.code}" data-search><span class="sev ${f.severity}">${f.severity}</span> <code>${f.code}</code>: ${f.message}${to === undefined ? html` <span class="muted">(the machine as a whole)</span>` : html` <a href="${to.href}">→ ${to.what}</a>`}</li>`;
  });
  const warnings = story.lint.findings.filter((f) => f.severity === 'warning').length;
  return html`<p>${story.lint.errors} error${story.lint.errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}</p><ul class="findings">${items}</ul>`;
}

function badges(fs: readonly StoryFinding[], links: Links): Html {
  return html`${fs.map((f) => html`<a class="lint ${f.severity}" href="#${links.findingId(f)}">${f.code}</a>`)}`;
}

function summary(story: ReportStory): Html {
  const c = story.configuration;
  const boots = story.firmware.map((f) => {
    const per = f.boots.map((b) => {
      const v = osVerdict(b);
      return html`boot ${b.boot}: <span class="verdict ${v.cls}">${v.text}</span> `;
    });
    return html`<li><strong>${f.label}</strong>${f.booted ? ' (the command line boots it)' : ''}: ${per}${f.stopped !== null ? html` <span class="muted">(stopped: ${f.stopped})</span>` : ''}</li>`;
  });
  const loader = story.creation.find((b) => b.commands !== undefined);
  const grown = loader?.commands === undefined ? '' : html`<li>the loader holds ${loader.commands.creation} commands at creation${loader.commands.afterBoot !== null && loader.commands.afterBoot !== loader.commands.creation ? html`, ${loader.commands.afterBoot} after the firmware's first select rebuilds it` : ''}</li>`;
  const migration = story.migration.map((m) => html`<li>to QEMU ${m.to}: ${m.sourceError !== null ? 'the source aborts first' : m.loads === true ? 'the stream loads' : html`the destination refuses it: <code>${m.errorLines?.[0] ?? ''}</code>`}</li>`);
  return html`<p><code>${c.argv.join(' ')}</code></p>
<p class="muted">${c.kind} <code>${c.dir}</code> · ${c.qemu} · ${c.machineType} · ${c.hostPageSize / 1024} KiB host pages · modelled under QEMU ${c.qemuRelease ?? '7.2'}'s rules</p>
<ul class="summary">${grown}${boots}<li>lint: ${story.lint.errors} error${story.lint.errors === 1 ? '' : 's'} (<a href="#lint">findings</a>)</li></ul>
<h3>Migration of the booted VM</h3><ul>${migration}</ul>`;
}

const LEGEND = html`<p class="legend"><span><i style="background:var(--high)"></i>blob (HIGH zone)</span><span><i style="background:var(--fseg)"></i>blob (F-segment zone)</span><span><i style="background:#fff;border:2px solid var(--good)"></i>table the OS reaches</span><span><i style="background:#fde2e2;border:2px solid var(--bad)"></i>reached, checksum fails</span><span><i style="background:#d7efd9"></i>the firmware's own copy</span><span><i style="background:var(--ptr)"></i>ADD_POINTER field → target</span><span><i style="background:var(--bad)"></i>pointer to outside its blob</span><span><i style="background:#c76b00"></i>WRITE_POINTER target</span></p>
<p class="muted">Widths grow with the logarithm of the byte count (free RAM is drawn compressed, ≈ its size), so a 20-byte RSDP and a 128 KiB blob are both visible; inside a piece the scale is linear. Hover for addresses; the tables under each map have them as text.</p>`;

export function reportHtml(story: ReportStory, source: ReportSource): string {
  const ids = new Ids();
  const c = story.configuration;
  const pictures = story.firmware.map((f) => ({ f, pictures: source.collected.pictures.get(f.firmware) ?? [] }));
  const members = pictures.flatMap(({ f, pictures: ps }) => ps.map((picture) => ({ label: f.label, picture })));
  let groups = loaderGroups(members);
  if (groups.length === 0 && source.vector.hasRom('before', LOADER_FILE)) {
    const v = source.vector;
    const g = creationGroup(v.romBytes('before', LOADER_FILE), v.hasRom('before', TABLES_FILE) ? v.romBytes('before', TABLES_FILE) : null, v.hasRom('before', RSDP_FILE) ? v.romBytes('before', RSDP_FILE) : null);
    if (g !== undefined) groups = [g];
  }
  const findingIds = new Map(story.lint.findings.map((f, i) => [f, `finding-${i + 1}`]));
  const romIds = new Map(story.creation.map((b) => [b.ramblock, ids.make('rom', b.ramblock)]));
  const bootsIds = new Map(story.firmware.map((f) => [f.firmware as string, ids.make('boots', f.firmware)]));
  const links: Links = { groups, findingId: (f) => findingIds.get(f)!, romRowId: (b) => romIds.get(b)!, bootsId: (fw) => bootsIds.get(fw)! };

  const releases = storyReleases(story);
  const gauges = romGauges(story, source);
  const gaugeHtml = story.creation.length === 0 ? html`<p>none: QEMU builds no ACPI tables for this machine</p>` : gaugeTable(gauges, releases, links.romRowId, (file) => badges(story.lint.findings.filter((f) => f.file === file), links));

  const arch = parseMachineType(source.vector.manifest.machine_type).arch;
  const ram = source.collected.ram;
  const fseg = arch === 'x86_64' && ram.some((r) => r.start <= F_SEGMENT.start && r.end >= F_SEGMENT.end) ? F_SEGMENT : null;
  const maps = pictures.map(({ f, pictures: ps }) => {
    const ctx: MapContext = { ram, fseg, entryHref: (boot, index) => entryHrefIn(groups, index, ps.find((p) => p.record.boot === boot)) };
    const axis = mapAxis(ps, ctx);
    return html`<section class="firmware-maps" data-firmware="${f.firmware}" id="${ids.make('memory', f.firmware)}"><h3>${f.label}${f.booted ? ' (the command line boots it)' : ''}</h3>${ps.map((p) => bootMap(p, axis, ctx, ids.make('map', f.firmware, 'boot', p.record.boot)))}${f.stopped !== null ? html`<p class="muted">Stopped: ${f.stopped}.</p>` : ''}</section>`;
  });

  const findingsAt = (i: number): EntryFinding[] => story.lint.findings.filter((f) => f.entry === i).map((f) => ({ id: links.findingId(f), code: f.code, severity: f.severity }));
  const loader = groups.length === 0 ? html`<p>QEMU serves no etc/table-loader.</p>` : html`${groups.map((g) => loaderTable(g, findingsAt))}`;
  const side = pictures.map(({ f, pictures: ps }) => bootsSideBySide(f.label, ps, links.bootsId(f.firmware)));

  const page = html`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>fwcfg report: ${c.name}</title><style>${trusted(CSS)}</style></head>
<body><header class="top"><div><strong>fwcfg report: ${c.name}</strong><nav><a href="#blocks">RAM blocks</a><a href="#memory">memory</a><a href="#loader">loader</a><a href="#boots">boots</a><a href="#lint">lint</a></nav><input type="search" id="search" placeholder="search: a file, table, address, code" aria-label="search"><span id="hits" class="muted"></span></div></header>
<main>
<h1>${c.name}</h1>
${summary(story)}
<h2 id="blocks">RAM blocks of QEMU's ACPI ROM blobs</h2>
<p>Each block's used length against its maximum under each QEMU release, at machine creation and after each boot (the firmware's first ACPI select makes QEMU rebuild the tables). A rebuild that needs more than the maximum makes QEMU abort.</p>
${gaugeHtml}
<h2 id="memory">Guest memory, boot by boot</h2>
${LEGEND}
${maps}
<h2 id="loader">The loader, entry by entry</h2>
<p>What each firmware boot did with each entry: <em>ran</em>, <em>skipped</em>, <em>rejected</em>, <em>never read</em> (past the bytes the firmware read), <em>not run</em> (the firmware stopped first). Hover a status for the firmware's reason.</p>
${loader}
<h2 id="boots">Boots side by side</h2>
${side}
<h2 id="lint">Lint</h2>
${lintSection(story, links)}
${source.text === undefined ? '' : html`<details><summary>The same story as text (<code>fwcfg check</code>)</summary><pre>${source.text}</pre></details>`}
</main>
<script>${trusted(SEARCH_SCRIPT)}</script>
</body></html>
`;
  return page.text;
}
