import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCocoFixture, categoryIds, serializeCoco, trickyRleCounts } from '../../../test/fixtures/coco-fixture';
import { openCache, type Db } from '../db/connection';
import { LabelsStore } from '../db/labels-store';
import { writeCocoWithLabels } from './export-labels';
import { ingestCocoFile } from './ingest';

/** Strings whose quotes, backslashes and brackets a scanner must not take for structure, in every place one can stand. */
const tricky = 'a \\"quoted\\" }] [{ back\\\\slash \\\\';
const extraMembers = `"x\\"y\\\\":{"a":"${tricky}","b":[1,{"c":"}"}]},"note":"${tricky}",`;

let dir: string;
let db: Db;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-export-labels-'));
  db = openCache(join(dir, 'cache'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A compact COCO file (no whitespace, so an export without edits is the same bytes) with tricky strings in every place. */
async function importTricky(): Promise<{ text: string; fileId: number }> {
  const data = buildCocoFixture();
  data.info = { ...data.info, description: JSON.parse(`"${tricky}"`) as string };
  const text = `{${extraMembers}${serializeCoco(data).slice(1)}`;
  const path = join(dir, 'instances.json');
  writeFileSync(path, text);
  const { fileId } = await ingestCocoFile(db, path);
  return { text, fileId };
}

async function exported(fileId: number, chunkBytes?: number): Promise<string> {
  const out: Buffer[] = [];
  await writeCocoWithLabels(db, fileId, async (chunk) => void out.push(chunk), chunkBytes === undefined ? {} : { chunkBytes });
  return Buffer.concat(out).toString('utf8');
}

describe('writeCocoWithLabels', () => {
  it('copies escaped quotes, backslashes and brackets inside strings byte for byte, whatever chunk they are cut across', async () => {
    const { text, fileId } = await importTricky();
    expect(text).toContain(JSON.stringify(trickyRleCounts));
    for (const chunkBytes of [1, 2, 3, 7, 64, undefined]) expect(await exported(fileId, chunkBytes)).toBe(text);
  });

  it('drops the annotations of a removed label (the one with tricky RLE counts included) and keeps the rest as they were', async () => {
    const { text, fileId } = await importTricky();
    const edit = { fileName: '', categoryName: '' };
    LabelsStore.of(db).record(fileId, { client: 'A', source: 'manual', note: null }, [
      { ...edit, imageId: 36, categoryId: categoryIds.person, present: false },
      { ...edit, imageId: 42, categoryId: categoryIds.bird, present: true },
    ]);
    const data = buildCocoFixture();
    const kept = data.annotations.filter((a) => !(a.image_id === 36 && a.category_id === categoryIds.person));
    const dropped = data.annotations.length - kept.length;
    const expected = text
      .replace(JSON.stringify(data.annotations), JSON.stringify(kept))
      .replace(/}$/, ',"mlw_image_labels":[{"image_id":42,"category_id":16}]}');
    expect(dropped).toBe(2);
    expect(expected).not.toContain(JSON.stringify(trickyRleCounts));
    for (const chunkBytes of [1, 3, 7, undefined]) expect(await exported(fileId, chunkBytes)).toBe(expected);
  });
});
