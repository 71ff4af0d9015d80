import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shared test data beside the checkout (`../shared`, never committed): a real TensorFlow.js
 * Layers model and 128 real COCO images with their annotations. Tests that need them skip, saying
 * so, where they are absent.
 */
const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export const mobilenetDir = resolve(projectRoot, '../shared/models/mobilenet_v1_0.75_224');
export const hasMobilenet = existsSync(join(mobilenetDir, 'model.json'));

export const coco128Dir = resolve(projectRoot, '../shared/data/coco128');
export const coco128Annotations = join(coco128Dir, 'annotations/instances_train2017.json');
export const coco128Images = join(coco128Dir, 'train2017');
export const hasCoco128 = existsSync(coco128Annotations) && existsSync(coco128Images);
