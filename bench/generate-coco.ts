/**
 * Deterministic generator of a synthetic COCO instances file at the scale of the real
 * instances_train2017.json (118,287 images, 860,001 annotations, 80 categories, ~448 MiB), so the
 * ingest benchmark can run without the 241 MB annotation download.
 *
 * What is kept faithful, because it drives parse and insert cost: top-level key order (categories
 * last, as in the genuine file), field order and number formatting of every record (Python `json.dump`
 * style: ", " and ": " separators, floats written like Python's repr), polygon lengths, ~1% crowd
 * annotations with uncompressed RLE, per-category instance counts of train2017 and image counts a
 * little above its own (an image no category drew gets one, in proportion: person is in 64,972
 * images against 64,115), shuffled record order and sparse random ids. The geometry itself is random but valid (polygons inside the
 * image, bbox = tight box of the polygon, area = polygon area, RLE counts summing to height * width).
 *
 * The file is written in ~1 MiB pieces; nothing holds the whole document. Same generator version and
 * Node major => byte-identical output (the sidecar records its sha256).
 *
 * Smaller and leaner files of the same shape serve the quick guards and the full-scale UI test:
 * `scale` takes a share of the images and annotations, `polygons: 'minimal'` keeps every record
 * but writes each polygon as a triangle, and `separators: 'compact'` writes no space after "," and
 * ":" (as JSON.stringify does) instead of Python's ", " and ": ".
 *
 *   npx tsx bench/generate-coco.ts [--force] [--out PATH] [--scale S] [--minimal-polygons] [--compact]
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** Bump whenever the output bytes change, so stale files are regenerated. */
export const generatorVersion = 1;

export const benchDataDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '.bench');
export const defaultSyntheticPath = join(benchDataDir, 'instances_train2017_synthetic.json');

/** What a synthetic file holds; the default is the full train2017 scale as Python writes it. */
export interface SyntheticShape {
  /** Share of train2017's images, annotations and per-category counts, in (0, 1]. */
  scale: number;
  /** 'realistic': polygons of the genuine file's sizes; 'minimal': a triangle each (every record, little geometry). */
  polygons: 'realistic' | 'minimal';
  /** 'python': ", " and ": " as json.dump writes them; 'compact': "," and ":". */
  separators: 'python' | 'compact';
}

export const fullShape: SyntheticShape = { scale: 1, polygons: 'realistic', separators: 'python' };

/** Where a file of this shape is kept in `.bench/` (the full shape keeps its historical name). */
export function syntheticPathFor(shape: SyntheticShape): string {
  if (sameShape(shape, fullShape)) return defaultSyntheticPath;
  return join(benchDataDir, `instances_synthetic_${shape.scale}_${shape.polygons}_${shape.separators}.json`);
}

function sameShape(a: SyntheticShape, b: SyntheticShape): boolean {
  return a.scale === b.scale && a.polygons === b.polygons && a.separators === b.separators;
}

interface Counts {
  images: number;
  annotations: number;
  unannotated: number;
  crowd: number;
}

function countsFor(shape: SyntheticShape): Counts {
  if (!(shape.scale > 0 && shape.scale <= 1)) throw new RangeError(`scale must be in (0, 1], not ${shape.scale}`);
  const annotations = Math.round(fullAnnotationCount * shape.scale);
  return {
    images: Math.round(fullImageCount * shape.scale),
    annotations,
    unannotated: Math.round(fullUnannotatedImages * shape.scale),
    crowd: Math.round(annotations * 0.01),
  };
}

const fullImageCount = 118_287;
const fullAnnotationCount = 860_001;
/** train2017 images with no annotation at all. */
const fullUnannotatedImages = 1_021;
/** Largest image and (non-crowd) annotation ids in train2017: ids are sparse in these ranges. */
const maxImageId = 581_929;
const maxAnnotationId = 2_232_119;
/** Mean polygon vertex count knob, calibrated so the file lands within 5% of the real 469,785,474 bytes. */
const vertexScale = 1.32;
/** Share of polygons written with unrounded coordinates (e.g. 702.1057499999998), as some genuine ones are. */
const longFloatShare = 0.004;

