import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { HandlerContext, ServiceHandlers } from '../../shared/contract/define';
import { AppError } from '../../shared/contract/errors';
import type { predictionContract } from '../../shared/contract/prediction';
import { exportManifest, type ExportManifest, type reportsContract } from '../../shared/contract/reports';
import { calibrationFigures, withTemperature } from '../../shared/domain/calibration';
import { fineSweep, thresholdMetrics, tunedThresholds } from '../../shared/domain/metrics';
import { subsetStats } from '../coco/queries';
import type { Db } from '../db/connection';
import { runDataset, type HistoryPoint, type RunsStore, type StoredRun } from '../db/runs-store';
import {
  startEngine,
  checkExportTarget,
  exportManifestFile,
  onnxModelFile,
  readLayersFolder,
  readOnnxModelFacts,
  backbones,
  type EngineSpawner,
} from '../engine';
import { metricsCsv } from '../reports/csv';
import { renderReport, type GradCamTile, type ReportData, type ReportRun } from '../reports/html';
import { appVersion } from '../version';
import { writeFileAtomic } from '../files/atomic-file';
import type { EvaluationService } from './evaluation-service';
import { readRunNetwork } from './run-files';

type ReportsHandlers = ServiceHandlers<typeof reportsContract>;
type GalleryHandler = ServiceHandlers<typeof predictionContract>['gallery'];

/** Prints an HTML file to a PDF file; only the desktop app has one (Electron's printToPDF). */
export type PdfPrinter = (htmlPath: string, pdfPath: string) => Promise<void>;

/** FILE.html → FILE.metrics.csv and FILE.metrics.json beside it. */
export function reportPaths(outPath: string): { html: string; csv: string; json: string } {
  const html = resolve(outPath);
  const stem = html.replace(/\.html?$/i, '');
  return { html, csv: `${stem}.metrics.csv`, json: `${stem}.metrics.json` };
}

/**
 * Reports and model files: a self-contained HTML report of a run (with its metrics as CSV and JSON),
 * its PDF where the desktop app can print one, and the run's whole network exported as a TensorFlow.js
 * Layers model, which can be imported back as a run.
 */
export class ReportService implements ReportsHandlers {
  constructor(
    private readonly options: {
      db: Db;
      runs: RunsStore;
      dataDir: string;
      evaluation: EvaluationService;
      /** The prediction service's gallery, for the Grad-CAM tiles. */
      gallery: GalleryHandler;
      spawnEngine?: EngineSpawner;
      printPdf?: PdfPrinter;
    },
  ) {}

  report: ReportsHandlers['report'] = async (request, context) => {
    const { evaluation } = this.options;
    const total = 4 + (request.gradcamTiles > 0 ? 1 : 0);
    const step = (done: number, phase: string): void => context.progress({ phase, done, total, unit: 'items' });
    step(0, 'Reading the run');
    const row = this.row(request.runId);
    if (row.mode === 'imported') {
      throw new AppError(
        'NOT_FOUND',
        `Run ${request.runId} was imported from a model folder, so it has no validation scores or training history to report on; report on the run it was exported from.`,
      );
    }
    const notes: string[] = [];

    // Exactly what `mlw evaluate --run RUN --threshold X --json` prints.
    const evaluated = await evaluation.evaluate(
      { runId: request.runId, threshold: request.threshold, perClassThresholds: false, calibrated: false },
      context,
    );
    const { metrics, ...rest } = evaluated;
    const json = `${JSON.stringify({ ...metrics, ...rest }, null, 2)}\n`;
    const csv = metricsCsv(metrics, evaluated);
    const { matrix } = evaluation.load(request.runId);
    const calibration = {
      ece: evaluated.ece,
      validationLoss: evaluated.validationLoss,
      eceByClass: evaluated.eceByClass,
      reliability: evaluated.reliability,
    };
    const temperature = evaluated.calibration;

    step(1, 'Reading the compared runs');
    const compare: ReportRun[] = [];
    for (const otherId of request.compare.filter((id) => id !== request.runId)) {
      const other = this.row(otherId);
      let otherMetrics = null;
      try {
        otherMetrics = (
          await evaluation.evaluate({ runId: otherId, threshold: request.threshold, perClassThresholds: false, calibrated: false }, context)
        ).metrics;
      } catch (error) {
        const appError = AppError.from(error);
        if (appError.code === 'CANCELLED') throw appError;
        notes.push(`Run ${otherId} has no figures beside the others: ${appError.message}`);
      }
      compare.push(reportRun(other, otherMetrics));
    }

    step(2, 'Summarising the dataset');
    const run = reportRun(row, metrics);
    const dataset = this.datasetSummary(run, notes);
    const history = this.history(request.runId);
    if (history.length === 0) notes.push(`Run ${request.runId} recorded no training history, so there are no training curves.`);

    step(3, 'Drawing the charts');
    const gradcam =
      request.gradcamTiles > 0
        ? await this.gradcamTiles(request.runId, metrics.perClass, request.threshold, request.gradcamTiles, notes, context)
        : [];
    if (request.gradcamTiles === 0) notes.push('Grad-CAM tiles were not asked for.');

    const data: ReportData = {
      generatedAt: new Date().toISOString(),
      appVersion,
      threshold: request.threshold,
      run,
      compare,
      dataset,
      history,
      compareHistories: compare.map((other) => this.history(other.runId)),
      metrics,
      images: evaluated.images,
      source: evaluated.source,
      calibration,
      temperature,
      scaled: temperature === null ? null : calibrationFigures(withTemperature(matrix, temperature.temperature)),
      fineSweep: fineSweep.map((t) => thresholdMetrics(matrix, t)),
      tuned: tunedThresholds(matrix, request.threshold),
      gradcam,
      notes,
    };
    const html = renderReport(data);
    step(total - 1, 'Writing the report');
    let files: { html: string; csv: string; json: string } | null = null;
    if (request.outPath !== undefined) {
      files = reportPaths(request.outPath);
      await writeFileAtomic(files.html, html);
      await writeFileAtomic(files.csv, csv);
      await writeFileAtomic(files.json, json);
    }
    step(total, 'Writing the report');
    return {
      runId: request.runId,
      threshold: request.threshold,
      files,
      inline: files === null ? { html, csv, json } : null,
      bytes: Buffer.byteLength(html) + Buffer.byteLength(csv) + Buffer.byteLength(json),
      microF1: metrics.microF1,
      macroF1: metrics.macroF1,
      mAP: metrics.mAP,
      ece: evaluated.ece,
      validationLoss: evaluated.validationLoss,
      gradcamTiles: gradcam.length,
      notes,
    };
  };

