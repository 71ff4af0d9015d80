import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { midBits, pairTaps, resizeRgb, triangleTaps, weightBits, type AxisTaps } from './resize-rgb';

/**
 * The WebAssembly passes (wasm/pixels.c) transcribed to TypeScript, integer for integer: vertical
 * first into 16-bit values with `midBits` extra bits, then horizontal, each rounding half up.
 */
function referenceResize(src: Uint8Array, width: number, height: number, outWidth: number, outHeight: number): Uint8Array {
  const vertical = triangleTaps(height, outHeight);
  const horizontal = triangleTaps(width, outWidth);
  const mid = new Uint16Array(width * outHeight * 3);
  const upShift = weightBits - midBits;
  for (let y = 0; y < outHeight; y++) {
    for (let i = 0; i < width * 3; i++) {
      let sum = 1 << (upShift - 1);
      for (let k = 0; k < vertical.count[y]!; k++)
        sum += vertical.weights[y * vertical.maxTaps + k]! * src[(vertical.start[y]! + k) * width * 3 + i]!;
      mid[y * width * 3 + i] = sum >> upShift;
    }
  }
  const out = new Uint8Array(outWidth * outHeight * 3);
  const downShift = weightBits + midBits;
  for (let y = 0; y < outHeight; y++) {
    for (let x = 0; x < outWidth; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 1 << (downShift - 1);
        for (let k = 0; k < horizontal.count[x]!; k++) {
          sum += horizontal.weights[x * horizontal.maxTaps + k]! * mid[(y * width + horizontal.start[x]! + k) * 3 + c]!;
        }
        out[(y * outWidth + x) * 3 + c] = Math.min(255, sum >> downShift);
      }
    }
  }
  return out;
}

function randomImage(width: number, height: number, seed: number): Uint8Array {
  let state = seed >>> 0 || 1;
  return Uint8Array.from({ length: width * height * 3 }, () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state & 255;
  });
}

function weightSums(taps: AxisTaps): number[] {
  return Array.from(taps.count, (n, o) => taps.weights.subarray(o * taps.maxTaps, o * taps.maxTaps + n).reduce((sum, w) => sum + w, 0));
}

describe('triangleTaps', () => {
  it('gives every output position non-negative weights that sum exactly to one, within the source', () => {
    for (const [from, to] of [
      [320, 224],
      [640, 224],
      [427, 224],
      [224, 224],
      [100, 224],
      [7, 3],
      [1, 5],
      [5, 1],
      // Thousands of taps for one output: rounding each would leave a large remainder to put somewhere.
      [20000, 1],
      [65535, 2],
    ] as const) {
      const taps = triangleTaps(from, to);
      expect(weightSums(taps), `${from} → ${to}`).toEqual(Array(to).fill(1 << weightBits));
      expect(Math.min(...taps.weights), `${from} → ${to}`).toBeGreaterThanOrEqual(0);
      for (let o = 0; o < to; o++) {
        expect(taps.start[o]).toBeGreaterThanOrEqual(0);
        expect(taps.start[o]! + taps.count[o]!).toBeLessThanOrEqual(from);
        expect(taps.count[o]).toBeLessThanOrEqual(taps.maxTaps);
      }
    }
  });

  it("is Pillow's bilinear: halving averages each pair with a quarter of each neighbour; the same size is the identity", () => {
    // 4 → 2: output 0 is centred at 1.0; pixels 0, 1, 2 at distances 0.5, 0.5, 1.5 of a support of 2.
    const half = triangleTaps(4, 2);
    expect(Array.from(half.start)).toEqual([0, 1]);
    expect(Array.from(half.weights.subarray(0, half.count[0]!)).map((w) => w / (1 << weightBits))).toEqual(
      [0.4286, 0.4286, 0.1429].map((w) => expect.closeTo(w, 3)),
    );
    const same = triangleTaps(5, 5);
    expect(Array.from(same.count)).toEqual([1, 1, 1, 1, 1]);
    expect(Array.from(same.start)).toEqual([0, 1, 2, 3, 4]);
  });

  it('scales by the extent where the picture ends inside its last pixel, and refuses an extent that does not fit', () => {
    // 267 rows of which the picture fills 266.25 (426 rows at 5/8), to 224: centres at (o + 0.5) × 266.25 / 224.
    const taps = triangleTaps(267, 224, 266.25);
    const centre = (o: number): number => {
      let sum = 0;
      for (let k = 0; k < taps.count[o]!; k++) sum += taps.weights[o * taps.maxTaps + k]! * (taps.start[o]! + k + 0.5);
      return sum / (1 << weightBits);
    };
    // Within discretisation of the centre (stretching by 267 / 224 would put it a third of a pixel lower).
    expect(centre(100)).toBeCloseTo((100.5 * 266.25) / 224, 1);
    expect(centre(223)).toBeLessThan(266.25);
    expect(taps.start[223]! + taps.count[223]!).toBeLessThanOrEqual(267);
    expect(() => triangleTaps(267, 224, 265)).toThrow(RangeError);
    expect(() => triangleTaps(267, 224, 268)).toThrow(RangeError);
  });

  it('pairs the taps for the horizontal pass: w w′ three times then two zeros, padded to an even number of positions', () => {
    const taps = triangleTaps(7, 3);
    const pairs = pairTaps(taps);
    expect(pairs.start.length).toBe(4);
    expect(pairs.pairStride).toBe(Math.ceil(taps.maxTaps / 2));
    const first = Array.from(pairs.weights.subarray(0, 8));
    const [w0, w1] = [taps.weights[0]!, taps.weights[1]!];
    expect(first).toEqual([w0, w1, w0, w1, w0, w1, 0, 0]);
    expect(Array.from(pairs.weights.subarray(3 * pairs.pairStride * 8))).toEqual(Array(pairs.pairStride * 8).fill(0));
  });
});