/** id, name, supercategory, train2017 instances, train2017 images containing it. */
const categoryTable: readonly (readonly [number, string, string, number, number])[] = [
  [1, 'person', 'person', 262465, 64115],
  [2, 'bicycle', 'vehicle', 7113, 3252],
  [3, 'car', 'vehicle', 43867, 12251],
  [4, 'motorcycle', 'vehicle', 8725, 3502],
  [5, 'airplane', 'vehicle', 5135, 2986],
  [6, 'bus', 'vehicle', 6069, 3952],
  [7, 'train', 'vehicle', 4571, 3588],
  [8, 'truck', 'vehicle', 9973, 6127],
  [9, 'boat', 'vehicle', 10759, 3025],
  [10, 'traffic light', 'outdoor', 12884, 4139],
  [11, 'fire hydrant', 'outdoor', 1865, 1711],
  [13, 'stop sign', 'outdoor', 1983, 1734],
  [14, 'parking meter', 'outdoor', 1285, 705],
  [15, 'bench', 'outdoor', 9838, 5570],
  [16, 'bird', 'animal', 10806, 3237],
  [17, 'cat', 'animal', 4768, 4114],
  [18, 'dog', 'animal', 5508, 4385],
  [19, 'horse', 'animal', 6587, 2941],
  [20, 'sheep', 'animal', 9509, 1529],
  [21, 'cow', 'animal', 8147, 1968],
  [22, 'elephant', 'animal', 5513, 2143],
  [23, 'bear', 'animal', 1294, 960],
  [24, 'zebra', 'animal', 5303, 1916],
  [25, 'giraffe', 'animal', 5131, 2546],
  [27, 'backpack', 'accessory', 8720, 5528],
  [28, 'umbrella', 'accessory', 11431, 3968],
  [31, 'handbag', 'accessory', 12354, 6841],
  [32, 'tie', 'accessory', 6496, 3810],
  [33, 'suitcase', 'accessory', 6192, 2402],
  [34, 'frisbee', 'sports', 2682, 2184],
  [35, 'skis', 'sports', 6646, 3082],
  [36, 'snowboard', 'sports', 2685, 1654],
  [37, 'sports ball', 'sports', 6347, 4262],
  [38, 'kite', 'sports', 9076, 2285],
  [39, 'baseball bat', 'sports', 3276, 2400],
  [40, 'baseball glove', 'sports', 3747, 2629],
  [41, 'skateboard', 'sports', 5543, 3476],
  [42, 'surfboard', 'sports', 6126, 3486],
  [43, 'tennis racket', 'sports', 4812, 3394],
  [44, 'bottle', 'kitchen', 24342, 8501],
  [46, 'wine glass', 'kitchen', 7913, 2533],
  [47, 'cup', 'kitchen', 20650, 9189],
  [48, 'fork', 'kitchen', 5479, 3555],
  [49, 'knife', 'kitchen', 7770, 4326],
  [50, 'spoon', 'kitchen', 6165, 3529],
  [51, 'bowl', 'kitchen', 14358, 7111],
  [52, 'banana', 'food', 9458, 2243],
  [53, 'apple', 'food', 5851, 1586],
  [54, 'sandwich', 'food', 4373, 2365],
  [55, 'orange', 'food', 6399, 1699],
  [56, 'broccoli', 'food', 7308, 1939],
  [57, 'carrot', 'food', 7852, 1683],
  [58, 'hot dog', 'food', 2918, 1222],
  [59, 'pizza', 'food', 5821, 3166],
  [60, 'donut', 'food', 7179, 1523],
  [61, 'cake', 'food', 6353, 2925],
  [62, 'chair', 'furniture', 38491, 12774],
  [63, 'couch', 'furniture', 5779, 4423],
  [64, 'potted plant', 'furniture', 8652, 4452],
  [65, 'bed', 'furniture', 4192, 3682],
  [67, 'dining table', 'furniture', 15714, 11837],
  [70, 'toilet', 'furniture', 4157, 3353],
  [72, 'tv', 'electronic', 5805, 4768],
  [73, 'laptop', 'electronic', 4970, 3524],
  [74, 'mouse', 'electronic', 2262, 1876],
  [75, 'remote', 'electronic', 5703, 3076],
  [76, 'keyboard', 'electronic', 2855, 2115],
  [77, 'cell phone', 'electronic', 6434, 4803],
  [78, 'microwave', 'appliance', 1673, 1547],
  [79, 'oven', 'appliance', 3334, 2877],
  [80, 'toaster', 'appliance', 225, 217],
  [81, 'sink', 'appliance', 5610, 4678],
  [82, 'refrigerator', 'appliance', 2637, 2461],
  [84, 'book', 'indoor', 24715, 5332],
  [85, 'clock', 'indoor', 6334, 4659],
  [86, 'vase', 'indoor', 6613, 3593],
  [87, 'scissors', 'indoor', 1481, 975],
  [88, 'teddy bear', 'indoor', 4793, 2140],
  [89, 'hair drier', 'indoor', 198, 189],
  [90, 'toothbrush', 'indoor', 1954, 1007],
];

