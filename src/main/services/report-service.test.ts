import type * as Tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCocoFixture, type WrittenCocoFixture } from '../../../test/fixtures/coco-fixture';
import { trainFrozenFixtureRun } from '../../../test/fixtures/trained-run';
import { insertRunWithScores } from '../../../test/fixtures/run-fixture';
import type { HandlerContext, Progress } from '../../shared/contract/define';
import { calibrationFigures, withTemperature } from '../../shared/domain/calibration';
import { evaluate } from '../../shared/domain/metrics';
import { runCli } from '../cli/main';
import { loadEngine } from '../engine/process/backend';
import { readLayersFolder } from '../engine/models/layers-folder';
import { decodeResized, normalise } from '../engine/images/preprocess';
import { readOnnxModelFacts } from '../engine/models/onnx-model-file';
import { exportOnnx } from '../engine/models/onnx-export';
import { formatFigure } from '../reports/html';
import { createServices, type Services } from './index';
import { reportPaths } from './report-service';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const mobilenet = resolve(root, '../shared/models/mobilenet_v1_0.75_224');
const hasModel = existsSync(join(mobilenet, 'model.json'));

let dir: string;
let services: Services;
let fixture: WrittenCocoFixture;
const classes = ['dog', 'cat', 'couch'];
const context = (progress: (p: Progress) => void = () => undefined): HandlerContext => ({
  signal: new AbortController().signal,
  progress,
});

/** Every figure the report shows must come from this matrix (the run's stored validation scores). */
const stored = {
  imageIds: [9, 30, 34, 36, 49, 61],
  labels: [
    [1, 1, 0],
    [0, 0, 1],
    [1, 0, 0],
    [0, 1, 1],
    [1, 0, 0],
    [1, 1, 0],
  ],
  scores: [
    [0.91, 0.62, 0.05],
    [0.12, 0.33, 0.71],
    [0.55, 0.48, 0.2],
    [0.4, 0.81, 0.45],
    [0.77, 0.09, 0.52],
    [0.66, 0.51, 0.1],
  ],
};

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const stream = (write: (s: string) => void) =>
    ({ write: (s: string) => (write(s), true), isTTY: false }) as unknown as NodeJS.WriteStream;
  const code = await runCli([...args, '--cache', join(dir, 'data')], {
    stdout: stream((s) => (stdout += s)),
    stderr: stream((s) => (stderr += s)),
    rendererDir: join(root, 'out/renderer'),
  });
  return { code, stdout, stderr };
}

