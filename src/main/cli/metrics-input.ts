import { readFile } from 'node:fs/promises';
import { AppError } from '../../shared/contract/errors';
import type { ScoreMatrix } from '../../shared/domain/metrics';

/**
 * Reads the label and score files of `mlw metrics`: JSON arrays of rows, one row per image and one
 * column per class. A file written by `mlw evaluate --scores-out` (an object with `labels` and
 * `scores`) is accepted for either. Every problem is named with the file, the row and the column.
 */
export async function readMetricsInput(labelsPath: string, scoresPath: string, classNames?: string[]): Promise<ScoreMatrix> {
  const labels = await readRows(labelsPath, 'labels');
  const scores = await readRows(scoresPath, 'scores');
  if (labels.rows.length !== scores.rows.length) {
    throw new AppError(
      'INVALID_INPUT',
      `${labelsPath} has ${labels.rows.length} rows but ${scoresPath} has ${scores.rows.length}; both need one row per image, in the same order.`,
    );
  }
  const width = labels.rows[0]?.length ?? scores.rows[0]?.length ?? classNames?.length ?? 0;
  checkWidth(labels.rows, width, labelsPath);
  checkWidth(scores.rows, width, scoresPath);
  labels.rows.forEach((row, i) =>
    row.forEach((v, j) => {
      if (v !== 0 && v !== 1)
        throw new AppError('INVALID_INPUT', `${labelsPath}: row ${i + 1}, column ${j + 1} is ${v}; labels must be 0 or 1.`);
    }),
  );
  const classes = classNames ?? scores.classes ?? labels.classes ?? Array.from({ length: width }, (_, j) => `class ${j + 1}`);
  if (classes.length !== width) {
    throw new AppError('INVALID_INPUT', `--classes names ${classes.length} classes but the rows have ${width} columns.`);
  }
  if (width === 0) throw new AppError('INVALID_INPUT', `${labelsPath} and ${scoresPath} hold no columns: there is nothing to measure.`);
  return { classes, rows: labels.rows.length, labels: labels.rows.flat(), scores: scores.rows.flat() };
}

async function readRows(path: string, what: 'labels' | 'scores'): Promise<{ rows: number[][]; classes?: string[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AppError(
      code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_INPUT',
      code === 'ENOENT' ? `There is no file ${path}; check the --${what} path.` : `${path} cannot be read (${code ?? String(error)}).`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new AppError('INVALID_INPUT', `${path} is not valid JSON (${reason}); was it cut short? Write it again.`);
  }
  let classes: string[] | undefined;
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && what in value) {
    const object = value as Record<string, unknown>;
    if (Array.isArray(object.classes) && object.classes.every((c) => typeof c === 'string')) classes = object.classes as string[];
    value = object[what];
  }
  if (!Array.isArray(value)) {
    throw new AppError('INVALID_INPUT', `${path} must hold a JSON array of rows (one per image, one number per class).`);
  }
  const rows = value.map((row: unknown, i) => {
    if (!Array.isArray(row)) throw new AppError('INVALID_INPUT', `${path}: row ${i + 1} is not an array of numbers.`);
    return row.map((v: unknown, j) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new AppError('INVALID_INPUT', `${path}: row ${i + 1}, column ${j + 1} is ${JSON.stringify(v)}, not a finite number.`);
      }
      return v;
    });
  });
  return classes === undefined ? { rows } : { rows, classes };
}

function checkWidth(rows: number[][], width: number, path: string): void {
  rows.forEach((row, i) => {
    if (row.length !== width) {
      throw new AppError(
        'INVALID_INPUT',
        `${path}: row ${i + 1} has ${row.length} columns, the first row has ${width}; every row needs one per class.`,
      );
    }
  });
}
