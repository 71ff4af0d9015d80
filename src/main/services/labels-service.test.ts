import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildCocoFixture, fixtureExpected, serializeCoco, writeCocoFixture, type CocoFile } from '../../../test/fixtures/coco-fixture';
import { insertRunWithScores } from '../../../test/fixtures/run-fixture';
import { rejection } from '../../../test/support/rejection';
import type { Api } from '../../shared/contract';
import { createLocalApi } from '../transport/local';
import { createServices, type Services } from './index';
import type { DatasetService } from './dataset-service';
import { subsetImages } from './subset-images';

const pets = fixtureExpected.petsSubset;
const allCategories = ['person', 'bird', 'cat', 'dog', 'couch', 'potted plant'];
const context = { signal: new AbortController().signal, progress: () => undefined };

let dir: string;
let annotations: string;
let services: Services;
let api: Api & { dispose(): void };
let fileId: number;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-labels-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(async () => {
  const data = mkdtempSync(join(dir, 'case-'));
  annotations = (await writeCocoFixture(join(data, 'coco'))).annotationPath;
  services = createServices({ dataDir: join(data, 'cache'), host: 'test' });
  api = createLocalApi(services.handlers);
  fileId = (await api.dataset.ingest({ path: annotations })).fileId;
});

afterEach(() => {
  api.dispose();
  services.close();
});

