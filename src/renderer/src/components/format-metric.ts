/** Figures as the CLI prints them: four decimals, a dash where there is none (a class without positives has no AP). */
export function formatRatio(value: number | null): string {
  return value === null ? '—' : value.toFixed(4);
}

/** A change of a figure: "+0.0123", "−0.0040", "±0.0000". */
export function formatDelta(delta: number): string {
  const rounded = Number(delta.toFixed(4));
  if (rounded === 0) return '±0.0000';
  return `${rounded > 0 ? '+' : '−'}${Math.abs(rounded).toFixed(4)}`;
}

/** A sigmoid score: four decimals, or two significant digits in exponent form when it is tiny (as MATLAB's table shows 6.2184e-05). */
export function formatScore(score: number): string {
  return score !== 0 && Math.abs(score) < 0.001 ? score.toExponential(2) : score.toFixed(4);
}

/** A threshold: the slider's two decimals, or three for a tuned one (it is one of the class's scores). */
export function formatThreshold(threshold: number): string {
  return Number.isInteger(Math.round(threshold * 100 * 1e6) / 1e6) ? threshold.toFixed(2) : threshold.toFixed(3);
}
