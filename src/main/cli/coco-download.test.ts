import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { coco128Absent, hasCoco128, startCocoServer, type CocoServer } from '../../../test/fixtures/coco-server';

const root = fileURLToPath(new URL('../../..', import.meta.url));
let server: CocoServer;
let dir: string;

/** Runs mlw without blocking this process, which serves the files it fetches. */
function mlw(
  args: string[],
  onStarted?: (child: ReturnType<typeof spawn>) => void,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'bin/mlw.mjs'), ...args, '--cache', join(dir, 'cache')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
    onStarted?.(child);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-cli-coco-'));
  if (hasCoco128) server = await startCocoServer();
  else console.log(`coco-download.test.ts: ${coco128Absent}.`);
});
afterAll(async () => {
  if (hasCoco128) await server.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  if (hasCoco128) server.beforeImage = null;
});

describe.skipIf(!hasCoco128)('mlw coco download', () => {
  it('prints one JSON document with --json, progress on stderr, and puts the images of the categories in DEST/train2017', async () => {
    const dest = join(dir, 'coco');
    const args = [
      'coco',
      'download',
      '--split',
      'train2017',
      '--categories',
      'giraffe, zebra',
      '--dest',
      dest,
      '--base-url',
      server.baseUrl,
    ];
    const result = await mlw([...args, '--concurrency', '2', '--json']);
    expect(result.stderr).toContain('Downloading images');
    expect(result.status).toBe(0);
    const summary = JSON.parse(result.stdout) as Record<string, unknown>;
    // coco128: giraffe in 4 images, zebra in 2, none in both.
    expect(summary).toMatchObject({
      split: 'train2017',
      dest,
      imagesDir: join(dest, 'train2017'),
      annotationsPath: join(dest, 'annotations', 'instances_train2017.json'),
      categories: ['giraffe', 'zebra'],
      annotationsDownloaded: true,
      images: { wanted: 6, downloaded: 6, alreadyPresent: 0, failed: 0 },
      failures: [],
    });
    expect(readdirSync(join(dest, 'train2017'))).toHaveLength(6);

    const again = await mlw(args);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('0 images downloaded');
    expect(again.stdout).toContain('6 already here');
  });

  it('pauses on Ctrl-C, saying how to resume, and refuses a wrong split with a sentence', async () => {
    const dest = join(dir, 'paused');
    let child: ReturnType<typeof spawn> | undefined;
    let interrupted = false;
    server.beforeImage = () => {
      // Once: a second Ctrl-C quits at once.
      if (!interrupted) child?.kill('SIGINT');
      interrupted = true;
      return new Promise(() => undefined); // held until the client gives up
    };
    const paused = await mlw(
      ['coco', 'download', '--split', 'train2017', '--categories', 'dog', '--dest', dest, '--base-url', server.baseUrl, '--json'],
      (c) => (child = c),
    );
    expect(paused.status).toBe(130);
    expect(paused.stderr).toContain(`Paused. What was downloaded stays in ${dest}; run the same command again to resume where it stopped.`);
    expect(JSON.parse(paused.stdout)).toMatchObject({ error: { code: 'CANCELLED' } });

    const wrong = await mlw(['coco', 'download', '--split', 'train2018', '--dest', dest]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('The split must be train2017 or val2017.');
  });
});