const infoJson =
  '{"description": "COCO 2017 Dataset", "url": "http://cocodataset.org", "version": "1.0", "year": 2017, "contributor": "COCO Consortium", "date_created": "2017/09/01"}';
const licenses: readonly (readonly [string, string])[] = [
  ['http://creativecommons.org/licenses/by-nc-sa/2.0/', 'Attribution-NonCommercial-ShareAlike License'],
  ['http://creativecommons.org/licenses/by-nc/2.0/', 'Attribution-NonCommercial License'],
  ['http://creativecommons.org/licenses/by-nc-nd/2.0/', 'Attribution-NonCommercial-NoDerivs License'],
  ['http://creativecommons.org/licenses/by/2.0/', 'Attribution License'],
  ['http://creativecommons.org/licenses/by-sa/2.0/', 'Attribution-ShareAlike License'],
  ['http://creativecommons.org/licenses/by-nd/2.0/', 'Attribution-NoDerivs License'],
  ['http://flickr.com/commons/usage/', 'No known copyright restrictions'],
  ['http://www.usa.gov/copyright.shtml', 'United States Government Work'],
];
/** Relative frequency of license ids 1..8 among images. */
const licenseWeights = [27, 16, 27, 15, 9, 5, 1.5, 0.1];
/** Common COCO image sizes (width, height, weight); the rest get a 640 side and a random other side. */
const commonSizes: readonly (readonly [number, number, number])[] = [
  [640, 480, 30],
  [640, 427, 14],
  [480, 640, 8],
  [427, 640, 6],
  [640, 426, 5],
  [640, 428, 4],
  [640, 425, 3],
  [500, 375, 3],
  [640, 360, 3],
];

export interface SyntheticMeta {
  generatorVersion: number;
  shape: SyntheticShape;
  bytes: number;
  sha256: string;
  images: number;
  annotations: number;
  categories: number;
  crowdAnnotations: number;
  /** Mean distinct categories per annotated image (train2017: ~2.9). */
  meanLabelsPerImage: number;
  /** Images with at least one annotation. */
  annotatedImages: number;
  /** Per category name, the images with at least one of its annotations: what a correct import counts. */
  imagesPerCategory: Record<string, number>;
  seconds: number;
  node: string;
}

export interface EnsureResult {
  path: string;
  meta: SyntheticMeta;
  generated: boolean;
}

export function metaPathFor(path: string): string {
  return `${path}.meta.json`;
}

/** Returns the synthetic file, generating it when it is missing, incomplete or from another generator version. */
export function ensureSyntheticCoco(
  options: { path?: string; shape?: SyntheticShape; force?: boolean; log?: (line: string) => void } = {},
): EnsureResult {
  const shape = options.shape ?? fullShape;
  const path = resolve(options.path ?? syntheticPathFor(shape));
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (!options.force) {
    const meta = readMeta(path);
    if (
      meta !== null &&
      meta.generatorVersion === generatorVersion &&
      sameShape(meta.shape ?? fullShape, shape) &&
      // A sidecar written before the meta recorded per-category counts (same bytes): written again.
      meta.imagesPerCategory !== undefined &&
      existsSync(path) &&
      statSync(path).size === meta.bytes
    ) {
      return { path, meta, generated: false };
    }
  }
  log(`generate: writing ${path} (generator v${generatorVersion}, ${describeShape(shape)})`);
  const meta = generate(path, shape, log);
  return { path, meta, generated: true };
}

