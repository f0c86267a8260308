/**
 * The loader as a table: one row per 128-byte entry of etc/table-loader as
 * QEMU served it, its fields as the text listing writes them, the ACPI table
 * each pointer or checksum lands in (`FACP+0x24`), and per firmware boot
 * what became of it: ran, skipped, rejected, never read (past the bytes the
 * firmware read: the seed's last two commands), or not run (the firmware
 * stopped before it). Boots that were served the same bytes share a table.
 */
import { tableAnnotator, type Annotator } from '../loader/annotate.js';
import { decodeLoader } from '../loader/codec.js';
import { ENTRY_SIZE, RSDP_FILE, TABLES_FILE } from '../loader/constants.js';
import type { LoaderEntry } from '../loader/entry.js';
import { formatFields, listingHeader, mnemonic } from '../loader/listing.js';
import type { FirmwareReport } from '../firmware/report.js';
import type { BootPicture } from './boot-picture.js';
import { html, type Html } from './html.js';

export interface LoaderMember {
  label: string;
  picture: BootPicture;
}

export interface LoaderGroup {
  /** Index in the report (ids: `loader-<n>-entry-<i>`). */
  n: number;
  bytes: Uint8Array;
  entries: LoaderEntry[];
  annotate: Annotator;
  members: LoaderMember[];
  /** What the caption says when no boot read these bytes. */
  note?: string;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function annotatorFor(tables: Uint8Array | null, rsdp: Uint8Array | null): Annotator {
  const files = new Map<string, Uint8Array>();
  if (tables !== null) files.set(TABLES_FILE, tables);
  if (rsdp !== null) files.set(RSDP_FILE, rsdp);
  return tableAnnotator(files);
}

/** The distinct loaders the firmware boots were served, in the order they were first served. */
export function loaderGroups(pictures: readonly { label: string; picture: BootPicture }[]): LoaderGroup[] {
  const groups: LoaderGroup[] = [];
  for (const { label, picture } of pictures) {
    const bytes = picture.served.loader;
    if (bytes === null || picture.entries === null || picture.record.firmware === null) continue;
    const same = groups.find((g) => sameBytes(g.bytes, bytes));
    if (same !== undefined) same.members.push({ label, picture });
    else groups.push({ n: groups.length + 1, bytes, entries: picture.entries, annotate: annotatorFor(picture.served.tables, picture.served.rsdp), members: [{ label, picture }] });
  }
  return groups;
}

/** The machine-creation loader, when no boot got as far as reading one (QEMU aborted first). */
export function creationGroup(loader: Uint8Array, tables: Uint8Array | null, rsdp: Uint8Array | null): LoaderGroup | undefined {
  if (loader.length % ENTRY_SIZE !== 0) return undefined;
  return { n: 1, bytes: loader, entries: decodeLoader(loader), annotate: annotatorFor(tables, rsdp), members: [], note: 'at machine creation; no firmware read it (QEMU ended at the first ACPI select)' };
}

interface Status {
  cls: string;
  text: string;
  why?: string;
}

function entryStatus(fw: FirmwareReport, index: number): Status {
  const o = fw.entries.find((e) => e.index === index);
  if (o !== undefined) {
    const text = { applied: 'ran', skipped: 'skipped', rejected: 'rejected', unread: 'never read' }[o.status];
    return { cls: o.status, text, ...(o.reason !== undefined ? { why: o.reason } : {}) };
  }
  if (fw.outcome === 'not-run') return { cls: 'unrun', text: 'not run', why: fw.warnings[0] ?? fw.notes[0] ?? 'the firmware ran no loader' };
  if (index * ENTRY_SIZE >= fw.loaderBytesRead) return { cls: 'unread', text: 'never read', why: `the firmware read ${fw.loaderBytesRead} of the ${fw.loaderSizeNow} bytes` };
  return { cls: 'unrun', text: 'not run', why: 'the firmware stopped before it' };
}

export interface EntryFinding {
  id: string;
  code: string;
  severity: string;
}

export function loaderTable(g: LoaderGroup, findingsAt: (index: number) => EntryFinding[]): Html {
  const [size, counts] = listingHeader(g.entries);
  const served = g.note ?? `as QEMU served it to ${g.members.map((m) => `${m.label} boot ${m.picture.record.boot}`).join(', ')}`;
  const head = g.members.map((m) => html`<th class="status">${m.label}<br>boot ${m.picture.record.boot}</th>`);
  const warnings = g.members.flatMap((m) => (m.picture.record.firmware?.warnings ?? []).map((w) => html`<li>${m.label} boot ${m.picture.record.boot}: ${w}</li>`));
  const rows = g.entries.map((e, i) => {
    const note = g.annotate(e);
    const statuses = g.members.map((m) => {
      const s = entryStatus(m.picture.record.firmware!, i);
      return html`<td class="status ${s.cls}" title="${s.why ?? ''}">${s.text}</td>`;
    });
    const lint = findingsAt(i).map((f) => html`<a class="lint ${f.severity}" href="#${f.id}">${f.code}</a> `);
    return html`<tr id="loader-${g.n}-entry-${i}" class="${e.type === 'padding' ? 'pad' : ''}" data-entry="${i}" data-command="${e.type}" data-search><td class="num">${i}</td><td><code>${mnemonic(e)}</code></td><td class="fields"><code>${formatFields(e)}</code></td><td>${note ?? ''}</td>${statuses}<td>${lint}</td></tr>`;
  });
  return html`<section class="loader" data-loader="${g.n}" id="loader-${g.n}"><h3>etc/table-loader ${served}</h3>
<p class="muted">${size}; ${counts}</p>
${warnings.length > 0 ? html`<ul class="warnings">${warnings}</ul>` : ''}
<div class="scroll"><table class="entries"><thead><tr><th>#</th><th>command</th><th>fields</th><th>in table</th>${head}<th>lint</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

/** The row that lists entry `index` as one boot was served it (or, without a boot, the first loader that has it). */
export function entryHrefIn(groups: readonly LoaderGroup[], index: number, picture?: BootPicture): string | undefined {
  const g = groups.find((x) => (picture === undefined || x.members.some((m) => m.picture === picture)) && index < x.entries.length);
  return g === undefined ? undefined : `#loader-${g.n}-entry-${index}`;
}
