import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureHistory, fixtureRunConfig, insertRunWithScores, type FixtureRun } from '../../../test/fixtures/run-fixture';
import type { HandlerContext } from '../../shared/contract/define';
import { averagePrecisions, evaluate, thresholdMetrics } from '../../shared/domain/metrics';
import { comparisonColumns, comparisonRows, delimitedTable } from '../../shared/domain/run-diff';
import { smooth } from '../../shared/domain/smoothing';
import { openCache } from '../db/connection';
import { createLocalApi } from '../transport/local';
import { createServices, type Services } from './index';

let dir: string;
let services: Services;
const context: HandlerContext = { signal: new AbortController().signal, progress: () => undefined };

const classes = ['dog', 'cat', 'couch'];
const base: FixtureRun = {
  runId: 'run-a',
  classes,
  imageIds: [11, 12, 13, 14],
  labels: [
    [1, 0, 0],
    [0, 1, 1],
    [1, 1, 0],
    [0, 0, 0],
  ],
  scores: [
    [0.9, 0.1, 0.2],
    [0.3, 0.8, 0.45],
    [0.6, 0.4, 0.1],
    [0.2, 0.05, 0.7],
  ],
  name: 'baseline',
  createdAt: '2026-01-01T10:00:00.000Z',
  config: fixtureRunConfig(classes, { name: 'baseline' }),
  history: fixtureHistory(30, { every: 10 }),
  seconds: 12.5,
};
const other: FixtureRun = {
  ...base,
  runId: 'run-b',
  name: 'faster',
  createdAt: '2026-01-02T10:00:00.000Z',
  scores: base.scores.map((row) => row.map((v) => Math.min(1, v + 0.15))),
  config: fixtureRunConfig(classes, { name: 'faster', settings: { learnRate: 0.01, maxEpochs: 100 } }),
  history: fixtureHistory(20, { every: 5, seed: 3 }),
};

function matrixOf(run: FixtureRun) {
  return {
    classes: run.classes,
    rows: run.imageIds.length,
    labels: run.labels.flat(),
    scores: run.scores.flat().map((v) => Math.fround(v)),
  };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-runs-'));
  services = createServices({ dataDir: join(dir, 'data'), host: 'test' });
  insertRunWithScores(services.db, base);
  insertRunWithScores(services.db, other);
  insertRunWithScores(services.db, {
    ...base,
    runId: 'run-failed',
    name: 'broken',
    status: 'failed',
    createdAt: '2025-12-31T10:00:00.000Z',
  });
});