function describeShape(shape: SyntheticShape): string {
  return `scale ${shape.scale}, ${shape.polygons} polygons, ${shape.separators} separators`;
}

function readMeta(path: string): SyntheticMeta | null {
  try {
    return JSON.parse(readFileSync(metaPathFor(path), 'utf8')) as SyntheticMeta;
  } catch {
    return null;
  }
}

// ---- randomness ------------------------------------------------------------------------------

/** sfc32: small, fast, and (unlike Math.random) seedable, so every run writes the same bytes. */
class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 16; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Irwin-Hall: arithmetic only, so identical on every platform). */
  normal(): number {
    let s = 0;
    for (let i = 0; i < 12; i++) s += this.next();
    return s - 6;
  }

  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    return weights.length - 1;
  }
}

/** `count` distinct integers in [1, max], in random order. */
function sparseIds(rng: Rng, count: number, max: number): Float64Array {
  const taken = new Uint8Array(max + 1);
  const ids = new Float64Array(count);
  for (let i = 0; i < count;) {
    const id = 1 + rng.below(max);
    if (taken[id] === 1) continue;
    taken[id] = 1;
    ids[i++] = id;
  }
  return ids;
}

// ---- number formatting -------------------------------------------------------------------------

/** A float as Python's repr writes it (the genuine file was written by Python's json module). */
function pyFloat(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  const a = Math.abs(v);
  if (a >= 1e16 || a < 1e-4) {
    // JS gives "5e-5"; Python gives "5e-05".
    return v.toExponential().replace(/e([+-])(\d)$/, 'e$10$2');
  }
  return String(v);
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

function pad12(id: number): string {
  return String(id).padStart(12, '0');
}

function two(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

// ---- the plan: which image holds which labels --------------------------------------------------

interface Plan {
  imageIds: Float64Array;
  widths: Uint16Array;
  heights: Uint16Array;
  /** Annotation order: each entry is a pair index (an image-category pair), repeated once per instance. */
  order: Int32Array;
  pairImage: Int32Array;
  pairCategory: Uint8Array;
  /** 1 for pairs whose first instance (in file order) is a crowd annotation. */
  pairCrowd: Uint8Array;
  annotationIds: Float64Array;
  meanLabelsPerImage: number;
  annotatedImages: number;
  /** Per category (table order), the images holding it. */
  imagesPerCategory: number[];
}

function makePlan(counts: Counts, scale: number): Plan {
  const { images: imageCount, annotations: annotationCount, unannotated: unannotatedImages, crowd: crowdAnnotations } = counts;
  const rng = new Rng(2017);
  const imageIds = sparseIds(rng, imageCount, maxImageId);
  const widths = new Uint16Array(imageCount);
  const heights = new Uint16Array(imageCount);
  const sizeWeights = [...commonSizes.map((s) => s[2]), 24];
  for (let i = 0; i < imageCount; i++) {
    const k = rng.weighted(sizeWeights);
    const common = commonSizes[k];
    if (common !== undefined) {
      widths[i] = common[0];
      heights[i] = common[1];
    } else {
      const other = 240 + rng.below(401);
      const landscape = rng.next() < 0.7;
      widths[i] = landscape ? 640 : other;
      heights[i] = landscape ? other : 640;
    }
  }

  // Images [0, annotated) get labels; the last `unannotatedImages` (random ids anyway) get none.
  const annotated = imageCount - unannotatedImages;
  const perCategory: number[][] = categoryTable.map(() => []);
  const labelled = new Uint8Array(annotated);
  const perm = new Int32Array(annotated);
  for (let i = 0; i < annotated; i++) perm[i] = i;
  categoryTable.forEach(([, , , , fullImages], c) => {
    const images = Math.max(1, Math.round(fullImages * scale));
    // Partial Fisher-Yates: `images` distinct images for this category.
    for (let k = 0; k < images; k++) {
      const j = k + rng.below(annotated - k);
      const pick = perm[j]!;
      perm[j] = perm[k]!;
      perm[k] = pick;
      perCategory[c]!.push(pick);
      labelled[pick] = 1;
    }
  });
  // Every annotated image needs at least one label: give the empty ones a category in proportion.
  const imageWeights = categoryTable.map((c) => c[4]);
  for (let i = 0; i < annotated; i++) {
    if (labelled[i] === 0) perCategory[rng.weighted(imageWeights)]!.push(i);
  }

  // Instances per category: train2017 counts scaled to exactly `annotationCount`, at least one per pair.
  const rawTotal = categoryTable.reduce((s, c) => s + c[3], 0);
  const instances = categoryTable.map((c, i) => Math.max(perCategory[i]!.length, Math.round((c[3] * annotationCount) / rawTotal)));
  instances[0] = instances[0]! + annotationCount - instances.reduce((s, n) => s + n, 0);

  const pairTotal = perCategory.reduce((s, list) => s + list.length, 0);
  const pairImage = new Int32Array(pairTotal);
  const pairCategory = new Uint8Array(pairTotal);
  const pairCount = new Int32Array(pairTotal);
  let p = 0;
  perCategory.forEach((list, c) => {
    const start = p;
    for (const image of list) {
      pairImage[p] = image;
      pairCategory[p] = c;
      pairCount[p] = 1;
      p++;
    }
    // Extra instances go to pairs with heavy-tailed weights: most images hold one or two of a
    // category, a few hold a crowd of them (as with people and cars).
    const cumulative = new Float64Array(list.length);
    let sum = 0;
    for (let k = 0; k < list.length; k++) {
      const e = -Math.log(1 - rng.next());
      sum += e * e * e;
      cumulative[k] = sum;
    }
    for (let extra = instances[c]! - list.length; extra > 0; extra--) {
      const r = rng.next() * sum;
      let lo = 0;
      let hi = list.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cumulative[mid]! > r) hi = mid;
        else lo = mid + 1;
      }
      pairCount[start + lo]!++;
    }
  });

  // About 1% crowd annotations: at most one per image-category pair, among pairs with several instances.
  const eligible: number[] = [];
  for (let k = 0; k < pairTotal; k++) if (pairCount[k]! >= 2) eligible.push(k);
  const pairCrowd = new Uint8Array(pairTotal);
  for (let k = 0; k < crowdAnnotations && k < eligible.length; k++) {
    const j = k + rng.below(eligible.length - k);
    const pick = eligible[j]!;
    eligible[j] = eligible[k]!;
    eligible[k] = pick;
    pairCrowd[pick] = 1;
  }

  const order = new Int32Array(annotationCount);
  let o = 0;
  for (let k = 0; k < pairTotal; k++) for (let n = 0; n < pairCount[k]!; n++) order[o++] = k;
  // The genuine file is not grouped by image: shuffle, so label bookkeeping sees a realistic mix.
  for (let i = annotationCount - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }

  const annotationIds = sparseIds(rng, annotationCount, maxAnnotationId);
  return {
    imageIds,
    widths,
    heights,
    order,
    pairImage,
    pairCategory,
    pairCrowd,
    annotationIds,
    meanLabelsPerImage: pairTotal / annotated,
    annotatedImages: annotated,
    imagesPerCategory: perCategory.map((list) => list.length),
  };
}

