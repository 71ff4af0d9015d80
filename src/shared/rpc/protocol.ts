import type { Progress } from '../contract/define';
import type { SerializedError } from '../contract/errors';

/**
 * The only thing a transport has to provide: send a message, and be told of messages. Electron IPC,
 * WebSocket, child-process messages and the in-memory pair used by tests all fit it.
 */
export interface Protocol {
  send(message: RpcMessage): void;
  onMessage(listener: (message: unknown) => void): () => void;
  /** Optional: be told when the other side goes away, so pending calls can fail instead of hanging. */
  onClose?(listener: () => void): () => void;
}

export type RpcMessage =
  | { type: 'call'; id: number; method: string; input: unknown }
  | { type: 'cancel'; id: number }
  | { type: 'progress'; id: number; progress: Progress }
  | { type: 'result'; id: number; output: unknown }
  | { type: 'error'; id: number; error: SerializedError };

export function isRpcMessage(value: unknown): value is RpcMessage {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'number') return false;
  switch (v.type) {
    case 'call':
      return typeof v.method === 'string';
    case 'cancel':
    case 'result':
      return true;
    case 'progress':
      return typeof v.progress === 'object' && v.progress !== null;
    case 'error':
      return typeof v.error === 'object' && v.error !== null;
    default:
      return false;
  }
}
