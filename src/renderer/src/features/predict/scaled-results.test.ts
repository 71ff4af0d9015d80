import { describe, expect, it } from 'vitest';
import type { ImagePrediction } from '../../../../shared/contract/prediction';
import { resultsAt, scoreAt, type ScoredImage } from './scaled-results';

const classes = ['dog', 'cat', 'couch'];

/**
 * At T = 2 a logit is halved, so sigmoid(logit(p) / 2) = √p / (√p + √(1 − p)): 0.9 → 3/4, 0.2 → 1/3,
 * 0.6 → √0.6 / (√0.6 + √0.4) ≈ 0.5505.
 */
const half = (p: number): number => Math.sqrt(p) / (Math.sqrt(p) + Math.sqrt(1 - p));

const own: ImagePrediction = { ok: true, image: 'a.jpg', width: 4, height: 3, scores: [0.9, 0.2, 0.6], labels: ['dog', 'couch'] };
const unreadable: ImagePrediction = { ok: false, image: 'b.jpg', error: 'b.jpg cannot be read as an image.' };

describe('scoreAt', () => {
  it('scales the network’s own score by T, keeps a score already under T, and never unscales one', () => {
    expect(half(0.9)).toBeCloseTo(0.75, 12);
    expect(scoreAt(0.9, null, 2)).toBeCloseTo(0.75, 12);
    expect(scoreAt(0.2, null, 2)).toBeCloseTo(1 / 3, 12);
    expect(scoreAt(0.75, 2, 2)).toBe(0.75);
    expect(scoreAt(0.9, null, null)).toBe(0.9);
    expect(scoreAt(0.75, 2, null)).toBeNull();
    expect(scoreAt(0.75, 2, 3)).toBeNull();
  });
});

describe('resultsAt', () => {
  const results = new Map<string, ScoredImage>([
    ['a', { result: own, temperature: null }],
    ['b', { result: unreadable, temperature: null }],
  ]);

  it('shows the network’s own scores scaled by T, with the labels judged on the scaled scores', () => {
    const { shown, rescore } = resultsAt(results, 2, classes, [0.5, 0.5, 0.56]);
    const a = shown.get('a');
    if (a?.ok !== true) throw new Error('expected a scored result');
    [0.9, 0.2, 0.6].forEach((p, j) => expect(a.scores[j]).toBeCloseTo(half(p), 12));
    // couch: 0.6 reached 0.56 unscaled; scaled it is 0.5505 and no longer does.
    expect(a.labels).toEqual(['dog']);
    expect(a.width).toBe(4);
    expect(shown.get('b')).toBe(unreadable);
    expect(rescore.size).toBe(0);
  });

  it('shows results under the scores asked for as they are', () => {
    const { shown } = resultsAt(results, null, classes, [0.5, 0.5, 0.5]);
    expect(shown.get('a')).toBe(own);
  });

  it('asks for Predict again where scaled scores would have to be unscaled, or the thresholds of the scaled scores are unknown', () => {
    const scaled: ImagePrediction = { ...own, scores: [0.75, 1 / 3, half(0.6)], labels: ['dog', 'couch'] };
    const underT = new Map<string, ScoredImage>([['a', { result: scaled, temperature: 2 }]]);
    expect(resultsAt(underT, null, classes, [0.5, 0.5, 0.5])).toEqual({ shown: new Map(), rescore: new Set(['a']) });
    expect(resultsAt(underT, 3, classes, [0.5, 0.5, 0.5]).rescore).toEqual(new Set(['a']));
    // Per-class thresholds tuned on the network's own scores do not judge scaled ones.
    expect(resultsAt(results, 2, classes, null)).toEqual({ shown: new Map([['b', unreadable]]), rescore: new Set(['a']) });
  });
});