// ---- output --------------------------------------------------------------------------------------

/** Buffers text and writes it in ~1 MiB pieces, hashing as it goes. Everything written is ASCII. */
class ChunkedFile {
  private pending = '';
  bytes = 0;
  private readonly hash = createHash('sha256');
  private readonly fd: number;

  constructor(
    path: string,
    private readonly separators: SyntheticShape['separators'],
  ) {
    this.fd = openSync(path, 'w');
  }

  /**
   * Compact separators are made by dropping the space after every ", " and ": ": no string value
   * the generator writes (names, dates, URLs) contains either pair, so only separators change.
   */
  write(text: string): void {
    this.pending += this.separators === 'compact' ? text.replaceAll(', ', ',').replaceAll(': ', ':') : text;
    if (this.pending.length >= 1 << 20) this.flush();
  }

  private flush(): void {
    const chunk = Buffer.from(this.pending, 'latin1');
    this.pending = '';
    writeSync(this.fd, chunk);
    this.hash.update(chunk);
    this.bytes += chunk.length;
  }

  close(): string {
    this.flush();
    closeSync(this.fd);
    return this.hash.digest('hex');
  }
}

function imageJson(rng: Rng, plan: Plan, i: number): string {
  const id = plan.imageIds[i]!;
  const name = `${pad12(id)}.jpg`;
  const license = 1 + rng.weighted(licenseWeights);
  const date = `2013-11-${two(14 + rng.below(12))} ${two(rng.below(24))}:${two(rng.below(60))}:${two(rng.below(60))}`;
  const secret = (rng.u32().toString(16).padStart(8, '0') + rng.u32().toString(16).padStart(8, '0')).slice(0, 10);
  const flickr = `http://farm${1 + rng.below(9)}.staticflickr.com/${1 + rng.below(8999)}/${1_000_000_000 + rng.below(8_999_999_999)}_${secret}_z.jpg`;
  return (
    `{"license": ${license}, "file_name": "${name}", "coco_url": "http://images.cocodataset.org/train2017/${name}", ` +
    `"height": ${plan.heights[i]!}, "width": ${plan.widths[i]!}, "date_captured": "${date}", "flickr_url": "${flickr}", "id": ${id}}`
  );
}

