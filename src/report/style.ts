/**
 * The report's only style sheet and only script, inlined into the page: the
 * file opens from disk with nothing fetched. The script is the text search
 * (rows, list items and drawn shapes whose text matches stay; the rest
 * hide or dim); everything else works without it.
 */

export const CSS = `
:root { --ink:#1d232b; --muted:#5f6b78; --line:#d5dbe2; --bg:#fbfcfd; --high:#8fb8e8; --high-edge:#2b5c8a; --fseg:#f3c86b; --fseg-edge:#9a6b00;
  --good:#1e7b34; --warn:#a35f00; --bad:#c0262d; --ptr:#6a3d9a; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--bg); }
main { max-width: 1240px; margin: 0 auto; padding: 16px 20px 60px; }
header.top { position: sticky; top: 0; z-index: 2; background: #fff; border-bottom: 1px solid var(--line); }
header.top div { max-width: 1240px; margin: 0 auto; padding: 8px 20px; display: flex; gap: 18px; align-items: center; flex-wrap: wrap; }
header.top nav a { margin-right: 12px; }
header.top input { font: inherit; padding: 3px 8px; width: 260px; }
h1 { font-size: 22px; margin: 8px 0 4px; } h2 { font-size: 19px; margin: 34px 0 8px; border-bottom: 2px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 16px; margin: 22px 0 6px; } h4 { font-size: 14px; margin: 16px 0 4px; }
a { color: #1f5fa8; } code { font: 12.5px ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
code.addr { user-select: all; cursor: copy; background: #eef2f7; padding: 0 3px; border-radius: 3px; }
pre { background: #f1f3f6; padding: 8px; overflow-x: auto; font-size: 12.5px; }
pre.qemu-error { background: #fdecec; color: #7a1010; white-space: pre-wrap; }
.muted { color: var(--muted); }
table { border-collapse: collapse; margin: 6px 0; }
th, td { border: 1px solid var(--line); padding: 3px 7px; text-align: left; vertical-align: top; }
thead th { background: #eef1f5; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; max-width: 100%; }
.hidden { display: none !important; }
.verdict { font-weight: 600; padding: 1px 7px; border-radius: 10px; color: #fff; white-space: nowrap; }
.verdict.good { background: var(--good); } .verdict.warn { background: var(--warn); } .verdict.bad { background: var(--bad); }
p.warning, li.bad, tr.bad td, tr.stray td { color: var(--bad); }
.summary li { margin: 2px 0; }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 14px; height: 10px; margin-right: 4px; vertical-align: -1px; border: 1px solid #0004; }
/* the memory map */
svg.map { display: block; background: #fff; border: 1px solid var(--line); }
input.fit { margin-left: 0; } input.fit:checked ~ .scroll svg.map { width: 100%; height: auto; }
svg text { font: 11px system-ui, sans-serif; fill: var(--ink); }
svg .ram { fill: #edf0f3; }
svg .fseg rect { fill: #fff4d6; stroke: #e0b84a; stroke-dasharray: 3 2; } svg .fseg text { fill: var(--fseg-edge); font-size: 10px; }
svg .gap path { stroke: #9aa5b1; fill: none; } svg .gap text { fill: #7b8794; font-size: 9.5px; text-anchor: middle; } svg .gap.hole text { fill: #b0b8c1; }
svg .alloc rect { fill: var(--high); stroke: var(--high-edge); } svg .alloc.zone-fseg rect { fill: var(--fseg); stroke: var(--fseg-edge); }
svg .alloc.freed rect { fill-opacity: .35; stroke-dasharray: 5 3; }
svg .table rect { fill: #ffffffd0; stroke: #7b8794; } svg .table.reached rect { stroke: var(--good); stroke-width: 2; } svg .table.bad rect { stroke: var(--bad); stroke-width: 2; fill: #fde2e2; }
svg .table.loose rect { fill: #d7efd9; } svg .table text.sig { font-size: 9.5px; text-anchor: middle; }
svg path.ptr { fill: none; stroke: var(--ptr); stroke-opacity: .7; stroke-width: 1.2; } svg path.ptr.stray { stroke: var(--bad); stroke-opacity: .9; } svg path.ptr.gone { stroke: #8a949e; stroke-dasharray: 4 3; }
svg path.arrow { fill: var(--ptr); } svg path.arrow.stray { fill: var(--bad); }
svg .rsdp-mark path { fill: var(--good); } svg .wp-mark path { fill: #c76b00; } svg .wp-mark.undone path { fill: #999; }
svg .alloc-label path, svg .rsdp-label path, svg .wp-label path { stroke: #9aa5b1; stroke-dasharray: 2 2; }
svg .rsdp-label text { fill: var(--good); } svg .wp-label text { fill: #a35600; }
svg .hit rect, svg rect.hit, svg path.hit { stroke: #ff00aa !important; stroke-width: 3 !important; }
/* gauges */
svg.gauges { max-width: 100%; height: auto; display: block; } svg.gauges text { font-size: 10.5px; } svg .gauge-num { text-anchor: end; } svg .gauge-num.refused-num { text-anchor: start; }
svg .gauge-max { fill: #edf0f3; stroke: #aab4bf; } svg .gauge-used { fill: #4f86c6; } svg .gauge.refused .gauge-used { fill: #e8a0a3; }
svg .gauge-over { fill: var(--bad); } svg .gauge.refused text.gauge-num { fill: var(--bad); font-weight: 600; }
svg .gauge.gone text { fill: #8a949e; }
table.gauge-table { width: 100%; table-layout: fixed; } table.gauge-table th:first-child { width: 200px; } table.gauge-table tbody th { font-weight: normal; } table.gauge-table tbody th code:first-child { font-weight: 600; }
/* loader */
table.entries td { white-space: nowrap; } table.entries td.fields { white-space: normal; min-width: 280px; } table.entries code { font-size: 12px; }
tr.pad td { color: #9aa5b1; font-size: 12px; padding-top: 0; padding-bottom: 0; }
td.status { text-align: center; font-size: 12px; }
td.status.applied { background: #e3f4e6; } td.status.skipped { background: #f1f3f6; color: var(--muted); }
td.status.rejected { background: #fde2e2; color: var(--bad); font-weight: 600; }
td.status.unread { background: #fff0d0; color: #8a5200; font-weight: 600; } td.status.unrun { background: #f6e9e9; color: #8a3a3a; }
tr:target td { outline: 2px solid #ff00aa; }
a.lint { font-size: 11.5px; text-decoration: none; padding: 0 5px; border-radius: 8px; color: #fff; margin-left: 4px; }
a.lint.error { background: var(--bad); } a.lint.warning { background: var(--warn); } a.lint.info { background: #5f6b78; }
/* boots side by side */
table.boots { width: 100%; table-layout: fixed; } table.boots th:first-child { width: 96px; } table.boots td { overflow-wrap: break-word; } table.boots details table { font-size: 12px; } table.boots ul { margin: 2px 0; padding-left: 18px; }
ul.reasons { color: var(--bad); font-size: 12.5px; }
details summary { cursor: pointer; }
/* lint */
ul.findings li { margin: 4px 0; } .sev { font-weight: 600; } .sev.error { color: var(--bad); } .sev.warning { color: var(--warn); }
li:target { outline: 2px solid #ff00aa; }
`;

/** The text search: keep what matches, hide table rows and list items that do not, mark matching shapes. */
export const SEARCH_SCRIPT = `
(function () {
  var input = document.getElementById('search');
  var hits = document.getElementById('hits');
  if (!input) return;
  input.addEventListener('input', function () {
    var q = input.value.trim().toLowerCase();
    var n = 0;
    document.querySelectorAll('[data-search]').forEach(function (el) {
      var hit = q === '' || el.textContent.toLowerCase().indexOf(q) >= 0;
      el.classList.toggle('hidden', !hit);
      if (hit && q !== '') n++;
    });
    document.querySelectorAll('svg title').forEach(function (t) {
      var shape = t.parentNode;
      shape.classList.toggle('hit', q !== '' && t.textContent.toLowerCase().indexOf(q) >= 0);
    });
    hits.textContent = q === '' ? '' : n + ' matching rows';
  });
})();
`;
