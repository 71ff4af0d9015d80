import WebSocket from 'ws';
import { contract, type Api } from '../../shared/contract';
import { AppError } from '../../shared/contract/errors';
import { createClient } from '../../shared/rpc/client';
import { webSocketProtocol } from '../transport/websocket';

/** How long to wait for `mlw serve` to accept the connection. */
const openTimeoutMs = 15_000;

export interface ServerEndpoint {
  /** `ws(s)://host:port/rpc?token=…`: where the RPC is served. */
  rpcUrl: string;
  /** `host:port`, to name the server in sentences (never the token). */
  host: string;
}

/**
 * The RPC address of the `mlw serve` that `--server` names: the URL it printed (`http://…/?token=…`),
 * or that URL without its token when MLW_SERVE_TOKEN holds it.
 */
export function serverEndpoint(server: string, envToken: string | undefined = process.env.MLW_SERVE_TOKEN): ServerEndpoint {
  let url: URL;
  try {
    // "127.0.0.1:5178/?token=…" is taken as the http:// address it names.
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(server) ? server : `http://${server}`);
  } catch {
    throw new AppError(
      'INVALID_INPUT',
      `--server "${server}" is not an address; give the URL "mlw serve" printed, such as http://127.0.0.1:5178/?token=….`,
    );
  }
  const schemes: Record<string, string> = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' };
  const scheme = schemes[url.protocol];
  if (scheme === undefined) {
    throw new AppError(
      'INVALID_INPUT',
      `--server takes an http:// or https:// address (the URL "mlw serve" printed), not ${url.protocol}//.`,
    );
  }
  const token = url.searchParams.get('token') || envToken;
  if (token === undefined || token === '') {
    throw new AppError(
      'INVALID_INPUT',
      `No token for the server at ${url.host}: give the whole URL "mlw serve" printed (it ends in ?token=…), or set MLW_SERVE_TOKEN.`,
    );
  }
  return { rpcUrl: `${scheme}//${url.host}/rpc?token=${encodeURIComponent(token)}`, host: url.host };
}

/** A client of every service of a running `mlw serve`, over one WebSocket; `dispose` closes it. */
export async function connectToServer(server: string): Promise<Api & { dispose(): void; host: string }> {
  const { rpcUrl, host } = serverEndpoint(server);
  const socket = new WebSocket(rpcUrl, { handshakeTimeout: openTimeoutMs });
  // A socket error after it opened closes it; the pending calls then fail with TRANSPORT_CLOSED.
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_request, response) => {
      response.resume();
      socket.terminate();
      reject(
        response.statusCode === 401
          ? new AppError(
              'INVALID_INPUT',
              `The server at ${host} did not accept the token: give the exact URL "mlw serve" printed (it ends in ?token=…), or the token it uses in MLW_SERVE_TOKEN.`,
            )
          : new AppError('NETWORK', `The server at ${host} answered HTTP ${response.statusCode}; is it "mlw serve"?`),
      );
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new AppError(
          'NETWORK',
          `No "mlw serve" answers at ${host} (${error.code ?? error.message}); start it, or check the address it printed.`,
        ),
      ),
    );
  });
  const client = createClient(webSocketProtocol(socket), contract);
  const disposeClient = client.dispose;
  return Object.assign(client, {
    host,
    dispose: () => {
      disposeClient();
      socket.close();
    },
  });
}