/** A polygon annotation: one or more star-shaped rings inside a random box of the image. */
function polygonJson(
  rng: Rng,
  width: number,
  height: number,
  imageId: number,
  categoryId: number,
  id: number,
  polygons: SyntheticShape['polygons'],
): string {
  // Object size: log-uniform area share, as COCO's mix of small (~41%), medium and large objects.
  const share = Math.pow(10, -3.75 + 3.2 * rng.next());
  const aspect = Math.exp(0.5 * rng.normal());
  const w = Math.max(2, Math.min(width, Math.sqrt(share * width * height * aspect)));
  const h = Math.max(2, Math.min(height, Math.sqrt((share * width * height) / aspect)));
  const x0 = rng.next() * (width - w);
  const y0 = rng.next() * (height - h);
  // Vertex count grows with object size; the tail reaches a few hundred coordinates like real masks.
  const realisticVertices = Math.min(220, 3 + Math.round(vertexScale * Math.pow(Math.sqrt(w * h), 0.6) * Math.exp(0.45 * rng.normal())));
  const realisticRings = rng.next() < 0.12 ? Math.min(7, 2 + Math.floor(-Math.log(1 - rng.next()) * 0.8)) : 1;
  const vertices = polygons === 'minimal' ? 3 : realisticVertices;
  const rings = polygons === 'minimal' ? 1 : realisticRings;
  const longFloats = rng.next() < longFloatShare;

  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  let area = 0;
  let text = '{"segmentation": [';
  let left = Math.max(vertices, 3 * rings);
  for (let r = 0; r < rings; r++) {
    const n = r === rings - 1 ? left : Math.max(3, Math.round(left / (rings - r)));
    left -= n;
    const scale = rings === 1 ? 1 : 0.25 + 0.35 * rng.next();
    const rx = (w * scale) / 2;
    const ry = (h * scale) / 2;
    const cx = x0 + rx + rng.next() * (w - 2 * rx);
    const cy = y0 + ry + rng.next() * (h - 2 * ry);
    const angles = new Float64Array(n);
    for (let k = 0; k < n; k++) angles[k] = rng.next() * 2 * Math.PI;
    angles.sort();
    const xs = new Float64Array(n);
    const ys = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const radius = 0.55 + 0.45 * rng.next();
      const x = Math.min(width, Math.max(0, cx + rx * radius * Math.cos(angles[k]!)));
      const y = Math.min(height, Math.max(0, cy + ry * radius * Math.sin(angles[k]!)));
      // Multiplying (not dividing) by 1e-5 leaves binary noise: 702.1057499999998.
      xs[k] = longFloats ? Math.round(x * 1e5) * 1e-5 : round2(x);
      ys[k] = longFloats ? Math.round(y * 1e5) * 1e-5 : round2(y);
    }
    let twice = 0;
    text += r === 0 ? '[' : ', [';
    for (let k = 0; k < n; k++) {
      const x = xs[k]!;
      const y = ys[k]!;
      text += k === 0 ? `${pyFloat(x)}, ${pyFloat(y)}` : `, ${pyFloat(x)}, ${pyFloat(y)}`;
      const next = (k + 1) % n;
      twice += x * ys[next]! - xs[next]! * y;
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
    text += ']';
    area += Math.abs(twice) / 2;
  }
  const bbox = `${pyFloat(round2(minX))}, ${pyFloat(round2(minY))}, ${pyFloat(round2(maxX - minX))}, ${pyFloat(round2(maxY - minY))}`;
  return `${text}], "area": ${pyFloat(area)}, "iscrowd": 0, "image_id": ${imageId}, "bbox": [${bbox}], "category_id": ${categoryId}, "id": ${id}}`;
}

