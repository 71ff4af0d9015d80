import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCocoFixture, serializeCoco } from '../../../test/fixtures/coco-fixture';
import { AppError } from '../../shared/contract/errors';
import { parseTail, tailWorkerFile, type TailMessage } from './tail-parse';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-tail-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function tailOf(text: string, from: number, chunkBytes?: number): TailMessage[] {
  const path = join(dir, 'instances.json');
  writeFileSync(path, text);
  const messages: TailMessage[] = [];
  parseTail(path, from, (m) => messages.push(m), chunkBytes);
  return messages;
}

describe('parseTail', () => {
  const data = buildCocoFixture({ extraImages: 400 });
  const text = serializeCoco(data, { categories: 'last' });

  it('begins at the first annotation after the offset and reads the rest of the file', () => {
    const from = text.indexOf('"id":5200,');
    const messages = tailOf(text, from, 4096);
    const start = messages[0];
    expect(start?.type).toBe('start');
    const offset = (start as { offset: number }).offset;
    // The next annotation: annotation 5201, whose object starts right after "},".
    expect(text.slice(offset - 2, offset + 11)).toBe('},{"id":5201,');
    const done = messages.at(-1) as Extract<TailMessage, { type: 'done' }>;
    expect(done.type).toBe('done');
    expect(done.end).toBe(Buffer.byteLength(text));
    // Annotations 5201 to 5399 (199) and every category; no image, since images come first.
    expect(done.summary).toEqual({ counts: { images: 0, annotations: 199, categories: 6 }, seen: ['annotations', 'categories'] });
    expect(done.part.annotationImages[0]).toBe(1201);
    expect(done.part.records[0]).toBe(5201);
    expect(done.part.categories.map((c) => c.name)).toEqual(data.categories.map((c) => c.name));
  });

  it('says it found no place to begin when the offset is past the last annotation', () => {
    const messages = tailOf(text, text.indexOf('"categories"'));
    expect(messages).toEqual([
      { type: 'failed', reason: expect.stringMatching(/^no annotation starts in the \d+ bytes after offset \d+$/) },
    ]);
  });

  it('skips places that only look like the start of an annotation (image records, braces in strings)', () => {
    const tricky = { ...data, images: data.images.map((im, i) => (i === 300 ? { ...im, file_name: 'a},{b.jpg' } : im)) };
    const json = serializeCoco(tricky, { categories: 'last' });
    const messages = tailOf(json, json.indexOf('"id":1290,'));
    const offset = (messages[0] as { offset: number }).offset;
    expect(offset).toBeGreaterThan(json.indexOf('"annotations"'));
    expect(messages.at(-1)?.type).toBe('done');
  });

  it('fails, with the reader’s own words, on a file damaged after the place it began', () => {
    const damaged = text.slice(0, -40);
    const messages = tailOf(damaged, text.indexOf('"id":5300,'));
    expect(messages[0]?.type).toBe('start');
    expect(messages.at(-1)).toEqual({ type: 'failed', reason: expect.stringMatching(/truncated/) });
  });
});

describe('tailWorkerFile', () => {
  const files =
    (...paths: string[]) =>
    (path: string) =>
      paths.includes(path);

  it('starts the TypeScript source through tsx beside the source', () => {
    expect(tailWorkerFile('/src/main/coco/tail-parse.ts', files())).toBe('/src/main/coco/tail-parse-worker-tsx.mjs');
  });

  it('finds the bundled worker beside the bundle, or one folder up from a chunks folder', () => {
    expect(tailWorkerFile('/app/out/cli/index.mjs', files('/app/out/cli/tail-parse-worker.mjs'))).toBe(
      '/app/out/cli/tail-parse-worker.mjs',
    );
    expect(tailWorkerFile('/app/out/main/chunks/tail-parse-x1.js', files('/app/out/main/tail-parse-worker.js'))).toBe(
      '/app/out/main/tail-parse-worker.js',
    );
  });

  it('says which build is missing it', () => {
    expect(() => tailWorkerFile('/app/out/cli/index.mjs', files())).toThrow(AppError);
    expect(() => tailWorkerFile('/app/out/cli/index.mjs', files())).toThrow(
      /missing beside \/app\/out\/cli\/index.mjs; rebuild with "npm run build"/,
    );
  });
});
