/**
 * The guest memory map of each boot: RAM, the F-segment, every ALLOCATEd
 * blob at its address with the ACPI tables inside it, ADD_POINTER links
 * drawn from the patched field to where it points (red when that is not
 * inside the blob the command named), WRITE_POINTER targets, the RSDP and
 * the tables the OS reaches. The boots of one firmware share one axis
 * (address-axis.ts), so the same blob sits at the same x in each.
 */
import { locateInTables, scanTableBlob } from '../acpi/blob-tables.js';
import { ZONE_NAMES } from '../loader/constants.js';
import { AddressAxis, type Span } from './address-axis.js';
import type { AllocationPicture, BootPicture, PointerLink } from './boot-picture.js';
import { addr, html, hx, sizeText, type Html } from './html.js';

/** The legacy BIOS F-segment, where SeaBIOS's ZoneFSeg and the RSDP live (x86 only). */
export const F_SEGMENT: Span = { start: 0xf0000, end: 0x100000 };

export interface MapContext {
  ram: readonly Span[];
  /** The F-segment, on machines that have one. */
  fseg: Span | null;
  /** Where a loader entry of this boot is listed (a link target), if it is. */
  entryHref: (boot: number, index: number) => string | undefined;
}

interface TableBox extends Span {
  signature: string;
  /** Reached by the OS, and whether its checksum holds. */
  reached: boolean | null;
  /** A table outside every blob (a firmware's copy). */
  loose: boolean;
}

const STRIP_H = 44;
const LABEL_LANE = 30;
const CHAR_W = 6.4;

function tableBoxes(p: BootPicture): TableBox[] {
  const fw = p.record.firmware;
  const reached = (fw?.tables ?? []).filter((t) => t.address !== null && t.length !== null);
  const boxes: TableBox[] = [];
  const matched = new Set<(typeof reached)[number]>();
  for (const a of p.allocations) {
    // a freed blob's bytes are the firmware's fill, no longer tables
    if (a.bytes === null || a.freed === true) continue;
    for (const t of scanTableBlob(a.bytes)) {
      const start = a.base + t.offset;
      const os = reached.find((r) => r.address === start && r.signature === t.signature);
      if (os !== undefined) matched.add(os);
      boxes.push({ start, end: start + t.length, signature: t.signature, reached: os === undefined ? null : os.checksumOk, loose: false });
    }
  }
  const inBlob = (at: number) => p.allocations.some((a) => at >= a.base && at < a.base + a.length);
  for (const t of reached) if (!matched.has(t)) boxes.push({ start: t.address!, end: t.address! + t.length!, signature: t.signature, reached: t.checksumOk, loose: !inBlob(t.address!) });
  const rsdp = fw?.rsdp;
  if (rsdp != null && !inBlob(rsdp.address)) boxes.push({ start: rsdp.address, end: rsdp.address + p.rsdpLength, signature: 'RSDP', reached: true, loose: true });
  return boxes;
}

/** The spans a firmware's boots draw (for their shared axis). */
export function drawnSpans(pictures: readonly BootPicture[]): Span[] {
  return pictures.flatMap((p) => [...p.allocations.map((a) => ({ start: a.base, end: a.base + a.length })), ...tableBoxes(p)]);
}

export function mapAxis(pictures: readonly BootPicture[], ctx: MapContext): AddressAxis {
  const marks = ctx.fseg === null ? [] : [ctx.fseg.start, ctx.fseg.end];
  return new AddressAxis(ctx.ram, drawnSpans(pictures), marks);
}

/** Where a guest address falls: `file+0xN (SIG+0xM)`, or undefined outside every blob. */
export function placeOf(p: BootPicture, address: number): { file: string; text: string } | undefined {
  const a = p.allocations.find((x) => address >= x.base && address < x.base + x.length);
  if (a === undefined) return undefined;
  const offset = address - a.base;
  const inTable = a.bytes === null ? undefined : locateInTables(scanTableBlob(a.bytes), offset);
  return { file: a.file, text: `${a.file}+${hx(offset)}${inTable !== undefined ? ` (${inTable})` : ''}` };
}

/** The field points into the blob its ADD_POINTER named (a field whose value is gone is not counted against it). */
function pointerLands(p: BootPicture, l: PointerLink): boolean {
  if (l.gone) return true;
  const src = p.allocations.find((a) => a.file === l.srcFile);
  return src !== undefined && l.target !== null && l.target >= src.base && l.target < src.base + src.length;
}

function pointerText(p: BootPicture, l: PointerLink): string {
  if (l.gone) return `gone: the firmware freed ${l.destFile} after the run (it pointed into ${l.srcFile})`;
  if (l.target === null) return 'unreadable';
  return placeOf(p, l.target)?.text ?? 'outside every blob';
}

