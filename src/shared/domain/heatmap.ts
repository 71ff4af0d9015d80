/**
 * Class-activation heat maps as plain numbers: resampling a feature-map-sized map to an image,
 * normalising it, finding its peak and colouring it with the jet colour map (MATLAB's `colormap jet`,
 * which the example's Grad-CAM figure uses). Shared by the engine (PNG overlays) and the renderer.
 */

/** A row-major map of `width × height` values. */
export interface HeatMap {
  width: number;
  height: number;
  values: Float32Array;
}

/**
 * Bilinear resampling with pixel centres aligned (as image resizers do): the value at output pixel
 * (x, y) is read at ((x + 0.5) · w / W − 0.5, (y + 0.5) · h / H − 0.5), clamped to the edges.
 */
export function resample(map: HeatMap, width: number, height: number): HeatMap {
  const out = new Float32Array(width * height);
  const sx = map.width / width;
  const sy = map.height / height;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), map.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, map.height - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), map.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, map.width - 1);
      const wx = fx - x0;
      const top = map.values[y0 * map.width + x0]! * (1 - wx) + map.values[y0 * map.width + x1]! * wx;
      const bottom = map.values[y1 * map.width + x0]! * (1 - wx) + map.values[y1 * map.width + x1]! * wx;
      out[y * width + x] = top * (1 - wy) + bottom * wy;
    }
  }
  return { width, height, values: out };
}

/** Scales a map to [0, 1] (min to 0, max to 1); a constant map becomes all zeros. */
export function normaliseMap(map: HeatMap): HeatMap {
  let min = Infinity;
  let max = -Infinity;
  for (const v of map.values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const range = max - min;
  const values = range > 0 ? map.values.map((v) => (v - min) / range) : new Float32Array(map.values.length);
  return { width: map.width, height: map.height, values };
}

/** The cell with the largest value, as [x, y] (the first one on ties). */
export function peakOf(map: HeatMap): [number, number] {
  let best = 0;
  for (let i = 1; i < map.values.length; i++) if (map.values[i]! > map.values[best]!) best = i;
  return [best % map.width, Math.floor(best / map.width)];
}

/** Where a feature-map cell's centre falls in an image of `width × height` pixels. */
export function cellCentre(
  cell: [number, number],
  map: { width: number; height: number },
  width: number,
  height: number,
): [number, number] {
  return [((cell[0] + 0.5) * width) / map.width, ((cell[1] + 0.5) * height) / map.height];
}

/** MATLAB's jet: dark blue → blue → cyan → yellow → red → dark red, for v in [0, 1]; RGB bytes. */
export function jet(v: number): [number, number, number] {
  const t = Math.min(Math.max(v, 0), 1);
  const channel = (offset: number): number =>
    Math.round(255 * Math.min(Math.max(Math.min(4 * t - offset + 1.5, -4 * t + offset + 1.5), 0), 1));
  return [channel(3), channel(2), channel(1)];
}

/**
 * Blends a jet-coloured map over RGB pixels at `alpha` opacity (the example draws it at 0.5). `rgb`
 * and the map have the same size; returns new RGB bytes.
 */
export function overlay(rgb: Uint8Array, map: HeatMap, alpha = 0.5): Uint8Array {
  if (rgb.length !== map.width * map.height * 3) {
    throw new Error(`The image has ${rgb.length / 3} pixels but the map ${map.width * map.height}.`);
  }
  const out = new Uint8Array(rgb.length);
  for (let i = 0; i < map.values.length; i++) {
    const [r, g, b] = jet(map.values[i]!);
    out[i * 3] = Math.round(rgb[i * 3]! * (1 - alpha) + r * alpha);
    out[i * 3 + 1] = Math.round(rgb[i * 3 + 1]! * (1 - alpha) + g * alpha);
    out[i * 3 + 2] = Math.round(rgb[i * 3 + 2]! * (1 - alpha) + b * alpha);
  }
  return out;
}
