import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { contract } from '../../shared/contract';
import { createClient } from '../../shared/rpc/client';

const repo = fileURLToPath(new URL('../../..', import.meta.url));
let dir: string;
let child: ChildProcess;
let started: { url: string; port: number; roots: unknown };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-serve-roots-'));
  for (const folder of ['allowed', 'other', 'renderer']) mkdirSync(join(dir, folder));
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>Multilabel Workbench</title>');
  writeFileSync(join(dir, 'allowed', 'a.json'), '{}');
  writeFileSync(join(dir, 'other', 'b.json'), '{}');
  child = spawn(
    process.execPath,
    [join(repo, 'bin/mlw.mjs'), 'serve', '--port', '0', '--root', join(dir, 'allowed'), '--json', '--cache', join(dir, 'data')],
    { env: { ...process.env, MLW_RENDERER_DIR: join(dir, 'renderer') }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  started = await new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!) as typeof started);
    });
    child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`mlw serve ended (${code}): ${err}`)));
  });
}, 60_000);

afterAll(() => {
  child.kill('SIGINT');
  rmSync(dir, { recursive: true, force: true });
});

describe('mlw serve --root', () => {
  it('serves only what lies under its roots and the data folder, and says so', async () => {
    expect(started.roots).toEqual([join(dir, 'allowed')]);
    const token = new URL(started.url).searchParams.get('token')!;
    const socket = new WebSocket(`ws://127.0.0.1:${started.port}/rpc?token=${token}`);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const api = createClient(
      {
        send: (message) => socket.send(JSON.stringify(message)),
        onMessage: (listener) => {
          const handler = (data: WebSocket.RawData): void => listener(JSON.parse(data.toString()));
          socket.on('message', handler);
          return () => socket.off('message', handler);
        },
      },
      contract,
    );
    await expect(api.dataset.checkPath({ path: join(dir, 'allowed', 'a.json'), kind: 'file' })).resolves.toMatchObject({ ok: true });
    await expect(api.dataset.checkPath({ path: join(dir, 'other', 'b.json'), kind: 'file' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('--root'),
    });
    await expect(api.dataset.ingest({ path: join(dir, 'other', 'b.json') })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    socket.close();
  });
});
