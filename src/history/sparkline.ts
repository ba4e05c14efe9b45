const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'] as const;

/**
 * One Unicode block per value, scaled from the series' min (▁) to its max (█); a flat
 * series is all ▄. Longer series than `width` are averaged into `width` blocks.
 */
export function sparkline(values: readonly number[], width = 60): string {
  if (values.length === 0) return '';
  const cells = values.length <= width ? [...values] : Array.from({ length: width }, (_, i) => {
    const a = Math.floor((i * values.length) / width);
    const b = Math.floor(((i + 1) * values.length) / width);
    let sum = 0;
    for (let j = a; j < b; j++) sum += values[j]!;
    return sum / (b - a);
  });
  const lo = Math.min(...cells);
  const hi = Math.max(...cells);
  if (hi === lo) return BARS[3].repeat(cells.length);
  return cells.map((v) => BARS[Math.min(BARS.length - 1, Math.floor(((v - lo) / (hi - lo)) * BARS.length))]).join('');
}