const fieldText = (p: BootPicture, l: PointerLink) => `${l.destFile}+${hx(l.field - (p.allocations.find((a) => a.file === l.destFile)?.base ?? l.field))}`;

interface Label {
  x: number;
  lines: string[];
  cls: string;
}

/** Greedy lanes: each label goes in the first lane where it does not overlap the one before. */
function placeLabels(labels: Label[]): { label: Label; lane: number; end: number }[] {
  const ends: number[] = [];
  return labels
    .sort((a, b) => a.x - b.x)
    .map((label) => {
      const end = label.x + Math.max(...label.lines.map((l) => l.length)) * CHAR_W + 10;
      let lane = ends.findIndex((e) => e <= label.x);
      if (lane < 0) lane = ends.push(0) - 1;
      ends[lane] = end;
      return { label, lane, end };
    });
}

const r1 = (n: number) => Math.round(n * 10) / 10;

function allocationBox(a: AllocationPicture, axis: AddressAxis, y0: number): Html {
  const x0 = axis.x(a.base);
  const x1 = axis.x(a.base + a.length);
  const zone = a.zone === undefined ? 'ram' : (ZONE_NAMES[a.zone] ?? String(a.zone)).toLowerCase();
  return html`<g class="alloc zone-${zone}${a.freed === true ? ' freed' : ''}" data-alloc="${a.file}"><title>${a.file}: ${hx(a.base)}..${hx(a.base + a.length)} (${a.length} bytes)${a.freed === true ? ', freed by the firmware after the run' : ''}</title><rect x="${r1(x0)}" y="${y0 + 2}" width="${r1(Math.max(2, x1 - x0))}" height="${STRIP_H - 4}" rx="3"/></g>`;
}

function tableBox(t: TableBox, axis: AddressAxis, y0: number): Html {
  const x0 = axis.x(t.start);
  const w = Math.max(2, axis.x(t.end) - x0);
  const state = t.reached === null ? 'unreached' : t.reached ? 'reached' : 'bad';
  const top = t.loose ? y0 + 8 : y0 + 16;
  const label = w >= t.signature.length * 5.6 + 2 ? html`<text class="sig" x="${r1(x0 + w / 2)}" y="${top + (y0 + STRIP_H - 4 - top) / 2 + 3}">${t.signature}</text>` : null;
  const what = t.reached === null ? 'not reached by the OS' : t.reached ? 'reached by the OS' : 'reached by the OS, checksum fails';
  return html`<g class="table ${state}${t.loose ? ' loose' : ''}" data-table="${t.signature}"><title>${t.signature} at ${hx(t.start)}, ${t.end - t.start} bytes: ${what}</title><rect x="${r1(x0)}" y="${top}" width="${r1(w)}" height="${y0 + STRIP_H - 4 - top}"/>${label}</g>`;
}

function arc(p: BootPicture, l: PointerLink, axis: AddressAxis, y0: number, arcRoom: number, id: string): Html | null {
  // a field whose value is gone is drawn to the middle of the blob the command named, dashed
  const src = p.allocations.find((a) => a.file === l.srcFile);
  const to = l.gone ? (src === undefined ? null : src.base + src.length / 2) : l.target;
  if (to === null) return null;
  const x1 = axis.x(l.field);
  const x2 = axis.x(to);
  const h = Math.min(arcRoom - 8, 14 + Math.abs(x2 - x1) * 0.45);
  const ok = pointerLands(p, l);
  const cls = l.gone ? ' gone' : ok ? '' : ' stray';
  return html`<path class="ptr${cls}" data-pointer="${l.entry}" d="M${r1(x1)} ${y0 + 2} C${r1(x1)} ${r1(y0 - h)} ${r1(x2)} ${r1(y0 - h)} ${r1(x2)} ${y0 + 2}" marker-end="url(#${id}-${ok ? 'arrow' : 'arrow-stray'})"><title>entry ${l.entry}: ADD_POINTER field ${fieldText(p, l)} at ${hx(l.field)}${l.gone ? '' : ` holds ${l.target === null ? '?' : hx(l.target)}`}: ${pointerText(p, l)}${ok ? '' : ` (not inside ${l.srcFile})`}</title></path>`;
}

