import type { RunEntry } from '../../../../shared/contract/runs';
import { baseName } from '../../components/format';

// A palette for runs, not classes (the class colours are the dataset's): the first run, the baseline, is the darkest.
const palette = ['#263238', '#e15759', '#4e79a7', '#59a14f', '#f28e2b', '#b07aa1', '#17becf', '#9c755f'] as const;

/** The colour of the n-th compared run, the same in every table and chart of the comparison. */
export function runColor(index: number): string {
  return palette[((index % palette.length) + palette.length) % palette.length]!;
}

/** "29 Nov 2026, 14:05", or the stored text when it is not a date. */
export function formatRunDate(iso: string): string {
  const when = new Date(iso);
  return Number.isNaN(when.getTime()) ? iso : when.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

/**
 * The dataset in a few words: both files and the classes, "train instances_train2017.json · val
 * instances_val2017.json · 12 classes" (one file named once where training and validation share it).
 */
export function datasetLabel(run: RunEntry): string {
  const n = run.dataset.categories.length;
  const train = baseName(run.dataset.train.annotations) || '—';
  const val = baseName(run.dataset.val.annotations) || '—';
  const files = run.dataset.train.annotations === run.dataset.val.annotations ? `train and val ${val}` : `train ${train} · val ${val}`;
  return `${files} · ${n} ${n === 1 ? 'class' : 'classes'}`;
}

/** Everything the text filter looks through: name, id, backbone, mode, backend, status and the categories. */
export function searchText(run: RunEntry): string {
  return [run.name, run.runId, run.backbone, run.mode, run.backend ?? '', run.status, ...run.dataset.categories].join('\n').toLowerCase();
}

/** Whether a run matches every word of the filter. */
export function matchesFilter(run: RunEntry, filter: string): boolean {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const text = searchText(run);
  return words.every((w) => text.includes(w));
}

/** "29 Nov 2026" of a stored time. */
export function formatRunDay(iso: string): string {
  const when = new Date(iso);
  return Number.isNaN(when.getTime()) ? iso : when.toLocaleDateString('en-GB', { dateStyle: 'medium' });
}

/** "14:05" of a stored time. */
export function formatRunTime(iso: string): string {
  const when = new Date(iso);
  return Number.isNaN(when.getTime()) ? '' : when.toLocaleTimeString('en-GB', { timeStyle: 'short' });
}

/** A change is shown as better or worse only past the table's four decimals. */
export function changeOf(delta: number | null): 'better' | 'worse' | 'same' {
  if (delta === null || Math.abs(delta) < 0.00005) return 'same';
  return delta > 0 ? 'better' : 'worse';
}
