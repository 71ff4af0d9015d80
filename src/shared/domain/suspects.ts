/**
 * Suspects: (image, class) pairs whose score disagrees with the label, ranked by the per-label
 * binary cross-entropy −[y·ln p + (1 − y)·ln(1 − p)], with p clipped to [1e-7, 1 − 1e-7] as the
 * validation loss clips it (calibration.ts). A pair without its label (y = 0) is a likely *missing*
 * label and ranks by −ln(1 − p), highest scores first; a pair with it (y = 1) is a likely *wrong*
 * label and ranks by −ln p, lowest scores first. Ties go by image id, then class order.
 */

export type SuspectKind = 'missing' | 'wrong';

const epsilon = 1e-7;

/** The binary cross-entropy of one label (0 or 1) and its score. */
export function labelLoss(score: number, label: number): number {
  const p = Math.min(1 - epsilon, Math.max(epsilon, score));
  return label > 0 ? -Math.log(p) : -Math.log(1 - p);
}

export interface RankedSuspect {
  /** 1 for the strongest disagreement of its kind over every class. */
  rank: number;
  /** 1 for the strongest disagreement of its kind within its class. */
  classRank: number;
  kind: SuspectKind;
  imageId: number;
  class: string;
  score: number;
  label: number;
  loss: number;
}

export interface SuspectQuery {
  classes: readonly string[];
  /** One per row of `scores` and `labels`. */
  imageIds: ArrayLike<number>;
  /** Row-major [images, classes]. */
  scores: ArrayLike<number>;
  /** Row-major [images, classes], 0 or 1. */
  labels: ArrayLike<number>;
  /** Pairs never to propose (rejected ones); they take no rank. */
  skip?: (row: number, classIndex: number) => boolean;
  kind?: SuspectKind;
  classIndex?: number;
  offset: number;
  limit: number;
}

export interface RankedSuspects {
  /** The page asked for, of the pairs matching `kind` and `classIndex`. */
  items: RankedSuspect[];
  /** Pairs matching `kind` and `classIndex`, before offset and limit. */
  matching: number;
  /** Pairs of each kind; `disagreeing`: of those, the ones whose score is on the other side of 0.5. */
  totals: { missing: number; wrong: number; disagreeing: { missing: number; wrong: number } };
  /** Pairs left out by `skip`. */
  skipped: number;
}

/** Every pair ranked by its loss within its kind (see the module's comment), and the page asked for. */
export function rankSuspects(query: SuspectQuery): RankedSuspects {
  const { classes, imageIds, scores, labels } = query;
  const width = classes.length;
  const pairs = imageIds.length * width;
  const loss = new Float64Array(pairs);
  const order: number[] = [];
  let skipped = 0;
  const totals = { missing: 0, wrong: 0, disagreeing: { missing: 0, wrong: 0 } };
  for (let k = 0; k < pairs; k++) {
    const row = Math.floor(k / width);
    const c = k - row * width;
    if (query.skip?.(row, c) === true) {
      skipped++;
      continue;
    }
    const label = labels[k]! > 0 ? 1 : 0;
    const score = scores[k]!;
    loss[k] = labelLoss(score, label);
    order.push(k);
    if (label === 1) {
      totals.wrong++;
      if (score < 0.5) totals.disagreeing.wrong++;
    } else {
      totals.missing++;
      if (score >= 0.5) totals.disagreeing.missing++;
    }
  }
  order.sort((a, b) => {
    const byLoss = loss[b]! - loss[a]!;
    if (byLoss !== 0) return byLoss;
    const ra = Math.floor(a / width);
    const rb = Math.floor(b / width);
    return imageIds[ra]! - imageIds[rb]! || a - ra * width - (b - rb * width);
  });
  const kindRank = { missing: 0, wrong: 0 };
  const classRank = new Int32Array(width * 2);
  const items: RankedSuspect[] = [];
  let matching = 0;
  for (const k of order) {
    const row = Math.floor(k / width);
    const c = k - row * width;
    const label = labels[k]! > 0 ? 1 : 0;
    const kind: SuspectKind = label === 1 ? 'wrong' : 'missing';
    const rank = ++kindRank[kind];
    const inClass = ++classRank[c * 2 + label]!;
    if ((query.kind !== undefined && kind !== query.kind) || (query.classIndex !== undefined && c !== query.classIndex)) continue;
    matching++;
    if (matching <= query.offset || items.length >= query.limit) continue;
    items.push({ rank, classRank: inClass, kind, imageId: imageIds[row]!, class: classes[c]!, score: scores[k]!, label, loss: loss[k]! });
  }
  return { items, matching, totals, skipped };
}