afterAll(() => {
  services.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('RunsService', () => {
  it('lists every run newest first with its dataset, timings and headline metrics at 0.5', async () => {
    const runs = await services.handlers.runs.list({}, context);
    expect(runs.map((r) => r.runId)).toEqual(['run-b', 'run-a', 'run-failed']);
    const a = runs[1]!;
    expect(a).toMatchObject({
      name: 'baseline',
      status: 'completed',
      mode: 'frozen',
      backbone: 'mobilenet_v1_0.75',
      backend: 'wasm',
      seconds: 12.5,
      iterations: 30,
      dataset: { categories: classes, train: { count: 10 }, val: { annotations: '/data/val.json', count: 4 } },
      // What the Train workspace's list and the run pickers read (runs.list replaced training.runs).
      categories: classes,
      images: { train: 10, val: 4 },
    });
    const matrix = matrixOf(base);
    const expected = thresholdMetrics(matrix, 0.5);
    const aps = averagePrecisions(matrix).filter((ap): ap is number => ap !== null);
    expect(a.metrics).toEqual({ ...expected, mAP: aps.reduce((x, y) => x + y, 0) / aps.length });
    expect(a.bestValidationLoss).toBe(Math.min(...base.history!.filter((p) => p.valLoss).map((p) => p.valLoss!)));
    expect(runs[2]!.metrics).toBeNull();
  });

  it('compares two runs: exactly their differing settings, metrics at each threshold, histories', async () => {
    const result = await services.handlers.runs.compare({ runIds: ['run-a', 'run-b'], thresholds: [0.5, 0.4] }, context);
    expect(result.diff).toEqual([
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
    expect(result.settings).toBe(18);
    expect(result.runs.map((r) => r.runId)).toEqual(['run-a', 'run-b']);
    expect(result.configs[1]).toMatchObject({ name: 'faster', settings: { learnRate: 0.01 } });
    expect(result.metrics[0]).toEqual({ runId: 'run-a', ...evaluate(matrixOf(base), 0.5) });
    expect(result.metrics[1]).toEqual({ runId: 'run-b', ...evaluate(matrixOf(other), 0.4) });
    const [ha, hb] = result.histories;
    expect(ha!.iterations).toBe(30);
    expect(ha!.validation.map((p) => p.iteration)).toEqual([10, 20, 30]);
    expect(hb!.validation).toHaveLength(4);
    expect(ha!.training.map((p) => p.smoothedLoss)).toEqual(smooth(base.history!.map((p) => p.trainLoss)));
  });

  it('does not list augmented views (a frozen-mode setting) as a difference between fine-tune runs recorded with it', async () => {
    const own = createServices({ dataDir: join(dir, 'finetune-data'), host: 'test' });
    try {
      const finetune = (runId: string, views: number): FixtureRun => ({
        ...base,
        runId,
        mode: 'finetune',
        config: fixtureRunConfig(classes, { mode: 'finetune', augmentedViews: views }),
      });
      insertRunWithScores(own.db, finetune('run-ft-1', 2));
      insertRunWithScores(own.db, finetune('run-ft-2', 0));
      const result = await own.handlers.runs.compare({ runIds: ['run-ft-1', 'run-ft-2'], thresholds: 0.5 }, context);
      expect(result.diff).toEqual([]);
      expect(result.configs[0]).not.toHaveProperty('augmentedViews');
      // Between frozen runs it is a setting like any other.
      insertRunWithScores(own.db, { ...base, runId: 'run-fr-1', config: fixtureRunConfig(classes, { augmentedViews: 2 }) });
      insertRunWithScores(own.db, { ...base, runId: 'run-fr-2', config: fixtureRunConfig(classes, { augmentedViews: 0 }) });
      const frozen = await own.handlers.runs.compare({ runIds: ['run-fr-1', 'run-fr-2'], thresholds: 0.5 }, context);
      expect(frozen.diff.map((row) => row.key)).toEqual(['augmentedViews']);
    } finally {
      own.close();
    }
  });

  it('compares identical settings as an empty diff, and a run without scores with null metrics', async () => {
    const result = await services.handlers.runs.compare({ runIds: ['run-a', 'run-failed'], thresholds: 0.5 }, context);
    expect(result.diff).toEqual([]);
    expect(result.metrics[1]).toBeNull();
  });

  it('refuses too few runs, a run named twice, a mismatched threshold list and an unknown run with sentences', async () => {
    const api = createLocalApi(services.handlers);
    try {
      await expect(api.runs.compare({ runIds: ['run-a'] })).rejects.toMatchObject({ message: expect.stringContaining('at least 2 runs') });
      await expect(api.runs.compare({ runIds: ['run-a', 'run-a'] })).rejects.toMatchObject({
        message: expect.stringContaining('named twice'),
      });
      await expect(api.runs.compare({ runIds: ['run-a', 'run-b'], thresholds: [0.5] })).rejects.toMatchObject({
        message: expect.stringContaining('1 thresholds for 2 runs'),
      });
      await expect(api.runs.compare({ runIds: ['run-a', 'run-x'] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      api.dispose();
    }
  });

  it('renames a run, trimming the name, and refuses an empty one', async () => {
    const api = createLocalApi(services.handlers);
    try {
      const renamed = await api.runs.rename({ runId: 'run-b', name: '  lr 0.01  ' });
      expect(renamed.name).toBe('lr 0.01');
      expect((await api.runs.list({})).find((r) => r.runId === 'run-b')!.name).toBe('lr 0.01');
      await expect(api.runs.rename({ runId: 'run-b', name: '   ' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(api.runs.rename({ runId: 'nope', name: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    } finally {
      api.dispose();
    }
  });

  it('deletes a run with its rows and its folder, and refuses a running run', async () => {
    const runDir = join(services.dataDir, 'runs', 'run-doomed');
    mkdirSync(join(runDir, 'gradcam'), { recursive: true });
    writeFileSync(join(runDir, 'head.json'), '{"weights":[1,2,3]}');
    writeFileSync(join(runDir, 'checkpoint.json'), '{}');
    writeFileSync(join(runDir, 'gradcam', '0-fp-0.5000-12.json'), '[]');
    insertRunWithScores(services.db, { ...base, runId: 'run-doomed', runDir, config: {} });
    const empty = Buffer.alloc(0);
    services.runs.saveScoreSet('run-doomed', {
      annotations: '/other.json',
      images: '/other',
      classes: [],
      imageIds: empty,
      labels: empty,
      scores: empty,
      skipped: [],
    });
    const count = (table: string): number =>
      (
        services.db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${table === 'runs' ? 'id' : 'run_id'} = 'run-doomed'`).get() as {
          n: number;
        }
      ).n;
    expect(count('run_metrics')).toBe(30);

    const result = await services.handlers.runs.delete({ runId: 'run-doomed' }, context);
    expect(result).toEqual({ runId: 'run-doomed', name: 'baseline', folder: runDir, files: 3, bytes: 19 + 2 + 2 });
    expect(existsSync(runDir)).toBe(false);
    for (const table of ['runs', 'run_metrics', 'run_scores', 'run_score_sets']) expect(count(table), table).toBe(0);
    await expect(services.handlers.runs.delete({ runId: 'run-doomed' }, context)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const runningDir = join(services.dataDir, 'runs', 'run-busy');
    mkdirSync(runningDir, { recursive: true });
    insertRunWithScores(services.db, { ...base, runId: 'run-busy', status: 'running', runDir: runningDir });
    await expect(services.handlers.runs.delete({ runId: 'run-busy' }, context)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('is still running, so it cannot be deleted'),
    });
    expect(existsSync(runningDir)).toBe(true);
    expect((await services.handlers.runs.list({}, context)).some((r) => r.runId === 'run-busy')).toBe(true);
  });

  it('answers an unknown run with the same sentence in every service', async () => {
    const api = createLocalApi(services.handlers);
    const sentence = { code: 'NOT_FOUND', message: 'There is no run run-x. "mlw runs" lists them.' };
    try {
      const calls: [string, Promise<unknown>][] = [
        ['runs.rename', api.runs.rename({ runId: 'run-x', name: 'x' })],
        ['runs.delete', api.runs.delete({ runId: 'run-x' })],
        ['training.history', api.training.history({ runId: 'run-x' })],
        ['training.resume', api.training.resume({ runId: 'run-x' })],
        ['evaluation.scores', api.evaluation.scores({ runId: 'run-x' })],
        ['evaluation.evaluate', api.evaluation.evaluate({ runId: 'run-x' })],
        ['prediction.predict', api.prediction.predict({ runId: 'run-x', images: [{ path: '/nowhere.jpg' }] })],
        ['prediction.gallery', api.prediction.gallery({ runId: 'run-x', class: 'dog', kind: 'tp' })],
        ['reports.report', api.reports.report({ runId: 'run-x' })],
        ['reports.exportModel', api.reports.exportModel({ runId: 'run-x', outDir: join(dir, 'nowhere') })],
      ];
      for (const [method, call] of calls) await expect(call, method).rejects.toMatchObject(sentence);
    } finally {
      api.dispose();
    }
  });

  it('never removes a folder that is not named by the run id', async () => {
    const stranger = join(dir, 'precious');
    mkdirSync(stranger, { recursive: true });
    writeFileSync(join(stranger, 'keep.txt'), 'keep');
    insertRunWithScores(services.db, { ...base, runId: 'run-odd', runDir: stranger });
    const result = await services.handlers.runs.delete({ runId: 'run-odd' }, context);
    expect(result).toMatchObject({ folder: null, files: 0 });
    expect(existsSync(join(stranger, 'keep.txt'))).toBe(true);
  });
});

describe('mlw compare, mlw runs rename and delete', () => {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  let cache: string;
  const mlw = (...args: string[]) =>
    spawnSync(process.execPath, [join(root, 'bin/mlw.mjs'), ...args, '--cache', cache], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  beforeAll(() => {
    cache = join(dir, 'cli-cache');
    const db = openCache(cache);
    try {
      insertRunWithScores(db, base);
      insertRunWithScores(db, other);
    } finally {
      db.close();
    }
  });

  it('compare --json gives exactly the differing settings and the metrics of each run at its threshold; --csv writes the table', () => {
    const csv = join(dir, 'compare.csv');
    const result = mlw('compare', 'run-a', 'run-b', '--threshold', '0.5,0.4', '--json', '--csv', csv);
    expect(result.status, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout) as {
      runs: { runId: string; name: string }[];
      diff: { key: string }[];
      settings: number;
      metrics: ({ runId: string } & ReturnType<typeof evaluate>)[];
      histories?: unknown;
    };
    expect(json.diff.map((r) => r.key)).toEqual(['settings.learnRate', 'settings.maxEpochs']);
    expect(json.settings).toBe(18);
    expect(json.histories).toBeUndefined();
    const a = evaluate(matrixOf(base), 0.5);
    const b = evaluate(matrixOf(other), 0.4);
    expect(json.metrics).toEqual([
      { runId: 'run-a', ...a },
      { runId: 'run-b', ...b },
    ]);
    expect(readFileSync(csv, 'utf8')).toBe(
      delimitedTable(
        comparisonColumns,
        comparisonRows([
          { runId: 'run-a', name: 'baseline', threshold: 0.5, metrics: a },
          { runId: 'run-b', name: 'faster', threshold: 0.4, metrics: b },
        ]),
        'csv',
      ),
    );
    const human = mlw('compare', 'run-a', 'run-b');
    expect(human.status).toBe(0);
    expect(human.stdout).toContain('Settings that differ (2 of 18):');
    expect(human.stdout).toMatch(/settings\.learnRate\s+0\.005\s+0\.01/);
    expect(human.stdout).toContain('F1 per class (Δ against run-a):');
    expect(mlw('compare', 'run-a').status).not.toBe(0);
  });

  it('runs --json stays an array of run summaries, now with their metrics; rename and delete work', () => {
    const listed = JSON.parse(mlw('runs', '--json').stdout) as { runId: string; name: string; images: unknown; metrics: unknown }[];
    expect(Array.isArray(listed)).toBe(true);
    expect(listed.map((r) => r.runId)).toEqual(['run-b', 'run-a']);
    expect(listed[0]).toMatchObject({ images: { train: 10, val: 4 }, metrics: { threshold: 0.5 } });

    const renamed = mlw('runs', 'rename', 'run-b', 'lr 0.01', '--json');
    expect(renamed.status, renamed.stderr).toBe(0);
    expect(JSON.parse(renamed.stdout)).toMatchObject({ runId: 'run-b', name: 'lr 0.01' });

    const refused = mlw('runs', 'delete', 'run-b');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('without confirmation: this terminal cannot ask. Add --yes');
    const deleted = mlw('runs', 'delete', 'run-b', '--yes', '--json');
    expect(deleted.status, deleted.stderr).toBe(0);
    expect(JSON.parse(deleted.stdout)).toMatchObject({ runId: 'run-b', name: 'lr 0.01', folder: null });
    expect((JSON.parse(mlw('runs', '--json').stdout) as { runId: string }[]).map((r) => r.runId)).toEqual(['run-a']);
  });
});
