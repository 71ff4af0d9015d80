import { runDecoder } from './wasm/decoder-module';

/**
 * Embedded colour profiles, brought to sRGB without lcms where the profile is a plain matrix/TRC
 * one. libvips converts through a new lcms transform for every image, which costs more than the
 * whole decode of a 640×480 photo. Half of the COCO photos carry a profile: mostly sRGB itself
 * (nothing to do) and otherwise Adobe RGB, Display P3 or a camera's RGB, all matrix/TRC profiles:
 * a tone curve per channel, a 3×3 matrix to the D50 connection space, and sRGB's own on the way
 * out. That is what lcms computes for them (perceptual intent falls back to relative colorimetric
 * without tables), done here on the resized pixels with lookup tables.
 */

/** Brings 8-bit RGB pixels (packed, in place) from a profile to sRGB. */
export type ToSrgb = (rgb: Uint8Array) => void;

/**
 * How to bring pixels tagged with `icc` to sRGB: 'identity' for an sRGB profile (whatever its name:
 * cameras and editors embed their own copies), a conversion for another RGB matrix/TRC profile, or
 * null where only lcms can (table-based, grey, CMYK or unreadable profiles).
 */
export function srgbConversion(icc: Uint8Array): 'identity' | ToSrgb | null {
  // A data set has a handful of distinct profiles (COCO's 66 tagged photos: 7); each is worked out once.
  const key = Buffer.from(icc.buffer, icc.byteOffset, icc.byteLength).toString('latin1');
  let conversion = conversions.get(key);
  if (conversion === undefined) {
    if (conversions.size >= 64) conversions.clear();
    conversion = buildConversion(icc);
    conversions.set(key, conversion);
  }
  return conversion;
}

const conversions = new Map<string, 'identity' | ToSrgb | null>();

function buildConversion(icc: Uint8Array): 'identity' | ToSrgb | null {
  const profile = readMatrixProfile(icc);
  if (profile === null) return null;
  const { colorants, curves } = profile;
  const sameColorants = colorants.every((xyz, c) => xyz.every((v, k) => Math.abs(v - srgbColorants[c]![k]!) <= 0.002));
  // sRGB's curve, to within one level everywhere.
  const sameCurves = curves.every((curve) =>
    Array.from({ length: 65 }, (_, k) => k / 64).every((x) => Math.abs(srgbEncode(curve(x)) - x) * 255 <= 1),
  );
  if (sameColorants && sameCurves) return 'identity';

  // linear sRGB = inverse(sRGB's colorants) × the profile's colorants × linear profile RGB, a sum of
  // one term per input channel: each is a table of 256, in steps of the encoding table below.
  const m = multiply(srgbFromXyz, columns(colorants));
  const encode = srgbEncodeTable();
  const top = encode.length - 1;
  // Output channel major, then input channel: red from red, red from green, red from blue, green from red, ...
  const terms = new Int32Array(9 * 256);
  for (let row = 0; row < 3; row++) {
    for (let channel = 0; channel < 3; channel++) {
      for (let v = 0; v < 256; v++)
        terms[(row * 3 + channel) * 256 + v] = Math.round(m[row * 3 + channel]! * curves[channel]!(v / 255) * top);
    }
  }
  // The per-pixel loop runs in WebAssembly (convert_rgb in wasm/pixels.c): a tenth of the time it
  // took here; out-of-gamut values clip, as lcms does.
  return (rgb) =>
    runDecoder((calls) => {
      const at = calls.put(rgb);
      calls.convertRgb(at, rgb.length / 3, calls.put(terms), calls.put(encode), top);
      rgb.set(calls.bytes(at, rgb.length));
    });
}

type Xyz = readonly [number, number, number];
type Matrix = readonly [number, number, number, number, number, number, number, number, number];

/** sRGB's colorants (red, green, blue) adapted to D50, as sRGB ICC profiles store them. */
const srgbColorants: readonly Xyz[] = [
  [0.436066, 0.222488, 0.013916],
  [0.385147, 0.716873, 0.097076],
  [0.143066, 0.060608, 0.714096],
];
const srgbFromXyz = invert(columns(srgbColorants));

interface MatrixProfile {
  colorants: Xyz[];
  curves: ((x: number) => number)[];
}

