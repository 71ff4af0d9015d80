/**
 * Tick values for a count axis that starts at zero (linear) or one (log), as chart libraries choose
 * them: steps of 1, 2 or 5 times a power of ten, and on a log scale the powers of ten.
 */

/** About `target` ticks from 0 to at least `max`, in steps of 1, 2 or 5 × 10^k; the last tick is the axis end. */
export function linearTicks(max: number, target = 6): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / Math.max(1, target - 1);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let value = 0; ; value += step) {
    // Whole steps, so 0.1 + 0.2 never shows as 0.30000000000000004.
    const tick = Number(value.toPrecision(12));
    ticks.push(tick);
    if (tick >= max) break;
  }
  return ticks;
}

/** Powers of ten from 1 to the first at or above `max` (at least 1 and 10). */
export function logTicks(max: number): number[] {
  const top = Math.max(1, Math.ceil(Math.log10(Math.max(max, 1))));
  return Array.from({ length: top + 1 }, (_, k) => 10 ** k);
}

/** Where a count lies along an axis ending at `end`, in [0, 1]; on a log scale from 1, with 0 (no bar) at 0. */
export function axisPosition(value: number, end: number, scale: 'linear' | 'log'): number {
  if (scale === 'linear') return end > 0 ? Math.min(1, Math.max(0, value / end)) : 0;
  if (value < 1 || end <= 1) return 0;
  return Math.min(1, Math.log10(value) / Math.log10(end));
}

/** 64000 → "64k", 1500 → "1.5k", 2000000 → "2M": the short labels of axis ticks. */
export function shortCount(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (abs >= 1e3) return `${Number((value / 1e3).toPrecision(3))}k`;
  return String(Number(value.toPrecision(3)));
}
