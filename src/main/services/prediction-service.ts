import type { SettingsStore } from './settings-store';
import { skipKindOf } from '../../shared/contract/skipped';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import sharp from 'sharp';
import type { ServiceHandlers } from '../../shared/contract/define';
import { AppError, cancelled } from '../../shared/contract/errors';
import { galleryResult, type GalleryResult, type ImageInput, type predictionContract } from '../../shared/contract/prediction';
import { applyTemperature, scaleScore, withTemperature } from '../../shared/domain/calibration';
import { appliedThresholds, tunedThresholds, type ScoreMatrix } from '../../shared/domain/metrics';
import type { Db } from '../db/connection';
import type { RunsStore } from '../db/runs-store';
import { startEngine, type EngineSpawner } from '../engine';
import { writeFileAtomic } from '../files/atomic-file';
import { imagePath } from './image-path';
import type { EvaluationService } from './evaluation-service';
import { overlayBase, renderOverlay } from './gradcam-render';
import { readRunNetwork } from './run-files';
import { temperatureAsked } from './run-temperature';

type PredictionHandlers = ServiceHandlers<typeof predictionContract>;

/**
 * Prediction and explanation with a trained run: scores for new images (the run's own preprocessing,
 * in the engine process), Grad-CAM overlays, and Grad-CAM galleries of a class's most confident true
 * positives, false positives and false negatives on the validation images (cached with the run).
 */
export class PredictionService implements PredictionHandlers {
  constructor(
    private readonly options: {
      db: Db;
      runs: RunsStore;
      dataDir: string;
      evaluation: EvaluationService;
      settings: SettingsStore;
      spawnEngine?: EngineSpawner;
    },
  ) {}

  preview: PredictionHandlers['preview'] = async ({ path, size }) => {
    const base = await overlayBase(resolve(path), size);
    const jpeg = await sharp(Buffer.from(base.rgb), { raw: { width: base.drawWidth, height: base.drawHeight, channels: 3 } })
      .jpeg({ quality: 85 })
      .toBuffer();
    return { url: `data:image/jpeg;base64,${jpeg.toString('base64')}`, width: base.width, height: base.height };
  };

  predict: PredictionHandlers['predict'] = async (request, context) => {
    const run = this.options.runs.get(request.runId);
    // Refused before any image is scored: a run without a temperature has no scaled scores to give.
    const temperature = temperatureAsked(run, request.calibrated, 'Predict');
    const network = await readRunNetwork(run);
    // Tuned on the validation scores the results are of: scaled ones when the scores are scaled.
    const thresholds = request.perClassThresholds
      ? appliedThresholds(
          tunedThresholds(scaledBy(this.options.evaluation.load(request.runId, false).matrix, temperature), request.threshold),
          request.threshold,
        )
      : network.classes.map(() => request.threshold);
    const images = await Promise.all(request.images.map((image) => this.materialise(image)));
    const acceptDamaged = (request.damagedImages ?? (await this.options.settings.read()).preferences.damagedImages) === 'warn';
    const engine = startEngine(this.options.spawnEngine);
    let scored;
    try {
      scored = await engine.api.engine.score(
        { network, paths: images.map((i) => i.path), cacheDir: this.options.dataDir, acceptDamaged },
        { signal: context.signal, onProgress: (p) => context.progress({ ...p, phase: 'Scoring the images' }) },
      );
    } finally {
      engine.close();
    }
    const c = network.classes.length;
    // The labels below are judged on these: the network's own scores, or the same scaled by T.
    const shownScores = temperature === null ? scored.scores : applyTemperature(scored.scores, temperature);
    const rowOf = new Map(scored.kept.map((image, row) => [image, row]));
    const reasons = new Map(scored.skipped.map((s) => [s.path, s.reason]));
    const damage = new Map(scored.damaged.map(({ index, ...damaged }) => [index, damaged]));
    const results = await Promise.all(
      images.map(async (image, i) => {
        const row = rowOf.get(i);
        if (row === undefined) {
          // A sent image was read from its copy in the uploads folder: name it as the user knows it.
          const reason = nameAsSent({ message: reasons.get(image.path) ?? 'It could not be read.' }, image).message;
          return { ok: false as const, image: image.name, error: reason };
        }
        const scores = Array.from(shownScores.subarray(row * c, (row + 1) * c));
        const { width, height } = await orientedSize(image.path);
        return {
          ok: true as const,
          image: image.name,
          width,
          height,
          scores,
          labels: network.classes.filter((_, j) => scores[j]! >= thresholds[j]!),
          ...(image.sent ? { storedAs: image.path } : {}),
          ...(damage.has(i) ? { damaged: nameAsSent(damage.get(i)!, image) } : {}),
        };
      }),
    );
    return { runId: request.runId, classes: network.classes, thresholds, calibrated: temperature !== null, temperature, results };
  };

