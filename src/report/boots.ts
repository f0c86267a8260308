/**
 * Boots side by side: per firmware, what boot 1, 2, 3 found in the fw_cfg
 * directory, whether QEMU rebuilt, how much of the loader ran, what the OS
 * gets, and which bytes of the blobs differ from boot 1.
 */
import type { BootRecord } from '../simulate/lifecycle.js';
import type { BootPicture } from './boot-picture.js';
import { diffBoots, type BytesDiff } from './boot-diff.js';
import { addr, html, hx, type Html } from './html.js';

const SHOWN_RANGES = 12;
const SHOWN_BYTES = 16;
const SHOWN_REASONS = 4;

export function osVerdict(b: BootRecord): { cls: string; text: string } {
  switch (b.os.tables) {
    case 'qemu':
      return { cls: 'good', text: "QEMU's tables, intact" };
    case 'firmware':
      return { cls: 'warn', text: "the firmware's own tables, not QEMU's" };
    case 'broken':
      return { cls: 'bad', text: 'broken tables' };
    case 'none':
      return { cls: 'bad', text: b.qemuError !== null ? 'nothing: QEMU is gone' : 'no ACPI tables' };
  }
}

const hexBytes = (b: Uint8Array) => Array.from(b.subarray(0, SHOWN_BYTES), (x) => x.toString(16).padStart(2, '0')).join(' ') + (b.length > SHOWN_BYTES ? ' …' : '');

function cell(b: BootRecord): Html {
  const fw = b.firmware;
  const v = osVerdict(b);
  const dir = b.directory.map((f) => html`<li><code>${f.name}</code> ${f.size} bytes${f.selectRebuilds ? '' : html` <em>(its select no longer rebuilds)</em>`}</li>`);
  const rebuild = b.qemuError !== null ? html`<pre class="qemu-error">${b.qemuError}</pre>` : b.rebuiltAt === null ? html`no select rebuilds the tables` : html`QEMU rebuilds at the select of <code>${b.rebuiltAt}</code>`;
  const run = fw === null ? 'the firmware does not run' : fw.outcome === 'not-run' ? `no loader run (${fw.warnings[0] ?? fw.notes[0] ?? 'nothing to run'})` : `ran ${fw.commandsExecuted} of ${fw.commandsAvailable} commands; read ${fw.loaderBytesRead} of ${fw.loaderSizeNow} bytes (${fw.outcome})`;
  const tables = (fw?.tables ?? []).map((t) => html`<li class="${t.checksumOk ? '' : 'bad'}"><code>${t.signature}</code> ${t.address === null ? '' : addr(t.address)}${t.checksumOk ? '' : ' checksum fails'}</li>`);
  const reasons = b.os.reasons;
  const why =
    reasons.length === 0
      ? ''
      : html`<ul class="reasons">${reasons.slice(0, SHOWN_REASONS).map((r) => html`<li>${r}</li>`)}</ul>${reasons.length > SHOWN_REASONS ? html`<details><summary>${reasons.length - SHOWN_REASONS} more</summary><ul class="reasons">${reasons.slice(SHOWN_REASONS).map((r) => html`<li>${r}</li>`)}</ul></details>` : ''}`;
  return html`<td>
<p><span class="verdict ${v.cls}">${v.text}</span></p>${why}
<p class="muted">QEMU ${b.qemu}</p>
<ul class="dir">${dir}</ul>
<p>${rebuild}</p>
<p>${run}</p>
${(fw?.warnings ?? []).map((w) => html`<p class="warning">${w}</p>`)}
<p>RSDP: ${fw?.rsdp == null ? 'none' : addr(fw.rsdp.address)}</p>
${tables.length > 0 ? html`<details><summary>${tables.length} tables</summary><ul class="tables">${tables}</ul></details>` : ''}
</td>`;
}

function diffCell(d: BytesDiff[]): Html {
  if (d.length === 0) return html`<p>no byte of any blob or of any table the OS reaches differs from boot 1</p>`;
  const name = (x: BytesDiff) => (x.kind === 'blob' ? html`<code>${x.name}</code>` : html`the OS's <code>${x.name}</code>`);
  const list = (xs: BytesDiff[]) => xs.map((x, i) => html`${i > 0 ? ', ' : ''}${name(x)}`);
  const only = (xs: BytesDiff[], text: string) => (xs.length === 0 ? '' : html`<p data-search>${text}: ${list(xs)}</p>`);
  const compared = d.filter((x) => x.missing === null && !x.freed).map((x) => {
    const moved = x.moved === null ? '' : html` moved from ${addr(x.moved.from)} to ${addr(x.moved.to)};`;
    if (x.differing === 0) return html`<p data-search>${name(x)}:${moved} the same bytes</p>`;
    const rows = x.ranges.slice(0, SHOWN_RANGES).map((r) => html`<tr data-search><td>+${hx(r.offset)}</td><td>${r.where ?? ''}</td><td class="num">${r.length}</td><td><code>${hexBytes(r.before)}</code></td><td><code>${hexBytes(r.after)}</code></td></tr>`);
    const more = x.ranges.length > SHOWN_RANGES ? html`<p class="muted">and ${x.ranges.length - SHOWN_RANGES} more ranges</p>` : '';
    return html`<details class="diff"${x.ranges.length <= 3 ? ' open' : ''}><summary>${name(x)}:${moved} ${x.differing} bytes differ in ${x.ranges.length} range${x.ranges.length === 1 ? '' : 's'}</summary><div class="scroll"><table><thead><tr><th>offset</th><th>in</th><th>bytes</th><th>boot 1</th><th>this boot</th></tr></thead><tbody>${rows}</tbody></table></div>${more}</details>`;
  });
  return html`${compared}${only(
    d.filter((x) => x.missing === 'after'),
    'not in this boot',
  )}${only(
    d.filter((x) => x.missing === 'before'),
    'not in boot 1',
  )}${only(
    d.filter((x) => x.freed),
    "not compared (the firmware freed it after a run: its pages hold the firmware's fill, not the file)",
  )}`;
}

export function bootsSideBySide(label: string, pictures: readonly BootPicture[], id: string): Html {
  const first = pictures[0];
  const head = pictures.map((p) => html`<th>boot ${p.record.boot}</th>`);
  const diffs = pictures.map((p, i) => (i === 0 || first === undefined ? html`<td class="muted">(the reference)</td>` : html`<td>${diffCell(diffBoots(first, p))}</td>`));
  return html`<section class="side" id="${id}" data-boots="${label}"><h3>${label}</h3>
<div class="scroll"><table class="boots"><thead><tr><th></th>${head}</tr></thead><tbody>
<tr><th>what happens</th>${pictures.map((p) => cell(p.record))}</tr>
<tr><th>bytes that differ from boot 1</th>${diffs}</tr>
</tbody></table></div></section>`;
}
