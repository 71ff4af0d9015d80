import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCache, type Db } from './connection';
import { RunsStore, type NewRun } from './runs-store';

let dir: string;
let db: Db;
let store: RunsStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-runs-store-'));
  db = openCache(dir);
  store = new RunsStore(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const dataset = {
  train: { annotations: '/a/train.json', images: '/a/train', count: 12 },
  val: { annotations: '/a/val.json', images: '/a/val', count: 5 },
  categories: ['dog', 'cat'],
};

function newRun(id: string, createdAt: string): NewRun {
  return {
    id,
    name: `run ${id}`,
    status: 'running',
    createdAt,
    mode: 'frozen',
    backbone: 'mobilenet_v1_0.75',
    config: { mode: 'frozen', settings: { learnRate: 0.005 } },
    dataset,
    runDir: join(dir, 'runs', id),
  };
}

/** A row as an older version (or a damaged file) may have left it, written past the store on purpose. */
function insertRaw(id: string, datasetText: string, configText = '{}'): void {
  db.prepare(
    `INSERT INTO runs (id, name, status, created_at, mode, backbone, config, dataset, run_dir)
     VALUES (?, 'old', 'completed', '2020-01-01T00:00:00.000Z', 'frozen', 'mobilenet_v1_0.75', ?, ?, '/old')`,
  ).run(id, configText, datasetText);
}

describe('RunsStore', () => {
  it('records a run and reads it back as one typed record, newest first', () => {
    store.insert(newRun('run-1', '2026-01-01T00:00:00.000Z'));
    store.insert(newRun('run-2', '2026-01-02T00:00:00.000Z'));
    expect(store.list().map((r) => r.id)).toEqual(['run-2', 'run-1']);
    expect(store.get('run-1')).toEqual({
      id: 'run-1',
      name: 'run run-1',
      status: 'running',
      createdAt: '2026-01-01T00:00:00.000Z',
      finishedAt: null,
      mode: 'frozen',
      backbone: 'mobilenet_v1_0.75',
      backend: null,
      config: { mode: 'frozen', settings: { learnRate: 0.005 } },
      dataset,
      runDir: join(dir, 'runs', 'run-1'),
      bestValidationLoss: null,
      bestIteration: null,
      iterations: null,
      secondsFeatures: null,
      secondsTraining: null,
      secondsTotal: null,
      error: null,
      search: null,
      calibration: null,
    });
  });

  it('keeps a frozen run’s head search and temperature, and reads a damaged one as none', () => {
    const search = {
      heldOutFraction: 0.2,
      fitImages: 80,
      heldOutImages: 20,
      tried: [{ learnRate: 0.005, l2Regularization: 0.01, heldOutLoss: 3.5, epochs: 40 }],
      chosen: { learnRate: 0.005, l2Regularization: 0.01, epochs: 40 },
      seconds: 1.5,
    };
    const calibration = { temperature: 1.7, heldOutImages: 20, before: { ece: 0.1, loss: 3.5 }, after: { ece: 0.04, loss: 3.1 } };
    store.insert(newRun('run-1', '2026-01-01T00:00:00.000Z'));
    expect(store.get('run-1')).toMatchObject({ search: null, calibration: null });
    store.saveSearch('run-1', search, calibration);
    expect(store.get('run-1')).toMatchObject({ search, calibration });
    db.prepare("UPDATE runs SET search = '{\"heldOut', calibration = '{}' WHERE id = 'run-1'").run();
    expect(store.get('run-1')).toMatchObject({ search: null, calibration: null });
  });

  it('says how to list the runs when one is not there', () => {
    expect(store.find('run-x')).toBeUndefined();
    expect(() => store.get('run-x')).toThrow(
      expect.objectContaining({ code: 'NOT_FOUND', message: 'There is no run run-x. "mlw runs" lists them.' }),
    );
    expect(() => store.rename('run-x', 'y')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('reads an incomplete or damaged dataset and configuration as the one shape, with empty fields', () => {
    insertRaw('run-partial', '{"categories":["dog"],"val":{"annotations":"/v.json"}}');
    insertRaw('run-damaged', '{not json', '[1, 2]');
    const empty = { annotations: '', images: '', count: 0 };
    expect(store.get('run-partial').dataset).toEqual({
      train: empty,
      val: { annotations: '/v.json', images: '', count: 0 },
      categories: ['dog'],
    });
    expect(store.get('run-damaged')).toMatchObject({ dataset: { train: empty, val: empty, categories: [] }, config: {} });
  });

  it('finishes, restarts from a checkpoint (dropping the later history) and deletes a run with its rows', () => {
    store.insert(newRun('run-1', '2026-01-01T00:00:00.000Z'));
    const record = store.metricWriter('run-1');
    for (let i = 1; i <= 6; i++) {
      record({ iteration: i, epoch: 1, trainLoss: 1 / i, trainRmse: 0.5, valLoss: i % 3 === 0 ? 2 / i : null, valRmse: null });
    }
    store.finish('run-1', {
      status: 'cancelled',
      finishedAt: '2026-01-01T01:00:00.000Z',
      backend: null,
      bestValidationLoss: null,
      bestIteration: null,
      iterations: null,
      secondsFeatures: null,
      secondsTraining: null,
      secondsTotal: 3.5,
      error: 'The operation was cancelled.',
    });
    expect(store.get('run-1')).toMatchObject({ status: 'cancelled', secondsTotal: 3.5, error: 'The operation was cancelled.' });

    store.restart('run-1', 3);
    expect(store.get('run-1')).toMatchObject({ status: 'running', finishedAt: null, error: null });
    expect(store.history('run-1').map((p) => [p.iteration, p.valLoss])).toEqual([
      [1, null],
      [2, null],
      [3, 2 / 3],
    ]);

    const bytes = Buffer.from(Float32Array.from([0.25, 0.75]).buffer);
    store.saveScores('run-1', {
      classes: ['dog', 'cat'],
      imageIds: Buffer.from(Float64Array.from([7]).buffer),
      labels: bytes,
      scores: bytes,
    });
    store.saveScoreSet('run-1', {
      annotations: '/other.json',
      images: '/other',
      classes: ['dog', 'cat'],
      imageIds: Buffer.alloc(0),
      labels: Buffer.alloc(0),
      scores: Buffer.alloc(0),
      skipped: [{ path: '/other/x.jpg', reason: 'unreadable' }],
    });
    expect(store.scoredRunIds()).toEqual(new Set(['run-1']));
    const stored = store.scores('run-1')!;
    expect(stored.classes).toEqual(['dog', 'cat']);
    expect(Buffer.compare(stored.scores, bytes)).toBe(0);
    expect(store.scoreSet('run-1', '/other.json')).toMatchObject({ classes: ['dog', 'cat'], skipped: [{ reason: 'unreadable' }] });

    store.delete('run-1');
    expect(store.find('run-1')).toBeUndefined();
    expect(store.history('run-1')).toEqual([]);
    expect(store.hasScores('run-1')).toBe(false);
    expect(store.scoreSet('run-1', '/other.json')).toBeUndefined();
  });
});
