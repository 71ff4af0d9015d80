import { escapeText } from './escape';

/**
 * Small hand-written charts as inline SVG strings, for the self-contained report: no script, no
 * fonts or styles from anywhere but the page. Every text is escaped.
 */

export interface Series {
  name: string;
  /** [x, y] points; a point with a non-finite coordinate breaks the line. */
  points: readonly (readonly [number, number])[];
  color: string;
  /** Draw the points joined by a line (default true). */
  line?: boolean;
  lineWidth?: number;
  dash?: string;
  opacity?: number;
  markers?: 'circle' | 'star';
  markerSize?: number;
  /** Leave it out of the legend. */
  hideInLegend?: boolean;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  width?: number;
  height?: number;
  xDomain?: readonly [number, number];
  yDomain?: readonly [number, number];
  /** Vertical lines across the plot, such as the chosen threshold. */
  verticals?: readonly { x: number; label: string; color: string }[];
}

const font = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"';

/** About five round ticks covering [min, max]. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const raw = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export function formatTick(value: number): string {
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (abs >= 1e4) return `${Number((value / 1e3).toPrecision(3))}k`;
  return String(Number(value.toPrecision(4)));
}

function extent(values: number[], fallback: readonly [number, number]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [fallback[0], fallback[1]];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  return [lo, hi];
}

const n = (v: number): string => (Math.round(v * 100) / 100).toString();

function star(x: number, y: number, r: number): string {
  const points: string[] = [];
  for (let i = 0; i < 10; i++) {
    const radius = i % 2 === 0 ? r : r * 0.45;
    const angle = -Math.PI / 2 + (i * Math.PI) / 5;
    points.push(`${n(x + radius * Math.cos(angle))},${n(y + radius * Math.sin(angle))}`);
  }
  return points.join(' ');
}

function legend(items: { name: string; color: string; marker: boolean; dash?: string | undefined }[], x0: number, y: number): string {
  let x = x0;
  return items
    .map((item) => {
      const swatch = item.marker
        ? `<circle cx="${n(x + 7)}" cy="${n(y - 4)}" r="3.5" fill="${escapeText(item.color)}"/>`
        : `<line x1="${n(x)}" y1="${n(y - 4)}" x2="${n(x + 14)}" y2="${n(y - 4)}" stroke="${escapeText(item.color)}" stroke-width="2.5"${item.dash ? ` stroke-dasharray="${escapeText(item.dash)}"` : ''}/>`;
      const text = `<text x="${n(x + 18)}" y="${n(y)}" font-size="11" fill="#333">${escapeText(item.name)}</text>`;
      x += 26 + item.name.length * 6.2;
      return swatch + text;
    })
    .join('');
}

/** A line (or scatter) chart with axes, ticks, grid, a legend and optional vertical markers. */
export function lineChart(chart: LineChart): string {
  const width = chart.width ?? 520;
  const height = chart.height ?? 300;
  const shown = chart.series.filter((s) => !s.hideInLegend);
  const left = 56;
  const right = 14;
  const top = 30;
  const bottom = 44 + (shown.length > 0 ? 18 : 0);
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const xs = chart.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = chart.series.flatMap((s) => s.points.map((p) => p[1]));
  const [x0, x1] = chart.xDomain ?? extent(xs, [0, 1]);
  const [y0, y1] = chart.yDomain ?? extent(ys, [0, 1]);
  const sx = (x: number): number => left + ((x - x0) / (x1 - x0 || 1)) * plotW;
  const sy = (y: number): number => top + plotH - ((y - y0) / (y1 - y0 || 1)) * plotH;
  const inside = (x: number, y: number): boolean => Number.isFinite(x) && Number.isFinite(y);

  const parts: string[] = [];
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(
    `<text x="${n(width / 2)}" y="18" text-anchor="middle" font-size="13" font-weight="600" fill="#222">${escapeText(chart.title)}</text>`,
  );
  for (const t of niceTicks(y0, y1)) {
    const y = sy(t);
    parts.push(`<line x1="${left}" y1="${n(y)}" x2="${left + plotW}" y2="${n(y)}" stroke="#e6e6e6"/>`);
    parts.push(`<text x="${left - 6}" y="${n(y + 4)}" text-anchor="end" font-size="10" fill="#555">${escapeText(formatTick(t))}</text>`);
  }
  for (const t of niceTicks(x0, x1)) {
    const x = sx(t);
    parts.push(`<line x1="${n(x)}" y1="${top + plotH}" x2="${n(x)}" y2="${top + plotH + 4}" stroke="#888"/>`);
    parts.push(
      `<text x="${n(x)}" y="${top + plotH + 16}" text-anchor="middle" font-size="10" fill="#555">${escapeText(formatTick(t))}</text>`,
    );
  }
  parts.push(`<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`);
  parts.push(
    `<text x="${n(left + plotW / 2)}" y="${top + plotH + 32}" text-anchor="middle" font-size="11" fill="#333">${escapeText(chart.xLabel)}</text>`,
  );
  parts.push(
    `<text transform="translate(14 ${n(top + plotH / 2)}) rotate(-90)" text-anchor="middle" font-size="11" fill="#333">${escapeText(chart.yLabel)}</text>`,
  );
  for (const v of chart.verticals ?? []) {
    if (!Number.isFinite(v.x) || v.x < x0 || v.x > x1) continue;
    const x = sx(v.x);
    parts.push(
      `<line x1="${n(x)}" y1="${top}" x2="${n(x)}" y2="${top + plotH}" stroke="${escapeText(v.color)}" stroke-dasharray="4 3" stroke-width="1.5"/>`,
    );
    // The label on the side with room for it.
    const before = x > left + plotW * 0.7;
    parts.push(
      `<text x="${n(before ? x - 4 : x + 4)}" y="${top + 12}" text-anchor="${before ? 'end' : 'start'}" font-size="10" fill="${escapeText(v.color)}">${escapeText(v.label)}</text>`,
    );
  }
  parts.push('<g>');
  for (const s of chart.series) {
    const opacity = s.opacity === undefined ? '' : ` opacity="${s.opacity}"`;
    if (s.line !== false) {
      let d = '';
      let pen = false;
      for (const [x, y] of s.points) {
        if (!inside(x, y)) {
          pen = false;
          continue;
        }
        d += `${pen ? 'L' : 'M'}${n(sx(x))} ${n(sy(y))}`;
        pen = true;
      }
      if (d !== '') {
        parts.push(
          `<path d="${d}" fill="none" stroke="${escapeText(s.color)}" stroke-width="${s.lineWidth ?? 2}" stroke-linejoin="round"${s.dash ? ` stroke-dasharray="${escapeText(s.dash)}"` : ''}${opacity}/>`,
        );
      }
    }
    if (s.markers !== undefined) {
      const r = s.markerSize ?? 3.5;
      for (const [x, y] of s.points) {
        if (!inside(x, y)) continue;
        parts.push(
          s.markers === 'star'
            ? `<polygon points="${star(sx(x), sy(y), r * 1.6)}" fill="${escapeText(s.color)}"${opacity}/>`
            : `<circle cx="${n(sx(x))}" cy="${n(sy(y))}" r="${r}" fill="${escapeText(s.color)}"${opacity}/>`,
        );
      }
    }
  }
  parts.push('</g>');
  if (shown.length > 0) {
    parts.push(
      legend(
        shown.map((s) => ({ name: s.name, color: s.color, marker: s.line === false, dash: s.dash })),
        left,
        height - 8,
      ),
    );
  }
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeText(chart.title)}" ${font}>${parts.join('')}</svg>`;
}

