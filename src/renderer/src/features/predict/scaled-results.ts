import type { ImagePrediction } from '../../../../shared/contract/prediction';
import { scaleScore } from '../../../../shared/domain/calibration';

/** A result as the service answered it, with the temperature its scores are scaled by (null: the network's own). */
export interface ScoredImage {
  result: ImagePrediction;
  temperature: number | null;
}

/** What the cards show under one choice of scores. */
export interface ShownResults {
  /** Each image's result with the scores asked for; absent where it has none yet. */
  shown: Map<string, ImagePrediction>;
  /** Images scored under the other choice whose scores cannot be turned into these here: Predict scores them again. */
  rescore: Set<string>;
}

/**
 * One score as it is under `to`, from what it is under `from` (each a temperature, or null for the
 * network's own), or null where that cannot be done exactly. The network's own score is scaled with
 * the shared `scaleScore`, the very function the service applies to the same number, so the figure is
 * the service's (to the last bit or so: a browser's Math.exp and Math.log may round differently from
 * Node's); a scaled score is never unscaled (clipped scores have lost where they were), so that way
 * the service is asked again.
 */
export function scoreAt(score: number, from: number | null, to: number | null): number | null {
  if (from === to) return score;
  return from === null && to !== null ? scaleScore(score, to) : null;
}

/**
 * The results to show with scores scaled by `temperature` (null: the network's own). A result under
 * the other choice is scaled here when its labels can be judged here too (`thresholds` known: the
 * slider's, or per-class ones tuned on these scores); an unreadable image reads the same either way.
 */
export function resultsAt(
  results: ReadonlyMap<string, ScoredImage>,
  temperature: number | null,
  classes: readonly string[],
  thresholds: readonly number[] | null,
): ShownResults {
  const shown = new Map<string, ImagePrediction>();
  const rescore = new Set<string>();
  for (const [key, scored] of results) {
    const { result } = scored;
    if (!result.ok || scored.temperature === temperature) {
      shown.set(key, result);
      continue;
    }
    const scores = result.scores.map((p) => scoreAt(p, scored.temperature, temperature));
    if (thresholds === null || scores.some((s) => s === null)) {
      rescore.add(key);
      continue;
    }
    const scaled = scores as number[];
    shown.set(key, { ...result, scores: scaled, labels: classes.filter((_, j) => scaled[j]! >= thresholds[j]!) });
  }
  return { shown, rescore };
}
