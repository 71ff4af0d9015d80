/**
 * `npm run bench:pointing`: how well Grad-CAM points at the objects, on real COCO images.
 *
 * Trains a frozen-backbone run (the real MobileNet v1 0.75 from ../shared/models) on the coco128
 * images with the example's 12 categories, then for every (image, true class) pair computes the
 * run's Grad-CAM map, upsamples it to the image and checks whether its peak falls inside a COCO box
 * of that class (the pointing game). The reference in the same run is the trivial pointer that always
 * points at the image centre. coco128 has one split, so the run is judged on its own training images.
 *
 *   npx tsx bench/pointing-game.ts [--json] [--epochs N]
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { normaliseMap, peakOf, resample } from '../src/shared/domain/heatmap';
import { referenceExampleCategories } from '../src/shared/domain/presets';
import { loadEngine } from '../src/main/engine/process/backend';
import { gradCamOfImage } from '../src/main/engine/inference/run-network';
import { createServices } from '../src/main/services';
import { readRunNetwork } from '../src/main/services/run-files';

const projectDir = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const coco = resolve(projectDir, '../shared/data/coco128');
const model = resolve(projectDir, '../shared/models/mobilenet_v1_0.75_224');
const json = process.argv.includes('--json');
const epochsArg = process.argv.indexOf('--epochs');
const epochs = epochsArg > 0 ? Number(process.argv[epochsArg + 1]) : 60;
const log = (line: string): void => void process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const annotations = join(coco, 'annotations/instances_train2017.json');
  const images = join(coco, 'train2017');
  if (!existsSync(annotations) || !existsSync(join(model, 'model.json'))) {
    log('bench:pointing needs ../shared/data/coco128 and ../shared/models/mobilenet_v1_0.75_224 beside the project.');
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), 'mlw-pointing-'));
  const services = createServices({ dataDir: dir, host: 'test' });
  const context = { signal: new AbortController().signal, progress: () => undefined };
  try {
    log(`bench: training a frozen run on coco128 (${epochs} epochs)…`);
    const run = await services.handlers.training.train(
      {
        trainAnnotations: annotations,
        trainImages: images,
        valAnnotations: annotations,
        valImages: images,
        categories: [...referenceExampleCategories],
        weights: model,
        mode: 'frozen',
        backbone: 'mobilenet_v1_0.75',
        augmentedViews: 1,
        settings: { maxEpochs: epochs },
      },
      context,
    );
    const scores = await services.handlers.evaluation.scores({ runId: run.runId }, context);
    const network = await readRunNetwork(services.runs.get(run.runId));
    const { tf, status } = await loadEngine();
    const fileId = scores.source.fileId!;
    let pairs = 0;
    let hits = 0;
    let centreHits = 0;
    const perClass = new Map<string, { pairs: number; hits: number }>();
    const started = performance.now();
    for (const [row, imageId] of scores.imageIds.entries()) {
      const present = scores.labels[row]!.map((label, j) => (label ? j : -1)).filter((j) => j >= 0);
      const detail = await services.handlers.dataset.image({ fileId, imageId, categories: [...network.classes] }, context);
      const path = join(images, detail.fileName);
      const meta = await sharp(path).metadata();
      const { maps } = await gradCamOfImage(tf, network, path, present);
      present.forEach((j, k) => {
        const name = network.classes[j]!;
        // The map at the image's own size (the input was stretched to the square, so stretch back).
        const up = normaliseMap(resample(maps[k]!, meta.width!, meta.height!));
        const [x, y] = peakOf(up);
        const boxes = detail.boxes.filter((b) => b.category === name).map((b) => b.bbox);
        const inside = (px: number, py: number): boolean =>
          boxes.some(([bx, by, bw, bh]) => px >= bx && px <= bx + bw && py >= by && py <= by + bh);
        const hit = inside(x + 0.5, y + 0.5);
        pairs++;
        if (hit) hits++;
        if (inside(meta.width! / 2, meta.height! / 2)) centreHits++;
        const entry = perClass.get(name) ?? { pairs: 0, hits: 0 };
        entry.pairs++;
        if (hit) entry.hits++;
        perClass.set(name, entry);
      });
    }
    const seconds = (performance.now() - started) / 1000;
    const result = {
      backend: status.backend,
      run: run.runId,
      images: scores.imageIds.length,
      pairs,
      pointingAccuracy: hits / pairs,
      centreBaseline: centreHits / pairs,
      perClass: Object.fromEntries([...perClass].map(([name, e]) => [name, { pairs: e.pairs, accuracy: e.hits / e.pairs }])),
      gradcamSecondsPerImage: seconds / scores.imageIds.length,
    };
    if (json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      process.stdout.write(
        [
          `Pointing game on coco128, 12 reference categories, ${result.images} images, ${pairs} (image, true class) pairs, ${status.backend}`,
          `  Grad-CAM peak inside a box of the class: ${(100 * result.pointingAccuracy).toFixed(1)}% (${hits}/${pairs})`,
          `  reference, always the image centre:      ${(100 * result.centreBaseline).toFixed(1)}% (${centreHits}/${pairs})`,
          ...[...perClass].map(([name, e]) => `    ${name.padEnd(14)} ${e.hits}/${e.pairs}`),
          `  Grad-CAM per image: ${(1000 * result.gradcamSecondsPerImage).toFixed(0)} ms`,
        ].join('\n') + '\n',
      );
    }
  } finally {
    services.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(2);
});
