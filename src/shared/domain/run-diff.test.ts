import { describe, expect, it } from 'vitest';
import { evaluate } from './metrics';
import {
  allClasses,
  comparisonColumns,
  comparisonRows,
  configDiff,
  delimitedTable,
  flattenConfig,
  formatDiffCell,
  sameValue,
} from './run-diff';

describe('flattenConfig', () => {
  it('names nested settings by their path and keeps arrays whole', () => {
    const flat = flattenConfig({ mode: 'frozen', settings: { learnRate: 0.005, schedule: { drop: 0.1 } }, categories: ['dog', 'cat'] });
    expect([...flat]).toEqual([
      ['mode', 'frozen'],
      ['settings.learnRate', 0.005],
      ['settings.schedule.drop', 0.1],
      ['categories', ['dog', 'cat']],
    ]);
  });

  it('quotes keys that are not identifiers, keeps null and empty objects, drops undefined', () => {
    const flat = flattenConfig({ 'odd.key': 1, extra: { 'two words': true }, nothing: null, empty: {}, gone: undefined });
    expect([...flat]).toEqual([
      ['["odd.key"]', 1],
      ['extra["two words"]', true],
      ['nothing', null],
      ['empty', {}],
    ]);
  });

  it('gives no settings for something that is not an object', () => {
    expect(flattenConfig(null).size).toBe(0);
    expect(flattenConfig(3).size).toBe(0);
  });
});

describe('configDiff', () => {
  const base = {
    trainAnnotations: '/data/train.json',
    categories: ['dog', 'cat'],
    mode: 'frozen',
    settings: { learnRate: 0.005, maxEpochs: 300, batchSize: 32, momentum: 0.9 },
    augmentedViews: 2,
  };

  it('is empty for identical settings, whatever the order of keys', () => {
    const reordered = {
      augmentedViews: 2,
      settings: { momentum: 0.9, batchSize: 32, maxEpochs: 300, learnRate: 0.005 },
      mode: 'frozen',
      categories: ['dog', 'cat'],
      trainAnnotations: '/data/train.json',
    };
    expect(configDiff([base, reordered, structuredClone(base)])).toEqual([]);
  });

  it('shows exactly the nested settings that differ, with each run’s value', () => {
    const other = { ...base, settings: { ...base.settings, learnRate: 0.01, maxEpochs: 100 } };
    expect(configDiff([base, other])).toEqual([
      {
        key: 'settings.learnRate',
        values: [
          { missing: false, value: 0.005 },
          { missing: false, value: 0.01 },
        ],
      },
      {
        key: 'settings.maxEpochs',
        values: [
          { missing: false, value: 300 },
          { missing: false, value: 100 },
        ],
      },
    ]);
  });

  it('compares arrays whole and in order', () => {
    expect(configDiff([base, { ...base, categories: ['cat', 'dog'] }]).map((r) => r.key)).toEqual(['categories']);
    expect(configDiff([base, { ...base, categories: ['dog', 'cat', 'bird'] }])[0]!.values).toEqual([
      { missing: false, value: ['dog', 'cat'] },
      { missing: false, value: ['dog', 'cat', 'bird'] },
    ]);
    expect(configDiff([{ a: [{ x: 1, y: 2 }] }, { a: [{ y: 2, x: 1 }] }])).toEqual([]);
  });

  it('reports a key one run lacks, in the order keys first appear', () => {
    const withWeights = { ...base, weights: '/models/a' };
    const rows = configDiff([base, withWeights, { ...withWeights, settings: { ...base.settings, seed: 3 } }]);
    expect(rows).toEqual([
      { key: 'weights', values: [{ missing: true }, { missing: false, value: '/models/a' }, { missing: false, value: '/models/a' }] },
      { key: 'settings.seed', values: [{ missing: true }, { missing: true }, { missing: false, value: 3 }] },
    ]);
    // Missing in the first run only, and present-but-null against missing.
    expect(configDiff([{}, { a: 1 }]).map((r) => r.key)).toEqual(['a']);
    expect(configDiff([{ a: null }, {}]).map((r) => r.key)).toEqual(['a']);
  });

  it('leaves out ignored keys and everything under them', () => {
    expect(
      configDiff(
        [
          { name: 'a', mode: 'frozen' },
          { name: 'b', mode: 'frozen' },
        ],
        { ignore: ['name'] },
      ),
    ).toEqual([]);
    expect(
      configDiff(
        [
          { meta: { x: 1 }, y: 1 },
          { meta: { x: 2 }, y: 2 },
        ],
        { ignore: ['meta'] },
      ).map((r) => r.key),
    ).toEqual(['y']);
  });

  it('treats a value and an object in its place as different', () => {
    expect(configDiff([{ settings: 1 }, { settings: { learnRate: 1 } }]).map((r) => r.key)).toEqual(['settings', 'settings.learnRate']);
  });
});