/** A crowd annotation: an uncompressed column-major RLE mask of a large blob, with integer area and bbox. */
function crowdJson(rng: Rng, width: number, height: number, imageId: number, categoryId: number): string {
  const w = Math.max(8, Math.round(width * (0.15 + 0.85 * rng.next())));
  const h = Math.max(8, Math.round(height * (0.1 + 0.6 * rng.next())));
  const x0 = rng.below(width - w + 1);
  const y0 = rng.below(height - h + 1);
  const counts: number[] = [];
  let value = 0;
  let run = 0;
  const push = (v: number, length: number): void => {
    if (length === 0) return;
    if (v === value) {
      run += length;
    } else {
      counts.push(run);
      value = v;
      run = length;
    }
  };
  let minX = width;
  let minY = height;
  let maxX = -1;
  let maxY = -1;
  let top = y0 + rng.below(Math.max(1, h >> 2));
  let bottom = y0 + h - rng.below(Math.max(1, h >> 2));
  for (let x = 0; x < width; x++) {
    if (x < x0 || x >= x0 + w || rng.next() < 0.04) {
      push(0, height);
      continue;
    }
    // Edges wander a little from column to column; sometimes a gap splits the column.
    top = Math.min(bottom - 1, Math.max(y0, top + rng.below(7) - 3));
    bottom = Math.max(top + 1, Math.min(y0 + h, bottom + rng.below(7) - 3));
    push(0, top);
    if (rng.next() < 0.2 && bottom - top > 6) {
      const gapAt = top + 1 + rng.below(bottom - top - 4);
      const gap = 1 + rng.below(Math.min(3, bottom - gapAt - 2));
      push(1, gapAt - top);
      push(0, gap);
      push(1, bottom - gapAt - gap);
    } else {
      push(1, bottom - top);
    }
    push(0, height - bottom);
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, top);
    maxY = Math.max(maxY, bottom - 1);
  }
  counts.push(run);
  if (maxX < 0) return crowdJson(rng, width, height, imageId, categoryId);
  // Area is the number of set pixels: the odd-indexed runs.
  let area = 0;
  for (let k = 1; k < counts.length; k += 2) area += counts[k]!;
  const id = 900_000_000_000 + categoryId * 100_000_000 + imageId;
  return (
    `{"segmentation": {"counts": [${counts.join(', ')}], "size": [${height}, ${width}]}, "area": ${area}, "iscrowd": 1, ` +
    `"image_id": ${imageId}, "bbox": [${minX}, ${minY}, ${maxX - minX + 1}, ${maxY - minY + 1}], "category_id": ${categoryId}, "id": ${id}}`
  );
}