/** One boot's map as inline SVG; `id` prefixes its marker ids. */
export function mapSvg(p: BootPicture, axis: AddressAxis, ctx: MapContext, id: string): Html {
  const fw = p.record.firmware;
  const arcRoom = p.pointers.length > 0 ? 118 : 26;
  const y0 = arcRoom + 16;
  const parts: Html[] = [];
  for (const r of ctx.ram) parts.push(html`<rect class="ram" x="${r1(axis.x(r.start))}" y="${y0}" width="${r1(axis.x(r.end) - axis.x(r.start))}" height="${STRIP_H}"><title>RAM ${hx(r.start)}..${hx(r.end)} (${sizeText(r.end - r.start)})</title></rect>`);
  if (ctx.fseg !== null) {
    const fx = axis.x(ctx.fseg.start);
    parts.push(html`<g class="fseg"><title>F-segment ${hx(ctx.fseg.start)}..${hx(ctx.fseg.end)}</title><rect x="${r1(fx)}" y="${y0 - 14}" width="${r1(axis.x(ctx.fseg.end) - fx)}" height="${STRIP_H + 14}"/><text x="${r1(fx + 3)}" y="${y0 - 4}">F-segment</text></g>`);
  }
  for (const piece of axis.pieces) {
    if (piece.kind === 'drawn') continue;
    const mid = (piece.x0 + piece.x1) / 2;
    const text = piece.kind === 'hole' ? 'no RAM' : `≈${sizeText(piece.end - piece.start)}`;
    // the size only where it fits; the tooltip always has it
    const label = text.length * 5.6 <= piece.x1 - piece.x0 - 2 ? html`<text x="${r1(mid)}" y="${y0 + STRIP_H / 2 + 4}">${text}</text>` : null;
    parts.push(html`<g class="gap ${piece.kind}"><title>${piece.kind === 'hole' ? 'not RAM' : 'free RAM'} ${hx(piece.start)}..${hx(piece.end)} (${sizeText(piece.end - piece.start)}), drawn compressed</title><path d="M${r1(mid - 3)} ${y0 + 8} l4 -6 M${r1(mid + 1)} ${y0 + 8} l4 -6"/>${label}</g>`);
  }
  for (const a of p.allocations) parts.push(allocationBox(a, axis, y0));
  for (const t of tableBoxes(p)) parts.push(tableBox(t, axis, y0));
  for (const l of p.pointers) {
    const a = arc(p, l, axis, y0, arcRoom, id);
    if (a !== null) parts.push(a);
  }
  if (fw?.rsdp != null) {
    const x = axis.x(fw.rsdp.address);
    parts.push(html`<g class="rsdp-mark"><title>the OS finds the RSDP at ${hx(fw.rsdp.address)}${fw.rsdp.fromLoader ? " (the loader's)" : " (the firmware's own)"}</title><path d="M${r1(x)} ${y0 + STRIP_H + 2} l-5 9 h10 z"/></g>`);
  }
  const labels: Label[] = p.allocations.map((a) => ({ x: axis.x(a.base), lines: [a.file, `${hx(a.base)} · ${sizeText(a.length)}${a.freed === true ? ' · freed' : ''}`], cls: 'alloc-label' }));
  if (fw?.rsdp != null) labels.push({ x: axis.x(fw.rsdp.address), lines: ['RSDP: the OS starts here', hx(fw.rsdp.address)], cls: 'rsdp-label' });
  for (const w of fw?.writePointers ?? []) {
    const x = axis.x(w.value);
    parts.push(html`<g class="wp-mark${w.kept ? '' : ' undone'}"><title>WRITE_POINTER: QEMU's ${w.destFile}+${hx(w.offset)} receives ${hx(w.value)}${w.kept ? '' : ' (undone: zeros written back)'}</title><path d="M${r1(x)} ${y0 + STRIP_H + 2} l-5 9 h10 z"/></g>`);
    labels.push({ x, lines: [`WRITE_POINTER → ${w.destFile}`, `${hx(w.value)}${w.kept ? '' : ' (undone)'}`], cls: 'wp-label' });
  }
  const placed = placeLabels(labels);
  const lanes = Math.max(0, ...placed.map((l) => l.lane + 1));
  const ly = y0 + STRIP_H + 24;
  for (const { label, lane } of placed) {
    const y = ly + lane * LABEL_LANE;
    parts.push(html`<g class="${label.cls}"><path d="M${r1(label.x)} ${y0 + STRIP_H + 2} V${y - 10}"/>${label.lines.map((t, i) => html`<text x="${r1(label.x + 3)}" y="${y + i * 12}">${t}</text>`)}</g>`);
  }
  const height = ly + lanes * LABEL_LANE + 4;
  // labels near the right end may reach past the axis
  const w = Math.ceil(Math.max(axis.width, ...placed.map((l) => l.end)));
  return html`<svg class="map" viewBox="0 0 ${w} ${height}" width="${w}" height="${height}" role="img" aria-label="guest memory map"><defs><marker id="${id}-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L8 4 L0 8 z" class="arrow"/></marker><marker id="${id}-arrow-stray" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0 L8 4 L0 8 z" class="arrow stray"/></marker></defs>${parts}</svg>`;
}

