/**
 * What decoding needs to know about a JPEG before libvips opens it, read from the marker segments
 * in a few microseconds: its size (to pick a DCT scale, as Pillow's draft mode does) and its
 * embedded colour profile (see decode-icc.ts for why).
 */

export interface JpegHeader {
  width: number;
  height: number;
  /** 1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK. */
  components: number;
  /** The embedded ICC profile, reassembled from its APP2 segments; empty when those are inconsistent. */
  icc: Uint8Array | null;
}

/**
 * The header of a baseline or progressive JPEG, or null when `bytes` is not a JPEG or its header
 * cannot be followed (libvips then gets the bytes as they are and reports what is wrong).
 */
export function readJpegHeader(bytes: Uint8Array): JpegHeader | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let frame: Omit<JpegHeader, 'icc'> | null = null;
  const iccChunks = new Map<number, Uint8Array>();
  let iccCount = 0;
  let iccMalformed = false;
  let i = 2;
  while (i + 4 <= bytes.length) {
    if (bytes[i] !== 0xff) return null;
    while (bytes[i + 1] === 0xff && i + 2 < bytes.length) i++; // fill bytes before a marker
    const marker = bytes[i + 1]!;
    i += 2;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) continue; // markers without a length
    if (marker === 0xda || marker === 0xd9) break; // start of scan: the header is over
    if (i + 2 > bytes.length) return null;
    const length = (bytes[i]! << 8) | bytes[i + 1]!;
    if (length < 2 || i + length > bytes.length) return null;
    const segment = bytes.subarray(i + 2, i + length);
    if (isStartOfFrame(marker) && segment.length >= 6) {
      frame = { height: (segment[1]! << 8) | segment[2]!, width: (segment[3]! << 8) | segment[4]!, components: segment[5]! };
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
  if (iccChunks.size === 0) return { ...frame, icc: null };
  if (iccMalformed || iccChunks.size !== iccCount) return { ...frame, icc: new Uint8Array(0) };
  const parts = Array.from({ length: iccCount }, (_, k) => iccChunks.get(k + 1)!);
  const icc = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    icc.set(part, offset);
    offset += part.length;
  }
  return { ...frame, icc };
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