  gradcam: PredictionHandlers['gradcam'] = async (request, context) => {
    const run = this.options.runs.get(request.runId);
    const temperature = temperatureAsked(run, request.calibrated, 'Explain it');
    const network = await readRunNetwork(run);
    const classIndices = request.classes.map((name) => {
      const index = network.classes.indexOf(name);
      if (index < 0) {
        throw new AppError('INVALID_INPUT', `Run ${request.runId} has no class "${name}"; its classes are ${network.classes.join(', ')}.`);
      }
      return index;
    });
    const image = await this.materialise(request.image);
    const base = await overlayBase(image.path);
    context.progress({ phase: 'Computing Grad-CAM', done: 0, total: classIndices.length, unit: 'items' });
    const engine = startEngine(this.options.spawnEngine);
    let cam;
    try {
      const acceptDamaged = (await this.options.settings.read()).preferences.damagedImages === 'warn';
      cam = await engine.api.engine.gradCam({ network, path: image.path, classIndices, acceptDamaged }, { signal: context.signal });
    } finally {
      engine.close();
    }
    if (request.outDir !== undefined) await mkdir(resolve(request.outDir), { recursive: true });
    const stem = image.name.replace(/^.*[\\/]/, '').replace(/\.[^.]*$/, '');
    const classes = await Promise.all(
      classIndices.map(async (index, k) => {
        const rendered = await renderOverlay(base, cam.maps[k]!);
        const name = network.classes[index]!;
        let png: string;
        if (request.outDir !== undefined) {
          png = join(resolve(request.outDir), `${stem}-gradcam-${name.replace(/[^\w-]+/g, '_')}.png`);
          await writeFileAtomic(png, rendered.png);
        } else {
          png = `data:image/png;base64,${rendered.png.toString('base64')}`;
        }
        // The map is the same under any temperature (it is the logit's gradient, which T only divides, scaled to its
        // own range); the score is the one predict gives under the same choice.
        const score = temperature === null ? cam.scores[index]! : scaleScore(cam.scores[index]!, temperature);
        return { class: name, score, png, peak: rendered.peak, map: rendered.grid };
      }),
    );
    context.progress({ phase: 'Computing Grad-CAM', done: classIndices.length, total: classIndices.length, unit: 'items' });
    return { image: image.name, width: base.width, height: base.height, temperature, classes };
  };

  gallery: PredictionHandlers['gallery'] = async (request, context) => {
    const run = this.options.runs.get(request.runId);
    const temperature = temperatureAsked(run, request.calibrated, 'Show the gallery');
    const network = await readRunNetwork(run);
    const classIndex = network.classes.indexOf(request.class);
    if (classIndex < 0) {
      throw new AppError(
        'INVALID_INPUT',
        `Run ${request.runId} has no class "${request.class}"; its classes are ${network.classes.join(', ')}.`,
      );
    }
    // The threshold judges scaled scores under a temperature: another gallery, cached apart.
    const scaling = temperature === null ? '' : `-t${temperature}`;
    const cacheFile = join(
      run.runDir,
      'gradcam',
      `${classIndex}-${request.kind}-${request.threshold.toFixed(4)}-${request.count}${scaling}.json`,
    );
    if (existsSync(cacheFile)) {
      try {
        return { ...galleryResult.parse(JSON.parse(await readFile(cacheFile, 'utf8'))), cached: true };
      } catch {
        // A damaged cache entry is computed again.
      }
    }
    const loaded = this.options.evaluation.load(request.runId);
    const { imageIds } = loaded;
    const matrix = scaledBy(loaded.matrix, temperature);
    const c = matrix.classes.length;
    const candidates: { row: number; score: number }[] = [];
    for (let row = 0; row < matrix.rows; row++) {
      const score = matrix.scores[row * c + classIndex]!;
      const positive = matrix.labels[row * c + classIndex]! > 0;
      const predicted = score >= request.threshold;
      if (
        (request.kind === 'tp' && positive && predicted) ||
        (request.kind === 'fp' && !positive && predicted) ||
        (request.kind === 'fn' && positive && !predicted)
      ) {
        candidates.push({ row, score });
      }
    }
    // The most confident: highest scores for true and false positives, lowest for false negatives.
    candidates.sort((a, b) => (request.kind === 'fn' ? a.score - b.score : b.score - a.score));
    const chosen = candidates.slice(0, request.count);
    const paths = this.validationPaths(
      run.dataset.val.annotations,
      run.dataset.val.images,
      chosen.map((c) => imageIds[c.row]!),
    );
    const items: GalleryResult['items'] = [];
    const skipped: GalleryResult['skipped'] = [];
    const engine = startEngine(this.options.spawnEngine);
    try {
      for (const [k, candidate] of chosen.entries()) {
        if (context.signal.aborted) throw cancelled();
        context.progress({ phase: `Grad-CAM of ${request.class}`, done: k, total: chosen.length, unit: 'images' });
        const { path, fileName } = paths[k]!;
        try {
          const base = await overlayBase(path, 384);
          const cam = await engine.api.engine.gradCam({ network, path, classIndices: [classIndex] }, { signal: context.signal });
          const rendered = await renderOverlay(base, cam.maps[0]!);
          const original = await sharp(Buffer.from(base.rgb), { raw: { width: base.drawWidth, height: base.drawHeight, channels: 3 } })
            .jpeg({ quality: 85 })
            .toBuffer();
          items.push({
            imageId: imageIds[candidate.row]!,
            fileName,
            score: candidate.score,
            image: `data:image/jpeg;base64,${original.toString('base64')}`,
            png: `data:image/png;base64,${rendered.png.toString('base64')}`,
            peak: rendered.peak,
          });
        } catch (error) {
          const appError = AppError.from(error);
          if (appError.code === 'CANCELLED' || appError.code === 'ENGINE_CRASHED' || appError.code === 'OUT_OF_MEMORY') throw appError;
          skipped.push({ path, reason: appError.message, kind: skipKindOf(appError) });
        }
      }
    } finally {
      engine.close();
    }
    context.progress({ phase: `Grad-CAM of ${request.class}`, done: chosen.length, total: chosen.length, unit: 'images' });
    const result: GalleryResult = {
      runId: request.runId,
      class: request.class,
      kind: request.kind,
      threshold: request.threshold,
      temperature,
      available: candidates.length,
      items,
      skipped,
      cached: false,
    };
    await writeFileAtomic(cacheFile, JSON.stringify(result));
    return result;
  };

