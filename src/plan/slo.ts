import type { Metrics } from '../sim/metrics.js';
import type { BoundCheck, PlanLimits, PlanSlo } from './types.js';

/** Every SLO and limit of the plan measured on one simulated deployment, tightest first. */
export function checkBounds(
  m: Metrics,
  deployment: { chips: number; usdPerHour: number; powerW: number | null },
  slo: PlanSlo,
  limits: PlanLimits,
): BoundCheck[] {
  const out: BoundCheck[] = [];
  const upper = (kind: BoundCheck['kind'], name: string, value: number | null, limit: number, unit: string): void => {
    const ratio = value === null ? Infinity : value / limit;
    out.push({ kind, name, value, limit, unit, ratio, ok: value !== null && value <= limit });
  };
  if (slo.ttft) upper('ttft', `TTFT ${slo.ttft.percentile}`, m.ttftMs ? m.ttftMs[slo.ttft.percentile] : null, slo.ttft.ms, 'ms');
  if (slo.tpot) upper('tpot', `TPOT ${slo.tpot.percentile}`, m.tpotMs ? m.tpotMs[slo.tpot.percentile] : null, slo.tpot.ms, 'ms');
  if (slo.minTokensPerSPerUser !== null) {
    const v = m.tokensPerSPerUser;
    const limit = slo.minTokensPerSPerUser;
    out.push({ kind: 'user-speed', name: 'tokens/s per user', value: v, limit, unit: 'tok/s', ratio: v === null || v <= 0 ? Infinity : limit / v, ok: v !== null && v >= limit });
  }
  // Every request must finish: a rejected one (prompt larger than the KV cache) is a failure, not an outlier.
  out.push({
    kind: 'rejected',
    name: 'requests rejected',
    value: m.rejected,
    limit: 0,
    unit: 'requests',
    ratio: m.rejected > 0 ? Infinity : 0,
    ok: m.rejected === 0,
  });
  if (limits.maxChips !== null) upper('chips', 'chips', deployment.chips, limits.maxChips, 'chips');
  if (limits.maxUsdPerHour !== null) upper('usd', '$ per hour', deployment.usdPerHour, limits.maxUsdPerHour, '$/h');
  if (limits.maxMW !== null) upper('mw', 'MW', deployment.powerW === null ? null : deployment.powerW / 1e6, limits.maxMW, 'MW');
  return out.sort((a, b) => b.ratio - a.ratio || a.name.localeCompare(b.name));
}

export function describeCheck(c: BoundCheck): string {
  const v = c.value === null ? 'unknown' : fmt(c.value);
  if (c.kind === 'rejected') return c.ok ? 'every request finished' : `${v} requests rejected (a prompt does not fit the KV cache)`;
  if (c.kind === 'user-speed') return `${c.name} ${v} ${c.ok ? '≥' : '<'} ${fmt(c.limit)} ${c.unit}`;
  return `${c.name} ${v} ${c.ok ? '≤' : '>'} ${fmt(c.limit)} ${c.unit}${c.ok && Number.isFinite(c.ratio) ? ` (${Math.round(c.ratio * 100)}% of the limit)` : ''}`;
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 100) return String(Math.round(x));
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toPrecision(3);
}
