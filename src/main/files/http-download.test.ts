import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../../shared/contract/errors';
import { downloadResumable, fetchToFile } from './http-download';

const data = randomBytes(256 * 1024);
/** How the server treats the next requests. */
let honourRange = true;
let dropNext = 0;
const ranges: (string | null)[] = [];
let server: Server;
let url: string;
let dir: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url !== '/file.bin') {
      response.writeHead(404, 'Not Found').end();
      return;
    }
    ranges.push(request.headers.range ?? null);
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    const start = honourRange && range !== null ? Number(range[1]) : 0;
    if (start > 0) {
      response.writeHead(206, {
        'content-length': data.length - start,
        'content-range': `bytes ${start}-${data.length - 1}/${data.length}`,
      });
    } else {
      response.writeHead(200, { 'content-length': data.length });
    }
    if (dropNext > 0) {
      dropNext--;
      response.write(data.subarray(start, start + (data.length - start) / 2), () => response.socket?.destroy());
      return;
    }
    response.end(data.subarray(start));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/file.bin`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-http-'));
  honourRange = true;
  dropNext = 0;
  ranges.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('downloadResumable', () => {
  it('continues a partial file left by an earlier call with Range, and the file is whole', async () => {
    const dest = join(dir, 'file.bin');
    writeFileSync(`${dest}.part`, data.subarray(0, 1000));
    const result = await downloadResumable(url, dest);
    expect(ranges).toEqual(['bytes=1000-']);
    expect(result).toEqual({ size: data.length, fetched: data.length - 1000, resumed: true });
    expect(readFileSync(dest).equals(data)).toBe(true);
    expect(existsSync(`${dest}.part`)).toBe(false);
  });

  it('resumes within the call after dropped connections, and gives up with a sentence after its attempts, keeping the part', async () => {
    const dest = join(dir, 'file.bin');
    dropNext = 2;
    await expect(downloadResumable(url, dest, { retryDelayMs: 0 })).resolves.toMatchObject({ size: data.length, resumed: true });
    expect(ranges).toHaveLength(3);
    expect(readFileSync(dest).equals(data)).toBe(true);

    const again = join(dir, 'again.bin');
    dropNext = 3;
    const error = await downloadResumable(url, again, { retryDelayMs: 0, attempts: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).message).toMatch(
      /^The download of .* stopped after .* of 256 KB.*Start it again to resume where it stopped\.$/,
    );
    expect(statSync(`${again}.part`).size).toBeGreaterThan(data.length / 2);
  });

  it('replaces a partial file when the server ignores the range and sends the whole file', async () => {
    honourRange = false;
    const dest = join(dir, 'file.bin');
    writeFileSync(`${dest}.part`, Buffer.from('not the start of this file'));
    await expect(downloadResumable(url, dest)).resolves.toEqual({ size: data.length, fetched: data.length, resumed: false });
    expect(readFileSync(dest).equals(data)).toBe(true);
  });

  it('leaves the partial file as it was when the check before writing refuses', async () => {
    const dest = join(dir, 'file.bin');
    writeFileSync(`${dest}.part`, data.subarray(0, 1000));
    const seen: number[][] = [];
    const refusal = new AppError('INVALID_INPUT', 'No room.');
    await expect(
      downloadResumable(url, dest, {
        beforeWrite: async (remaining, total) => {
          seen.push([remaining, total]);
          throw refusal;
        },
      }),
    ).rejects.toBe(refusal);
    expect(seen).toEqual([[data.length - 1000, data.length]]);
    expect(readFileSync(`${dest}.part`).equals(data.subarray(0, 1000))).toBe(true);
  });

  it("gives the file its name only once the caller's check accepts it, and deletes one it refuses", async () => {
    const dest = join(dir, 'file.bin');
    writeFileSync(`${dest}.part`, data.subarray(0, 1000));
    const checked: boolean[] = [];
    const accept = async (path: string): Promise<void> => {
      checked.push(readFileSync(path).equals(data) && !existsSync(dest));
    };
    await expect(downloadResumable(url, dest, { verify: accept })).resolves.toMatchObject({ size: data.length, resumed: true });
    expect(checked).toEqual([true]);
    expect(readFileSync(dest).equals(data)).toBe(true);

    const refused = join(dir, 'refused.bin');
    const refusal = new AppError('INVALID_INPUT', 'Not the pinned digest.');
    await expect(downloadResumable(url, refused, { verify: () => Promise.reject(refusal) })).rejects.toBe(refusal);
    expect(existsSync(refused)).toBe(false);
    expect(existsSync(`${refused}.part`)).toBe(false);
  });

  it("says what a 404 means in the caller's words", async () => {
    const missing = url.replace(/file\.bin$/, 'gone.bin');
    await expect(downloadResumable(missing, join(dir, 'x'))).rejects.toMatchObject({
      code: 'NETWORK',
      message: `${missing} answered HTTP 404 Not Found. The server does not have it: check the base URL.`,
    });
    await expect(downloadResumable(missing, join(dir, 'x'), { notFoundHint: 'It may have moved.' })).rejects.toMatchObject({
      message: `${missing} answered HTTP 404 Not Found. It may have moved.`,
      details: { url: missing, status: 404 },
    });
  });
});

describe('fetchToFile', () => {
  it('says what the server announced, so that a file cut short can be told from a whole one', async () => {
    dropNext = 1;
    const cut = await fetchToFile(url, join(dir, 'cut.bin'));
    expect(cut.announcedBytes).toBe(data.length);
    expect(cut.bytes).toBeLessThan(data.length);
    const whole = await fetchToFile(url, join(dir, 'whole.bin'));
    expect(whole).toEqual({ bytes: data.length, announcedBytes: data.length });
  });

  it('turns an HTTP error into NETWORK with the status and the address', async () => {
    await expect(fetchToFile(url.replace(/:\d+\//, ':1/'), join(dir, 'x'))).rejects.toMatchObject({
      code: 'NETWORK',
      message: expect.stringContaining('could not be reached'),
    });
  });
});