describe('effective labels', () => {
  it('statistics, category counts, pages and the image follow adds, removes, undo and redo', async () => {
    await api.labels.set({ fileId, imageRefs: [9], remove: ['dog'], client: 'A' });
    await api.labels.set({ fileId, imageRefs: ['000000000061.jpg'], add: ['couch'], client: 'A' });
    const added = await api.labels.set({ fileId, imageRefs: [42], add: ['bird', 'dog'], note: 'a dog behind the fence', client: 'A' });
    expect(added.changed).toBe(2);
    expect(added.batch).toMatchObject({ client: 'A', source: 'manual', note: 'a dog behind the fence' });

    // 9 cat; 30 couch; 34 dog; 36 cat couch; 42 dog; 49 dog potted plant; 61 dog cat couch.
    expect(await api.dataset.stats({ fileId, categories: [...pets.names] })).toEqual({
      images: 7,
      perClass: { dog: 4, cat: 3, 'potted plant': 1, couch: 3 },
      labelsPerImage: { histogram: { '1': 4, '2': 2, '3': 1 }, mean: 11 / 7 },
    });
    const counts = Object.fromEntries((await api.dataset.categories({ fileId })).map((c) => [c.name, c.imageCount]));
    expect(counts).toEqual({ person: 3, bird: 1, cat: 3, dog: 4, couch: 3, 'potted plant': 1 });
    const page = await api.dataset.images({ fileId, categories: [...pets.names], offset: 0, limit: 10 });
    expect(page.items.map((i) => [i.id, i.labels, i.edited])).toEqual([
      [9, ['cat'], true],
      [30, ['couch'], false],
      [34, ['dog'], false],
      [36, ['cat', 'couch'], false],
      [42, ['dog'], true],
      [49, ['dog', 'potted plant'], false],
      [61, ['dog', 'cat', 'couch'], true],
    ]);
    const edited = await api.dataset.images({ fileId, categories: [...pets.names], edited: true, offset: 0, limit: 10 });
    expect(edited.items.map((i) => i.id)).toEqual([9, 42, 61]);
    const nine = await api.dataset.image({ fileId, imageId: 9, categories: [...pets.names] });
    expect(nine.labels).toEqual(['cat']);
    expect(nine.edits).toEqual([{ category: 'dog', present: false }]);
    // The boxes stay as COCO has them: the dialog hides those of removed labels.
    expect(nine.boxes.filter((b) => b.category === 'dog')).toHaveLength(2);

    // The imported labels, on request.
    expect(await api.dataset.stats({ fileId, categories: [...pets.names], originalLabels: true })).toEqual({
      images: pets.images,
      perClass: pets.perClass,
      labelsPerImage: { histogram: pets.histogram, mean: pets.mean },
    });

    const undone = await api.labels.undo({ fileId, client: 'A' });
    expect(undone.batch?.edits.map((e) => [e.imageId, e.category, e.present])).toEqual([
      [42, 'bird', true],
      [42, 'dog', true],
    ]);
    expect(undone.undo.redo).toBe(added.batch.batch);
    expect(await api.dataset.stats({ fileId, categories: [...pets.names] })).toEqual({
      images: 6,
      perClass: { dog: 3, cat: 3, 'potted plant': 1, couch: 3 },
      labelsPerImage: { histogram: { '1': 3, '2': 2, '3': 1 }, mean: 10 / 6 },
    });
    await api.labels.redo({ fileId, client: 'A' });
    expect((await api.dataset.stats({ fileId, categories: [...pets.names] })).images).toBe(7);

    // Another client has nothing to undo.
    expect((await api.labels.undo({ fileId, client: 'B' })).batch).toBeNull();
    const listed = await api.labels.list({ fileId, client: 'A' });
    expect(listed.changes.map((c) => [c.imageId, c.category, c.present])).toEqual([
      [9, 'dog', false],
      [42, 'bird', true],
      [42, 'dog', true],
      [61, 'couch', true],
    ]);
    expect(listed.history.total).toBe(4);
    expect(listed.undo).toEqual({ undo: added.batch.batch, redo: null });
  });

  it('a new edit after an undo cannot be followed by a redo of the undone one', async () => {
    await api.labels.set({ fileId, imageRefs: [25], add: ['dog'], client: 'A' });
    await api.labels.undo({ fileId, client: 'A' });
    await api.labels.set({ fileId, imageRefs: [25], add: ['cat'], client: 'A' });
    expect((await api.labels.redo({ fileId, client: 'A' })).batch).toBeNull();
    expect((await api.dataset.image({ fileId, imageId: 25, categories: ['dog', 'cat'] })).labels).toEqual(['cat']);
  });

  it('refuses an unknown class or image with the closest names, and a label both added and removed', async () => {
    const unknownClass = await rejection(api.labels.set({ fileId, imageRefs: [9], add: ['dgo'], client: 'A' }));
    expect(unknownClass).toMatchObject({ code: 'INVALID_INPUT', details: { suggestions: ['dog'] } });
    expect(unknownClass.message).toBe('There is no category named "dgo" in this file. Did you mean "dog"?');
    const unknownName = await rejection(api.labels.set({ fileId, imageRefs: ['000000000019.jpg'], add: ['dog'], client: 'A' }));
    expect(unknownName.message).toContain('There is no image named "000000000019.jpg" in this file. Did you mean "000000000009.jpg"');
    const unknownId = await rejection(api.labels.set({ fileId, imageRefs: [40], add: ['dog'], client: 'A' }));
    expect(unknownId.message).toBe('There is no image with id 40 in this file. The nearest ids it has are 36 and 42.');
    const both = await rejection(api.labels.set({ fileId, imageRefs: [9], add: ['dog'], remove: ['Dog'], client: 'A' }));
    expect(both.message).toBe('"dog" is both added and removed; name each label once.');
    expect((await api.labels.list({ fileId })).history.total).toBe(0);
  });

  it('a run trains on the effective labels and records how many edits it used and their digest', async () => {
    await api.labels.set({ fileId, imageRefs: [9], remove: ['dog'], client: 'A' });
    await api.labels.set({ fileId, imageRefs: [42], add: ['dog', 'bird'], client: 'A' });
    const request = { annotations, imagesDir: dir, categories: ['dog', 'cat'], role: 'training' };
    // The guarded handlers delegate to the dataset service, which is what training passes.
    const dataset = services.handlers.dataset as unknown as DatasetService;
    const subset = await subsetImages(services.db, dataset, request, context);
    // 9 cat; 34 dog; 36 cat; 42 dog; 49 dog; 61 dog cat (bird is not one of the classes).
    expect(subset.imageIds).toEqual([9, 34, 36, 42, 49, 61]);
    expect([...subset.labels]).toEqual([0, 1, 1, 0, 0, 1, 1, 0, 1, 0, 1, 1]);
    const lines = ['42\tdog\tpresent', '9\tdog\tabsent'].sort().join('\n');
    expect(subset.labelEdits).toEqual({ count: 2, digest: createHash('sha256').update(lines).digest('hex') });
    const original = await subsetImages(services.db, dataset, { ...request, originalLabels: true }, context);
    expect(original.imageIds).toEqual([9, 34, 36, 49, 61]);
    expect(original.labelEdits).toEqual({ count: 0, digest: null });
  });

  it('evaluation judges a run on the labels stored with it, the original ones or the corrected ones', async () => {
    insertRunWithScores(services.db, {
      runId: 'run-judged',
      classes: ['dog', 'cat'],
      imageIds: [9, 25, 61],
      labels: [
        [1, 1],
        [0, 0],
        [1, 1],
      ],
      scores: [
        [0.2, 0.9],
        [0.8, 0.1],
        [0.9, 0.9],
      ],
      valAnnotations: annotations,
    });
    await api.labels.set({ fileId, imageRefs: [9], remove: ['dog'], client: 'A' });
    await api.labels.set({ fileId, imageRefs: [25], add: ['dog'], client: 'A' });
    const corrected = await api.evaluation.scores({ runId: 'run-judged', labels: 'corrected' });
    expect(corrected.labels).toEqual([
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    const original = await api.evaluation.scores({ runId: 'run-judged', labels: 'original' });
    expect(original.labels).toEqual([
      [1, 1],
      [0, 0],
      [1, 1],
    ]);
    // At 0.5 the corrected labels agree with every score: micro F1 1; on the stored ones dog misses twice.
    const judged = await api.evaluation.evaluate({ runId: 'run-judged', labels: 'corrected' });
    expect(judged.labels).toBe('corrected');
    expect(judged.metrics.microF1).toBe(1);
    const stored = await api.evaluation.evaluate({ runId: 'run-judged' });
    expect(stored.metrics.microF1).toBeCloseTo(3 / (3 + 0.5 * 2), 9);
  });
});

describe('two clients editing at once', () => {
  it('keeps every edit of both, lets the later edit of a pair decide, and undoes only the undoing client’s own', async () => {
    // A second connection to the same cache, as the desktop app and "mlw serve" (or the CLI) have.
    const other = createServices({ dataDir: services.dataDir, host: 'test' });
    const otherApi = createLocalApi(other.handlers);
    try {
      await Promise.all([
        ...[9, 25, 30].map((imageId) => api.labels.set({ fileId, imageRefs: [imageId], add: ['bird'], client: 'window' })),
        ...[25, 30, 36].map((imageId) => otherApi.labels.set({ fileId, imageRefs: [imageId], remove: ['person'], client: 'browser' })),
      ]);
      const both = await api.labels.list({ fileId });
      expect(both.history.total).toBe(6);
      expect(both.changes.map((c) => `${c.imageId} ${c.category} ${c.present}`).sort()).toEqual(
        ['9 bird true', '25 bird true', '30 bird true', '25 person false', '30 person false', '36 person false'].sort(),
      );
      // The same pair set both ways: the edit made last decides; both stay in the history.
      await api.labels.set({ fileId, imageRefs: [49], remove: ['dog'], client: 'window' });
      await otherApi.labels.set({ fileId, imageRefs: [49], add: ['dog'], client: 'browser' });
      expect((await api.dataset.image({ fileId, imageId: 49, categories: ['dog'] })).labels).toEqual(['dog']);
      expect((await api.labels.image({ fileId, imageId: 49, categories: ['dog'] })).history.map((h) => [h.client, h.present])).toEqual([
        ['browser', true],
        ['window', false],
      ]);
      // The window undoes its removal: the browser's later add still decides.
      const undone = await api.labels.undo({ fileId, client: 'window' });
      expect(undone.batch?.edits).toEqual([{ imageId: 49, fileName: '000000000049.jpg', category: 'dog', present: false }]);
      expect((await otherApi.dataset.image({ fileId, imageId: 49, categories: ['dog'] })).labels).toEqual(['dog']);
      // The browser undoes its add: the window's removal is undone too, so the imported label stands.
      await otherApi.labels.undo({ fileId, client: 'browser' });
      expect((await api.dataset.image({ fileId, imageId: 49, categories: ['dog'] })).labels).toEqual(['dog']);
      // The browser's own earlier removals go one at a time, the last it made first; the window's birds stay.
      const last = both.history.rows.filter((row) => row.client === 'browser').sort((a, b) => b.batch - a.batch)[0]!;
      await otherApi.labels.undo({ fileId, client: 'browser' });
      const after = await api.labels.list({ fileId });
      expect(after.changes.map((c) => `${c.imageId} ${c.category} ${c.present}`).sort()).toEqual(
        ['9 bird true', '25 bird true', '30 bird true', '25 person false', '30 person false', '36 person false']
          .filter((change) => change !== `${last.imageId} person false`)
          .sort(),
      );
    } finally {
      otherApi.dispose();
      other.close();
    }
  });
});

describe('write back', () => {
  async function editForExport(): Promise<void> {
    await api.labels.set({ fileId, imageRefs: [9], remove: ['dog'], client: 'A' });
    await api.labels.set({ fileId, imageRefs: [61], add: ['couch'], client: 'A' });
    await api.labels.set({ fileId, imageRefs: [42], add: ['bird'], client: 'A' });
    await api.labels.set({ fileId, imageRefs: [36], remove: ['person'], client: 'A' });
  }

  it('exports COCO keeping every original field, dropping removed labels’ annotations and listing added labels; importing it gives the effective labels', async () => {
    await editForExport();
    const out = join(dir, `export-${fileId}-${Date.now()}.json`);
    const result = await api.labels.export({ fileId, format: 'coco', outPath: out });
    expect(result).toMatchObject({
      path: out,
      inline: null,
      added: 2,
      removed: 2,
      annotationsKept: 13,
      annotationsDropped: 4,
      imageLabels: 2,
    });

    const original = buildCocoFixture();
    const exported = JSON.parse(readFileSync(out, 'utf8')) as CocoFile & { mlw_image_labels: unknown };
    expect(exported.info).toEqual(original.info);
    expect(exported.licenses).toEqual(original.licenses);
    expect(exported.images).toEqual(original.images);
    expect(exported.categories).toEqual(original.categories);
    // Dog on 9 (101, 102) and person on 36 (109 and the crowd 900100000258) are gone; the rest are as they were, segmentation and all.
    const dropped = new Set([101, 102, 109, 900100000258]);
    expect(exported.annotations).toEqual(original.annotations.filter((a) => !dropped.has(a.id)));
    expect(exported.mlw_image_labels).toEqual([
      { image_id: 42, category_id: 16 },
      { image_id: 61, category_id: 63 },
    ]);

    const reimported = await api.dataset.ingest({ path: out });
    const back = await api.dataset.subset({ fileId: reimported.fileId, categories: allCategories });
    const effective = await api.dataset.subset({ fileId, categories: allCategories });
    expect(back).toEqual(effective);
    // 9 cat; 25 person; 30 person couch; 34 dog; 36 cat couch; 42 bird; 49 dog potted plant; 61 cat dog couch.
    expect(back.imageIds).toEqual([9, 25, 30, 34, 36, 42, 49, 61]);
    expect(back.labels).toEqual([
      [0, 0, 1, 0, 0, 0],
      [1, 0, 0, 0, 0, 0],
      [1, 0, 0, 0, 1, 0],
      [0, 0, 0, 1, 0, 0],
      [0, 0, 1, 0, 1, 0],
      [0, 1, 0, 0, 0, 0],
      [0, 0, 0, 1, 0, 1],
      [0, 0, 1, 1, 1, 0],
    ]);

    // Exporting the exported file again with one of its box-less labels removed drops it from mlw_image_labels.
    await api.labels.set({ fileId: reimported.fileId, imageRefs: [42], remove: ['bird'], client: 'A' });
    const again = await api.labels.export({ fileId: reimported.fileId, format: 'coco' });
    const second = JSON.parse(again.inline!) as CocoFile & { mlw_image_labels: unknown };
    expect(second.mlw_image_labels).toEqual([{ image_id: 61, category_id: 63 }]);
    expect(second.annotations).toEqual(exported.annotations);
  });

  it('exports CSV and JSON Lines of the effective labels, every image in id order', async () => {
    await editForExport();
    const csv = await api.labels.export({ fileId, format: 'csv' });
    expect(csv.inline).toBe(
      [
        'file_name,labels',
        '000000000009.jpg,cat',
        '000000000025.jpg,person',
        '000000000030.jpg,person;couch',
        '000000000034.jpg,dog',
        '000000000036.jpg,cat;couch',
        '000000000042.jpg,bird',
        '000000000049.jpg,dog;potted plant',
        '000000000061.jpg,cat;dog;couch',
        '',
      ].join('\n'),
    );
    const out = join(dir, `labels-${fileId}-${Date.now()}.jsonl`);
    await api.labels.export({ fileId, format: 'jsonl', outPath: out });
    const lines = readFileSync(out, 'utf8')
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as unknown);
    expect(lines[0]).toEqual({ image_id: 9, file_name: '000000000009.jpg', labels: ['cat'] });
    expect(lines[5]).toEqual({ image_id: 42, file_name: '000000000042.jpg', labels: ['bird'] });
    expect(lines).toHaveLength(8);
  });

  it('refuses to export over the imported file, and a COCO export of a file changed since its import', async () => {
    expect((await rejection(api.labels.export({ fileId, format: 'coco', outPath: annotations }))).message).toContain(
      'would replace the imported file',
    );
    writeFileSync(annotations, serializeCoco(buildCocoFixture({ extraImages: 1 })));
    expect((await rejection(api.labels.export({ fileId, format: 'coco' }))).message).toContain('has changed since it was imported');
  });
});

describe('re-import of a changed file', () => {
  it('carries the edits over to the new id where the image still exists, and lists the rest', async () => {
    writeFileSync(annotations, serializeCoco(buildCocoFixture({ extraImages: 3 })));
    const first = await api.dataset.ingest({ path: annotations });
    await api.labels.set({ fileId: first.fileId, imageRefs: [1001], add: ['dog'], client: 'A' });
    await api.labels.set({ fileId: first.fileId, imageRefs: [9], add: ['couch'], client: 'A' });
    await api.labels.review({ fileId: first.fileId, imageIds: [9, 1002], reviewed: true, client: 'A' });
    // The file changes: images 1000–1002 are gone.
    writeFileSync(annotations, serializeCoco(buildCocoFixture()));
    const second = await api.dataset.ingest({ path: annotations });
    expect(second.fileId).not.toBe(first.fileId);
    expect(second.labelEdits).toEqual({
      carried: 1,
      notCarried: [{ imageId: 1001, fileName: '000000001001.jpg', category: 'dog', present: true }],
    });
    const listed = await api.labels.list({ fileId: second.fileId });
    expect(listed.changes.map((c) => [c.imageId, c.category, c.present])).toEqual([[9, 'couch', true]]);
    expect(listed.notCarried.map((e) => [e.imageId, e.category, e.stale])).toEqual([[1001, 'dog', true]]);
    expect(listed.reviewed).toBe(1);
    expect((await api.dataset.stats({ fileId: second.fileId, categories: ['couch'] })).perClass).toEqual({ couch: 3 });
  });
});

describe('suspects of a run', () => {
  // Labels from the fixture: dog on 9, 34, 61; cat on 9, 36, 61.
  const scores = {
    9: [0.9, 0.8],
    25: [0.7, 0.1],
    30: [0.2, 0.95],
    34: [0.05, 0.3],
    36: [0.6, 0.4],
    61: [0.99, 0.5],
  };
  beforeEach(() => {
    insertRunWithScores(services.db, {
      runId: 'run-suspects',
      classes: ['dog', 'cat'],
      imageIds: Object.keys(scores).map(Number),
      labels: [
        [1, 1],
        [0, 0],
        [0, 0],
        [1, 0],
        [0, 1],
        [1, 1],
      ],
      scores: Object.values(scores),
      valAnnotations: annotations,
    });
  });

  it('ranks missing labels by score, highest first, and wrong ones lowest first, within each class too', async () => {
    const missing = await api.labels.suspects({ runId: 'run-suspects', kind: 'missing' });
    expect(missing.items.map((s) => [s.rank, s.classRank, s.imageId, s.class])).toEqual([
      [1, 1, 30, 'cat'],
      [2, 1, 25, 'dog'],
      [3, 2, 36, 'dog'],
      [4, 2, 34, 'cat'],
      [5, 3, 30, 'dog'],
      [6, 3, 25, 'cat'],
    ]);
    expect(missing.items[0]).toMatchObject({
      kind: 'missing',
      label: 0,
      fileName: '000000000030.jpg',
      loss: expect.closeTo(-Math.log(0.05), 5),
    });
    const wrong = await api.labels.suspects({ runId: 'run-suspects', kind: 'wrong' });
    expect(wrong.items.map((s) => [s.rank, s.imageId, s.class])).toEqual([
      [1, 34, 'dog'],
      [2, 36, 'cat'],
      [3, 61, 'cat'],
      [4, 9, 'cat'],
      [5, 9, 'dog'],
      [6, 61, 'dog'],
    ]);
    expect(wrong.totals).toEqual({ missing: 6, wrong: 6, disagreeing: { missing: 3, wrong: 2 } });
    const dogs = await api.labels.suspects({ runId: 'run-suspects', kind: 'missing', class: 'dog', limit: 1 });
    expect(dogs.items.map((s) => [s.rank, s.classRank, s.imageId])).toEqual([[2, 1, 25]]);
    expect(dogs.matching).toBe(3);
  });

  it('never proposes a rejected pair again; an accepted one changes the label and counts', async () => {
    await api.labels.decide({ runId: 'run-suspects', imageId: 30, class: 'cat', kind: 'missing', decision: 'reject', client: 'A' });
    const accepted = await api.labels.decide({
      runId: 'run-suspects',
      imageId: 25,
      class: 'dog',
      kind: 'missing',
      decision: 'accept',
      client: 'A',
    });
    expect(accepted.counts).toEqual({ accepted: 1, rejected: 1, acceptedFromRun: 1, rejectedFromRun: 1 });
    expect(accepted.batch).toMatchObject({ source: 'suspect', edits: [{ imageId: 25, category: 'dog', present: true }] });
    expect((await api.dataset.image({ fileId, imageId: 25, categories: ['dog'] })).labels).toEqual(['dog']);
    const missing = await api.labels.suspects({ runId: 'run-suspects', kind: 'missing' });
    expect(missing.items.map((s) => [s.imageId, s.class])).toEqual([
      [36, 'dog'],
      [34, 'cat'],
      [30, 'dog'],
      [25, 'cat'],
    ]);
    expect(missing.rejected).toBe(1);
    // Accepting it again (another client, say) leaves it present.
    await api.labels.decide({ runId: 'run-suspects', imageId: 25, class: 'dog', kind: 'missing', decision: 'accept', client: 'B' });
    expect((await api.dataset.image({ fileId, imageId: 25, categories: ['dog'] })).labels).toEqual(['dog']);
    const unknown = await rejection(api.labels.suspects({ runId: 'run-suspects', class: 'dgo' }));
    expect(unknown.message).toBe('Run run-suspects has no class "dgo". Did you mean "dog"? Its classes are dog, cat.');
  });
});