export interface BarChart {
  title: string;
  /** The axis along which bars grow. */
  valueLabel: string;
  /** The axis of the categories. */
  categoryLabel: string;
  bars: readonly { label: string; value: number }[];
  color: string;
  /** Horizontal bars suit many long labels (classes); vertical ones a few short ones (a histogram). */
  orientation: 'horizontal' | 'vertical';
  width?: number;
}

/** A bar chart with the value written at each bar. */
export function barChart(chart: BarChart): string {
  const width = chart.width ?? 520;
  const max = Math.max(0, ...chart.bars.map((b) => b.value));
  const ticks = niceTicks(0, max === 0 ? 1 : max);
  const top = 30;
  const parts: string[] = [];
  let height: number;
  if (chart.orientation === 'horizontal') {
    const labelWidth = Math.min(180, 12 + 6.4 * Math.max(4, ...chart.bars.map((b) => b.label.length)));
    const left = labelWidth;
    const right = 46;
    const row = 18;
    const plotW = width - left - right;
    const plotH = row * chart.bars.length;
    height = top + plotH + 40;
    const end = ticks[ticks.length - 1] ?? 1;
    const sx = (v: number): number => left + (v / end) * plotW;
    for (const t of ticks) {
      parts.push(`<line x1="${n(sx(t))}" y1="${top}" x2="${n(sx(t))}" y2="${top + plotH}" stroke="#e6e6e6"/>`);
      parts.push(
        `<text x="${n(sx(t))}" y="${top + plotH + 14}" text-anchor="middle" font-size="10" fill="#555">${escapeText(formatTick(t))}</text>`,
      );
    }
    chart.bars.forEach((b, i) => {
      const y = top + i * row;
      const label = b.label.length > 28 ? `${b.label.slice(0, 27)}…` : b.label;
      parts.push(
        `<text x="${left - 6}" y="${n(y + row / 2 + 4)}" text-anchor="end" font-size="11" fill="#333">${escapeText(label)}</text>`,
      );
      parts.push(
        `<rect x="${left}" y="${n(y + 2)}" width="${n(Math.max(0, sx(b.value) - left))}" height="${row - 4}" fill="${escapeText(chart.color)}"/>`,
      );
      parts.push(
        `<text x="${n(sx(b.value) + 4)}" y="${n(y + row / 2 + 4)}" font-size="10" fill="#333">${escapeText(b.value.toLocaleString('en-US'))}</text>`,
      );
    });
    parts.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#999"/>`);
    parts.push(
      `<text x="${n(left + plotW / 2)}" y="${top + plotH + 30}" text-anchor="middle" font-size="11" fill="#333">${escapeText(chart.valueLabel)}</text>`,
    );
  } else {
    height = 300;
    const left = 56;
    // Room above the tallest bar for its value.
    const headroom = 14;
    const right = 14;
    const bottom = 44;
    const plotW = width - left - right;
    const plotH = height - top - bottom - headroom;
    const end = ticks[ticks.length - 1] ?? 1;
    const base = top + headroom + plotH;
    const sy = (v: number): number => base - (v / end) * plotH;
    const slot = plotW / Math.max(1, chart.bars.length);
    for (const t of ticks) {
      parts.push(`<line x1="${left}" y1="${n(sy(t))}" x2="${left + plotW}" y2="${n(sy(t))}" stroke="#e6e6e6"/>`);
      parts.push(
        `<text x="${left - 6}" y="${n(sy(t) + 4)}" text-anchor="end" font-size="10" fill="#555">${escapeText(formatTick(t))}</text>`,
      );
    }
    chart.bars.forEach((b, i) => {
      const x = left + i * slot;
      parts.push(
        `<rect x="${n(x + slot * 0.15)}" y="${n(sy(b.value))}" width="${n(slot * 0.7)}" height="${n(base - sy(b.value))}" fill="${escapeText(chart.color)}"/>`,
      );
      parts.push(
        `<text x="${n(x + slot / 2)}" y="${n(sy(b.value) - 4)}" text-anchor="middle" font-size="10" fill="#333">${escapeText(b.value.toLocaleString('en-US'))}</text>`,
      );
      parts.push(
        `<text x="${n(x + slot / 2)}" y="${base + 14}" text-anchor="middle" font-size="10" fill="#555">${escapeText(b.label)}</text>`,
      );
    });
    parts.push(`<line x1="${left}" y1="${base}" x2="${left + plotW}" y2="${base}" stroke="#999"/>`);
    parts.push(
      `<text x="${n(left + plotW / 2)}" y="${base + 32}" text-anchor="middle" font-size="11" fill="#333">${escapeText(chart.categoryLabel)}</text>`,
    );
    parts.push(
      `<text transform="translate(14 ${n(top + headroom + plotH / 2)}) rotate(-90)" text-anchor="middle" font-size="11" fill="#333">${escapeText(chart.valueLabel)}</text>`,
    );
  }
  const title = `<text x="${n(width / 2)}" y="18" text-anchor="middle" font-size="13" font-weight="600" fill="#222">${escapeText(chart.title)}</text>`;
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeText(chart.title)}" ${font}><rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>${title}${parts.join('')}</svg>`;
}