  pdf: ReportsHandlers['pdf'] = async ({ htmlPath, outPath }) => {
    if (this.options.printPdf === undefined) {
      throw new AppError(
        'UNSUPPORTED',
        'Only the desktop app prints reports to PDF. Open the HTML report in a browser and print it to PDF there.',
      );
    }
    const html = resolve(htmlPath);
    if (!existsSync(html)) throw new AppError('NOT_FOUND', `There is no report at ${html}; write it first.`, { path: html });
    const pdf = resolve(outPath ?? html.replace(/\.html?$/i, '') + '.pdf');
    await mkdir(resolve(pdf, '..'), { recursive: true });
    await this.options.printPdf(html, pdf);
    return { path: pdf, bytes: (await stat(pdf)).size };
  };

  exportModel: ReportsHandlers['exportModel'] = async (request, context) => {
    const row = this.options.runs.get(request.runId);
    const network = await readRunNetwork(row);
    if (network.onnxModel !== undefined) {
      throw new AppError(
        'UNSUPPORTED',
        request.format === 'onnx'
          ? `Run ${request.runId} is the ONNX model ${network.onnxModel}, which already is its export: copy that file (and labels.json and README.txt beside it).`
          : `Run ${request.runId} is the ONNX model ${network.onnxModel}; it has no TensorFlow.js form to export. Export the run it came from with --format tfjs.`,
        { path: network.onnxModel },
      );
    }
    const outDir = resolve(request.outDir);
    await checkExportTarget(outDir);
    context.progress({ phase: 'Building the whole network', done: 0, total: 1, unit: 'items' });
    const engine = startEngine(this.options.spawnEngine);
    let outcome;
    try {
      outcome = await engine.api.engine.exportModel(
        {
          network: {
            backbone: network.backbone,
            weightsDir: network.weightsDir,
            head: network.head,
            ...(network.featureLayer === undefined ? {} : { featureLayer: network.featureLayer }),
            ...(network.onnxModel === undefined ? {} : { onnxModel: network.onnxModel }),
          },
          format: request.format,
          classes: network.classes,
          threshold: request.threshold,
          source: { runId: row.id, name: row.name, mode: row.mode, exportedAt: new Date().toISOString(), dataset: row.dataset },
          outDir,
        },
        { signal: context.signal },
      );
    } finally {
      engine.close();
    }
    context.progress({ phase: 'Building the whole network', done: 1, total: 1, unit: 'items' });
    return { runId: request.runId, ...outcome, classes: network.classes };
  };

