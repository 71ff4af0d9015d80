import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freeSpaceOf, requireFreeSpace } from './free-space';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'mlw-free-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('requireFreeSpace', () => {
  it('refuses work larger than the free space with a sentence naming both and what to do', async () => {
    const free = async (): Promise<number> => 5 * 1024 ** 2;
    await expect(requireFreeSpace(dir, 241 * 1024 ** 2, 'The annotations zip', free)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: `The annotations zip needs about 241 MB, but the disk of ${dir} has only 5.0 MB free. Free some space there or choose a folder on another disk, then start again.`,
      details: { neededBytes: 241 * 1024 ** 2, freeBytes: 5 * 1024 ** 2 },
    });
  });

  it('lets work through that fits, to the byte', async () => {
    await expect(requireFreeSpace(dir, 1000, 'The images', async () => 1000)).resolves.toBeUndefined();
  });
});

describe('freeSpaceOf', () => {
  it('answers for a folder not made yet from the disk of its nearest parent', async () => {
    const notYet = join(dir, 'coco', 'train2017');
    await expect(freeSpaceOf(notYet)).resolves.toBeGreaterThan(0);
  });
});
