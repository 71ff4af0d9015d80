import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadFile, downloadLayersModel, downloadWeightsFile } from './download';
import { readLayersFolder } from './layers-folder';

/** Files the test server offers, and how many of the next requests for each to cut short. */
const files = new Map<string, Buffer>();
const cutNext = new Map<string, number>();
let server: Server;
let base: string;
let dir: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const body = files.get(path);
    if (body === undefined) {
      response.writeHead(404).end('not found');
      return;
    }
    let start = 0;
    const range = /bytes=(\d+)-/.exec(request.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      if (start >= body.length) {
        // As RFC 9110 asks, the answer says the file's size.
        response.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
        return;
      }
      response.writeHead(206, {
        'content-length': body.length - start,
        'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
      });
    } else {
      response.writeHead(200, { 'content-length': body.length });
    }
    const cuts = cutNext.get(path) ?? 0;
    if (cuts > 0) {
      // A dropped connection: half of what was promised, then the socket closes.
      cutNext.set(path, cuts - 1);
      response.write(body.subarray(start, start + Math.floor((body.length - start) / 2)), () => response.socket?.destroy());
      return;
    }
    response.end(body.subarray(start));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-download-'));
  files.clear();
  cutNext.clear();
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sha = (data: Buffer): string => createHash('sha256').update(data).digest('hex');
const md5 = (data: Buffer): string => createHash('md5').update(data).digest('hex');

describe('downloadFile', () => {
  it('resumes a download whose connection dropped, and the result matches its SHA-256', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    files.set('/weights.bin', data);
    cutNext.set('/weights.bin', 1);
    const dest = join(dir, 'weights.bin');
    // One attempt: the drop ends the call, as a connection lost for good would.
    await expect(downloadFile(`${base}/weights.bin`, dest, { sha256: sha(data), attempts: 1 })).rejects.toMatchObject({
      code: 'NETWORK',
      message: expect.stringContaining('Start it again to resume where it stopped'),
    });
    expect(existsSync(dest)).toBe(false);
    const partial = statSync(`${dest}.part`).size;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(data.length);

    const progress: number[] = [];
    const result = await downloadFile(`${base}/weights.bin`, dest, { sha256: sha(data), onBytes: (done) => progress.push(done) });
    expect(result).toEqual({ bytes: data.length, sha256: sha(data), md5: md5(data), resumed: true });
    expect(progress[0]).toBeGreaterThan(partial);
    expect(readFileSync(dest).equals(data)).toBe(true);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('resumes a dropped connection within the call, and the result matches its digests', async () => {
    const data = randomBytes(1024 * 1024);
    files.set('/weights.bin', data);
    cutNext.set('/weights.bin', 2);
    const dest = join(dir, 'weights.bin');
    const result = await downloadFile(`${base}/weights.bin`, dest, { sha256: sha(data), md5: md5(data), retryDelayMs: 0 });
    expect(result).toEqual({ bytes: data.length, sha256: sha(data), md5: md5(data), resumed: true });
    expect(readFileSync(dest).equals(data)).toBe(true);
  });

  it('checks a partial file that is already whole (the server answers 416) before it takes its name', async () => {
    const data = randomBytes(10_000);
    files.set('/weights.bin', data);
    const dest = join(dir, 'weights.bin');
    writeFileSync(`${dest}.part`, data);
    await expect(downloadFile(`${base}/weights.bin`, dest, { sha256: 'ab'.repeat(32) })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('does not match its pinned SHA-256'),
    });
    expect(existsSync(`${dest}.part`)).toBe(false);
    expect(existsSync(dest)).toBe(false);

    writeFileSync(`${dest}.part`, data);
    const result = await downloadFile(`${base}/weights.bin`, dest, { sha256: sha(data) });
    expect(result).toEqual({ bytes: data.length, sha256: sha(data), md5: md5(data), resumed: true });
    expect(readFileSync(dest).equals(data)).toBe(true);
  });

  it('stops with CANCELLED when its signal aborts, keeping the partial file for a later call', async () => {
    const data = randomBytes(3 * 1024 * 1024);
    files.set('/weights.bin', data);
    const dest = join(dir, 'weights.bin');
    const controller = new AbortController();
    await expect(
      downloadFile(`${base}/weights.bin`, dest, { signal: controller.signal, onBytes: () => controller.abort() }),
    ).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(existsSync(dest)).toBe(false);
    expect(statSync(`${dest}.part`).size).toBeGreaterThan(0);
    await expect(downloadFile(`${base}/weights.bin`, dest, { sha256: sha(data) })).resolves.toMatchObject({ resumed: true });
    expect(readFileSync(dest).equals(data)).toBe(true);
  });

  it('deletes a download that does not match its published SHA-256 and says so', async () => {
    files.set('/weights.bin', randomBytes(1000));
    const dest = join(dir, 'weights.bin');
    await expect(downloadFile(`${base}/weights.bin`, dest, { sha256: 'ab'.repeat(32) })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining('does not match its pinned SHA-256'),
    });
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('reports an HTTP error and an unreachable host as NETWORK with the address', async () => {
    await expect(downloadFile(`${base}/missing.bin`, join(dir, 'x'))).rejects.toMatchObject({
      code: 'NETWORK',
      message: expect.stringMatching(/\/missing\.bin answered HTTP 404 .*The file may have moved; see the README for where to get it\.$/),
    });
    await expect(downloadFile('http://127.0.0.1:1/x.bin', join(dir, 'y'))).rejects.toMatchObject({
      code: 'NETWORK',
      message: expect.stringContaining('could not be reached'),
    });
  });
});

describe('downloadLayersModel', () => {
  it('refuses a model.json that names a weight file outside the model folder, writing nothing for it', async () => {
    for (const [i, entry] of ['../escaped.bin', '/tmp/escaped.bin', 'a\\..\\b.bin', 'sub/../../escaped.bin'].entries()) {
      files.set(
        `/evil${i}/model.json`,
        Buffer.from(JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: [entry], weights: [] }] })),
      );
      files.set(`/evil${i}/escaped.bin`, Buffer.from('x'));
      const dest = join(dir, 'models', `evil${i}`);
      await expect(downloadLayersModel(`${base}/evil${i}/model.json`, dest)).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining(`outside the model's folder ("${entry}")`),
      });
      expect(existsSync(join(dir, 'models', 'escaped.bin'))).toBe(false);
      expect(existsSync(dest)).toBe(false);
    }
  });

  it('fetches model.json and every shard it lists, resuming after a drop, into a folder that loads', async () => {
    const shard1 = Buffer.from(new Float32Array([1, 2, 3, 4]).buffer);
    const shard2 = Buffer.from(new Float32Array([5, 6]).buffer);
    const modelJson = Buffer.from(
      JSON.stringify({
        modelTopology: { class_name: 'Sequential' },
        weightsManifest: [
          { paths: ['group1-shard1of1'], weights: [{ name: 'dense/kernel', shape: [2, 2], dtype: 'float32' }] },
          { paths: ['group2-shard1of1'], weights: [{ name: 'dense/bias', shape: [2], dtype: 'float32' }] },
        ],
      }),
    );
    files.set('/m/model.json', modelJson);
    files.set('/m/group1-shard1of1', shard1);
    files.set('/m/group2-shard1of1', shard2);
    cutNext.set('/m/group2-shard1of1', 1);
    const dest = join(dir, 'models', 'tiny');
    await expect(downloadLayersModel(`${base}/m/model.json`, dest, { attempts: 1 })).rejects.toMatchObject({ code: 'NETWORK' });
    expect(existsSync(dest)).toBe(false);

    const result = await downloadLayersModel(`${base}/m/model.json`, dest, { checksums: { 'group1-shard1of1': sha(shard1) } });
    expect(result.files).toBe(3);
    // Every file's SHA-256 is reported and recorded, the one fetched before the drop included.
    expect(result.sha256).toEqual({ 'model.json': sha(modelJson), 'group1-shard1of1': sha(shard1), 'group2-shard1of1': sha(shard2) });
    expect(readFileSync(join(dest, 'SHA256SUMS'), 'utf8')).toBe(
      `${sha(modelJson)}  model.json\n${sha(shard1)}  group1-shard1of1\n${sha(shard2)}  group2-shard1of1\n`,
    );
    expect(readFileSync(join(dest, 'SOURCE'), 'utf8')).toBe(`${base}/m/model.json\n`);
    const artifacts = await readLayersFolder(dest);
    expect(new Float32Array(artifacts.weightData as ArrayBuffer)).toEqual(new Float32Array([1, 2, 3, 4, 5, 6]));
    expect(existsSync(`${dest}.partial`)).toBe(false);
  });
});

