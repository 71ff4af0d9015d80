/**
 * `npm run bench:head`: is a frozen run with the defaults only well trained and calibrated?
 *
 * Splits the 35 real coco128 images that hold one of the example's 12 classes into a training and
 * a validation set (seeded; 12 validation images), trains a frozen run with the real MobileNet
 * v1 0.75 and nothing but the defaults, and, in the same run on the same cached features, the
 * reference of issue 15: a plain L2-regularised logistic regression (full-batch Adam, learn rate
 * 0.01, L2 1e-3 on the weights as Keras's l2(1e-3) adds it, 300 steps) on the pooled features of
 * the training images. Both are judged on the validation images by the example's loss (per image,
 * binary cross-entropy summed over the classes, probabilities clipped to [1e-7, 1 − 1e-7],
 * averaged over images) and micro-F1 at 0.5. So few images make one split noisy: the figures are
 * means over several seeded splits, with each split's beside them. With --no-search, the run uses the mode's fixed
 * defaults and the example's early stopping on the validation images instead (the old behaviour).
 *
 *   npx tsx bench/head.bench.ts [--json] [--no-search | --finetune] [--val 12] [--seeds 5]
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validationLoss } from '../src/shared/domain/calibration';
import { thresholdMetrics } from '../src/shared/domain/metrics';
import { referenceExampleCategories } from '../src/shared/domain/presets';
import { loadEngine } from '../src/main/engine/process/backend';
import { bestFeatureExtractor, extractFeatures } from '../src/main/engine/inference/features';
import { loadBackbone } from '../src/main/engine/models/architectures/load-backbone';
import { backboneSpec } from '../src/main/engine/models/zoo';
import { SeededRandom } from '../src/main/engine/training/seeded-random';
import { createServices } from '../src/main/services';

const projectDir = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const coco = resolve(projectDir, '../shared/data/coco128');
const model = resolve(projectDir, '../shared/models/mobilenet_v1_0.75_224');
const argument = (name: string, fallback: number): number => {
  const at = process.argv.indexOf(name);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const json = process.argv.includes('--json');
const search = !process.argv.includes('--no-search');
/** Fine-tune with the example's settings instead (every layer learns; slow on WebAssembly: use --seeds 1). */
const finetune = process.argv.includes('--finetune');
const valCount = argument('--val', 12);
const seeds = argument('--seeds', 5);
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const classes = [...referenceExampleCategories];

interface CocoFile {
  images: { id: number; file_name: string }[];
  annotations: { image_id: number; category_id: number }[];
  categories: { id: number; name: string }[];
}

/**
 * Seeded: `valCount` validation images among those holding one of the classes (the only images the
 * example's prepareData keeps), the rest of them for training.
 */
function splitCoco(file: CocoFile, dir: string, seed: number): { train: string; val: string } {
  const ids = new Map(file.categories.map((category) => [category.id, category.name]));
  const withClass = new Set(file.annotations.filter((a) => classes.includes(ids.get(a.category_id) as never)).map((a) => a.image_id));
  const random = new SeededRandom(seed);
  const positives = file.images.filter((image) => withClass.has(image.id)).map((image) => image.id);
  for (let i = positives.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [positives[i], positives[j]] = [positives[j]!, positives[i]!];
  }
  const val = new Set(positives.slice(0, valCount));
  const part = (keep: (id: number) => boolean): CocoFile => ({
    ...file,
    images: file.images.filter((image) => keep(image.id)),
    annotations: file.annotations.filter((a) => keep(a.image_id)),
  });
  const paths = { train: join(dir, `train-${seed}.json`), val: join(dir, `val-${seed}.json`) };
  writeFileSync(paths.train, JSON.stringify(part((id) => !val.has(id))));
  writeFileSync(paths.val, JSON.stringify(part((id) => val.has(id))));
  return paths;
}

interface SplitResult {
  seed: number;
  images: { train: number; val: number };
  search: ReturnType<ReturnType<typeof createServices>['runs']['get']>['search'];
  calibration: ReturnType<ReturnType<typeof createServices>['runs']['get']>['calibration'];
  run: { loss: number; microF1: number; seconds: number; ece: number | null; eceCalibrated: number | null };
  reference: { loss: number; microF1: number };
}