function generate(path: string, shape: SyntheticShape, log: (line: string) => void): SyntheticMeta {
  const started = performance.now();
  mkdirSync(dirname(path), { recursive: true });
  const counts = countsFor(shape);
  const { images: imageCount, annotations: annotationCount } = counts;
  const plan = makePlan(counts, shape.scale);
  const rng = new Rng(118287);
  const tmp = `${path}.partial`;
  const out = new ChunkedFile(tmp, shape.separators);

  out.write(`{"info": ${infoJson}, "licenses": [`);
  out.write(licenses.map(([url, name], i) => `{"url": "${url}", "id": ${i + 1}, "name": "${name}"}`).join(', '));
  out.write('], "images": [');
  for (let i = 0; i < imageCount; i++) out.write((i === 0 ? '' : ', ') + imageJson(rng, plan, i));

  out.write('], "annotations": [');
  const crowdDone = new Uint8Array(plan.pairCrowd.length);
  let crowd = 0;
  let step = Math.ceil(annotationCount / 10);
  for (let i = 0; i < annotationCount; i++) {
    const pair = plan.order[i]!;
    const image = plan.pairImage[pair]!;
    const imageId = plan.imageIds[image]!;
    const categoryId = categoryTable[plan.pairCategory[pair]!]![0];
    const width = plan.widths[image]!;
    const height = plan.heights[image]!;
    let json: string;
    if (plan.pairCrowd[pair] === 1 && crowdDone[pair] === 0) {
      crowdDone[pair] = 1;
      crowd++;
      json = crowdJson(rng, width, height, imageId, categoryId);
    } else {
      json = polygonJson(rng, width, height, imageId, categoryId, plan.annotationIds[i]!, shape.polygons);
    }
    out.write((i === 0 ? '' : ', ') + json);
    if (i + 1 === step) {
      log(`generate: ${i + 1}/${annotationCount} annotations, ${(out.bytes / 2 ** 20).toFixed(0)} MiB`);
      step = Math.min(annotationCount, step + Math.ceil(annotationCount / 10));
    }
  }

  out.write('], "categories": [');
  out.write(
    categoryTable.map(([id, name, supercategory]) => `{"supercategory": "${supercategory}", "id": ${id}, "name": "${name}"}`).join(', '),
  );
  out.write(']}');
  const sha256 = out.close();
  renameSync(tmp, path);

  const meta: SyntheticMeta = {
    generatorVersion,
    shape,
    bytes: statSync(path).size,
    sha256,
    images: imageCount,
    annotations: annotationCount,
    categories: categoryTable.length,
    crowdAnnotations: crowd,
    meanLabelsPerImage: Math.round(plan.meanLabelsPerImage * 1000) / 1000,
    annotatedImages: plan.annotatedImages,
    imagesPerCategory: Object.fromEntries(categoryTable.map(([, name], c) => [name, plan.imagesPerCategory[c]!])),
    seconds: Math.round((performance.now() - started) / 100) / 10,
    node: process.version,
  };
  writeFileSync(metaPathFor(path), `${JSON.stringify(meta, null, 2)}\n`);
  log(`generate: done, ${(meta.bytes / 2 ** 20).toFixed(1)} MiB in ${meta.seconds} s (sha256 ${sha256.slice(0, 12)}…)`);
  return meta;
}

function main(argv: readonly string[]): void {
  const valueOf = (flag: string): string | undefined => {
    const at = argv.indexOf(flag);
    if (at >= 0 && argv[at + 1] === undefined) throw new Error(`${flag} needs a value`);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const path = valueOf('--out');
  const shape: SyntheticShape = {
    scale: Number(valueOf('--scale') ?? 1),
    polygons: argv.includes('--minimal-polygons') ? 'minimal' : 'realistic',
    separators: argv.includes('--compact') ? 'compact' : 'python',
  };
  const result = ensureSyntheticCoco({ path, shape, force: argv.includes('--force') });
  if (!result.generated) process.stderr.write(`generate: ${result.path} is up to date (v${generatorVersion}); --force regenerates it\n`);
  process.stdout.write(`${JSON.stringify({ path: result.path, ...result.meta })}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2));
}
