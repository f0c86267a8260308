/**
 * A thin layer over mitata: every case belongs to a group with a same-run
 * baseline, and says what one iteration processes (entries, bytes, ops), so
 * results come out as ns/unit, MB/s and ratio to the baseline.
 */
import { bench, do_not_optimize, group, run } from 'mitata';

export { do_not_optimize };

/** The upper middle of the values (of an even count, the higher of the two middle ones): one rule for every median batch. */
export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export interface CaseSpec {
  group: string;
  name: string;
  fn: () => unknown;
  /** Work units per iteration (e.g. 512 entries) and their name. */
  units?: number;
  unit?: string;
  /** Bytes moved per iteration, for a bandwidth figure. */
  bytes?: number;
  /** The same-run reference this group's ratios are taken against. */
  baseline?: boolean;
  /** Upper bound on ns per unit this project promises (reported, not asserted). */
  targetNsPerUnit?: number;
  /** Lower bound on the ratio of this case's bandwidth to the baseline's. */
  targetBandwidthRatio?: number;
  /** Extra figures to report (e.g. bytes copied per op). */
  extra?: () => Record<string, number>;
}

const cases: CaseSpec[] = [];

export function defineCase(spec: CaseSpec): void {
  cases.push(spec);
}

export interface CaseResult {
  group: string;
  name: string;
  baseline: boolean;
  avgNs: number;
  p50Ns: number;
  p99Ns: number;
  units?: number;
  unit?: string;
  nsPerUnit?: number;
  mbPerSecond?: number;
  ratioToBaseline?: number;
  bandwidthRatioToBaseline?: number;
  targetNsPerUnit?: number;
  targetBandwidthRatio?: number;
  meetsTarget?: boolean;
  extra?: Record<string, number>;
}

export async function runCases(filter: RegExp | undefined, quiet: boolean): Promise<CaseResult[]> {
  const selected = cases.filter((c) => filter === undefined || filter.test(`${c.group} ${c.name}`));
  const byGroup = new Map<string, CaseSpec[]>();
  for (const c of selected) byGroup.set(c.group, [...(byGroup.get(c.group) ?? []), c]);
  for (const [g, list] of byGroup) {
    group(g, () => {
      for (const c of list) {
        const b = bench(`${g} :: ${c.name}`, c.fn);
        if (c.baseline) b.baseline(true);
      }
    });
  }
  const out = await run(quiet ? { format: 'quiet', throw: true } : { throw: true });
  const stats = new Map<string, { avg: number; p50: number; p99: number }>();
  for (const t of out.benchmarks) for (const r of t.runs) if (r.stats) stats.set(r.name, r.stats);
  const results: CaseResult[] = [];
  for (const [g, list] of byGroup) {
    const base = list.find((c) => c.baseline);
    const baseStats = base ? stats.get(`${g} :: ${base.name}`) : undefined;
    for (const c of list) {
      const s = stats.get(`${g} :: ${c.name}`);
      if (s === undefined) continue;
      const r: CaseResult = { group: g, name: c.name, baseline: c.baseline === true, avgNs: s.avg, p50Ns: s.p50, p99Ns: s.p99 };
      if (c.units !== undefined) {
        r.units = c.units;
        r.unit = c.unit ?? 'op';
        r.nsPerUnit = s.avg / c.units;
      }
      if (c.bytes !== undefined) r.mbPerSecond = c.bytes / 1e6 / (s.avg / 1e9);
      if (baseStats !== undefined && !c.baseline) {
        r.ratioToBaseline = s.avg / baseStats.avg;
        if (c.bytes !== undefined && base?.bytes !== undefined) r.bandwidthRatioToBaseline = (c.bytes / s.avg) / (base.bytes / baseStats.avg);
      }
      if (c.targetNsPerUnit !== undefined) {
        r.targetNsPerUnit = c.targetNsPerUnit;
        r.meetsTarget = (r.nsPerUnit ?? Infinity) <= c.targetNsPerUnit;
      }
      if (c.targetBandwidthRatio !== undefined) {
        r.targetBandwidthRatio = c.targetBandwidthRatio;
        r.meetsTarget = (r.bandwidthRatioToBaseline ?? 0) >= c.targetBandwidthRatio;
      }
      if (c.extra) r.extra = c.extra();
      results.push(r);
    }
  }
  return results;
}

export function formatResults(results: CaseResult[]): string {
  const lines: string[] = ['', 'summary (same-run baselines):'];
  for (const r of results) {
    const parts = [`${r.group} :: ${r.name}`.padEnd(58), `${r.avgNs.toFixed(0).padStart(9)} ns/iter`];
    if (r.nsPerUnit !== undefined) parts.push(`${r.nsPerUnit.toFixed(2).padStart(8)} ns/${r.unit}`);
    if (r.mbPerSecond !== undefined) parts.push(`${r.mbPerSecond.toFixed(0).padStart(7)} MB/s`);
    if (r.baseline) parts.push('(baseline)');
    if (r.ratioToBaseline !== undefined) parts.push(`${r.ratioToBaseline.toFixed(2)}x baseline time`);
    if (r.bandwidthRatioToBaseline !== undefined) parts.push(`${(r.bandwidthRatioToBaseline * 100).toFixed(0)}% of baseline bandwidth`);
    if (r.meetsTarget !== undefined) {
      const target = r.targetNsPerUnit !== undefined ? `target <= ${r.targetNsPerUnit} ns/${r.unit}` : `target >= ${(r.targetBandwidthRatio! * 100).toFixed(0)}%`;
      parts.push(`${r.meetsTarget ? 'meets' : 'MISSES'} ${target}`);
    }
    if (r.extra) parts.push(Object.entries(r.extra).map(([k, v]) => `${k}=${v}`).join(' '));
    lines.push(parts.join('  '));
  }
  return lines.join('\n') + '\n';
}