/** At most `max` points, evenly spaced, keeping the first and the last. */
export function thin<T>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const out: T[] = [];
  const step = (points.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(points[Math.round(i * step)]!);
  return out;
}

export interface ReliabilityChart {
  title: string;
  /** The 15 bins, lowest first (see domain/calibration.ts). */
  bins: readonly { lower: number; upper: number; count: number; meanScore: number | null; fractionPositive: number | null }[];
  color: string;
  width?: number;
}

/**
 * A reliability diagram: for each score bin a bar as high as the fraction of its (image, class) pairs
 * that are labelled, a dot at the bin's mean score, the diagonal of perfect calibration, and the
 * number of pairs under each bar (each bar's tooltip says it all).
 */
export function reliabilityDiagram(chart: ReliabilityChart): string {
  const width = chart.width ?? 420;
  const left = 56;
  const right = 14;
  const top = 30;
  const plot = width - left - right;
  const countsRow = 34;
  const height = top + plot + countsRow + 40;
  const sx = (v: number): number => left + v * plot;
  const sy = (v: number): number => top + plot - v * plot;
  const parts: string[] = [];
  parts.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(
    `<text x="${n(width / 2)}" y="18" text-anchor="middle" font-size="13" font-weight="600" fill="#222">${escapeText(chart.title)}</text>`,
  );
  for (const t of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
    parts.push(`<line x1="${left}" y1="${n(sy(t))}" x2="${left + plot}" y2="${n(sy(t))}" stroke="#e6e6e6"/>`);
    parts.push(
      `<text x="${left - 6}" y="${n(sy(t) + 4)}" text-anchor="end" font-size="10" fill="#555">${escapeText(formatTick(t))}</text>`,
    );
    parts.push(`<line x1="${n(sx(t))}" y1="${top + plot}" x2="${n(sx(t))}" y2="${top + plot + 4}" stroke="#888"/>`);
    parts.push(
      `<text x="${n(sx(t))}" y="${top + plot + 15}" text-anchor="middle" font-size="10" fill="#555">${escapeText(formatTick(t))}</text>`,
    );
  }
  parts.push('<g class="bins">');
  for (const b of chart.bins) {
    if (b.count === 0 || b.fractionPositive === null || b.meanScore === null) continue;
    const x0 = sx(b.lower) + 1;
    const x1 = sx(b.upper) - 1;
    const tip = `scores ${b.lower.toFixed(3)} to ${b.upper.toFixed(3)}: ${b.count.toLocaleString('en-US')} pairs, mean score ${b.meanScore.toFixed(4)}, ${(100 * b.fractionPositive).toFixed(1)}% labelled`;
    parts.push(
      `<rect x="${n(x0)}" y="${n(sy(b.fractionPositive))}" width="${n(Math.max(0, x1 - x0))}" height="${n(sy(0) - sy(b.fractionPositive))}" fill="${escapeText(chart.color)}" opacity="0.75" data-count="${b.count}"><title>${escapeText(tip)}</title></rect>`,
    );
    parts.push(`<circle cx="${n(sx(b.meanScore))}" cy="${n(sy(b.fractionPositive))}" r="2.5" fill="#222"/>`);
  }
  parts.push('</g>');
  parts.push(
    `<line x1="${n(sx(0))}" y1="${n(sy(0))}" x2="${n(sx(1))}" y2="${n(sy(1))}" stroke="#d62728" stroke-width="1.5" stroke-dasharray="5 3"/>`,
  );
  parts.push(`<rect x="${left}" y="${top}" width="${plot}" height="${plot}" fill="none" stroke="#999"/>`);
  // The pairs in each bin, on a row under the axis.
  const rowY = top + plot + 32;
  parts.push(`<text x="${left - 6}" y="${rowY}" text-anchor="end" font-size="9" fill="#555">pairs</text>`);
  for (const b of chart.bins) {
    parts.push(
      `<text x="${n(sx((b.lower + b.upper) / 2))}" y="${rowY}" text-anchor="middle" font-size="8" fill="#333">${escapeText(formatTick(b.count))}</text>`,
    );
  }
  parts.push(
    `<text x="${n(left + plot / 2)}" y="${top + plot + countsRow + 20}" text-anchor="middle" font-size="11" fill="#333">score (15 equal-width bins)</text>`,
  );
  parts.push(
    `<text transform="translate(14 ${n(top + plot / 2)}) rotate(-90)" text-anchor="middle" font-size="11" fill="#333">fraction labelled</text>`,
  );
  parts.push(
    legend(
      [
        { name: 'observed fraction', color: chart.color, marker: false },
        { name: 'perfect calibration', color: '#d62728', marker: false, dash: '5 3' },
      ],
      left,
      height - 6,
    ),
  );
  return `<svg class="chart reliability" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeText(chart.title)}" ${font}>${parts.join('')}</svg>`;
}
