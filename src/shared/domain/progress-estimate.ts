import type { Progress } from '../contract/define';

export interface ProgressWithEstimate {
  progress: Progress;
  /** Seconds left at the phase's rate; null while it is not known. */
  etaSeconds: number | null;
  /**
   * True while a total is known but no time left can be given yet: the phase has just begun, its
   * work so far is not a fair sample of the rest (`progress.estimable === false`), or its rate has
   * not settled. Views say "estimating…" rather than show a figure that will prove wrong.
   */
  estimating: boolean;
}

/** Progress must have run this long, at a fair rate, before a time left is given. */
const minimumMs = 1000;
/** The latest stretch is this share of the time since the estimate began (at least `minimumMs / 2`). */
const stretchShare = 0.25;
/** The rate of the latest stretch and the rate since the estimate began must agree within this factor. */
const steadiness = 1.5;
/** Reports kept per phase; older ones are thinned out, so a long job keeps a bounded history. */
const maxSamples = 256;

interface Sample {
  ms: number;
  done: number;
}

/**
 * Turns a stream of progress reports into reports with a time left, shared by the window and the
 * command line. The rate is measured from the first report of the current phase that is a fair
 * sample of the rest, so a fast "reading" phase does not skew the estimate of a slow one, and the
 * head of a COCO file (image records, slower per byte than the annotations after them) does not
 * make the first figure several times too long. A figure is given only while the rate of the latest
 * stretch agrees with the rate since the estimate began; when it does not, the pace has changed, and
 * the estimate begins again from that stretch.
 */
export function createProgressEstimator(now: () => number = () => performance.now()): (progress: Progress) => ProgressWithEstimate {
  let phase: string | null = null;
  /** Fair reports of the phase, oldest first; the first is where the estimate began. */
  let samples: Sample[] = [];
  return (progress) => {
    const t = now();
    const known = progress.total > 0 && progress.done < progress.total;
    const last = samples[samples.length - 1];
    if (progress.phase !== phase || (last !== undefined && progress.done < last.done) || progress.estimable === false) {
      phase = progress.phase;
      samples = [];
    }
    if (progress.estimable === false) return { progress, etaSeconds: null, estimating: known };
    samples.push({ ms: t, done: progress.done });
    if (samples.length > maxSamples) samples = samples.filter((_, i) => i % 2 === 0 || i === samples.length - 1);
    if (!known) return { progress, etaSeconds: null, estimating: false };
    const first = samples[0]!;
    const elapsed = t - first.ms;
    const overall = (progress.done - first.done) / elapsed;
    if (!(elapsed >= minimumMs && overall > 0)) return { progress, etaSeconds: null, estimating: true };
    const since = t - Math.max(minimumMs / 2, elapsed * stretchShare);
    // The latest sample (just pushed) is always within the stretch.
    const from = samples.find((sample) => sample.ms >= since)!;
    const recent = from.ms < t ? (progress.done - from.done) / (t - from.ms) : overall;
    if (recent > overall * steadiness || overall > recent * steadiness) {
      // The pace has changed: the new one predicts the rest better, so the estimate begins again there.
      samples = samples.filter((sample) => sample.ms >= from.ms);
      return { progress, etaSeconds: null, estimating: true };
    }
    return { progress, etaSeconds: Math.max(0, (progress.total - progress.done) / overall / 1000), estimating: false };
  };
}