  importModel: ReportsHandlers['importModel'] = async ({ dir, name }) => {
    const folder = resolve(dir);
    if (folder.toLowerCase().endsWith('.onnx') || existsSync(join(folder, onnxModelFile))) return this.importOnnx(folder, name);
    const manifestPath = join(folder, exportManifestFile);
    let text: string;
    try {
      text = await readFile(manifestPath, 'utf8');
    } catch {
      throw new AppError(
        'NOT_FOUND',
        `${folder} holds no ${exportManifestFile}, so it is not a model that "mlw export" wrote; only those can be imported as runs.`,
        { path: folder },
      );
    }
    let manifest: ExportManifest;
    try {
      manifest = exportManifest.parse(JSON.parse(text));
    } catch {
      throw new AppError('INVALID_INPUT', `${manifestPath} is damaged or of another version; export the run again.`, {
        path: manifestPath,
      });
    }
    if (manifest.format === 'mlw-onnx') {
      throw new AppError(
        'NOT_FOUND',
        `${folder} holds the manifest of an ONNX export but no ${onnxModelFile}; copy the model back or export the run again.`,
        {
          path: folder,
        },
      );
    }
    const spec = backbones[manifest.backbone];
    if (spec === undefined) {
      throw new AppError(
        'INVALID_INPUT',
        `The model's backbone "${manifest.backbone}" is not one this app knows (${Object.keys(backbones).join(', ')}).`,
      );
    }
    const artifacts = await readLayersFolder(folder);
    const topology = JSON.stringify(artifacts.modelTopology);
    if (!topology.includes(`"name":"${manifest.featureLayer}"`)) {
      throw new AppError(
        'INVALID_INPUT',
        `The model in ${folder} has no layer ${manifest.featureLayer}, where its manifest says the trunk ends.`,
      );
    }
    const d = manifest.featureSize;
    const c = manifest.classes.length;
    const weights = headWeights(artifacts, `${manifest.headLayer}/kernel`, [d, c], folder);
    const bias = headWeights(artifacts, `${manifest.headLayer}/bias`, [c], folder);
    const runId = newRunId();
    const runDir = join(this.options.dataDir, 'runs', runId);
    await mkdir(runDir, { recursive: true });
    await writeFileAtomic(
      join(runDir, 'head.json'),
      JSON.stringify({
        backbone: manifest.backbone,
        // The exported folder is the whole network; the trunk is cut from it at featureLayer.
        weightsDir: folder,
        classes: manifest.classes,
        featureSize: d,
        featureLayer: manifest.featureLayer,
        weights: [...weights],
        bias: [...bias],
      }),
    );
    return this.recordImported(runId, runDir, name, manifest, folder);
  };

  /** The runs row of an imported model: a completed run of mode "imported", with the dataset its manifest names. */
  private recordImported(runId: string, runDir: string, name: string | undefined, manifest: ExportManifest, folder: string) {
    // The dataset of the run it was exported from, as far as the manifest names it; the classes are the model's.
    const dataset = { ...runDataset.parse(manifest.source.dataset), categories: manifest.classes };
    const runName = name ?? `${manifest.source.name} (imported)`;
    const now = new Date().toISOString();
    this.options.runs.insert({
      id: runId,
      name: runName,
      status: 'completed',
      createdAt: now,
      finishedAt: now,
      mode: 'imported',
      backbone: manifest.backbone,
      config: { imported: folder, threshold: manifest.threshold, source: { ...manifest.source, dataset: undefined } },
      dataset,
      runDir,
    });
    return { runId, name: runName, backbone: manifest.backbone, classes: manifest.classes, weightsDir: folder };
  }