describe('downloadWeightsFile (Keras .h5)', () => {
  it('resumes into <dir>/weights.h5, checks the pinned MD5 and records the SHA-256 of what it fetched', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    files.set('/keras/resnet50_notop.h5', data);
    cutNext.set('/keras/resnet50_notop.h5', 1);
    const dest = join(dir, 'models', 'resnet50');
    const url = `${base}/keras/resnet50_notop.h5`;
    await expect(downloadWeightsFile(url, dest, { fileName: 'weights.h5', md5: md5(data), attempts: 1 })).rejects.toMatchObject({
      code: 'NETWORK',
    });
    expect(existsSync(join(dest, 'weights.h5'))).toBe(false);
    expect(statSync(join(dest, 'weights.h5.part')).size).toBeGreaterThan(0);

    const progress: { done: number; unit?: string }[] = [];
    const result = await downloadWeightsFile(url, dest, {
      fileName: 'weights.h5',
      md5: md5(data),
      onProgress: (p) => progress.push({ done: p.done, unit: p.unit }),
    });
    expect(result).toEqual({ files: 1, bytes: data.length, sha256: { 'weights.h5': sha(data) } });
    expect(readFileSync(join(dest, 'weights.h5')).equals(data)).toBe(true);
    expect(existsSync(join(dest, 'weights.h5.part'))).toBe(false);
    expect(progress.at(-1)).toEqual({ done: data.length, unit: 'bytes' });
    expect(readFileSync(join(dest, 'SOURCE'), 'utf8')).toBe(`${url}\n`);
    expect(readFileSync(join(dest, 'SHA256SUMS'), 'utf8')).toBe(`${sha(data)}  weights.h5\n`);
  });

  it('deletes a file whose MD5 is not the pinned one, resumed part included, and names the digest', async () => {
    const data = randomBytes(100_000);
    files.set('/keras/w.h5', data);
    cutNext.set('/keras/w.h5', 1);
    const dest = join(dir, 'models', 'x');
    const pinned = md5(Buffer.from('another file'));
    await expect(
      downloadWeightsFile(`${base}/keras/w.h5`, dest, { fileName: 'weights.h5', md5: pinned, attempts: 1 }),
    ).rejects.toMatchObject({ code: 'NETWORK' });
    await expect(downloadWeightsFile(`${base}/keras/w.h5`, dest, { fileName: 'weights.h5', md5: pinned })).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: expect.stringContaining(`does not match its pinned MD5 (expected ${pinned}, got ${md5(data)}); it was deleted`),
    });
    expect(existsSync(join(dest, 'weights.h5'))).toBe(false);
    expect(existsSync(join(dest, 'weights.h5.part'))).toBe(false);
    expect(existsSync(join(dest, 'SHA256SUMS'))).toBe(false);
  });
});
