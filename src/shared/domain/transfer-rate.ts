/**
 * The speed of a transfer over its latest stretch: give it the bytes so far at each report, and it
 * answers bytes per second over the last `windowMs` (null until a tenth of the window has passed),
 * so that a pause or a burst shows within seconds rather than being averaged away.
 */
export function createRateMeter(windowMs = 5000, now: () => number = () => performance.now()): (totalBytes: number) => number | null {
  const samples: { ms: number; bytes: number }[] = [];
  return (totalBytes) => {
    const t = now();
    samples.push({ ms: t, bytes: totalBytes });
    while (samples.length > 2 && samples[1]!.ms <= t - windowMs) samples.shift();
    const first = samples[0]!;
    const elapsed = t - first.ms;
    if (elapsed < windowMs / 10) return null;
    return ((totalBytes - first.bytes) * 1000) / elapsed;
  };
}
