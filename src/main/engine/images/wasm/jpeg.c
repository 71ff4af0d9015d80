/*
 * JPEG decoding for the training pipeline: libjpeg-turbo's decompressor, compiled with this file to
 * WebAssembly (see scripts/build-wasm.mjs) and called synchronously from decode-wasm.ts.
 *
 * Why: a libvips pipeline through sharp costs about a millisecond per image before any pixel is
 * decoded (options handed over, operations built, work passed between threads), and libvips can
 * only scale JPEGs by 1/2, 1/4 or 1/8 while decoding. libjpeg scales by any M/8, so a 640×427 photo
 * decodes at 5/8 (400×267) rather than in full to be brought to 224.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "jpeglib.h"

/*
 * libjpeg reports a fatal error through error_exit, which must not return, and WebAssembly has no
 * setjmp: the module traps instead. The TypeScript side then drops this instance (its allocations
 * are lost with it) and leaves the image to libvips, which says what is wrong with it.
 */
static void fail(j_common_ptr cinfo) {
  (void)cinfo;
  __builtin_trap();
}

/* Corrupt-data warnings (a truncated file, bytes before a marker): counted, so the caller can refuse the result. */
static int32_t warnings;

static void note(j_common_ptr cinfo, int level) {
  (void)cinfo;
  if (level < 0) warnings++;
}

static void quiet(j_common_ptr cinfo) { (void)cinfo; }

/*
 * Decodes `size` bytes of JPEG to packed RGB (grey and YCbCr converted by libjpeg) at scale_num/8
 * of its size, rounded up, by libjpeg's DCT scaling. Writes the width, height and number of
 * corrupt-data warnings to info[0..2] and returns the pixels, which the caller frees (16 bytes of
 * room after them, for the pixel loops' over-reads).
 */
uint8_t *jpeg_decode_rgb(const uint8_t *data, uint32_t size, int32_t scale_num, int32_t *info) {
  struct jpeg_decompress_struct cinfo;
  struct jpeg_error_mgr errors;
  cinfo.err = jpeg_std_error(&errors);
  errors.error_exit = fail;
  errors.emit_message = note;
  errors.output_message = quiet;
  warnings = 0;
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, size);
  jpeg_read_header(&cinfo, TRUE);
  cinfo.scale_num = (unsigned int)scale_num;
  cinfo.scale_denom = 8;
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  const size_t stride = (size_t)cinfo.output_width * 3;
  uint8_t *pixels = malloc(stride * cinfo.output_height + 16);
  if (pixels == NULL) __builtin_trap();
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = pixels + stride * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  info[0] = (int32_t)cinfo.output_width;
  info[1] = (int32_t)cinfo.output_height;
  info[2] = warnings;
  jpeg_destroy_decompress(&cinfo);
  return pixels;
}