/** One seeded split: the run with defaults only, and the reference on the same features. */
async function measureSplit(services: ReturnType<typeof createServices>, dir: string, file: CocoFile, seed: number): Promise<SplitResult> {
  const images = join(coco, 'train2017');
  const context = { signal: new AbortController().signal, progress: () => undefined };
  const split = splitCoco(file, dir, seed);
  const started = performance.now();
  const trained = await services.handlers.training.train(
    {
      trainAnnotations: split.train,
      trainImages: images,
      valAnnotations: split.val,
      valImages: images,
      categories: classes,
      weights: model,
      mode: finetune ? 'finetune' : 'frozen',
      backbone: 'mobilenet_v1_0.75',
      // WebAssembly memory holds a MobileNet v1 0.75 fine-tuning batch of at most 12 (the example's is 32).
      settings: finetune ? { batchSize: 12 } : {},
      augmentedViews: 2,
      ...(search ? {} : { chooseSettings: false }),
    },
    context,
  );
  const seconds = (performance.now() - started) / 1000;
  const run = services.runs.get(trained.runId);
  const scores = await services.handlers.evaluation.scores({ runId: trained.runId }, context);
  const labels = scores.labels.flat();
  const c = classes.length;
  // The validation images' ECE as trained, and with the run's temperature (where it has one).
  const evaluated = await services.handlers.evaluation.evaluate(
    { runId: trained.runId, threshold: 0.5, perClassThresholds: false, calibrated: false },
    context,
  );
  const calibrated =
    run.calibration === null
      ? null
      : await services.handlers.evaluation.evaluate(
          { runId: trained.runId, threshold: 0.5, perClassThresholds: false, calibrated: true },
          context,
        );

  // The reference, on the same features (read back from the cache the run filled): the run's own training images.
  const { tf } = await loadEngine();
  const spec = backboneSpec('mobilenet_v1_0.75');
  const { model: backbone, weightsKey } = await loadBackbone(tf, spec, model);
  const extractor = await bestFeatureExtractor(tf, backbone, spec, weightsKey);
  const trainFile = JSON.parse(readFileSync(split.train, 'utf8')) as CocoFile;
  const names = new Map(trainFile.categories.map((category) => [category.id, category.name]));
  const trainLabels = new Float32Array(trainFile.images.length * c);
  const rowOf = new Map(trainFile.images.map((image, i) => [image.id, i]));
  for (const a of trainFile.annotations) {
    const k = classes.indexOf(names.get(a.category_id) as never);
    if (k >= 0) trainLabels[rowOf.get(a.image_id)! * c + k] = 1;
  }
  // As prepareData keeps them: the images with at least one of the classes.
  const kept = trainFile.images.map((_, i) => i).filter((i) => trainLabels.subarray(i * c, (i + 1) * c).some((v) => v > 0));
  const common = { augmentedViews: 0, augmentation: { maxRotation: 0, horizontalFlip: false }, seed: 1, cacheDir: dir };
  const trainFeatures = await extractFeatures(extractor, {
    ...common,
    paths: kept.map((i) => join(images, trainFile.images[i]!.file_name)),
  });
  const valFeatures = await extractFeatures(extractor, { ...common, paths: scores.fileNames.map((name) => join(images, name)) });
  const d = spec.featureSize;
  const keptLabels = new Float32Array(kept.length * c);
  kept.forEach((i, row) => keptLabels.set(trainLabels.subarray(i * c, (i + 1) * c), row * c));
  const reference = tf.tidy(() => {
    const x = tf.tensor2d(trainFeatures.features, [kept.length, d]);
    const y = tf.tensor2d(keptLabels, [kept.length, c]);
    const w = tf.variable(tf.zeros([d, c]));
    const b = tf.variable(tf.zeros([c]));
    const optimiser = tf.train.adam(0.01);
    for (let step = 0; step < 300; step++) {
      optimiser.minimize(() => {
        const logits = x.matMul(w).add(b);
        const bce = tf
          .relu(logits)
          .sub(logits.mul(y))
          .add(tf.log1p(tf.exp(tf.neg(tf.abs(logits)))));
        return bce.sum().div(kept.length).add(w.square().sum().mul(1e-3)) as never;
      });
    }
    const valX = tf.tensor2d(valFeatures.features, [scores.fileNames.length, d]);
    return tf.sigmoid(valX.matMul(w).add(b)).dataSync().slice();
  });
  backbone.dispose();
  await extractor.onnx?.session.release();
  const judge = (values: ArrayLike<number>): { loss: number; microF1: number } => ({
    loss: validationLoss({ classes, rows: scores.fileNames.length, labels, scores: values })!,
    microF1: thresholdMetrics({ classes, rows: scores.fileNames.length, labels, scores: values }, 0.5).microF1,
  });
  return {
    seed,
    images: { train: kept.length, val: scores.fileNames.length },
    search: run.search,
    calibration: run.calibration,
    run: { ...judge(scores.scores.flat()), seconds, ece: evaluated.ece, eceCalibrated: calibrated?.ece ?? null },
    reference: judge(reference),
  };
}

