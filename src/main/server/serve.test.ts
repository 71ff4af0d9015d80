import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { contract } from '../../shared/contract';
import { createClient } from '../../shared/rpc/client';
import type { Protocol } from '../../shared/rpc/protocol';
import { createServices, type Services } from '../services';
import { startServer, type RunningServer } from './serve';

let dir: string;
let services: Services;
let server: RunningServer;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-serve-'));
  mkdirSync(join(dir, 'renderer', 'assets'), { recursive: true });
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>Multilabel Workbench</title>');
  writeFileSync(join(dir, 'renderer', 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'outside the renderer');
  services = createServices({ dataDir: join(dir, 'data'), host: 'serve' });
  server = await startServer({ services, rendererDir: join(dir, 'renderer'), port: 0 });
});

afterEach(async () => {
  await server.close();
  services.close();
  rmSync(dir, { recursive: true, force: true });
});

function origin(): string {
  return `http://127.0.0.1:${server.port}`;
}

function connect(query: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/rpc${query}`, { headers });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
  });
}

function protocolOf(socket: WebSocket): Protocol {
  return {
    send: (message) => socket.send(JSON.stringify(message)),
    onMessage: (listener) => {
      const handler = (data: WebSocket.RawData): void => listener(JSON.parse(data.toString()));
      socket.on('message', handler);
      return () => socket.off('message', handler);
    },
  };
}

describe('mlw serve', () => {
  it('listens on loopback and prints a URL carrying a random token', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.url).toBe(`${origin()}/?token=${server.token}`);
    expect(server.token.length).toBeGreaterThanOrEqual(32);
  });

  it('answers 401 to a request without the token or with a wrong one', async () => {
    expect((await fetch(`${origin()}/`)).status).toBe(401);
    expect((await fetch(`${origin()}/?token=wrong`)).status).toBe(401);
    expect((await fetch(`${origin()}/assets/app.js`)).status).toBe(401);
  });

  it('serves the renderer with the token and sets a cookie that authorises its assets', async () => {
    const first = await fetch(server.url);
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('Multilabel Workbench');
    const cookie = first.headers.get('set-cookie') ?? '';
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    const asset = await fetch(`${origin()}/assets/app.js`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toContain('javascript');
  });

  it('never serves files outside the renderer folder', async () => {
    const response = await fetch(`${origin()}/..%2Fsecret.txt?token=${server.token}`);
    expect(await response.text()).not.toContain('outside the renderer');
  });

  it('refuses a WebSocket without the token or from another origin', async () => {
    await expect(connect('')).rejects.toThrow(/401/);
    await expect(connect(`?token=${server.token}`, { origin: 'http://evil.example' })).rejects.toThrow(/401/);
  });

  it('survives a WebSocket from a sandboxed page (Origin: null) and an oversized frame', async () => {
    await expect(connect(`?token=${server.token}`, { origin: 'null' })).rejects.toThrow(/401/);
    const socket = await connect(`?token=${server.token}`);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.on('error', () => undefined);
    socket.send('x'.repeat(17 * 1024 * 1024));
    await closed;
    expect((await fetch(server.url)).status).toBe(200);
  });

  it('names its cookie after its port, so two servers on one host do not log each other out', async () => {
    const cookie = (await fetch(server.url)).headers.get('set-cookie') ?? '';
    expect(cookie.startsWith(`mlw_token_${server.port}=`)).toBe(true);
  });

  it('serves the RPC contract over the WebSocket', async () => {
    const socket = await connect(`?token=${server.token}`);
    const api = createClient(protocolOf(socket), contract);
    const info = await api.app.info({});
    expect(info.host).toBe('serve');
    expect(info.canPickPaths).toBe(false);
    await expect(api.app.pickPath({ kind: 'file', title: 'x' })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    await expect(api.dataset.stats({ fileId: 99, categories: ['dog'] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    socket.close();
  });
});