function noNetworkReferences(text: string): void {
  expect(text).not.toMatch(/https?:\/\//i);
  expect(text).not.toMatch(/\b(src|href)\s*=\s*["']?\s*(\/\/|ftp:|file:)/i);
  expect(text).not.toMatch(/<script|<link|@import|url\(/i);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-report-'));
  services = createServices({ dataDir: join(dir, 'data'), host: 'test' });
  fixture = await writeCocoFixture(join(dir, 'coco'), { images: true, imageScale: 2 });
  await services.handlers.dataset.ingest({ path: fixture.annotationPath, imagesDir: fixture.imagesDir }, context());
  for (const [runId, name] of [
    ['run-a', 'Frozen <b>"run"</b> & friends, see https://example.org'],
    ['run-b', 'The other run'],
  ] as const) {
    insertRunWithScores(services.db, {
      runId,
      classes,
      ...stored,
      scores: runId === 'run-a' ? stored.scores : stored.scores.map((row) => row.map((s) => 1 - s)),
      valAnnotations: fixture.annotationPath,
      valImages: fixture.imagesDir,
    });
    services.runs.rename(runId, name);
  }
  const record = services.runs.metricWriter('run-a');
  for (let i = 1; i <= 40; i++) {
    record({
      iteration: i,
      epoch: Math.ceil(i / 10),
      trainLoss: 0.7 / Math.sqrt(i),
      trainRmse: 0.4 / Math.sqrt(i),
      valLoss: i % 10 === 0 ? 0.8 / Math.sqrt(i) : null,
      valRmse: i % 10 === 0 ? 0.5 / Math.sqrt(i) : null,
    });
  }
}, 120_000);

afterAll(() => {
  services.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('reports of a run with stored scores', () => {
  it('writes a self-contained HTML report whose figures are those of evaluate(), with CSV and JSON beside it', async () => {
    const out = join(dir, 'reports', 'run-a.html');
    const phases: string[] = [];
    const result = await services.handlers.reports.report(
      { runId: 'run-a', compare: [], threshold: 0.5, outPath: out, gradcamTiles: 4, overwrite: false },
      context((p) => phases.push(p.phase)),
    );
    expect(phases.length).toBeGreaterThan(2);
    expect(result.files).toEqual(reportPaths(out));
    expect(result.inline).toBeNull();
    const html = readFileSync(out, 'utf8');
    noNetworkReferences(html);

    const expected = evaluate({ classes, rows: stored.imageIds.length, labels: stored.labels.flat(), scores: stored.scores.flat() }, 0.5);
    expect(result.microF1).toBe(expected.microF1);
    for (const key of ['microF1', 'jaccard', 'precision', 'recall', 'macroF1', 'sampleJaccard', 'mAP'] as const) {
      expect(html).toContain(`data-metric="${key}">${formatFigure(expected[key])}<`);
    }
    for (const c of expected.perClass) {
      expect(html).toContain(
        `<tr data-class="${c.class}"><th scope="row">${c.class}</th><td>${c.positives}</td><td>${formatFigure(c.ap)}</td><td>${formatFigure(c.precision)}</td><td>${formatFigure(c.recall)}</td><td>${formatFigure(c.f1)}</td><td>${c.tp}</td><td>${c.fp}</td><td>${c.fn}</td><td>${c.tn}</td>`,
      );
    }
    // The dataset's two charts (the training annotations are in the cache), the curves, the four sweep plots.
    expect(html).toContain('aria-label="Class balance: images per class"');
    expect(html).toContain('aria-label="Labels per image"');
    expect(html).toContain('aria-label="Loss (binary cross-entropy)"');
    for (const title of ['F1-score', 'Jaccard index', 'Precision', 'Recall']) expect(html).toContain(`aria-label="${title}"`);
    expect(html.match(/class="tile"/g)).toHaveLength(classes.length);
    // User text is escaped and never becomes a link.
    expect(html).toContain('Frozen &lt;b&gt;&quot;run&quot;&lt;/b&gt; &amp; friends, see https&#58;//example.org');
    // The fixture run has no trained network, so its Grad-CAM tiles are left out with a note.
    expect(result.gradcamTiles).toBe(0);
    expect(result.notes.join('\n')).toMatch(/Grad-CAM tiles were left out: Run run-a has no trained network/);

    const csv = readFileSync(result.files!.csv, 'utf8').trim().split('\n');
    expect(csv[0]).toBe('scope,class,threshold,ap,precision,recall,f1,jaccard,tp,fp,fn,tn,positives,ece,loss,temperature');
    expect(csv).toHaveLength(1 + classes.length + 3);
    const dog = csv[1]!.split(',');
    expect(dog.slice(0, 2)).toEqual(['class', 'dog']);
    expect(Number(dog[6])).toBe(expected.perClass[0]!.f1);
    const micro = csv.find((line) => line.startsWith('micro,'))!.split(',');
    expect(Number(micro[6])).toBe(expected.microF1);

    // FILE.metrics.json is exactly what `mlw evaluate --json` prints for the run and threshold.
    const printed = await cli('evaluate', '--run', 'run-a', '--threshold', '0.5', '--json');
    expect(printed.code).toBe(0);
    expect(readFileSync(result.files!.json, 'utf8')).toBe(printed.stdout);
  });

  it('returns the documents inline without an outPath, and shows compared runs side by side', async () => {
    const result = await services.handlers.reports.report(
      { runId: 'run-a', compare: ['run-b'], threshold: 0.4, gradcamTiles: 0, overwrite: false },
      context(),
    );
    expect(result.files).toBeNull();
    const { html, csv, json } = result.inline!;
    noNetworkReferences(html);
    expect(html).toContain('Configuration, side by side');
    expect(html).toContain('<tr data-run="run-b"><th scope="row">The other run</th>');
    const other = evaluate(
      { classes, rows: 6, labels: stored.labels.flat(), scores: stored.scores.flat().map((s) => Math.fround(1 - s)) },
      0.4,
    );
    expect(html).toContain(`<tr data-run="run-b"><th scope="row">The other run</th><td>${formatFigure(other.microF1)}</td>`);
    // The compared runs' training curves are overlaid on the run's.
    expect(html).toContain('Loss of the compared runs');
    expect(html).toContain('The other run (training, smoothed)');
    expect(csv.split('\n')[0]).toContain('scope,class');
    expect(JSON.parse(json)).toMatchObject({ runId: 'run-a', threshold: 0.4 });
  });

  it('shows the ECE, the validation loss, the per-class ECE and a reliability diagram; with a temperature, its held-out figures', async () => {
    const matrix = { classes, rows: stored.imageIds.length, labels: stored.labels.flat(), scores: stored.scores.flat().map(Math.fround) };
    const figures = calibrationFigures(matrix);
    // Without a temperature: one diagram, and the sentence that says why there is none.
    const plain = await services.handlers.reports.report(
      { runId: 'run-a', compare: [], threshold: 0.5, gradcamTiles: 0, overwrite: false },
      context(),
    );
    const plainHtml = plain.inline!.html;
    expect(plain.ece).toBe(figures.ece);
    expect(plain.validationLoss).toBe(figures.validationLoss);
    expect(plainHtml).toContain(`data-metric="ece">${formatFigure(figures.ece)}<`);
    expect(plainHtml).toContain(`data-metric="validationLoss">${formatFigure(figures.validationLoss)}<`);
    expect(plainHtml.match(/<svg class="chart reliability"/g)).toHaveLength(1);
    expect(plainHtml).toContain('aria-label="Reliability diagram (scores as trained)"');
    expect(plainHtml).toContain('This run has no temperature');
    expect(plainHtml).not.toContain('<h3>Temperature scaling</h3>');
    // The per-class table ends with each class's ECE.
    classes.forEach((name, j) =>
      expect(plainHtml).toMatch(
        new RegExp(`<tr data-class="${name}">.*?<td data-metric="ece">${formatFigure(figures.eceByClass[j]!)}</td></tr>`),
      ),
    );
    // A bar per occupied bin, each with its count.
    const occupied = figures.reliability.filter((b) => b.count > 0);
    expect(plainHtml.match(/<rect [^>]*data-count="/g)).toHaveLength(occupied.length);
    const plainCsv = plain.inline!.csv.trim().split('\n');
    expect(plainCsv.find((line) => line.startsWith('class,dog,'))!.split(',')[13]).toBe(String(figures.eceByClass[0]));
    expect(plainCsv.find((line) => line.startsWith('micro,'))!.split(',')[13]).toBe(String(figures.ece));
    expect(plainCsv.find((line) => line.startsWith('per-image,'))!.split(',')[14]).toBe(String(figures.validationLoss));
    expect(plainCsv.some((line) => line.startsWith('held-out,'))).toBe(false);

    // With a temperature: the held-out figures, T, and the diagram of the scaled scores beside the other.
    insertRunWithScores(services.db, {
      runId: 'run-t',
      classes,
      ...stored,
      valAnnotations: fixture.annotationPath,
      valImages: fixture.imagesDir,
    });
    const calibration = { temperature: 1.5, heldOutImages: 9, before: { ece: 0.123456, loss: 2.5 }, after: { ece: 0.0456, loss: 2.25 } };
    services.runs.saveSearch(
      'run-t',
      {
        heldOutFraction: 0.2,
        fitImages: 36,
        heldOutImages: 9,
        tried: [{ learnRate: 0.01, l2Regularization: 0.0001, heldOutLoss: 2.5, epochs: 10 }],
        chosen: { learnRate: 0.01, l2Regularization: 0.0001, epochs: 10 },
        seconds: 2,
      },
      calibration,
    );
    const scaledFigures = calibrationFigures(withTemperature(matrix, 1.5));
    const result = await services.handlers.reports.report(
      { runId: 'run-t', compare: [], threshold: 0.5, gradcamTiles: 0, overwrite: false },
      context(),
    );
    const { html, csv, json } = result.inline!;
    noNetworkReferences(html);
    expect(html.match(/<svg class="chart reliability"/g)).toHaveLength(2);
    expect(html).toContain('aria-label="Reliability diagram (scores scaled by T = 1.500)"');
    expect(html).toContain('<b>T = 1.5000</b>');
    expect(html).toContain(
      '<tr data-calibration="held-out-before"><th scope="row">held-out images, as trained</th><td>0.1235</td><td>2.5000</td></tr>',
    );
    expect(html).toContain(
      '<tr data-calibration="held-out-after"><th scope="row">held-out images, scaled by T</th><td>0.0456</td><td>2.2500</td></tr>',
    );
    expect(html).toContain(
      `<tr data-calibration="validation-after"><th scope="row">these images, scaled by T</th><td>${formatFigure(scaledFigures.ece)}</td><td>${formatFigure(scaledFigures.validationLoss)}</td></tr>`,
    );
    const heldOut = csv
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('held-out,'));
    expect(heldOut).toEqual(['held-out,,,,,,,,,,,,,0.123456,2.5,1', 'held-out,,,,,,,,,,,,,0.0456,2.25,1.5']);
    expect(JSON.parse(json)).toMatchObject({ ece: figures.ece, validationLoss: figures.validationLoss, temperature: null, calibration });
  });

  it('writes the report through mlw report, and says PDF needs the desktop app', async () => {
    const out = join(dir, 'cli', 'report.html');
    const printed = await cli('report', '--run', 'run-a', '--compare', 'run-b', '--gradcam', '0', '--out', out, '--json');
    expect(printed.code).toBe(0);
    const result = JSON.parse(printed.stdout) as { files: { html: string; csv: string; json: string } };
    expect(result.files.html).toBe(out);
    for (const path of Object.values(result.files)) expect(existsSync(path)).toBe(true);
    await expect(services.handlers.reports.pdf({ htmlPath: out, overwrite: false }, context())).rejects.toMatchObject({
      code: 'UNSUPPORTED',
    });
    await expect(
      services.handlers.reports.report({ runId: 'run-zzz', compare: [], threshold: 0.5, gradcamTiles: 0, overwrite: false }, context()),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('prints to PDF with the host’s printer where it has one', async () => {
    const printed: string[] = [];
    const desktop = createServices({
      dataDir: join(dir, 'data'),
      host: 'test',
      printPdf: async (htmlPath, pdfPath) => {
        printed.push(htmlPath);
        await import('node:fs/promises').then((fs) => fs.writeFile(pdfPath, '%PDF-1.4\n'));
      },
    });
    try {
      const out = join(dir, 'cli', 'report.html');
      const pdf = await desktop.handlers.reports.pdf({ htmlPath: out, overwrite: false }, context());
      expect(printed).toEqual([out]);
      expect(pdf).toEqual({ path: join(dir, 'cli', 'report.pdf'), bytes: 9 });
    } finally {
      desktop.close();
    }
  });
});

describe.skipIf(!hasModel)(hasModel ? 'a trained run' : 'a trained run: skipped because ../shared/models is absent', () => {
  let runId: string;
  let tf: typeof Tf;

  beforeAll(async () => {
    tf = (await loadEngine()).tf;
    runId = await trainFrozenFixtureRun(services, fixture, classes, mobilenet);
  }, 300_000);

  it('reports the run’s figures, curves and Grad-CAM tiles', async () => {
    const out = join(dir, 'trained', 'report.html');
    const result = await services.handlers.reports.report(
      { runId, compare: [], threshold: 0.3, outPath: out, gradcamTiles: 2, overwrite: false },
      context(),
    );
    const html = readFileSync(out, 'utf8');
    noNetworkReferences(html);
    const scores = await services.handlers.evaluation.scores({ runId }, context());
    const expected = evaluate(
      { classes: scores.classes, rows: scores.imageIds.length, labels: scores.labels.flat(), scores: scores.scores.flat() },
      0.3,
    );
    for (const key of ['microF1', 'jaccard', 'precision', 'recall', 'macroF1', 'mAP'] as const) {
      expect(html).toContain(`data-metric="${key}">${formatFigure(expected[key])}<`);
    }
    expect(html).toContain('aria-label="RMSE of the scores"');
    expect(result.gradcamTiles).toBe(2);
    expect(html.match(/<figure class="cam"/g)).toHaveLength(2);
    expect(html).toContain('src="data:image/png;base64,');
    expect(html).toContain('src="data:image/jpeg;base64,');
  }, 180_000);

  it('exports the whole network, which scores as the run does, and imports it back as a run that predicts the same', async () => {
    const outDir = join(dir, 'exported');
    const exported = await services.handlers.reports.exportModel({ runId, format: 'tfjs', outDir, threshold: 0.5 }, context());
    expect(exported.files.sort()).toEqual(['README.md', 'labels.json', 'mlw-export.json', 'model.json', 'weights.bin']);
    expect(JSON.parse(readFileSync(join(outDir, 'labels.json'), 'utf8'))).toEqual(classes);
    expect(readFileSync(join(outDir, 'README.md'), 'utf8')).toContain('x / 127.5 - 1');

    // Loaded back as any TensorFlow.js user would, fed as the README says.
    const model = await tf.loadLayersModel(tf.io.fromMemory(await readLayersFolder(outDir)));
    const validation = await services.handlers.evaluation.scores({ runId }, context());
    const paths = validation.fileNames.map((name) => join(fixture.imagesDir, name));
    const input = new Float32Array(paths.length * 224 * 224 * 3);
    for (const [i, path] of paths.entries()) normalise(await decodeResized(path, 224), 'mobilenet', input, i * 224 * 224 * 3);
    const got = tf.tidy(() => (model.predict(tf.tensor4d(input, [paths.length, 224, 224, 3])) as Tf.Tensor).arraySync()) as number[][];
    model.dispose();
    // The run's stored scores come from features ONNX Runtime computed; TensorFlow.js differs in the last bits.
    got.forEach((row, i) => row.forEach((score, j) => expect(Math.abs(score - validation.scores[i]![j]!)).toBeLessThan(1e-4)));

    const imported = await services.handlers.reports.importModel({ dir: outDir, name: 'Imported again' }, context());
    expect(imported).toMatchObject({ name: 'Imported again', backbone: 'mobilenet_v1_0.75', classes });
    const runs = await services.handlers.runs.list({}, context());
    expect(runs.find((r) => r.runId === imported.runId)).toMatchObject({ status: 'completed', mode: 'imported' });
    const images = paths.slice(0, 3).map((path) => ({ path }));
    const original = await services.handlers.prediction.predict(
      { runId, images, threshold: 0.5, perClassThresholds: false, calibrated: false },
      context(),
    );
    const again = await services.handlers.prediction.predict(
      { runId: imported.runId, images, threshold: 0.5, perClassThresholds: false, calibrated: false },
      context(),
    );
    again.results.forEach((r, i) => {
      const o = original.results[i]!;
      if (!r.ok || !o.ok) throw new Error('expected every image to be scored');
      r.scores.forEach((score, j) => expect(Math.abs(score - o.scores[j]!)).toBeLessThan(1e-5));
      expect(r.labels).toEqual(o.labels);
    });
    const cam = await services.handlers.prediction.gradcam(
      { runId: imported.runId, image: images[0]!, classes: ['dog'], calibrated: false },
      context(),
    );
    expect(cam.classes[0]!.map).toHaveLength(7);
    await expect(
      services.handlers.reports.report(
        { runId: imported.runId, compare: [], threshold: 0.5, gradcamTiles: 0, overwrite: false },
        context(),
      ),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('imported from a model folder') });
    // An imported model has no validation images: it is judged on an annotated set, with the same figures as its source run.
    await expect(
      services.handlers.evaluation.evaluate(
        { runId: imported.runId, threshold: 0.5, perClassThresholds: false, calibrated: false },
        context(),
      ),
    ).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining('--annotations FILE --images DIR') });
    const judged = await services.handlers.evaluation.evaluate(
      {
        runId: imported.runId,
        threshold: 0.5,
        perClassThresholds: false,
        calibrated: false,
        annotations: fixture.annotationPath,
        images: fixture.imagesDir,
      },
      context(),
    );
    const source = await services.handlers.evaluation.evaluate(
      { runId, threshold: 0.5, perClassThresholds: false, calibrated: false },
      context(),
    );
    expect(judged.images).toBe(source.images);
    expect(judged.metrics.microF1).toBeCloseTo(source.metrics.microF1, 6);
    expect(judged.tunedThresholds).toEqual([]);

    // An export never replaces a folder of someone else's files, and only exports import.
    await expect(
      services.handlers.reports.exportModel({ runId, format: 'tfjs', outDir: fixture.imagesDir, threshold: 0.5 }, context()),
    ).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(services.handlers.reports.importModel({ dir: fixture.imagesDir }, context())).rejects.toMatchObject({ code: 'NOT_FOUND' });
  }, 300_000);

  it('exports one ONNX model whose scores are the run’s, with its facts in metadata_props, and imports it back (folder or file)', async () => {
    const outDir = join(dir, 'exported-onnx');
    const exported = await services.handlers.reports.exportModel({ runId, format: 'onnx', outDir, threshold: 0.4 }, context());
    expect(exported.files.sort()).toEqual(['README.txt', 'labels.json', 'mlw-export.json', 'model.onnx']);
    const readme = readFileSync(join(outDir, 'README.txt'), 'utf8');
    expect(readme).toContain('x / 127.5 - 1');
    expect(readme).toContain("session.run(['scores']");

    // Run as any ONNX Runtime user would, fed as the README says.
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(join(outDir, 'model.onnx'));
    const validation = await services.handlers.evaluation.scores({ runId }, context());
    const paths = validation.fileNames.map((name) => join(fixture.imagesDir, name));
    const input = new Float32Array(paths.length * 224 * 224 * 3);
    for (const [i, path] of paths.entries()) normalise(await decodeResized(path, 224), 'mobilenet', input, i * 224 * 224 * 3);
    const output = await session.run({ input: new ort.Tensor('float32', input, [paths.length, 224, 224, 3]) });
    const scores = output.scores!.data as Float32Array;
    expect(scores).toHaveLength(paths.length * classes.length);
    validation.scores.forEach((row, i) =>
      row.forEach((score, j) => expect(Math.abs(scores[i * classes.length + j]! - score)).toBeLessThan(1e-4)),
    );
    await session.release();
    const { metadata } = readOnnxModelFacts(readFileSync(join(outDir, 'model.onnx')), 'model.onnx');
    expect(JSON.parse(metadata.classes!)).toEqual(classes);
    expect(metadata).toMatchObject({ threshold: '0.4', input_size: '224', channel_order: 'RGB', 'mlw.backbone': 'mobilenet_v1_0.75' });

    const images = paths.slice(0, 3).map((path) => ({ path }));
    const original = await services.handlers.prediction.predict(
      { runId, images, threshold: 0.5, perClassThresholds: false, calibrated: false },
      context(),
    );
    // The folder (with its manifest), and the lone file (its metadata_props say the same).
    const lone = join(dir, 'lone.onnx');
    await import('node:fs/promises').then((fs) => fs.copyFile(join(outDir, 'model.onnx'), lone));
    for (const path of [outDir, lone]) {
      const imported = await services.handlers.reports.importModel({ dir: path }, context());
      expect(imported).toMatchObject({ backbone: 'mobilenet_v1_0.75', classes });
      const again = await services.handlers.prediction.predict(
        { runId: imported.runId, images, threshold: 0.5, perClassThresholds: false, calibrated: false },
        context(),
      );
      again.results.forEach((r, i) => {
        const o = original.results[i]!;
        if (!r.ok || !o.ok) throw new Error('expected every image to be scored');
        r.scores.forEach((score, j) => expect(Math.abs(score - o.scores[j]!)).toBeLessThan(1e-4));
      });
      const cam = await services.handlers.prediction.gradcam(
        { runId: imported.runId, image: images[0]!, classes: ['dog'], calibrated: false },
        context(),
      );
      expect(cam.classes[0]!.map).toHaveLength(7);
      const judged = await services.handlers.evaluation.evaluate(
        {
          runId: imported.runId,
          threshold: 0.5,
          perClassThresholds: false,
          calibrated: false,
          annotations: fixture.annotationPath,
          images: fixture.imagesDir,
        },
        context(),
      );
      const source = await services.handlers.evaluation.evaluate(
        { runId, threshold: 0.5, perClassThresholds: false, calibrated: false },
        context(),
      );
      expect(judged.metrics.microF1).toBeCloseTo(source.metrics.microF1, 6);
    }
    // An ONNX file that is not our export is refused with a sentence, and nothing is recorded.
    const before = (await services.handlers.runs.list({}, context())).length;
    const foldersBefore = readdirSync(join(dir, 'data', 'runs')).length;
    const foreign = join(dir, 'foreign.onnx');
    await import('node:fs/promises').then((fs) => fs.writeFile(foreign, Buffer.from('not a protobuf at all, just text')));
    await expect(services.handlers.reports.importModel({ dir: foreign }, context())).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    // A real ONNX model without our head: refused before anything is written.
    const image = tf.input({ shape: [224, 224, 3] });
    const conv = tf.layers.conv2d({ filters: 4, kernelSize: 3, name: 'end' }).apply(image) as Tf.SymbolicTensor;
    const trunkOnly = tf.model({ inputs: image, outputs: conv });
    await import('node:fs/promises').then((fs) => fs.writeFile(foreign, exportOnnx(trunkOnly, { trunkEnd: 'end', featureMap: true })));
    trunkOnly.dispose();
    await expect(services.handlers.reports.importModel({ dir: foreign }, context())).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('is not a model "mlw export --format onnx" wrote: it lacks the outputs'),
    });
    // The manifest of an ONNX export without its model.
    const orphan = join(dir, 'orphan');
    await import('node:fs/promises').then(async (fs) => {
      await fs.mkdir(orphan);
      await fs.copyFile(join(outDir, 'mlw-export.json'), join(orphan, 'mlw-export.json'));
    });
    await expect(services.handlers.reports.importModel({ dir: orphan }, context())).rejects.toMatchObject({
      code: 'NOT_FOUND',
      message: expect.stringContaining('no model.onnx'),
    });
    expect((await services.handlers.runs.list({}, context())).length).toBe(before);
    expect(readdirSync(join(dir, 'data', 'runs'))).toHaveLength(foldersBefore);
    // An imported ONNX run is its own export.
    const importedRun = (await services.handlers.runs.list({}, context())).find(
      (r) => r.mode === 'imported' && r.name.includes('(imported)'),
    )!;
    for (const format of ['onnx', 'tfjs'] as const) {
      await expect(
        services.handlers.reports.exportModel(
          { runId: importedRun.runId, format, outDir: join(dir, `again-${format}`), threshold: 0.5 },
          context(),
        ),
      ).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    }
  }, 300_000);
});
