/**
 * Comparing runs, as pure functions shared by `mlw compare`, the runs service and the Runs workspace:
 * the configuration diff (only the settings whose values differ) and the metrics table that Copy,
 * Save CSV and `--csv` write.
 */
import { csvField, tsvField, type TableCell } from './csv';
import type { Metrics } from './metrics';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** One run's value of a setting, or its absence (a key one run has and another lacks). */
export type DiffCell = { missing: true } | { missing: false; value: JsonValue };

export interface DiffRow {
  /** The setting's path in the configuration: `settings.learnRate`, `categories`, `extra["odd.key"]`. */
  key: string;
  /** One cell per run, in the runs' order. */
  values: DiffCell[];
}

const identifier = /^[A-Za-z_$][\w$]*$/;

function pathOf(prefix: string, key: string): string {
  const segment = identifier.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (prefix === '') return identifier.test(key) ? key : segment;
  return identifier.test(key) ? `${prefix}.${key}` : `${prefix}${segment}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Every setting of a configuration by its path. Nested objects are walked; arrays are one value each
 * (the category list is one setting, and its order matters: it is the order of the classes); an empty
 * object is a value of its own, so `{settings: {}}` differs from `{}`. Undefined values (which JSON
 * cannot hold) are left out.
 */
export function flattenConfig(config: unknown): Map<string, JsonValue> {
  const out = new Map<string, JsonValue>();
  const walk = (value: unknown, prefix: string): void => {
    if (value === undefined) return;
    if (isPlainObject(value)) {
      const entries = Object.entries(value).filter(([, v]) => v !== undefined);
      if (entries.length === 0 && prefix !== '') out.set(prefix, {});
      for (const [key, v] of entries) walk(v, pathOf(prefix, key));
      return;
    }
    if (prefix === '') return; // A configuration that is not an object has no settings.
    out.set(prefix, value as JsonValue);
  };
  walk(config, '');
  return out;
}

/** JSON with object keys sorted, so two values that differ only in key order compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

/** Deep equality of two JSON values (object key order ignored, array order kept). */
export function sameValue(a: unknown, b: unknown): boolean {
  return a === b || canonical(a) === canonical(b);
}

/**
 * The settings whose values differ across the configurations (a key some have and others lack
 * differs too), in the order they first appear. Empty when every run has the same settings.
 * `ignore` names paths (and everything under them) that are not settings, such as a run's name.
 */
export function configDiff(configs: readonly unknown[], options: { ignore?: readonly string[] } = {}): DiffRow[] {
  const flat = configs.map(flattenConfig);
  const ignored = (key: string): boolean =>
    (options.ignore ?? []).some((i) => key === i || key.startsWith(`${i}.`) || key.startsWith(`${i}[`));
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const settings of flat) {
    for (const key of settings.keys()) {
      if (!seen.has(key) && !ignored(key)) {
        seen.add(key);
        keys.push(key);
      }
    }
  }
  const rows: DiffRow[] = [];
  for (const key of keys) {
    const values = flat.map((settings): DiffCell =>
      settings.has(key) ? { missing: false, value: settings.get(key)! } : { missing: true },
    );
    const first = values[0]!;
    const differs = values.some((cell) =>
      cell.missing || first.missing ? cell.missing !== first.missing : !sameValue(cell.value, first.value),
    );
    if (differs) rows.push({ key, values });
  }
  return rows;
}

/** A setting's value for a person: strings as they are, lists joined, objects as JSON, "(not set)" where a run lacks it. */
export function formatDiffCell(cell: DiffCell): string {
  if (cell.missing) return '(not set)';
  const { value } = cell;
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) {
    return value.length === 0 ? '(none)' : value.join(', ');
  }
  return JSON.stringify(value);
}

/** One run's figures for the metrics table: its threshold and `evaluate(...)` there, null where it has no scores. */
export interface ComparedRun {
  runId: string;
  name: string;
  threshold: number;
  metrics: Metrics | null;
}

/** The columns of the metrics table written by Copy, Save CSV and `mlw compare --csv`. */
export const comparisonColumns = [
  'run_id',
  'run',
  'threshold',
  'class',
  'f1',
  'jaccard',
  'precision',
  'recall',
  'ap',
  'tp',
  'fp',
  'fn',
  'tn',
  'positives',
] as const;

/** The `class` of the row that holds a run's headline figures. */
export const allClasses = '(all classes)';

export type { TableCell };

/**
 * The metrics table, long form: for each run a row of its headline figures (class "(all classes)":
 * micro F1, the example's Jaccard, micro precision and recall, mAP, summed counts), then one row per
 * class (its F1, intersection over union, precision, recall, AP and counts). A run without scores
 * has one row with its id and name only.
 */
export function comparisonRows(runs: readonly ComparedRun[]): TableCell[][] {
  return runs.flatMap(({ runId, name, threshold, metrics }): TableCell[][] => {
    if (metrics === null) return [[runId, name, threshold, null, null, null, null, null, null, null, null, null, null, null]];
    const sum = (key: 'tp' | 'fp' | 'fn' | 'tn' | 'positives'): number => metrics.perClass.reduce((s, c) => s + c[key], 0);
    return [
      [
        runId,
        name,
        threshold,
        allClasses,
        metrics.microF1,
        metrics.jaccard,
        metrics.precision,
        metrics.recall,
        metrics.mAP,
        sum('tp'),
        sum('fp'),
        sum('fn'),
        sum('tn'),
        sum('positives'),
      ],
      ...metrics.perClass.map((c): TableCell[] => {
        const union = c.tp + c.fp + c.fn;
        return [
          runId,
          name,
          c.threshold,
          c.class,
          c.f1,
          union === 0 ? 1 : c.tp / union,
          c.precision,
          c.recall,
          c.ap,
          c.tp,
          c.fp,
          c.fn,
          c.tn,
          c.positives,
        ];
      }),
    ];
  });
}

/**
 * A table as CSV (RFC 4180: fields with commas, quotes or line breaks quoted) or tab-separated text
 * (what a spreadsheet takes from the clipboard), one line per row, ending with a line break. Numbers
 * are written in full, so the file reads back to the same figures.
 */
export function delimitedTable(header: readonly string[], rows: readonly (readonly TableCell[])[], format: 'csv' | 'tsv'): string {
  const field = format === 'csv' ? csvField : tsvField;
  const separator = format === 'csv' ? ',' : '\t';
  const lineBreak = format === 'csv' ? '\r\n' : '\n';
  return [header, ...rows].map((row) => row.map(field).join(separator)).join(lineBreak) + lineBreak;
}
