import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertRunWithScores } from '../../../test/fixtures/run-fixture';
import { openCache } from '../db/connection';

const root = fileURLToPath(new URL('../../..', import.meta.url));
let dir: string;
let annotations: string;

function mlw(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [join(root, 'bin/mlw.mjs'), ...args, '--cache', join(dir, 'cache')], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function json<T>(...args: string[]): T {
  const result = mlw(...args, '--json');
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-labels-cli-'));
  annotations = join(dir, 'instances.json');
  // dog on 1 and 2, cat on 1, couch on 3; image 4 has no label.
  writeFileSync(
    annotations,
    JSON.stringify({
      info: { description: 'labels CLI test' },
      categories: [
        { id: 1, name: 'dog', supercategory: 'animal' },
        { id: 2, name: 'cat', supercategory: 'animal' },
        { id: 3, name: 'couch', supercategory: 'furniture' },
      ],
      images: [1, 2, 3, 4].map((id) => ({ id, file_name: `${id}.jpg`, width: 64, height: 48, license: 1 })),
      annotations: [
        { id: 1, image_id: 1, category_id: 1, bbox: [1, 2, 3, 4], area: 12, iscrowd: 0, segmentation: [[1, 2, 3, 4]] },
        { id: 2, image_id: 1, category_id: 2, bbox: [1, 2, 3, 4], area: 12, iscrowd: 0, segmentation: [[1, 2, 3, 4]] },
        { id: 3, image_id: 2, category_id: 1, bbox: [1, 2, 3, 4], area: 12, iscrowd: 0, segmentation: [[1, 2, 3, 4]] },
        { id: 5, image_id: 3, category_id: 3, bbox: [1, 2, 3, 4], area: 12, iscrowd: 1, segmentation: { counts: [1, 2], size: [48, 64] } },
      ],
    }),
  );
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mlw labels', () => {
  it('set, list, stats with and without --original-labels, undo and export give their JSON shapes', () => {
    const set = json<Record<string, unknown>>(
      'labels',
      'set',
      '--annotations',
      annotations,
      '--image',
      '4.jpg',
      '--add',
      'cat,couch',
      '--note',
      'seen',
    );
    expect(set).toMatchObject({
      changed: 2,
      batch: {
        client: 'cli',
        source: 'manual',
        note: 'seen',
        edits: [
          { imageId: 4, fileName: '4.jpg', category: 'cat', present: true },
          { imageId: 4, fileName: '4.jpg', category: 'couch', present: true },
        ],
      },
      undo: { undo: expect.any(Number), redo: null },
    });
    json('labels', 'set', '--annotations', annotations, '--image', '2', '--remove', 'dog');
    const list = json<{ changes: unknown[]; history: { total: number; rows: unknown[] }; reviewed: number }>(
      'labels',
      'list',
      '--annotations',
      annotations,
    );
    expect(list.changes).toEqual([
      { imageId: 2, fileName: '2.jpg', category: 'dog', present: false },
      { imageId: 4, fileName: '4.jpg', category: 'cat', present: true },
      { imageId: 4, fileName: '4.jpg', category: 'couch', present: true },
    ]);
    expect(list.history.total).toBe(3);
    expect(list.history.rows[0]).toMatchObject({ seq: 3, client: 'cli', category: 'dog', present: false, undone: false, stale: false });

    expect(json('stats', '--annotations', annotations, '--categories', 'dog,cat,couch')).toEqual({
      images: 3,
      perClass: { dog: 1, cat: 2, couch: 2 },
      labelsPerImage: { histogram: { '1': 1, '2': 2 }, mean: 5 / 3 },
    });
    expect(json('stats', '--annotations', annotations, '--categories', 'dog,cat,couch', '--original-labels')).toEqual({
      images: 3,
      perClass: { dog: 2, cat: 1, couch: 1 },
      labelsPerImage: { histogram: { '1': 2, '2': 1 }, mean: 4 / 3 },
    });

    const undone = json<{ batch: { edits: unknown[] } }>('labels', 'undo', '--annotations', annotations);
    expect(undone.batch.edits).toEqual([{ imageId: 2, fileName: '2.jpg', category: 'dog', present: false }]);
    const out = join(dir, 'labels.csv');
    const exported = json<Record<string, unknown>>('labels', 'export', '--annotations', annotations, '--out', out);
    expect(exported).toEqual({
      format: 'csv',
      path: out,
      bytes: expect.any(Number),
      images: 4,
      labels: 6,
      added: 2,
      removed: 0,
      annotationsKept: 0,
      annotationsDropped: 0,
      imageLabels: 0,
    });
    expect(readFileSync(out, 'utf8')).toBe('file_name,labels\n1.jpg,dog;cat\n2.jpg,dog\n3.jpg,couch\n4.jpg,cat;couch\n');
  });

  it('refuses an unknown image or class with the close matches, as a sentence', () => {
    const image = mlw('labels', 'set', '--annotations', annotations, '--image', '5.jpeg', '--add', 'dog');
    expect(image.status).toBe(1);
    expect(image.stderr).toContain('There is no image named "5.jpeg" in this file.');
    const cls = mlw('labels', 'set', '--annotations', annotations, '--image', '1', '--add', 'caat', '--json');
    expect(cls.status).toBe(1);
    expect(JSON.parse(cls.stdout)).toEqual({
      error: {
        code: 'INVALID_INPUT',
        message: 'There is no category named "caat" in this file. Did you mean "cat"?',
        details: { unknown: 'caat', suggestions: ['cat'] },
      },
    });
  });

  it('suspects --json lists ranked pairs with image, class, score, label, kind and rank', () => {
    const db = openCache(join(dir, 'cache'));
    try {
      insertRunWithScores(db, {
        runId: 'run-cli-suspects',
        classes: ['dog', 'cat'],
        imageIds: [1, 2, 3],
        labels: [
          [1, 1],
          [1, 0],
          [0, 0],
        ],
        scores: [
          [0.9, 0.2],
          [0.8, 0.7],
          [0.1, 0.3],
        ],
        valAnnotations: annotations,
      });
    } finally {
      db.close();
    }
    const result = json<{ measure: string; items: Record<string, unknown>[] }>(
      'labels',
      'suspects',
      '--run',
      'run-cli-suspects',
      '--limit',
      '2',
    );
    expect(result.measure).toBe('binary cross-entropy');
    // The strongest disagreements: cat on 1 (labelled, 0.2) and cat on 2 (not labelled, 0.7), each first of its kind.
    expect(result.items).toEqual([
      {
        rank: 1,
        classRank: 1,
        kind: 'wrong',
        imageId: 1,
        fileName: '1.jpg',
        class: 'cat',
        score: expect.closeTo(0.2, 6),
        label: 1,
        loss: expect.closeTo(-Math.log(0.2), 5),
      },
      {
        rank: 1,
        classRank: 1,
        kind: 'missing',
        imageId: 2,
        fileName: '2.jpg',
        class: 'cat',
        score: expect.closeTo(0.7, 6),
        label: 0,
        loss: expect.closeTo(-Math.log(0.3), 5),
      },
    ]);
  });
});
