import { open, stat } from 'node:fs/promises';
import type { Progress } from '../../shared/contract/define';
import { AppError, cancelled } from '../../shared/contract/errors';
import { csvField } from '../../shared/domain/csv';
import type { Db } from '../db/connection';
import { CocoFormatError, imageLabelsKey } from './coco-json-reader';
import { applyOverrides, importedImageList, labelOverrides, type LabelOverrides } from './label-overrides';
import { allImageFiles, getFile } from './queries';
import { positionsOf } from './subset-merge';

/** What an export wrote, beyond its bytes. */
export interface ExportFigures {
  images: number;
  labels: number;
  added: number;
  removed: number;
  annotationsKept: number;
  annotationsDropped: number;
  imageLabels: number;
}

/** The file's categories by ascending id, with their effective image lists. */
function effectiveLists(db: Db, fileId: number, overrides: LabelOverrides | null): { id: number; name: string; list: Uint32Array }[] {
  const categories = db.prepare('SELECT id, name FROM categories WHERE file_id = ? ORDER BY id').all(fileId) as {
    id: number;
    name: string;
  }[];
  return categories.map(({ id, name }) => ({
    id,
    name,
    list: applyOverrides(importedImageList(db, fileId, id), overrides?.byCategory.get(id)),
  }));
}

function changeCounts(overrides: LabelOverrides | null): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const change of overrides?.byCategory.values() ?? []) {
    added += change.added.length;
    removed += change.removed.length;
  }
  return { added, removed };
}

/**
 * The effective labels of every image of the file as text for other tools: CSV with a header
 * `file_name,labels` (labels separated by ";", in category id order; an image without labels has an
 * empty field), or JSON Lines, one `{"image_id", "file_name", "labels"}` object per image. Images in
 * ascending id order.
 */
export function labelTable(db: Db, fileId: number, format: 'csv' | 'jsonl'): { text: string; figures: ExportFigures } {
  getFile(db, fileId);
  const overrides = labelOverrides(db, fileId);
  const { ids, fileNames } = allImageFiles(db, fileId);
  const labels: string[][] = Array.from(ids, () => []);
  let count = 0;
  for (const { name, list } of effectiveLists(db, fileId, overrides)) {
    for (const at of positionsOf(ids, list)) {
      if (at < 0) continue;
      labels[at]!.push(name);
      count++;
    }
  }
  const lines =
    format === 'csv'
      ? ['file_name,labels', ...fileNames.map((name, i) => `${csvField(name)},${csvField(labels[i]!.join(';'))}`)]
      : fileNames.map((name, i) => JSON.stringify({ image_id: ids[i], file_name: name, labels: labels[i] }));
  return {
    text: `${lines.join('\n')}\n`,
    figures: { images: ids.length, labels: count, ...changeCounts(overrides), annotationsKept: 0, annotationsDropped: 0, imageLabels: 0 },
  };
}

const enum Mode {
  /** Before the root object's "{". */
  BeforeRoot,
  /** In the root object, before a key (or its "}"). */
  ExpectKey,
  /** Reading a top-level key. */
  Key,
  /** After a key, before its ":". */
  ExpectColon,
  /** After ":", before the value. */
  ExpectValue,
  /** Inside a top-level value. */
  Value,
  /** After a top-level value, before "," or "}". */
  AfterValue,
  /** Inside "annotations", between elements. */
  Annotations,
  /** Inside an element of "annotations". */
  Annotation,
  /** After the root object. */
  Done,
}

/** Where the scanner stands with respect to JSON strings. */
const enum Text {
  Outside,
  Inside,
  /** Inside, just after a backslash: the next byte (a quote included) is escaped. */
  Escaped,
}

/**
 * Where the scanner stands after byte `c`: a quote opens or closes a string unless a backslash
 * escapes it. Callers skip the call for the bytes outside strings that are not quotes, most of a
 * file (numbers, brackets), so that case is asked last.
 */
function afterByte(text: Text, c: number): Text {
  if (text === Text.Inside) return c === 0x5c ? Text.Escaped : c === 0x22 ? Text.Outside : Text.Inside;
  if (text === Text.Escaped) return Text.Inside;
  return c === 0x22 ? Text.Inside : Text.Outside;
}

/**
 * Streams the imported COCO file at `path` to `write` with the file's label edits applied. Every
 * top-level value is copied byte for byte but "annotations", whose elements are each copied byte
 * for byte unless their (image, category) label was removed, and our "mlw_image_labels", which is
 * written anew at the end: the labels without a box (added by edits, or read from an earlier export)
 * that are still present. Only the whitespace between top-level members changes.
 */
