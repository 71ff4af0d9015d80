/**
 * What decoding needs to know about a JPEG before it is opened, read from the marker segments in a
 * few microseconds: its size (to pick a DCT scale), sample precision and components, EXIF
 * orientation, and embedded colour profile (see decode-icc.ts for why).
 */

export interface JpegHeader {
  width: number;
  height: number;
  /** 1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK. */
  components: number;
  /** Bits per sample: 8, or 12 for the rare 12-bit JPEG. */
  precision: number;
  /**
   * The EXIF orientation: 1 to 8; 1 (upright) when there is none; 0 when an EXIF block is there but
   * cannot be read (libvips then decides).
   */
  orientation: number;
  /** The embedded ICC profile, reassembled from its APP2 segments; empty when those are inconsistent. */
  icc: Uint8Array | null;
  /** Offset of the first start-of-scan marker (where the compressed picture begins); the file's length when there is none. */
  scanStart: number;
}

/**
 * The header of a baseline or progressive JPEG, or null when `bytes` is not a JPEG or its header
 * cannot be followed (libvips then gets the bytes as they are and reports what is wrong).
 */
export function readJpegHeader(bytes: Uint8Array): JpegHeader | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let frame: Omit<JpegHeader, 'icc' | 'orientation' | 'scanStart'> | null = null;
  let orientation = 1;
  const iccChunks = new Map<number, Uint8Array>();
  let iccCount = 0;
  let iccMalformed = false;
  let scanStart = bytes.length;
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) return null;
    while (bytes[i + 1] === 0xff && i + 2 < bytes.length) i++; // fill bytes before a marker
    const marker = bytes[i + 1]!;
    i += 2;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue; // markers without a length
    if (marker === 0xda || marker === 0xd9) {
      // Start of scan (or of nothing): the header is over.
      if (marker === 0xda) scanStart = i - 2;
      break;
    }
    if (i + 2 > bytes.length) return null;
    const length = (bytes[i]! << 8) | bytes[i + 1]!;
    if (length < 2 || i + length > bytes.length) return null;
    const segment = bytes.subarray(i + 2, i + length);
    if (isStartOfFrame(marker) && segment.length >= 6) {
      frame = {
        precision: segment[0]!,
        height: (segment[1]! << 8) | segment[2]!,
        width: (segment[3]! << 8) | segment[4]!,
        components: segment[5]!,
      };
    } else if (marker === 0xe1 && segment.length >= 14 && ascii(segment, 0, 6) === 'Exif\0\0') {
      orientation = exifOrientation(segment.subarray(6));
    } else if (marker === 0xe2 && segment.length >= 14 && ascii(segment, 0, 12) === 'ICC_PROFILE\0') {
      // A profile over 64 KiB is split across APP2 segments numbered 1..count.
      const sequence = segment[12]!;
      const count = segment[13]!;
      if (sequence < 1 || sequence > count || (iccCount !== 0 && count !== iccCount) || iccChunks.has(sequence)) iccMalformed = true;
      iccCount = count;
      iccChunks.set(sequence, segment.subarray(14));
    }
    i += length;
  }
  // A height of 0 means a DNL marker gives it after the first scan; no guessing then.
  if (frame === null || frame.width === 0 || frame.height === 0) return null;
  if (iccChunks.size === 0) return { ...frame, orientation, icc: null, scanStart };
  if (iccMalformed || iccChunks.size !== iccCount) return { ...frame, orientation, icc: new Uint8Array(0), scanStart };
  const parts = Array.from({ length: iccCount }, (_, k) => iccChunks.get(k + 1)!);
  const icc = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    icc.set(part, offset);
    offset += part.length;
  }
  return { ...frame, orientation, icc, scanStart };
}

/**
 * Whether a JPEG stops before its end-of-image marker (FF D9) after the compressed picture: the file
 * was cut short. Inside the compressed data a 0xFF byte is always followed by 0x00 or a restart
 * marker, so an FF D9 after the scan starts can only be the end itself; an EXIF thumbnail's own
 * end comes before it. Bytes after the end (some cameras pad files) do not count as damage.
 */
export function jpegEndsEarly(bytes: Uint8Array, header: Pick<JpegHeader, 'scanStart'>): boolean {
  for (let k = bytes.length - 2; k > header.scanStart; k--) {
    if (bytes[k] === 0xff && bytes[k + 1] === 0xd9) return false;
  }
  return true;
}

/**
 * The Orientation tag (0x0112) of IFD0 in a TIFF-structured EXIF block: 1 to 8, 1 when the block
 * has no such tag, 0 when the block or the tag cannot be read. The tag is a SHORT by the standard;
 * some writers store a LONG, whose value sits in the last two bytes when big-endian.
 */
function exifOrientation(tiff: Uint8Array): number {
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const order = ascii(tiff, 0, 2);
  if (order !== 'II' && order !== 'MM') return 0;
  const little = order === 'II';
  if (view.getUint16(2, little) !== 42) return 0;
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > tiff.length) return 0;
  const entries = view.getUint16(ifd, little);
  for (let k = 0; k < entries; k++) {
    const at = ifd + 2 + k * 12;
    if (at + 12 > tiff.length) return 0;
    if (view.getUint16(at, little) !== 0x0112) continue;
    const type = view.getUint16(at + 2, little);
    const value = type === 3 ? view.getUint16(at + 8, little) : type === 4 ? view.getUint32(at + 8, little) : 0;
    return value >= 1 && value <= 8 ? value : 0;
  }
  return 1;
}

/**
 * The scale, in eighths (1 to 8), at which libjpeg's DCT scaling decodes the image for a square
 * `size` input: the smallest that keeps both sides at least `size` (libjpeg rounds up), so the
 * resize after it only ever reduces; 8 (full size) for an image smaller than that. Pillow's draft
 * mode picks the same way among 1/8, 1/4 and 1/2 only: a 640×427 photo decodes at 5/8 here and in
 * full there.
 */
export function eighthsScale(width: number, height: number, size: number): number {
  for (let m = 1; m < 8; m++) if (Math.ceil((width * m) / 8) >= size && Math.ceil((height * m) / 8) >= size) return m;
  return 8;
}

/**
 * The JPEG DCT scale (1, 2, 4 or 8) that Pillow's `draft('RGB', (size, size))` picks: the largest
 * that keeps both sides at least `size`, so the resize after it only ever reduces.
 */
export function draftShrink(width: number, height: number, size: number): 1 | 2 | 4 | 8 {
  const room = Math.min(Math.floor(width / size), Math.floor(height / size));
  return room >= 8 ? 8 : room >= 4 ? 4 : room >= 2 ? 2 : 1;
}

function isStartOfFrame(marker: number): boolean {
  // SOF0-SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function ascii(bytes: Uint8Array, start: number, end: number): string {
  return String.fromCharCode(...bytes.subarray(start, end));
}