/** The colorants and tone curves of an RGB matrix/TRC profile; null for any other kind. */
function readMatrixProfile(icc: Uint8Array): MatrixProfile | null {
  if (icc.length < 132) return null;
  const view = new DataView(icc.buffer, icc.byteOffset, icc.byteLength);
  if (ascii(view, 16) !== 'RGB ' || ascii(view, 20) !== 'XYZ ') return null;
  const tags = new Map<string, { offset: number; size: number }>();
  const count = view.getUint32(128);
  if (132 + count * 12 > icc.length) return null;
  for (let t = 0; t < count; t++) {
    const at = 132 + t * 12;
    const offset = view.getUint32(at + 4);
    const size = view.getUint32(at + 8);
    if (offset + size > icc.length) return null;
    tags.set(ascii(view, at), { offset, size });
  }
  // With A2B tables, lcms converts through them rather than the matrix and curves.
  if (tags.has('A2B0') || tags.has('A2B1') || tags.has('A2B2')) return null;
  const colorants: Xyz[] = [];
  for (const name of ['rXYZ', 'gXYZ', 'bXYZ']) {
    const tag = tags.get(name);
    if (tag === undefined || tag.size < 20 || ascii(view, tag.offset) !== 'XYZ ') return null;
    const at = tag.offset + 8;
    colorants.push([view.getInt32(at) / 65536, view.getInt32(at + 4) / 65536, view.getInt32(at + 8) / 65536]);
  }
  const curves: ((x: number) => number)[] = [];
  for (const name of ['rTRC', 'gTRC', 'bTRC']) {
    const tag = tags.get(name);
    const curve = tag === undefined ? null : toneCurve(view, tag.offset, tag.size);
    if (curve === null) return null;
    curves.push(curve);
  }
  return { colorants, curves };
}

/** An ICC `curv` or `para` tone curve as a function on [0, 1], or null for anything else. */
function toneCurve(view: DataView, offset: number, size: number): ((x: number) => number) | null {
  if (size < 12) return null;
  const type = ascii(view, offset);
  if (type === 'curv') {
    const n = view.getUint32(offset + 8);
    if (size < 12 + 2 * n) return null;
    if (n === 0) return (x) => x;
    if (n === 1) {
      const gamma = view.getUint16(offset + 12) / 256;
      return (x) => x ** gamma;
    }
    const table = Array.from({ length: n }, (_, k) => view.getUint16(offset + 12 + 2 * k) / 65535);
    return (x) => {
      const position = x * (n - 1);
      const low = Math.min(Math.floor(position), n - 2);
      return table[low]! + (table[low + 1]! - table[low]!) * (position - low);
    };
  }
  if (type === 'para') {
    const functionType = view.getUint16(offset + 8);
    const n = [1, 3, 4, 5, 7][functionType];
    if (n === undefined || size < 12 + 4 * n) return null;
    const p = Array.from({ length: 7 }, (_, k) => (k < n ? view.getInt32(offset + 12 + 4 * k) / 65536 : 0));
    const [g, a, b, c, d, e, f] = p as [number, number, number, number, number, number, number];
    switch (functionType) {
      case 0:
        return (x) => x ** g;
      case 1:
        return (x) => (x >= -b / a ? (a * x + b) ** g : 0);
      case 2:
        return (x) => (x >= -b / a ? (a * x + b) ** g + c : c);
      case 3:
        return (x) => (x >= d ? (a * x + b) ** g : c * x);
      default:
        return (x) => (x >= d ? (a * x + b) ** g + e : c * x + f);
    }
  }
  return null;
}

function srgbEncode(linear: number): number {
  const y = Math.min(1, Math.max(0, linear));
  return y <= 0.0031308 ? 12.92 * y : 1.055 * y ** (1 / 2.4) - 0.055;
}

let encodeTable: Uint8Array | null = null;

/** sRGB-encoded bytes of linear values k / 16383: fine enough that even the darkest levels round right. */
function srgbEncodeTable(): Uint8Array {
  encodeTable ??= Uint8Array.from({ length: 16384 }, (_, k) => Math.round(srgbEncode(k / 16383) * 255));
  return encodeTable;
}

function ascii(view: DataView, at: number): string {
  return String.fromCharCode(view.getUint8(at), view.getUint8(at + 1), view.getUint8(at + 2), view.getUint8(at + 3));
}

/** The matrix whose columns are the three colorants (row-major). */
function columns([r, g, b]: readonly Xyz[]): Matrix {
  return [r![0], g![0], b![0], r![1], g![1], b![1], r![2], g![2], b![2]];
}

function multiply(a: Matrix, b: Matrix): Matrix {
  const at = (row: number, col: number): number => a[row * 3]! * b[col]! + a[row * 3 + 1]! * b[3 + col]! + a[row * 3 + 2]! * b[6 + col]!;
  return [at(0, 0), at(0, 1), at(0, 2), at(1, 0), at(1, 1), at(1, 2), at(2, 0), at(2, 1), at(2, 2)];
}

function invert([a, b, c, d, e, f, g, h, i]: Matrix): Matrix {
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  return [
    (e * i - f * h) / det,
    (c * h - b * i) / det,
    (b * f - c * e) / det,
    (f * g - d * i) / det,
    (a * i - c * g) / det,
    (c * d - a * f) / det,
    (d * h - e * g) / det,
    (b * g - a * h) / det,
    (a * e - b * d) / det,
  ];
}
