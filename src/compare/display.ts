/**
 * How a measurement's value and change are written, apart from the comparison's statistics
 * so the report and the formats can use it without loading them.
 */
export type Unit = 'ms' | 'pods' | 'per_s' | 'pct';

export function formatValue(v: number, unit: Unit): string {
  switch (unit) {
    case 'ms':
      return Math.abs(v) >= 1000 ? `${(v / 1000).toFixed(2)} s` : Math.abs(v) >= 100 ? `${v.toFixed(0)} ms` : Math.abs(v) >= 10 ? `${v.toFixed(1)} ms` : `${v.toFixed(2)} ms`;
    case 'pods':
      return `${Math.round(v)}`;
    case 'per_s':
      return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)}/s`;
    case 'pct':
      return `${v.toFixed(2)}%`;
  }
}

/**
 * An SLO verdict's value, with the digits it takes not to read as its threshold: 10.28 ms
 * failing `<= 10 ms` is "10.3 ms", never "10 ms"; 5000.4 ms failing `<= 5 s` is "5.0004 s".
 */
export function formatVerdictValue(v: number, threshold: number, unit: Unit): string {
  const text = formatValue(v, unit);
  if (v === threshold || unit !== 'ms' || text !== formatValue(threshold, unit)) return text;
  const [scale, suffix] = Math.abs(v) >= 1000 ? [1000, 's'] : [1, 'ms'];
  for (let digits = 1; digits <= 6; digits++) {
    const t = (v / scale).toFixed(digits);
    if (Number(t) * scale !== threshold) return `${t} ${suffix}`;
  }
  return `${v} ms`;
}

export function signed(v: number, unit: Unit): string {
  return `${v > 0 ? '+' : v < 0 ? '-' : '±'}${formatValue(Math.abs(v), unit)}`;
}

export function formatChange(pct: number | null): string {
  if (pct === null) return 'new';
  if (Math.abs(pct) < 0.5) return '±0%';
  return `${pct > 0 ? '+' : '-'}${Math.abs(pct) >= 10 ? Math.abs(pct).toFixed(0) : Math.abs(pct).toFixed(1)}%`;
}
