import type { Progress } from '../../../shared/contract/define';

export interface ProgressWithEstimate {
  progress: Progress;
  /** Seconds left at the average rate since the phase began; null until the rate is known. */
  etaSeconds: number | null;
}

/**
 * Turns a stream of progress reports into reports with an ETA. The rate is measured from the first
 * report of the current phase, so a fast "reading" phase does not skew the estimate of a slow one.
 */
export function createProgressEstimator(now: () => number = () => performance.now()): (progress: Progress) => ProgressWithEstimate {
  let phase: string | null = null;
  let startMs = 0;
  let startDone = 0;
  return (progress) => {
    const t = now();
    if (progress.phase !== phase || progress.done < startDone) {
      phase = progress.phase;
      startMs = t;
      startDone = progress.done;
      return { progress, etaSeconds: null };
    }
    const elapsedMs = t - startMs;
    const advanced = progress.done - startDone;
    if (progress.total <= 0 || elapsedMs < 1000 || advanced <= 0) return { progress, etaSeconds: null };
    const perMs = advanced / elapsedMs;
    return { progress, etaSeconds: Math.max(0, (progress.total - progress.done) / perMs / 1000) };
  };
}