describe('sameValue and formatDiffCell', () => {
  it('compares JSON deeply', () => {
    expect(sameValue({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] })).toBe(true);
    expect(sameValue([1, 2], [2, 1])).toBe(false);
    expect(sameValue(1, '1')).toBe(false);
  });

  it('writes a value for a person', () => {
    expect(formatDiffCell({ missing: true })).toBe('(not set)');
    expect(formatDiffCell({ missing: false, value: 'frozen' })).toBe('frozen');
    expect(formatDiffCell({ missing: false, value: 0.005 })).toBe('0.005');
    expect(formatDiffCell({ missing: false, value: ['dog', 'cat'] })).toBe('dog, cat');
    expect(formatDiffCell({ missing: false, value: [] })).toBe('(none)');
    expect(formatDiffCell({ missing: false, value: { a: 1 } })).toBe('{"a":1}');
    expect(formatDiffCell({ missing: false, value: null })).toBe('null');
  });
});

describe('the metrics table', () => {
  const matrix = {
    classes: ['dog', 'cat'],
    rows: 3,
    labels: [1, 0, 0, 1, 1, 1],
    scores: [0.9, 0.2, 0.6, 0.7, 0.3, 0.55],
  };

  it('has a headline row and one row per class for each run, and one bare row for a run without scores', () => {
    const metrics = evaluate(matrix, 0.5);
    const rows = comparisonRows([
      { runId: 'a', name: 'first', threshold: 0.5, metrics },
      { runId: 'b', name: 'no scores', threshold: 0.5, metrics: null },
    ]);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toEqual([
      'a',
      'first',
      0.5,
      allClasses,
      metrics.microF1,
      metrics.jaccard,
      metrics.precision,
      metrics.recall,
      metrics.mAP,
      3,
      1,
      1,
      1,
      4,
    ]);
    // dog: TP 1 (0.9), FP 1 (0.6), FN 1 (0.3): IoU 1/3.
    expect(rows[1]!.slice(3, 10)).toEqual(['dog', 0.5, 1 / 3, 0.5, 0.5, metrics.perClass[0]!.ap, 1]);
    expect(rows[3]).toEqual(['b', 'no scores', 0.5, null, null, null, null, null, null, null, null, null, null, null]);
    expect(rows.every((r) => r.length === comparisonColumns.length)).toBe(true);
  });

  it('writes CSV with quoting and tab-separated text without it', () => {
    const rows = [
      ['a', 'name, with "quotes"', 0.1, null],
      ['b', 'tab\there', 1e-7, 2],
    ];
    expect(delimitedTable(['id', 'name', 'x', 'y'], rows, 'csv')).toBe(
      'id,name,x,y\r\na,"name, with ""quotes""",0.1,\r\nb,tab\there,1e-7,2\r\n',
    );
    expect(delimitedTable(['id', 'name', 'x', 'y'], rows, 'tsv')).toBe(
      'id\tname\tx\ty\na\tname, with "quotes"\t0.1\t\nb\ttab here\t1e-7\t2\n',
    );
  });
});