export async function writeCocoWithLabels(
  db: Db,
  fileId: number,
  write: (chunk: Buffer) => Promise<void>,
  options: { signal?: AbortSignal; onProgress?: (progress: Progress) => void; chunkBytes?: number } = {},
): Promise<ExportFigures> {
  const file = getFile(db, fileId);
  const info = await stat(file.path).catch(() => null);
  if (info === null) {
    throw new AppError(
      'NOT_FOUND',
      `The imported annotation file ${file.path} is no longer there, and a COCO export copies everything else from it. Put it back, or export CSV or JSON Lines.`,
    );
  }
  if (info.size !== file.size_bytes || Math.floor(info.mtimeMs) !== file.mtime_ms) {
    throw new AppError(
      'INVALID_INPUT',
      `${file.path} has changed since it was imported. Import it again (its label edits follow it), then export.`,
    );
  }
  const overrides = labelOverrides(db, fileId);
  /** Per image, the categories whose label was removed: their annotations are dropped. */
  const removed = new Map<number, Set<number>>();
  /** Labels without a box to write, as `imageId:categoryId`. */
  const imageLabels = new Set<string>();
  for (const [categoryId, change] of overrides?.byCategory ?? []) {
    for (const imageId of change.removed) {
      const set = removed.get(imageId) ?? new Set<number>();
      set.add(categoryId);
      removed.set(imageId, set);
    }
    for (const imageId of change.added) imageLabels.add(`${imageId}:${categoryId}`);
  }
  const isRemoved = (imageId: number, categoryId: number): boolean => removed.get(imageId)?.has(categoryId) === true;

  const figures: ExportFigures = {
    images: file.image_count,
    labels: effectiveLists(db, fileId, overrides).reduce((sum, c) => sum + c.list.length, 0),
    ...changeCounts(overrides),
    annotationsKept: 0,
    annotationsDropped: 0,
    imageLabels: 0,
  };

  const handle = await open(file.path, 'r');
  const chunkBytes = options.chunkBytes ?? 4 * 1024 * 1024;
  let mode = Mode.BeforeRoot as Mode;
  /** Nesting inside a top-level value or an annotation: brackets and braces open. */
  let depth = 0;
  let text = Text.Outside;
  let key: Buffer[] = [];
  let keyText = '';
  let members = 0;
  /** The element of "annotations" being read, in pieces. */
  let element: Buffer[] = [];
  let elements = 0;
  /** The earlier export's "mlw_image_labels" value, in pieces. */
  let earlierLabels: Buffer[] | null = null;
  let offset = 0;
  const out: Buffer[] = [];
  let outBytes = 0;
  const emit = (bytes: Buffer | string): void => {
    const buffer = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
    out.push(buffer);
    outBytes += buffer.length;
  };
  const flush = async (): Promise<void> => {
    if (out.length === 0) return;
    const joined = Buffer.concat(out);
    out.length = 0;
    outBytes = 0;
    await write(joined);
  };
  const fail = (problem: string, at: number): never => {
    throw new CocoFormatError(problem, '$', at, `Import ${file.path} again; it does not read as it did when it was imported.`);
  };
  const keepAnnotation = (raw: Buffer): void => {
    let parsed: { image_id?: unknown; category_id?: unknown };
    try {
      parsed = JSON.parse(raw.toString('utf8')) as typeof parsed;
    } catch {
      fail(`An element of "annotations" is not valid JSON`, offset);
    }
    const drop = removed.size > 0 && isRemoved(Number(parsed!.image_id), Number(parsed!.category_id));
    if (drop) {
      figures.annotationsDropped++;
      return;
    }
    if (elements > 0) emit(',');
    emit(raw);
    elements++;
    figures.annotationsKept++;
  };

  try {
    for (;;) {
      if (options.signal?.aborted) throw cancelled();
      const chunk = Buffer.allocUnsafe(chunkBytes);
      const { bytesRead } = await handle.read(chunk, 0, chunkBytes, null);
      if (bytesRead === 0) break;
      const buf = chunk.subarray(0, bytesRead);
      /** Where the bytes being copied (or captured) in this chunk began. */
      let from = 0;
      for (let i = 0; i < buf.length; i++) {
        const c = buf[i]!;
        switch (mode) {
          case Mode.BeforeRoot:
            if (c === 0x7b) {
              emit('{');
              mode = Mode.ExpectKey;
            } else if (!isWhitespace(c) && !(offset + i < 3 && (c === 0xef || c === 0xbb || c === 0xbf))) {
              fail('The file does not start with a JSON object', offset + i);
            }
            break;
          case Mode.ExpectKey:
            if (c === 0x22) {
              mode = Mode.Key;
              key = [];
              from = i;
              text = Text.Inside;
            } else if (c === 0x7d) {
              mode = Mode.Done;
              await finishRoot();
            } else if (c !== 0x2c && !isWhitespace(c)) {
              fail('Expected a key in the top-level object', offset + i);
            }
            break;
          case Mode.Key:
            text = afterByte(text, c);
            if (text === Text.Outside) {
              key.push(buf.subarray(from, i + 1));
              const raw = Buffer.concat(key);
              keyText = JSON.parse(raw.toString('utf8')) as string;
              key = [raw];
              mode = Mode.ExpectColon;
            }
            break;
          case Mode.ExpectColon:
            if (c === 0x3a) mode = Mode.ExpectValue;
            else if (!isWhitespace(c)) fail('Expected ":" after a top-level key', offset + i);
            break;
          case Mode.ExpectValue:
            if (isWhitespace(c)) break;
            if (keyText === imageLabelsKey) {
              earlierLabels = [];
            } else {
              emit(members === 0 ? '' : ',');
              emit(key[0]!);
              emit(':');
              members++;
            }
            if (keyText === 'annotations' && c === 0x5b) {
              emit('[');
              mode = Mode.Annotations;
              break;
            }
            // Any other value: copied (or captured) from here to its end.
            mode = Mode.Value;
            from = i;
            depth = 0;
            text = Text.Outside;
            i--;
            break;
          case Mode.Value:
            // A string, quotes included, is copied as it is: only brackets outside strings nest.
            if (text !== Text.Outside || c === 0x22) {
              text = afterByte(text, c);
              break;
            }
            if (c === 0x7b || c === 0x5b) depth++;
            else if (c === 0x7d || c === 0x5d) {
              if (depth === 0) {
                // A scalar value ends at the root's "}".
                endValue(buf.subarray(from, i));
                mode = Mode.AfterValue;
                i--;
                break;
              }
              depth--;
              if (depth === 0) {
                endValue(buf.subarray(from, i + 1));
                mode = Mode.AfterValue;
              }
            } else if (depth === 0 && (c === 0x2c || isWhitespace(c))) {
              endValue(buf.subarray(from, i));
              mode = Mode.AfterValue;
              i--;
            }
            break;
          case Mode.AfterValue:
            if (c === 0x2c) mode = Mode.ExpectKey;
            else if (c === 0x7d) {
              mode = Mode.Done;
              await finishRoot();
            } else if (!isWhitespace(c)) fail('Expected "," or "}" after a top-level value', offset + i);
            break;
          case Mode.Annotations:
            if (c === 0x7b) {
              mode = Mode.Annotation;
              from = i;
              element = [];
              depth = 1;
              text = Text.Outside;
            } else if (c === 0x5d) {
              emit(']');
              mode = Mode.AfterValue;
            } else if (c !== 0x2c && !isWhitespace(c)) {
              fail('Each element of "annotations" should be an object', offset + i);
            }
            break;
          case Mode.Annotation:
            if (text !== Text.Outside || c === 0x22) {
              text = afterByte(text, c);
              break;
            }
            if (c === 0x7b || c === 0x5b) depth++;
            else if (c === 0x7d || c === 0x5d) {
              depth--;
              if (depth === 0) {
                element.push(buf.subarray(from, i + 1));
                keepAnnotation(element.length === 1 ? element[0]! : Buffer.concat(element));
                element = [];
                mode = Mode.Annotations;
              }
            }
            break;
          case Mode.Done:
            if (!isWhitespace(c)) fail('There is more data after the end of the JSON object', offset + i);
            break;
        }
      }
      // What is being copied or captured goes on into the next chunk.
      if (mode === Mode.Value) {
        partValue(buf.subarray(from));
      } else if (mode === Mode.Annotation) {
        element.push(buf.subarray(from));
      } else if (mode === Mode.Key) {
        key.push(buf.subarray(from));
      }
      offset += bytesRead;
      options.onProgress?.({ phase: 'Writing the COCO file', done: offset, total: file.size_bytes, unit: 'bytes' });
      if (outBytes >= chunkBytes) await flush();
    }
    if (mode !== Mode.Done) fail('The file ends before the JSON is complete', offset);
    await flush();
  } finally {
    await handle.close();
  }
  return figures;

  // Each chunk is a buffer of its own (never read into again), so pieces of it are kept without copying.

  /** A piece of a top-level value that goes on into the next chunk. */
  function partValue(piece: Buffer): void {
    if (earlierLabels !== null && keyText === imageLabelsKey) earlierLabels.push(piece);
    else emit(piece);
  }

  /** The last piece of a top-level value. */
  function endValue(piece: Buffer): void {
    if (keyText !== imageLabelsKey) {
      emit(piece);
      return;
    }
    const text = Buffer.concat([...(earlierLabels ?? []), piece]).toString('utf8');
    earlierLabels = null;
    let pairs: unknown;
    try {
      pairs = JSON.parse(text);
    } catch {
      fail(`"${imageLabelsKey}" is not valid JSON`, offset);
    }
    for (const pair of Array.isArray(pairs) ? (pairs as { image_id?: unknown; category_id?: unknown }[]) : []) {
      const imageId = Number(pair.image_id);
      const categoryId = Number(pair.category_id);
      if (!isRemoved(imageId, categoryId)) imageLabels.add(`${imageId}:${categoryId}`);
    }
  }

  /** Writes the labels without a box, then closes the root object. */
  async function finishRoot(): Promise<void> {
    const pairs = [...imageLabels]
      .map((text) => text.split(':').map(Number) as [number, number])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    figures.imageLabels = pairs.length;
    if (pairs.length > 0) {
      emit(`${members === 0 ? '' : ','}"${imageLabelsKey}":[`);
      emit(pairs.map(([imageId, categoryId]) => `{"image_id":${imageId},"category_id":${categoryId}}`).join(','));
      emit(']');
    }
    emit('}');
    await flush();
  }
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
