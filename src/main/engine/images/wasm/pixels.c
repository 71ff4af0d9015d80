/*
 * Separable resampling of 8-bit RGB images, compiled to WebAssembly with 128-bit SIMD (see
 * scripts/build-wasm.mjs).
 *
 * The filter itself (which source pixels feed an output pixel, and with which weights) is decided in
 * TypeScript (resize-rgb.ts); this file only does the multiply-adds, which is where JavaScript is
 * slow. Weights are fixed point with WEIGHT_BITS fraction bits and sum to 1 << WEIGHT_BITS for each
 * output position, and are never negative, so no sum leaves the range of its input.
 *
 * Vertical pass first: it works on whole rows, eight values at a time, and it leaves the horizontal
 * pass (one pixel at a time) the fewer rows when the image shrinks. Between the passes values are
 * kept with MID_BITS extra bits in 16-bit lanes.
 *
 * Both passes read and write whole vectors past the ends of rows; the caller leaves 16 bytes of room
 * after every buffer, and what spills into the next row is either multiplied by zero or written over.
 */
#include <stdint.h>
#include <wasm_simd128.h>

#define WEIGHT_BITS 14
#define MID_BITS 7

/* src: in_height rows of width*3 bytes; mid: out_height rows of width*3 16-bit values. */
void resize_vertical(const uint8_t *src, int32_t width, uint16_t *mid, int32_t out_height, const int32_t *start,
                     const int32_t *count, const int16_t *weights, int32_t max_taps) {
  const int32_t stride = width * 3;
  const int32_t shift = WEIGHT_BITS - MID_BITS;
  const v128_t half = wasm_i32x4_splat(1 << (shift - 1));
  for (int32_t y = 0; y < out_height; y++) {
    const uint8_t *first = src + start[y] * stride;
    const int16_t *w = weights + y * max_taps;
    const int32_t n = count[y];
    uint16_t *out = mid + y * stride;
    for (int32_t i = 0; i < stride; i += 8) {
      v128_t low = half, high = half;
      for (int32_t k = 0; k < n; k++) {
        const v128_t values = wasm_u16x8_load8x8(first + k * stride + i);
        const v128_t weight = wasm_i16x8_splat(w[k]);
        low = wasm_i32x4_add(low, wasm_i32x4_extmul_low_i16x8(values, weight));
        high = wasm_i32x4_add(high, wasm_i32x4_extmul_high_i16x8(values, weight));
      }
      wasm_v128_store(out + i, wasm_u16x8_narrow_i32x4(wasm_i32x4_shr(low, shift), wasm_i32x4_shr(high, shift)));
    }
  }
}

/*
 * mid: rows of in_width*3 16-bit values; dst: the same number of rows of out_width*3 bytes.
 * Two taps at a time: eight values from a tap's pixel on are R G B R' G' B' . ., shuffled to
 * R R' G G' B B' . . and dotted with the pair's weights laid out w w' w w' w w' 0 0, which gives the
 * three channels' sums in three lanes. `pairs` holds pair_stride such vectors per output pixel,
 * zero-weighted where a pixel has fewer taps: every pixel takes the same steps, so the loop's
 * branches stay predictable (a trip count varying from pixel to pixel cost more than the sums).
 * Two output pixels per round; the second, past the end of an odd row, lands where the next row's
 * first pixel will overwrite it (`start` and `pairs` are padded to an even count).
 */
void resize_horizontal(const uint16_t *mid, int32_t in_width, int32_t height, uint8_t *dst, int32_t out_width,
                       const int32_t *start, const int16_t *pairs, int32_t pair_stride) {
  const int32_t shift = WEIGHT_BITS + MID_BITS;
  const v128_t half = wasm_i32x4_splat(1 << (shift - 1));
  for (int32_t y = 0; y < height; y++) {
    const uint16_t *row = mid + y * in_width * 3;
    uint8_t *out = dst + y * out_width * 3;
    for (int32_t x = 0; x < out_width; x += 2) {
      const uint16_t *p = row + start[x] * 3;
      const uint16_t *q = row + start[x + 1] * 3;
      const int16_t *w = pairs + x * pair_stride * 8;
      const int16_t *v = w + pair_stride * 8;
      v128_t first = half, second = half;
      for (int32_t k = 0; k < pair_stride; k++) {
        const v128_t a = wasm_v128_load(p + 6 * k);
        const v128_t b = wasm_v128_load(q + 6 * k);
        first = wasm_i32x4_add(first, wasm_i32x4_dot_i16x8(wasm_i8x16_shuffle(a, a, 0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11, 12, 13, 14, 15),
                                                           wasm_v128_load(w + 8 * k)));
        second = wasm_i32x4_add(second, wasm_i32x4_dot_i16x8(wasm_i8x16_shuffle(b, b, 0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11, 12, 13, 14, 15),
                                                             wasm_v128_load(v + 8 * k)));
      }
      const v128_t words = wasm_u16x8_narrow_i32x4(wasm_i32x4_shr(first, shift), wasm_i32x4_shr(second, shift));
      const v128_t bytes = wasm_u8x16_narrow_i16x8(words, words);
      wasm_v128_store64_lane(out + 3 * x, wasm_i8x16_shuffle(bytes, bytes, 0, 1, 2, 4, 5, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15), 0);
    }
  }
}

/*
 * Colour conversion of packed RGB bytes in place, for decode-icc.ts: `terms` holds nine tables of
 * 256 32-bit values (output channel major: red from red, red from green, red from blue, green from
 * red, ...) whose sums are linear values in steps of `encode`, a table of top + 1 sRGB-encoded bytes.
 * Sums outside [0, top] clip, as lcms clips out-of-gamut colours.
 */
void convert_rgb(uint8_t *rgb, int32_t pixels, const int32_t *terms, const uint8_t *encode, int32_t top) {
  for (int32_t i = 0; i < pixels; i++) {
    uint8_t *p = rgb + 3 * i;
    const int32_t r = p[0], g = p[1] + 256, b = p[2] + 512;
    for (int32_t c = 0; c < 3; c++) {
      const int32_t *t = terms + c * 768;
      const int32_t v = t[r] + t[g] + t[b];
      p[c] = encode[v < 0 ? 0 : v > top ? top : v];
    }
  }
}