/** The boot's map, then its addresses as text (copyable), its links and the tables the OS reaches. */
export function bootMap(p: BootPicture, axis: AddressAxis, ctx: MapContext, id: string): Html {
  const fw = p.record.firmware;
  const b = p.record;
  const entryLink = (index: number) => {
    const href = ctx.entryHref(b.boot, index);
    return href === undefined ? html`${index}` : html`<a href="${href}">${index}</a>`;
  };
  const head = html`<h4>boot ${b.boot} <span class="muted">(QEMU ${b.qemu})</span></h4>`;
  if (fw === null) {
    const why = b.qemuError !== null ? html`<pre class="qemu-error">${b.qemuError}</pre>` : html`<p>the firmware did not run</p>`;
    return html`<section class="boot" data-boot="${p.firmware}-${b.boot}" id="${id}">${head}<p>Nothing reaches guest memory: QEMU ended at the firmware's first ACPI select.</p>${why}</section>`;
  }
  const allocRows = p.allocations.map(
    (a) =>
      html`<tr data-alloc-row="${a.file}" data-search><td><code>${a.file}</code></td><td>${a.zone === undefined ? '' : (ZONE_NAMES[a.zone] ?? a.zone)}</td><td>${addr(a.base)}</td><td>${addr(a.base + a.length)}</td><td class="num">${a.length}</td><td>${entryLink(a.entry)}</td><td>${a.freed === true ? 'freed after the run' : ''}${a.reserved !== undefined && a.reserved > a.length ? ` (${a.reserved} bytes reserved)` : ''}</td></tr>`,
  );
  const ptrRows = p.pointers.map((l) => {
    const ok = pointerLands(p, l);
    return html`<tr class="${ok ? '' : 'stray'}" data-search><td>${entryLink(l.entry)}</td><td><code>${fieldText(p, l)}</code></td><td>${addr(l.field)}</td><td>${l.target === null ? '' : addr(l.target)}</td><td>${pointerText(p, l)}${ok ? '' : html` <strong>not inside ${l.srcFile}</strong>`}</td></tr>`;
  });
  const tableRows = fw.tables.map(
    (t) =>
      html`<tr class="${t.checksumOk ? '' : 'bad'}" data-search><td><code>${t.signature}</code></td><td>${t.address === null ? 'not modelled' : addr(t.address)}</td><td class="num">${t.length ?? ''}</td><td>${t.checksumOk ? 'ok' : 'fails'}</td><td>${t.source === 'loader' ? "the loader's bytes" : t.source === 'protocol' ? "the firmware's copy" : "the firmware's own"}</td></tr>`,
  );
  const wpRows = fw.writePointers.map((w) => html`<tr data-search><td><code>${w.destFile}</code>+${hx(w.offset)}</td><td>${addr(w.value)}</td><td>${placeOf(p, w.value)?.text ?? ''}</td><td>${w.kept ? 'kept' : 'undone (zeros written back)'}</td></tr>`);
  return html`<section class="boot" data-boot="${p.firmware}-${b.boot}" id="${id}">${head}
<input type="checkbox" class="fit" id="${id}-fit"><label for="${id}-fit">fit to width</label>
<div class="scroll">${mapSvg(p, axis, ctx, id)}</div>
<table class="allocs"><thead><tr><th>blob</th><th>zone</th><th>base</th><th>end</th><th>bytes</th><th>entry</th><th></th></tr></thead><tbody>${allocRows}</tbody></table>
<p>RSDP: ${fw.rsdp === null ? 'none: the OS finds no ACPI tables' : html`${addr(fw.rsdp.address)} ${fw.rsdp.fromLoader ? "(the loader's)" : "(the firmware's own)"}`}</p>
<details${p.pointers.some((l) => !pointerLands(p, l)) ? ' open' : ''}><summary>${p.pointers.length} ADD_POINTER links${p.pointers.some((l) => !pointerLands(p, l)) ? html` <strong>(${p.pointers.filter((l) => !pointerLands(p, l)).length} pointing outside their blob)</strong>` : ''}</summary><table><thead><tr><th>entry</th><th>field</th><th>at</th><th>holds</th><th>which is</th></tr></thead><tbody>${ptrRows}</tbody></table></details>
${wpRows.length > 0 ? html`<details open><summary>${wpRows.length} WRITE_POINTER</summary><table><thead><tr><th>QEMU's file</th><th>receives</th><th>which is</th><th></th></tr></thead><tbody>${wpRows}</tbody></table></details>` : ''}
<details><summary>${fw.tables.length} tables the OS reaches</summary><table><thead><tr><th>table</th><th>at</th><th>bytes</th><th>checksum</th><th>whose</th></tr></thead><tbody>${tableRows}</tbody></table></details>
</section>`;
}
