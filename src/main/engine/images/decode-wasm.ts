import { eighthsScale, type JpegHeader } from './decode-jpeg';
import { resizeInModule } from './resize-rgb';
import { DecoderMemoryError, runDecoder } from './wasm/decoder-module';

/** Larger JPEGs go to libvips, which streams them; the module would hold their whole coefficients. */
const maxPixels = 50_000_000;

/**
 * Whether the WebAssembly decoder takes this JPEG: 8-bit grey or colour (CMYK needs colour
 * management), upright (EXIF rotations are left to libvips), and not huge.
 */
export function wasmDecodable(jpeg: JpegHeader): boolean {
  return (
    jpeg.precision === 8 &&
    (jpeg.components === 1 || jpeg.components === 3) &&
    jpeg.orientation === 1 &&
    jpeg.width * jpeg.height <= maxPixels
  );
}

/**
 * Decodes a JPEG straight to the network's `size`×`size` RGB input: libjpeg-turbo decodes at the
 * smallest DCT scale (in eighths) that keeps both sides at least `size`, and resizeInModule brings
 * it to the square in the same module's memory; one synchronous call, no copies but the ones in and
 * out. Returns null for what should go to libvips instead: a JPEG this decoder does not take (see
 * wasmDecodable), one libjpeg gives up on, or one it decodes with corrupt-data warnings (libvips
 * then decides whether that is an error, and says what is wrong).
 */
export function decodeJpegSquare(bytes: Uint8Array, jpeg: JpegHeader, size: number): Uint8Array | null {
  if (!wasmDecodable(jpeg)) return null;
  const scale = eighthsScale(jpeg.width, jpeg.height, size);
  try {
    return runDecoder((calls) => {
      const data = calls.put(bytes);
      const info = calls.alloc(12);
      const pixels = calls.jpegDecodeRgb(data, bytes.length, scale, info);
      calls.adopt(pixels);
      const [width, height, warnings] = calls.int32s(info, 3);
      if (warnings !== 0) return null;
      // libjpeg rounds the scaled size up; the picture itself ends a fraction of a pixel earlier.
      const extent = { width: (jpeg.width * scale) / 8, height: (jpeg.height * scale) / 8 };
      const square = resizeInModule(calls, pixels, width!, height!, size, size, extent);
      return calls.bytes(square, size * size * 3).slice();
    });
  } catch (error) {
    // libjpeg gave up (a trap), or the image needs more memory than the module's heap can give.
    if (error instanceof WebAssembly.RuntimeError || error instanceof DecoderMemoryError) return null;
    throw error;
  }
}