  /**
   * Records an ONNX model that "mlw export --format onnx" wrote (its folder, or the .onnx file) as a
   * run: the class names, threshold and preprocessing come from the manifest beside it or, for a
   * lone file, from its metadata_props; the head's weights from the model itself.
   */
  private async importOnnx(
    path: string,
    name: string | undefined,
  ): Promise<{ runId: string; name: string; backbone: string; classes: string[]; weightsDir: string }> {
    const modelPath = path.toLowerCase().endsWith('.onnx') ? path : join(path, onnxModelFile);
    let bytes: Buffer;
    try {
      bytes = await readFile(modelPath);
    } catch {
      throw new AppError('NOT_FOUND', `There is no ONNX model at ${modelPath}.`, { path: modelPath });
    }
    const facts = readOnnxModelFacts(bytes, modelPath);
    const manifest = await this.onnxManifest(join(modelPath, '..'), facts.metadata, modelPath);
    const spec = backbones[manifest.backbone];
    if (spec === undefined) {
      throw new AppError(
        'INVALID_INPUT',
        `The model's backbone "${manifest.backbone}" is not one this app knows (${Object.keys(backbones).join(', ')}).`,
      );
    }
    if (facts.inputSize !== spec.preprocessing.size || facts.head.featureSize !== spec.featureSize) {
      throw new AppError(
        'INVALID_INPUT',
        `${modelPath} takes ${facts.inputSize}-pixel images and gives ${facts.head.featureSize} features, but ${spec.title} takes ${spec.preprocessing.size} and gives ${spec.featureSize}; it is not this backbone's export.`,
        { path: modelPath },
      );
    }
    if (facts.head.classes !== manifest.classes.length) {
      throw new AppError(
        'INVALID_INPUT',
        `${modelPath} scores ${facts.head.classes} classes but names ${manifest.classes.length}; export the run again.`,
        {
          path: modelPath,
        },
      );
    }
    const runId = newRunId();
    const runDir = join(this.options.dataDir, 'runs', runId);
    await mkdir(runDir, { recursive: true });
    try {
      await writeFileAtomic(
        join(runDir, 'head.json'),
        JSON.stringify({
          backbone: manifest.backbone,
          weightsDir: modelPath,
          onnxModel: modelPath,
          classes: manifest.classes,
          featureSize: facts.head.featureSize,
          weights: [...facts.head.weights],
          bias: [...facts.head.bias],
        }),
      );
      return this.recordImported(runId, runDir, name, manifest, modelPath);
    } catch (error) {
      await rm(runDir, { recursive: true, force: true });
      throw error;
    }
  }

  /** The manifest beside an ONNX model, or the same facts from its metadata_props. */
  private async onnxManifest(folder: string, metadata: Record<string, string>, modelPath: string): Promise<ExportManifest> {
    try {
      const parsed = exportManifest.safeParse(JSON.parse(await readFile(join(folder, exportManifestFile), 'utf8')));
      if (parsed.success && parsed.data.format === 'mlw-onnx') return parsed.data;
    } catch {
      // no manifest beside it: the metadata says the same
    }
    const refuse = (what: string) =>
      new AppError(
        'INVALID_INPUT',
        `${modelPath} has no ${what} in its metadata_props, so it is not a model "mlw export --format onnx" wrote.`,
        {
          path: modelPath,
        },
      );
    const backbone = metadata['mlw.backbone'];
    if (backbone === undefined) throw refuse('mlw.backbone');
    let classes: unknown;
    let source: unknown;
    try {
      classes = JSON.parse(metadata.classes ?? 'null');
      source = JSON.parse(metadata['mlw.source'] ?? '{}');
    } catch {
      throw refuse('readable classes');
    }
    const spec = backbones[backbone];
    const parsed = exportManifest.safeParse({
      format: 'mlw-onnx',
      version: 1,
      backbone,
      featureLayer: spec?.featureLayer ?? 'features',
      featureSize: spec?.featureSize ?? 1,
      poolLayer: 'features',
      headLayer: 'scores',
      classes,
      inputSize: Number(metadata.input_size),
      normalisation: spec?.preprocessing.normalisation ?? 'mobilenet',
      threshold: Number(metadata.threshold ?? 0.5),
      source: { runId: '', name: 'ONNX model', mode: 'imported', exportedAt: '', dataset: {}, ...(source as object) },
    });
    if (!parsed.success) throw refuse('classes, input size or threshold that can be read');
    return parsed.data;
  }

  private row(runId: string): StoredRun {
    return this.options.runs.get(runId);
  }

  private history(runId: string): HistoryPoint[] {
    return this.options.runs.history(runId);
  }

  /** The class balance of the run's training annotations, from the cache. */
  private datasetSummary(run: ReportRun, notes: string[]): ReportData['dataset'] {
    const annotations = run.train.annotations;
    const file =
      annotations === ''
        ? undefined
        : (this.options.db.prepare('SELECT id FROM annotation_files WHERE path = ?').get(annotations) as { id: number } | undefined);
    if (file === undefined) {
      notes.push(
        annotations === ''
          ? 'The run names no training annotations, so the dataset section is empty.'
          : `The training annotations ${annotations} are no longer in the cache, so the dataset section is empty; import them again to see it.`,
      );
      return null;
    }
    try {
      const stats = subsetStats(this.options.db, file.id, run.classes);
      return { annotations, ...stats };
    } catch (error) {
      notes.push(`The dataset section is empty: ${AppError.from(error).message}`);
      return null;
    }
  }