async function main(): Promise<void> {
  const annotations = join(coco, 'annotations/instances_train2017.json');
  if (!existsSync(annotations) || !existsSync(join(model, 'model.json'))) {
    log('bench:head needs ../shared/data/coco128 and ../shared/models/mobilenet_v1_0.75_224 beside the project.');
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'mlw-head-bench-'));
  const services = createServices({ dataDir: dir, host: 'test' });
  try {
    const file = JSON.parse(readFileSync(annotations, 'utf8')) as CocoFile;
    log(
      `bench:head: frozen runs with the defaults${search ? '' : ' (no search: fixed defaults, early stopping on validation)'}, ${seeds} splits…`,
    );
    const results: SplitResult[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const result = await measureSplit(services, dir, file, seed);
      results.push(result);
      if (!json) report(result);
    }
    const mean = (pick: (r: SplitResult) => number): number => results.reduce((sum, r) => sum + pick(r), 0) / results.length;
    const summary = {
      splits: results.length,
      run: { loss: mean((r) => r.run.loss), microF1: mean((r) => r.run.microF1) },
      reference: { loss: mean((r) => r.reference.loss), microF1: mean((r) => r.reference.microF1) },
      eceBefore: mean((r) => r.calibration?.before.ece ?? Number.NaN),
      eceAfter: mean((r) => r.calibration?.after.ece ?? Number.NaN),
      validationEce: mean((r) => r.run.ece ?? Number.NaN),
      validationEceCalibrated: mean((r) => r.run.eceCalibrated ?? Number.NaN),
    };
    const lossRatio = summary.run.loss / summary.reference.loss;
    const f1Ratio = summary.run.microF1 / summary.reference.microF1;
    if (json) {
      process.stdout.write(`${JSON.stringify({ ...summary, lossRatio, f1Ratio, results })}\n`);
      return;
    }
    log(
      `mean of ${results.length} splits: defaults loss ${summary.run.loss.toFixed(3)}, micro-F1 ${summary.run.microF1.toFixed(4)}; reference loss ${summary.reference.loss.toFixed(3)}, micro-F1 ${summary.reference.microF1.toFixed(4)}`,
    );
    if (results.some((r) => r.calibration !== null)) {
      log(`held-out ECE before → after temperature scaling: ${summary.eceBefore.toFixed(4)} → ${summary.eceAfter.toFixed(4)}`);
      log(
        `validation ECE before → after temperature scaling: ${summary.validationEce.toFixed(4)} → ${summary.validationEceCalibrated.toFixed(4)}`,
      );
    } else {
      log(`validation ECE: ${summary.validationEce.toFixed(4)}`);
    }
    log(`ratio: validation loss ${lossRatio.toFixed(3)} (target ≤ 1), micro-F1 ${f1Ratio.toFixed(3)} (target ≥ 0.9)`);
  } finally {
    services.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(result: SplitResult): void {
  log(`split ${result.seed}: ${result.images.train} training, ${result.images.val} validation images`);
  if (result.search !== null) {
    const { chosen, tried } = result.search;
    const best = tried.map((t) => `${t.learnRate}/${t.l2Regularization}: ${t.heldOutLoss.toFixed(2)}`).join(', ');
    log(`  search (learn rate/L2: held-out loss): ${best}; chosen ${chosen.learnRate}/${chosen.l2Regularization}, ${chosen.epochs} epochs`);
  }
  if (result.calibration !== null) {
    const { temperature, before, after } = result.calibration;
    log(`  temperature ${temperature.toFixed(3)}: held-out ECE ${before.ece.toFixed(4)} → ${after.ece.toFixed(4)}`);
  }
  log(
    `  defaults loss ${result.run.loss.toFixed(3)}, micro-F1 ${result.run.microF1.toFixed(4)} (${result.run.seconds.toFixed(1)} s); reference loss ${result.reference.loss.toFixed(3)}, micro-F1 ${result.reference.microF1.toFixed(4)}`,
  );
}

await main();
