/**
 * RAM block gauges: a row per `/rom@` block, a column per QEMU release, and
 * in each cell one bar per moment (creation, each boot's rebuild): the used
 * length against the maximum, and where a rebuild asks for more than the
 * maximum the overflow in red with QEMU's verdict.
 */
import { html, hx, type Html } from './html.js';
import type { GaugeState, RomGauge } from './rom-gauges.js';

const WIDTH = 330;
const BAR_W = 270;
const OVERFLOW_W = 54;
const ROW_H = 30;

/** The moment's name on the left, its numbers on the right (or under the bar, when QEMU refuses), the bar under the name. */
function row(s: GaugeState, y: number, cls: string, value: string, bars: Html, title: string): Html {
  const who = s.who.length === 0 ? '' : ` · ${s.who.join(', ')}`;
  const num = s.outcome === 'refused' ? html`<text class="gauge-num refused-num" x="0" y="${y + 37}">${value}</text>` : html`<text class="gauge-num" x="${WIDTH}" y="${y + 10}">${value}</text>`;
  return html`<g class="gauge ${cls}" data-gauge="${s.when}"><title>${title}</title><text x="0" y="${y + 10}">${s.when}${who}${s.rebuilt && s.outcome === 'fits' ? ' (rebuilt)' : ''}</text>${num}<rect class="gauge-max" x="0" y="${y + 14}" width="${BAR_W}" height="10"/>${bars}</g>`;
}

const rowHeight = (s: GaugeState) => (s.outcome === 'refused' ? ROW_H + 14 : ROW_H);

function bar(s: GaugeState, y: number): Html {
  if (s.outcome === 'gone') return row(s, y, 'gone', 'QEMU aborted', html``, "QEMU ended at this boot's rebuild (its message is in the boot's account below)");
  if (s.outcome === 'refused') {
    const wanted = s.wanted;
    const over = wanted === undefined ? OVERFLOW_W : Math.max(4, Math.min(OVERFLOW_W, (BAR_W * (wanted - s.max)) / s.max));
    const value = wanted === undefined ? `> ${hx(s.max)}: QEMU aborts` : `${hx(wanted)} > ${hx(s.max)}: QEMU aborts`;
    const bars = html`<rect class="gauge-used" x="0" y="${y + 14}" width="${BAR_W}" height="10"/><rect class="gauge-over" x="${BAR_W}" y="${y + 14}" width="${over.toFixed(1)}" height="10"/>`;
    return row(s, y, 'refused', value, bars, `the rebuild asks for ${wanted === undefined ? 'more than the maximum' : hx(wanted)}; the block's maximum is ${hx(s.max)}: QEMU aborts (Size too large)`);
  }
  const used = s.used ?? 0;
  const pct = s.max === 0 ? 0 : used / s.max;
  const bars = html`<rect class="gauge-used" x="0" y="${y + 14}" width="${(BAR_W * Math.min(1, pct)).toFixed(1)}" height="10"/>`;
  return row(s, y, 'fits', `${hx(used)} / ${hx(s.max)}`, bars, `used ${hx(used)} of ${hx(s.max)} (${(pct * 100).toFixed(1)}%), headroom ${hx(s.max - used)}`);
}

function gaugeSvg(g: RomGauge): Html {
  let y = 0;
  const bars = g.states.map((s) => {
    const b = bar(s, y);
    y += rowHeight(s);
    return b;
  });
  return html`<svg class="gauges" viewBox="0 0 ${WIDTH} ${y}" width="${WIDTH}" height="${y}" role="img" aria-label="${g.block} under QEMU ${g.qemu}">${bars}</svg>`;
}

export function gaugeTable(gauges: readonly RomGauge[], releases: readonly string[], rowId: (block: string) => string, lintFor: (file: string) => Html): Html {
  const blocks = [...new Set(gauges.map((g) => g.block))];
  const rows = blocks.map((block) => {
    const file = gauges.find((g) => g.block === block)!.file;
    const cells = releases.map((q) => {
      const g = gauges.find((x) => x.block === block && x.qemu === q);
      return html`<td data-qemu="${q}">${g === undefined ? '' : gaugeSvg(g)}${g?.sizedOnly === undefined ? '' : html`<br><span class="muted">${g.sizedOnly}</span>`}</td>`;
    });
    return html`<tr id="${rowId(block)}" data-rom="${block}" data-search><th><code>${block}</code><br><span class="muted">the fw_cfg file</span><br><code>${file}</code><br>${lintFor(file)}</th>${cells}</tr>`;
  });
  return html`<div class="scroll"><table class="gauge-table"><thead><tr><th>RAM block</th>${releases.map((q) => html`<th>QEMU ${q}</th>`)}</tr></thead><tbody>${rows}</tbody></table></div>`;
}
