import type { RpcMessage } from '../../shared/rpc/protocol';

/**
 * What the Electron preload exposes on `window.mlwBridge` (one channel, nothing else). Absent in a
 * browser, where the renderer talks to `mlw serve` over a WebSocket instead.
 */
export interface MlwBridge {
  send(message: RpcMessage): void;
  /** Returns a function that removes the listener. */
  onMessage(listener: (message: unknown) => void): () => void;
}

declare global {
  interface Window {
    mlwBridge?: MlwBridge;
  }
}
