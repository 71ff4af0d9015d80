import { mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pruneFolder } from './prune-folder';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('pruneFolder', () => {
  it('removes files past the age limit, then the oldest until the rest fit the size limit', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mlw-prune-'));
    const now = Date.now();
    const day = 24 * 3600 * 1000;
    const write = (name: string, bytes: number, ageDays: number) => {
      writeFileSync(join(dir, name), Buffer.alloc(bytes));
      const time = (now - ageDays * day) / 1000;
      utimesSync(join(dir, name), time, time);
    };
    write('ancient.jpg', 10, 40);
    write('old.jpg', 400, 5);
    write('middle.jpg', 400, 3);
    write('new.jpg', 400, 1);
    const result = await pruneFolder(dir, { maxAgeMs: 30 * day, maxBytes: 900, now });
    expect(result).toEqual({ removed: 2, bytes: 410 });
    expect(readdirSync(dir).sort()).toEqual(['middle.jpg', 'new.jpg']);
    expect(await pruneFolder(join(dir, 'none'), { maxAgeMs: 1, maxBytes: 1 })).toEqual({ removed: 0, bytes: 0 });
  });
});
