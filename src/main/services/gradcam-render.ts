import sharp from 'sharp';
import { unreadableImageError } from '../engine';
import { normaliseMap, overlay, peakOf, resample, type HeatMap } from '../../shared/domain/heatmap';

/** An image decoded once for its overlays: upright, RGB, no larger than `maxSide`. */
export interface OverlayBase {
  /** The image's own size (after EXIF orientation), which peaks are given in. */
  width: number;
  height: number;
  /** The pixels overlays are drawn on, and their size. */
  rgb: Uint8Array;
  drawWidth: number;
  drawHeight: number;
}

export async function overlayBase(path: string | Buffer, maxSide = 1024): Promise<OverlayBase> {
  try {
    // A damaged file shows what the decoder can make of it; scoring decides whether it is damaged (and says so).
    const upright = sharp(path, { failOn: 'none' }).autoOrient();
    const stored = await upright.metadata();
    // metadata() gives the stored size; EXIF orientations 5 to 8 turn the image a quarter.
    const turned = (stored.orientation ?? 1) >= 5;
    const width = turned ? stored.height : stored.width;
    const height = turned ? stored.width : stored.height;
    const { data, info } = await upright
      .removeAlpha()
      .toColourspace('srgb')
      .resize(maxSide, maxSide, { fit: 'inside', withoutEnlargement: true })
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      width,
      height,
      rgb: new Uint8Array(data.buffer, data.byteOffset, data.length),
      drawWidth: info.width,
      drawHeight: info.height,
    };
  } catch (error) {
    throw unreadableImageError(typeof path === 'string' ? path : 'The image', error instanceof Error ? error.message : String(error));
  }
}

export interface RenderedOverlay {
  png: Buffer;
  /** The peak in the image's own pixels. */
  peak: [number, number];
  /** The map at its own resolution, scaled to [0, 1]. */
  grid: number[][];
}

/**
 * The example's figure for one class: the map upsampled to the image (stretched back as the network's
 * input was stretched), scaled to [0, 1], coloured with jet at 50% opacity over the image.
 */
export async function renderOverlay(base: OverlayBase, map: HeatMap): Promise<RenderedOverlay> {
  const upsampled = normaliseMap(resample(map, base.drawWidth, base.drawHeight));
  const [x, y] = peakOf(upsampled);
  const pixels = overlay(base.rgb, upsampled, 0.5);
  const png = await sharp(pixels, { raw: { width: base.drawWidth, height: base.drawHeight, channels: 3 } })
    .png()
    .toBuffer();
  const scaled = normaliseMap(map);
  const grid = Array.from({ length: map.height }, (_, row) =>
    Array.from(scaled.values.subarray(row * map.width, (row + 1) * map.width), (v) => Math.round(v * 1e4) / 1e4),
  );
  return { png, peak: [((x + 0.5) * base.width) / base.drawWidth, ((y + 0.5) * base.height) / base.drawHeight], grid };
}