  /** The files of validation images, from the annotation cache. */
  private validationPaths(annotations: string, imagesDir: string, ids: number[]): { path: string; fileName: string }[] {
    const file = this.options.db.prepare('SELECT id, images_dir FROM annotation_files WHERE path = ?').get(annotations) as
      { id: number; images_dir: string | null } | undefined;
    if (file === undefined) {
      throw new AppError(
        'NOT_FOUND',
        `The run's validation annotations ${annotations} are no longer imported; import them again in the Dataset workspace.`,
      );
    }
    const lookup = this.options.db.prepare('SELECT file_name FROM images WHERE file_id = ? AND id = ?');
    const dir = file.images_dir ?? imagesDir;
    return ids.map((id) => {
      const fileName = (lookup.get(file.id, id) as { file_name: string } | undefined)?.file_name ?? `${id}`;
      return { fileName, path: imagePath(dir, fileName) ?? join(dir, '__outside_images_folder__') };
    });
  }

  /** A path the engine can read: the given one, or a sent image written once to the uploads folder. */
  private async materialise(image: ImageInput): Promise<{ path: string; name: string; sent: boolean }> {
    if ('path' in image) return { path: resolve(image.path), name: image.path, sent: false };
    const bytes = Buffer.from(image.base64, 'base64');
    if (bytes.length === 0) throw new AppError('INVALID_INPUT', `${image.name} is empty.`);
    const digest = createHash('sha256').update(bytes).digest('hex');
    const dir = join(this.options.dataDir, 'uploads');
    await mkdir(dir, { recursive: true });
    const path = join(
      dir,
      `${digest}${extname(image.name)
        .toLowerCase()
        .replace(/[^.\w]/g, '')}`,
    );
    if (!existsSync(path)) await writeFile(path, bytes);
    return { path, name: image.name, sent: true };
  }
}

/** The matrix as given, or with its scores scaled by the temperature. */
function scaledBy(matrix: ScoreMatrix, temperature: number | null): ScoreMatrix {
  return temperature === null ? matrix : withTemperature(matrix, temperature);
}

async function orientedSize(path: string): Promise<{ width: number; height: number }> {
  const meta = await sharp(path).metadata();
  const turned = (meta.orientation ?? 1) >= 5;
  return { width: (turned ? meta.height : meta.width) ?? 0, height: (turned ? meta.width : meta.height) ?? 0 };
}

/** A sent image is read from its copy in the uploads folder: its messages name it as the user knows it. */
function nameAsSent<T extends { message: string }>(text: T, image: { path: string; name: string; sent: boolean }): T {
  if (!image.sent) return text;
  return { ...text, message: text.message.split(image.path).join(image.name).split(basename(image.path)).join(image.name) };
}
