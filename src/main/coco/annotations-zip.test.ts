import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { extractInstances, instancesInZip } from './annotations-zip';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mlw-zip-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function zipOf(entries: [string, Buffer][], compress = true): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of entries) zip.addBuffer(data, name, { compress });
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const train = Buffer.from(JSON.stringify({ images: [], annotations: [], categories: [{ id: 1, name: 'dog' }] }).repeat(50));
const val = Buffer.from('{"images": [], "annotations": [], "categories": []}');

describe('the annotations zip', () => {
  it('extracts only the instances files, by their own names and into paths of ours, whatever folder the zip puts them in', async () => {
    const path = join(dir, 'annotations.zip');
    writeFileSync(
      path,
      await zipOf([
        ['annotations/captions_train2017.json', Buffer.from('{}')],
        ['coco/2017/annotations/instances_train2017.json', train],
        ['annotations/instances_val2017.json', val],
      ]),
    );
    expect(await instancesInZip(path)).toEqual([
      { name: 'instances_train2017.json', uncompressedSize: train.length },
      { name: 'instances_val2017.json', uncompressedSize: val.length },
    ]);
    const out = join(dir, 'out');
    const progress: number[] = [];
    const extracted = await extractInstances(path, out, { onBytes: (done) => progress.push(done) });
    expect(extracted.map((e) => e.path)).toEqual([join(out, 'instances_train2017.json'), join(out, 'instances_val2017.json')]);
    expect(readdirSync(out).sort()).toEqual(['instances_train2017.json', 'instances_val2017.json']);
    expect(readFileSync(join(out, 'instances_train2017.json')).equals(train)).toBe(true);
    expect(existsSync(join(out, 'coco'))).toBe(false);
    expect(progress.at(-1)).toBe(train.length + val.length);
  });

  it('refuses a file that is not a zip, and an entry whose bytes do not match its checksum, with a sentence and no file left', async () => {
    const notZip = join(dir, 'page.zip');
    writeFileSync(notZip, '<html>Not found</html>');
    await expect(instancesInZip(notZip)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringMatching(
        /^The annotations zip .*page\.zip is damaged: it is not a readable zip .*Delete it and start the download again/,
      ),
    });

    const stored = await zipOf([['annotations/instances_train2017.json', train]], false);
    const at = stored.indexOf(train);
    stored[at + 10] = stored[at + 10]! ^ 0xff;
    const damaged = join(dir, 'damaged.zip');
    writeFileSync(damaged, stored);
    await expect(extractInstances(damaged, join(dir, 'out'))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('instances_train2017.json does not match its size or checksum in the zip'),
    });
    expect(readdirSync(join(dir, 'out'))).toEqual([]);
  });
});
