import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/contract/errors';
import { rejection } from '../../../../test/support/rejection';
import { Worker } from 'node:worker_threads';
import { DecodePool, startDecodeWorker } from './decode-pool';
import { decodeResized, exampleAugmentation, useDecodePool } from './preprocess';

let dir: string;
const paths: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-decode-pool-'));
  // JPEGs of a few sizes (one decoded at a DCT scale, one enlarged), a PNG, a rotated JPEG.
  const card = (width: number, height: number) => {
    const pixels = Buffer.alloc(width * height * 3);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 31 + ((i / (width * 3)) | 0) * 7) & 255;
    return sharp(pixels, { raw: { width, height, channels: 3 } });
  };
  const files: [string, Promise<Buffer>][] = [
    ['a.jpg', card(640, 427).jpeg().toBuffer()],
    ['b.jpg', card(100, 80).jpeg().toBuffer()],
    ['c.png', card(300, 200).png().toBuffer()],
    ['d.jpg', card(200, 120).jpeg().withMetadata({ orientation: 6 }).toBuffer()],
  ];
  for (const [name, bytes] of files) {
    writeFileSync(join(dir, name), await bytes);
    paths.push(join(dir, name));
  }
  writeFileSync(join(dir, 'broken.jpg'), Buffer.from('not an image at all'));
});

afterAll(() => {
  useDecodePool(null);
  rmSync(dir, { recursive: true, force: true });
});

/** A seeded draw, as the engine's loops use. */
function draws(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
}

describe('DecodePool', () => {
  it('decodes on its threads exactly what this thread decodes, augmentation included', async () => {
    const here = await Promise.all(
      paths.map((path, k) => decodeResized(path, 64, k % 2 === 0 ? exampleAugmentation : undefined, draws(k + 1))),
    );
    const pool = new DecodePool(2);
    useDecodePool(pool);
    try {
      // Twice over, several at once: every request gets its own answer.
      const pooled = await Promise.all(
        [...paths, ...paths].map((path, k) =>
          decodeResized(path, 64, k % 2 === 0 ? exampleAugmentation : undefined, draws((k % paths.length) + 1)),
        ),
      );
      pooled.forEach((rgb, k) => expect(rgb, paths[k % paths.length]).toEqual(here[k % paths.length]));
    } finally {
      useDecodePool(null);
      await pool.close();
    }
  });

  it("passes a worker's errors on with their code and sentence: a missing file, a file that is not an image", async () => {
    const pool = new DecodePool(1);
    try {
      const missing = await rejection(pool.decode({ path: join(dir, 'nowhere.jpg'), size: 32, angle: 0, flip: false }));
      expect(missing).toBeInstanceOf(AppError);
      expect((missing as AppError).code).toBe('NOT_FOUND');
      expect((missing as AppError).message).toContain('nowhere.jpg');
      const broken = await rejection(pool.decode({ path: join(dir, 'broken.jpg'), size: 32, angle: 0, flip: false }));
      expect((broken as AppError).code).toBe('INVALID_INPUT');
      expect((broken as AppError).message).toContain('broken.jpg cannot be read as an image');
      // The worker is still there for the next image.
      expect((await pool.decode({ path: paths[0]!, size: 32, angle: 0, flip: false })).rgb.length).toBe(32 * 32 * 3);
    } finally {
      await pool.close();
    }
  });

  it('fails what is waiting when it is closed, and refuses work afterwards', async () => {
    const pool = new DecodePool(1);
    const waiting = Promise.allSettled(Array.from({ length: 6 }, () => pool.decode({ path: paths[0]!, size: 224, angle: 0, flip: false })));
    await pool.close();
    const outcomes = await waiting;
    expect(outcomes.some((outcome) => outcome.status === 'rejected')).toBe(true);
    // Some may have finished before the close; the rest say why they did not.
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') expect(String(outcome.reason)).toMatch(/closed before the image was decoded/);
    }
    expect(String(await rejection(pool.decode({ path: paths[0]!, size: 32, angle: 0, flip: false })))).toMatch(/has been closed/);
  });

  it('sends the requests of a worker that dies once more to a new one; one that kills two workers fails, saying so', async () => {
    let started = 0;
    // Workers that die on their first request, as on running out of memory, then real ones.
    const dying = (): Worker =>
      new Worker("require('node:worker_threads').parentPort.on('message', () => process.exit(7));", { eval: true });
    const pool = new DecodePool(1, () => (++started <= 2 ? dying() : startDecodeWorker()));
    try {
      // Both requests wait on the first worker, which dies; both go to the second, which dies too:
      // each has now been tried twice and fails.
      const first = await Promise.allSettled([0, 1].map(() => pool.decode({ path: paths[0]!, size: 32, angle: 0, flip: false })));
      for (const outcome of first) {
        expect(outcome.status).toBe('rejected');
        expect(String((outcome as PromiseRejectedResult).reason)).toMatch(/decode worker stopped \(exit code 7\).*a\.jpg/);
      }
      expect(started).toBe(2);
      // The third worker is a real one: the pool goes on.
      expect((await pool.decode({ path: paths[0]!, size: 32, angle: 0, flip: false })).rgb.length).toBe(32 * 32 * 3);
    } finally {
      await pool.close();
    }
  });

  it('a request whose worker died decodes on the next worker', async () => {
    let started = 0;
    const pool = new DecodePool(1, () =>
      ++started === 1
        ? new Worker("require('node:worker_threads').parentPort.on('message', () => process.exit(9));", { eval: true })
        : startDecodeWorker(),
    );
    try {
      expect((await pool.decode({ path: paths[0]!, size: 32, angle: 0, flip: false })).rgb.length).toBe(32 * 32 * 3);
      expect(started).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('rejects, rather than throws, when a worker cannot be started', async () => {
    const pool = new DecodePool(1, () => {
      throw new AppError('INTERNAL', 'The decode worker is missing.');
    });
    expect((await rejection(pool.decode({ path: paths[0]!, size: 32, angle: 0, flip: false }))).message).toMatch(/missing/);
    await pool.close();
  });

  it('needs at least one thread', () => {
    expect(() => new DecodePool(0)).toThrow(RangeError);
  });
});
