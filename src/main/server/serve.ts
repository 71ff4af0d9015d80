import { logInternalError } from '../files/log-file';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { WebSocketServer } from 'ws';
import { contract } from '../../shared/contract';
import { AppError } from '../../shared/contract/errors';
import { serveContract } from '../../shared/rpc/server';
import type { Services } from '../services';
import { webSocketProtocol } from '../transport/websocket';

export interface ServeOptions {
  services: Services;
  /** The built renderer (index.html and assets). */
  rendererDir: string;
  host?: string;
  port?: number;
  /** Fixed token (tests); a random one otherwise. */
  token?: string;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/**
 * `mlw serve`: the built renderer and the WebSocket RPC on one port, on loopback unless told
 * otherwise. Every request needs the token, from the URL it prints (`?token=`) or from the cookie
 * set on the first visit; anything else gets 401.
 */
export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const rendererDir = resolve(options.rendererDir);
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new AppError(
      'NOT_FOUND',
      `The renderer is not built (${join(rendererDir, 'index.html')} is missing). Run "npm run build" first, or use "npm run serve", which builds and serves.`,
    );
  }
  const host = options.host ?? '127.0.0.1';
  // Set once the port is known: cookies ignore ports, so two servers on one host need two names.
  let cookieName = 'mlw_token';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const expected = Buffer.from(token);

  const authorised = (request: IncomingMessage, url: URL): boolean => {
    const candidates = [url.searchParams.get('token'), readCookie(request.headers.cookie, cookieName)];
    return candidates.some((candidate) => {
      if (candidate === null) return false;
      const given = Buffer.from(candidate);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  };

  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (!authorised(request, url)) {
      response.writeHead(401, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('Unauthorised: open the URL that "mlw serve" printed, with its ?token=.\n');
      return;
    }
    if (url.searchParams.has('token')) {
      response.setHeader('set-cookie', `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`);
    }
    void serveStatic(rendererDir, url.pathname, response);
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== '/rpc' || !authorised(request, url) || !isSameOrigin(request)) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      const stop = serveContract(webSocketProtocol(ws), contract, options.services.handlers, { onInternalError: logInternalError });
      ws.on('close', stop);
      // An oversized or malformed frame ends this connection, never the server.
      ws.on('error', () => ws.terminate());
    });
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE')
        reject(
          new AppError('INVALID_INPUT', `Port ${options.port ?? 0} is already in use. Choose another with --port, or 0 for any free port.`),
        );
      else if (error.code === 'EADDRNOTAVAIL')
        reject(
          new AppError(
            'INVALID_INPUT',
            `This machine has no address ${host}. Use --host 127.0.0.1 (the default) or one of its own addresses.`,
          ),
        );
      else reject(error);
    });
    server.listen(options.port ?? 0, host, () => resolvePromise());
  });
  const { port } = server.address() as AddressInfo;
  cookieName = `mlw_token_${port}`;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    host,
    port,
    token,
    close: () =>
      new Promise((resolvePromise) => {
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        server.close(() => resolvePromise());
        server.closeAllConnections();
      }),
  };
}

async function serveStatic(root: string, pathname: string, response: ServerResponse): Promise<void> {
  let relative: string;
  try {
    relative = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
  } catch {
    response.writeHead(400).end('Bad request\n');
    return;
  }
  let file = resolve(root, relative);
  if (file !== root && !file.startsWith(root + sep)) {
    response.writeHead(403).end('Forbidden\n');
    return;
  }
  try {
    if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
  } catch {
    // Unknown paths get the app; the renderer has no client-side routes yet, so this is for reloads.
    file = join(root, 'index.html');
  }
  try {
    const info = await stat(file);
    response.writeHead(200, {
      'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    pipeline(createReadStream(file), response).catch(() => response.destroy());
  } catch {
    response.writeHead(404).end('Not found\n');
  }
}

/** A WebSocket from another site (or from a sandboxed page, whose origin is "null") is refused. */
function isSameOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true; // not a browser
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

function readCookie(header: string | undefined, name: string): string | null {
  if (header === undefined) return null;
  for (const part of header.split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}