  /**
   * A few Grad-CAM tiles from the prediction service's galleries: the most confident true positive of
   * one class after another (classes without any are passed over), until `count` are found.
   */
  private async gradcamTiles(
    runId: string,
    perClass: { class: string; tp: number }[],
    threshold: number,
    count: number,
    notes: string[],
    context: HandlerContext,
  ): Promise<GradCamTile[]> {
    const classes = perClass.filter((c) => c.tp > 0).map((c) => c.class);
    if (classes.length === 0) {
      notes.push(`No class has a true positive at threshold ${threshold}, so there are no Grad-CAM tiles.`);
      return [];
    }
    const perGallery = Math.max(1, Math.ceil(count / classes.length));
    const lists: GradCamTile[][] = [];
    const skipped: string[] = [];
    let found = 0;
    for (const [k, name] of classes.entries()) {
      if (found >= count) break;
      context.progress({ phase: `Grad-CAM of ${name}`, done: k, total: classes.length, unit: 'items' });
      try {
        const gallery = await this.options.gallery(
          { runId, class: name, kind: 'tp', threshold, count: Math.min(48, perGallery), calibrated: false },
          { signal: context.signal, progress: () => undefined },
        );
        lists.push(
          gallery.items.map((item) => ({
            class: name,
            kind: 'tp',
            fileName: item.fileName,
            score: item.score,
            image: item.image,
            png: item.png,
          })),
        );
        found += gallery.items.length;
        skipped.push(...gallery.skipped.map((s) => `${s.path}: ${s.reason}`));
      } catch (error) {
        const appError = AppError.from(error);
        if (appError.code === 'CANCELLED') throw appError;
        notes.push(`Grad-CAM tiles were left out: ${appError.message}`);
        break;
      }
    }
    if (skipped.length > 0) {
      notes.push(
        `${skipped.length} image${skipped.length === 1 ? '' : 's'} could not be read for Grad-CAM and ${skipped.length === 1 ? 'was' : 'were'} skipped: ${skipped.slice(0, 5).join('; ')}${skipped.length > 5 ? '; …' : ''}`,
      );
    }
    // One class after another, so the tiles show as many classes as they can.
    const tiles: GradCamTile[] = [];
    for (let i = 0; tiles.length < count && lists.some((list) => list.length > i); i++) {
      for (const list of lists) if (list[i] !== undefined && tiles.length < count) tiles.push(list[i]!);
    }
    return tiles;
  }
}

function reportRun(row: StoredRun, metrics: ReportRun['metrics']): ReportRun {
  const { dataset, config } = row;
  const settings = typeof config.settings === 'object' && config.settings !== null ? (config.settings as Record<string, unknown>) : null;
  const weights = typeof config.weights === 'string' ? config.weights : typeof config.imported === 'string' ? config.imported : null;
  return {
    runId: row.id,
    name: row.name,
    status: row.status,
    mode: row.mode,
    backbone: row.backbone,
    backend: row.backend,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
    seconds: row.secondsTotal,
    bestValidationLoss: row.bestValidationLoss,
    bestIteration: row.bestIteration,
    iterations: row.iterations,
    classes: dataset.categories,
    images: { train: dataset.train.count, val: dataset.val.count },
    train: { annotations: dataset.train.annotations, images: dataset.train.images },
    val: { annotations: dataset.val.annotations, images: dataset.val.images },
    settings,
    // A frozen-mode setting: fine-tune runs recorded before that was known carry it, unused.
    augmentedViews: row.mode === 'frozen' && typeof config.augmentedViews === 'number' ? config.augmentedViews : null,
    weights,
    metrics,
  };
}

/** A head weight of an exported model, read from its weight data (float32, little-endian). */
function headWeights(artifacts: Awaited<ReturnType<typeof readLayersFolder>>, name: string, shape: number[], folder: string): Float32Array {
  let offset = 0;
  for (const spec of artifacts.weightSpecs ?? []) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.name === name) {
      if ((spec.dtype ?? 'float32') !== 'float32' || spec.quantization !== undefined || spec.shape.join(',') !== shape.join(',')) {
        throw new AppError(
          'INVALID_INPUT',
          `The weight ${name} in ${folder} is ${spec.dtype ?? 'float32'} of shape [${spec.shape.join(', ')}]; the manifest promises float32 [${shape.join(', ')}].`,
        );
      }
      return new Float32Array((artifacts.weightData as ArrayBuffer).slice(offset, offset + size * 4));
    }
    offset += size * (spec.dtype === 'int32' || spec.dtype === 'float32' || spec.dtype === undefined ? 4 : 1);
  }
  throw new AppError('INVALID_INPUT', `The model in ${folder} has no weight ${name}, the head its manifest names; export the run again.`);
}

function newRunId(): string {
  return `run-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-')}-${randomBytes(3).toString('hex')}`;
}