describe('resizeRgb', () => {
  it('computes exactly what the TypeScript transcription of its arithmetic computes, for shrinking, enlarging and odd sizes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 90 }),
        fc.integer({ min: 1, max: 90 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer(),
        (width, height, outWidth, outHeight, seed) => {
          const src = randomImage(width, height, seed);
          expect(resizeRgb(src, width, height, outWidth, outHeight)).toEqual(referenceResize(src, width, height, outWidth, outHeight));
        },
      ),
      { numRuns: 300 },
    );
    // The sizes decoding meets most: a COCO photo at 4/8 and at 5/8 to 224.
    for (const [width, height] of [
      [320, 240],
      [400, 267],
      [267, 400],
    ] as const) {
      const src = randomImage(width, height, width);
      expect(resizeRgb(src, width, height, 224, 224)).toEqual(referenceResize(src, width, height, 224, 224));
    }
  });

  it('returns the image itself at the same size, and a flat colour stays exactly flat', () => {
    const src = randomImage(33, 17, 7);
    expect(resizeRgb(src, 33, 17, 33, 17)).toEqual(src);
    const flat = Uint8Array.from({ length: 50 * 30 * 3 }, (_, i) => [12, 200, 255][i % 3]!);
    const out = resizeRgb(flat, 50, 30, 17, 41);
    expect(out).toEqual(Uint8Array.from({ length: 17 * 41 * 3 }, (_, i) => [12, 200, 255][i % 3]!));
  });

  it('averages when it shrinks rather than skipping: a one-pixel checkerboard halved is grey', () => {
    const size = 64;
    const board = Uint8Array.from({ length: size * size * 3 }, (_, i) =>
      ((((i / 3) | 0) % size) % 2) ^ (((i / 3 / size) | 0) % 2) ? 255 : 0,
    );
    const out = resizeRgb(board, size, size, size / 2, size / 2);
    // Away from the edges every output mixes both colours alike.
    for (let y = 2; y < size / 2 - 2; y++)
      for (let x = 2; x < size / 2 - 2; x++) expect(Math.abs(out[(y * (size / 2) + x) * 3]! - 128)).toBeLessThanOrEqual(20);
  });

  it('keeps its weights right at extreme reductions (a gradient to one or two pixels), as the filter in floating point', () => {
    for (const [width, outWidth] of [
      [20000, 1],
      [65535, 2],
    ] as const) {
      const value = (i: number): number => Math.floor(i * (256 / width));
      const gradient = Uint8Array.from({ length: width * 3 }, (_, i) => value((i / 3) | 0));
      const out = resizeRgb(gradient, width, 1, outWidth, 1);
      const scale = width / outWidth;
      for (let x = 0; x < outWidth; x++) {
        // The triangle cut at the image's edges and renormalised, as triangleTaps defines it.
        let sum = 0;
        let weights = 0;
        for (let i = 0; i < width; i++) {
          const w = Math.max(0, 1 - Math.abs(i + 0.5 - (x + 0.5) * scale) / scale);
          sum += w * value(i);
          weights += w;
        }
        expect(Math.abs(out[x * 3]! - sum / weights), `${width} → ${outWidth}, pixel ${x}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('refuses sizes that are not positive whole numbers, and pixels that do not match the size', () => {
    expect(() => resizeRgb(new Uint8Array(12), 2, 2, 0, 2)).toThrow(RangeError);
    expect(() => resizeRgb(new Uint8Array(12), 2, 2, 1.5, 2)).toThrow(RangeError);
    expect(() => resizeRgb(new Uint8Array(11), 2, 2, 1, 1)).toThrow(/Expected 12 bytes/);
  });
});
