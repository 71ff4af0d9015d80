import { formatBytes } from '../../../shared/domain/format';

// Bytes and durations are formatted as the CLI and the services do, so a size reads the same everywhere.
export { formatBytes, formatDuration } from '../../../shared/domain/format';

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 118287 → "118,287". */
export function formatCount(n: number): string {
  return integer.format(n);
}

/** The last segment of a path, for either separator (the server may run on Windows). */
export function baseName(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, '');
  const cut = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  return cut < 0 ? trimmed : trimmed.slice(cut + 1);
}

/** The folder part of a path, for either separator ("/data/coco/annotations/x.json" → "/data/coco/annotations"). */
export function dirName(path: string): string {
  const trimmed = path.replace(/[\\/]+$/, '');
  const cut = Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\'));
  if (cut < 0) return '';
  return cut === 0 ? trimmed.slice(0, 1) : trimmed.slice(0, cut);
}

/** Progress `done` of `total` in the unit it names: "212 MB of 448 MB", "1,200 of 5,000 images". */
export function formatProgressAmount(done: number, total: number, unit: string | undefined): string {
  if (unit === 'bytes') return total > 0 ? `${formatBytes(done)} of ${formatBytes(total)}` : formatBytes(done);
  const suffix = unit === undefined ? '' : ` ${unit}`;
  return total > 0 ? `${formatCount(done)} of ${formatCount(total)}${suffix}` : `${formatCount(done)}${suffix}`;
}

/** "1 category", "80 categories". */
export function countOf(n: number, singular: string, plural: string): string {
  return `${formatCount(n)} ${n === 1 ? singular : plural}`;
}
