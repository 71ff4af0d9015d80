import { runDecoder, type DecoderCalls } from './wasm/decoder-module';

/**
 * Resizes 8-bit RGB pixels (HWC) with an antialiased bilinear filter: the triangle filter, its
 * support widened by the reduction when shrinking so that every source pixel counts, as Pillow's
 * `resize(BILINEAR)`, torchvision's `antialias=True` and libvips' linear reduce do.
 *
 * Why not libvips: after a JPEG is decoded at a DCT scale, what is left is a small resize (320×240
 * to 224×224 for most COCO photos), and libvips' fixed cost of setting up its resize operations
 * (about 1.2 ms whatever the kernel, nearest included: measured with perf) was a quarter of the
 * whole decode. Here the filter is worked out in TypeScript once per pair of sizes and the
 * multiply-adds run in WebAssembly (wasm/pixels.c), synchronously on the calling thread, in a
 * fraction of that (about 0.3 ms for 320×240).
 */
export function resizeRgb(
  src: Uint8Array,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  /** Where the picture ends, when inside its last column or row (see triangleTaps). */
  extent: { width: number; height: number } = { width, height },
): Uint8Array {
  if (![width, height, outWidth, outHeight].every((n) => Number.isInteger(n) && n >= 1)) {
    throw new RangeError(`Cannot resize ${width}×${height} to ${outWidth}×${outHeight}.`);
  }
  if (src.length !== width * height * 3)
    throw new RangeError(`Expected ${width * height * 3} bytes of RGB for ${width}×${height}, got ${src.length}.`);
  return runDecoder((calls) => {
    const dst = resizeInModule(calls, calls.put(src), width, height, outWidth, outHeight, extent);
    return calls.bytes(dst, outWidth * outHeight * 3).slice();
  });
}

/**
 * Resizes RGB pixels already in the decoder module's memory (at `src`, with 16 bytes of room after
 * them) into a block allocated for the run; returns its address. `extent` is how much of the source
 * the picture covers, where its last row or column holds only part of a pixel of it (see
 * triangleTaps).
 */
export function resizeInModule(
  calls: DecoderCalls,
  src: number,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
  extent: { width: number; height: number } = { width, height },
): number {
  const vertical = filterFor(height, outHeight, extent.height).taps;
  const horizontal = filterFor(width, outWidth, extent.width).pairs;
  // The horizontal pass may read a tap pair's worth of pixels past a row's last one (with zero
  // weights), and both write a vector past the end.
  const mid = calls.alloc(width * outHeight * 3 * 2, (horizontal.pairStride * 2 + 3) * 3 * 2);
  const dst = calls.alloc(outWidth * outHeight * 3);
  const [vStart, vCount, vWeights] = [vertical.start, vertical.count, vertical.weights].map((array) => calls.put(array));
  const [hStart, hWeights] = [horizontal.start, horizontal.weights].map((array) => calls.put(array));
  calls.resizeVertical(src, width, mid, outHeight, vStart!, vCount!, vWeights!, vertical.maxTaps);
  calls.resizeHorizontal(mid, width, outHeight, dst, outWidth, hStart!, hWeights!, horizontal.pairStride);
  return dst;
}

/** Fraction bits of the fixed-point weights; WEIGHT_BITS in wasm/pixels.c. */
export const weightBits = 14;
/** Extra bits the vertical pass keeps for the horizontal one; MID_BITS in wasm/pixels.c. */
export const midBits = 7;

/** Which source pixels feed each output position along one axis, and with which weights. */
export interface AxisTaps {
  /** First source index of each output position. */
  start: Int32Array;
  /** How many source pixels from `start` on. */
  count: Int32Array;
  /** `maxTaps` weights per output position (the first `count` used), summing to 1 << weightBits. */
  weights: Int16Array;
  maxTaps: number;
}

/**
 * The triangle filter from `inSize` to `outSize` samples, Pillow's way: output pixel `o` is centred
 * at `(o + 0.5) * scale` in source coordinates (pixel `i` covering [i, i + 1)), and a source pixel
 * weighs `1 - |distance| / support` with `support = max(1, scale)`. Weights are rounded to fixed
 * point by their running sums, so each position's weights are never negative and sum exactly to one.
 *
 * `extent` (at most `inSize`) is where the picture ends in source coordinates, when that is not a
 * whole pixel: libjpeg decodes a 426-row photo at 5/8 to 267 rows, of which the picture fills
 * 266.25. Scaling by `extent / outSize` keeps the output's rows where they are in the picture;
 * by 267 / 224 they would drift by most of a pixel towards the bottom.
 */
