import { contract, type Api } from '../../../shared/contract';
import { AppError } from '../../../shared/contract/errors';
import { createClient } from '../../../shared/rpc/client';
import type { Protocol, RpcMessage } from '../../../shared/rpc/protocol';
import type { MlwBridge } from '../env';

export type ConnectionState = { status: 'connecting' } | { status: 'open' } | { status: 'closed'; error: AppError };

/** The renderer's one link to the services: the typed client, and whether the link is up. */
export interface Connection {
  readonly api: Api;
  readonly transport: 'electron' | 'websocket';
  getState(): ConnectionState;
  /** For `useSyncExternalStore`: called whenever the state changes. */
  subscribe(listener: () => void): () => void;
  dispose(): void;
}

const openTimeoutMs = 15_000;
const lostMessage = 'The connection to the workbench service was lost. Reload to reconnect.';

/** The Electron preload's bridge when there is one, otherwise a WebSocket to `mlw serve` on this page's host. */
export function connect(): Connection {
  const bridge = window.mlwBridge;
  if (bridge !== undefined) return connectThroughBridge(bridge);
  return connectThroughWebSocket(rpcUrl(window.location));
}

let shared: Connection | undefined;

/** The connection of this window, opened on first use. */
export function sharedConnection(): Connection {
  shared ??= connect();
  return shared;
}

/** `ws(s)://<this host>/rpc?token=<the page's ?token=>`; the server's cookie covers a page opened without one. */
export function rpcUrl(location: Pick<Location, 'protocol' | 'host' | 'search'>): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const token = new URLSearchParams(location.search).get('token');
  const query = token === null || token === '' ? '' : `?token=${encodeURIComponent(token)}`;
  return `${scheme}://${location.host}/rpc${query}`;
}

function connectThroughBridge(bridge: MlwBridge): Connection {
  const protocol: Protocol = {
    send: (message) => bridge.send(message),
    onMessage: (listener) => bridge.onMessage(listener),
  };
  const client = createClient(protocol, contract);
  const state: ConnectionState = { status: 'open' };
  return {
    api: client,
    transport: 'electron',
    getState: () => state,
    subscribe: () => () => undefined,
    dispose: () => client.dispose(),
  };
}

function connectThroughWebSocket(url: string): Connection {
  let state: ConnectionState = { status: 'connecting' };
  const listeners = new Set<() => void>();
  const setState = (next: ConnectionState): void => {
    state = next;
    for (const listener of [...listeners]) listener();
  };

  const socket = new WebSocket(url);
  let opened = false;
  // A server that neither accepts nor refuses the upgrade (a dev server without /rpc) would leave
  // the app connecting for ever; give up after a while and say so.
  const giveUp = setTimeout(() => socket.close(), openTimeoutMs);
  socket.addEventListener('open', () => {
    opened = true;
    clearTimeout(giveUp);
    setState({ status: 'open' });
  });
  socket.addEventListener('close', (event) => {
    clearTimeout(giveUp);
    if (opened) {
      const reason = event.reason === '' ? '' : ` (${event.reason})`;
      setState({ status: 'closed', error: new AppError('TRANSPORT_CLOSED', `${lostMessage}${reason}`) });
      return;
    }
    // A rejected upgrade (wrong token) and a stopped server look the same to a WebSocket; a plain
    // request to the same address tells them apart.
    void diagnoseFailedConnection(url).then((error) => setState({ status: 'closed', error }));
  });

  const protocol = webSocketProtocol(socket);
  const client = createClient(protocol, contract);
  return {
    api: client,
    transport: 'websocket',
    getState: () => state,
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    dispose: () => {
      client.dispose();
      socket.close();
    },
  };
}

/**
 * A Protocol over one browser WebSocket: one JSON text frame per message. Messages sent before the
 * socket opens wait in a queue; after it closes, calls fail at once with TRANSPORT_CLOSED.
 */
export function webSocketProtocol(socket: WebSocket): Protocol {
  const queue: string[] = [];
  const messageListeners = new Set<(message: unknown) => void>();
  const closeListeners = new Set<() => void>();
  let closed = false;

  socket.addEventListener('open', () => {
    for (const frame of queue.splice(0)) socket.send(frame);
  });
  socket.addEventListener('message', (event: MessageEvent<unknown>) => {
    if (typeof event.data !== 'string') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(event.data);
    } catch {
      return; // Not a message of ours; the RPC layer ignores anything else too.
    }
    for (const listener of [...messageListeners]) listener(parsed);
  });
  socket.addEventListener('close', () => {
    closed = true;
    queue.length = 0;
    for (const listener of [...closeListeners]) listener();
  });

  return {
    send(message: RpcMessage) {
      if (closed || socket.readyState === WebSocket.CLOSING || socket.readyState === WebSocket.CLOSED) {
        // A cancel for a call that already failed needs no answer.
        if (message.type === 'cancel') return;
        throw new AppError('TRANSPORT_CLOSED', lostMessage);
      }
      const frame = JSON.stringify(message);
      if (socket.readyState === WebSocket.OPEN) socket.send(frame);
      else queue.push(frame);
    },
    onMessage(listener) {
      messageListeners.add(listener);
      return () => messageListeners.delete(listener);
    },
    onClose(listener) {
      if (closed) {
        queueMicrotask(listener);
        return () => undefined;
      }
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
  };
}

async function diagnoseFailedConnection(wsUrl: string): Promise<AppError> {
  const httpUrl = wsUrl.replace(/^ws/, 'http');
  const host = new URL(httpUrl).host;
  let status: number;
  try {
    status = (await fetch(httpUrl, { cache: 'no-store', credentials: 'same-origin' })).status;
  } catch {
    return new AppError(
      'TRANSPORT_CLOSED',
      `The workbench service at ${host} cannot be reached. Check that "mlw serve" is still running, then reload this page.`,
    );
  }
  if (status === 401 || status === 403) {
    return new AppError(
      'TRANSPORT_CLOSED',
      'The access token was not accepted. Open the exact address that "mlw serve" printed (it ends in ?token=…).',
      { status },
    );
  }
  return new AppError(
    'TRANSPORT_CLOSED',
    `Could not open a connection to the workbench service at ${host}. Reload this page; if that does not help, restart "mlw serve".`,
    { status },
  );
}