export function triangleTaps(inSize: number, outSize: number, extent: number = inSize): AxisTaps {
  if (!(extent > inSize - 1 && extent <= inSize)) throw new RangeError(`An extent of ${extent} does not fit ${inSize} pixels.`);
  const scale = extent / outSize;
  const support = Math.max(1, scale);
  const one = 1 << weightBits;
  const start = new Int32Array(outSize);
  const perPosition: number[][] = [];
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const weightOf = (i: number): number => Math.max(0, 1 - Math.abs(i + 0.5 - centre) / support);
    let first = Math.max(0, Math.floor(centre - support));
    let last = Math.min(inSize - 1, Math.ceil(centre + support));
    while (first < last && weightOf(first) === 0) first++;
    while (last > first && weightOf(last) === 0) last--;
    const raw = Array.from({ length: last - first + 1 }, (_, k) => weightOf(first + k));
    const total = raw.reduce((sum, w) => sum + w, 0);
    // Rounded cumulatively: each weight is the step between rounded running sums, so none is
    // negative and they add up to exactly one however many there are. (Only a lone pixel can weigh
    // nothing, from a one-pixel source; it takes the whole weight.)
    let running = 0;
    let rounded = 0;
    const fixed = raw.map((w, k) => {
      running += w;
      const next = k === raw.length - 1 || total === 0 ? one : Math.round((running / total) * one);
      const step = next - rounded;
      rounded = next;
      return step;
    });
    start[o] = first;
    perPosition.push(fixed);
  }
  const maxTaps = Math.max(...perPosition.map((fixed) => fixed.length));
  const count = Int32Array.from(perPosition, (fixed) => fixed.length);
  const weights = new Int16Array(outSize * maxTaps);
  perPosition.forEach((fixed, o) => weights.set(fixed, o * maxTaps));
  return { start, count, weights, maxTaps };
}

/**
 * The horizontal pass takes two taps at a time, for two output pixels at a time (see
 * resize_horizontal in wasm/pixels.c): per output position, `pairStride` vectors of eight weights
 * laid out w w' w w' w w' 0 0 (an odd last tap, and positions with fewer taps, padded with zero
 * weights: every position takes the same number of steps, which keeps the loop's branch
 * predictable). Arrays cover an even number of positions; an odd last one is all zeros.
 */
export interface PairedTaps {
  start: Int32Array;
  weights: Int16Array;
  pairStride: number;
}

export function pairTaps(taps: AxisTaps): PairedTaps {
  const positions = taps.start.length;
  const padded = positions + (positions % 2);
  const pairStride = Math.ceil(taps.maxTaps / 2);
  const start = new Int32Array(padded);
  start.set(taps.start);
  const weights = new Int16Array(padded * pairStride * 8);
  for (let o = 0; o < positions; o++) {
    const n = taps.count[o]!;
    for (let k = 0; k < n; k++) {
      const at = (o * pairStride + (k >> 1)) * 8 + (k & 1);
      const weight = taps.weights[o * taps.maxTaps + k]!;
      weights[at] = weight;
      weights[at + 2] = weight;
      weights[at + 4] = weight;
    }
  }
  return { start, weights, pairStride };
}

/** Filters are the same for every image of a size; the last few pairs of sizes are kept. */
const filterCache = new Map<string, { taps: AxisTaps; pairs: PairedTaps }>();

function filterFor(inSize: number, outSize: number, extent: number = inSize): { taps: AxisTaps; pairs: PairedTaps } {
  const key = `${inSize}>${outSize}@${extent}`;
  let filter = filterCache.get(key);
  if (filter === undefined) {
    const taps = triangleTaps(inSize, outSize, extent);
    filter = { taps, pairs: pairTaps(taps) };
    if (filterCache.size >= 64) filterCache.delete(filterCache.keys().next().value!);
    filterCache.set(key, filter);
  }
  return filter;
}
