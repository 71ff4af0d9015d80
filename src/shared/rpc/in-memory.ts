import type { Protocol, RpcMessage } from './protocol';

/**
 * Two connected protocols in one process, for tests and for the CLI, which calls services directly.
 * Messages are structured-cloned and delivered asynchronously, as a real transport would.
 */
export function createInMemoryPair(): [Protocol, Protocol] {
  const listeners: [Set<(m: unknown) => void>, Set<(m: unknown) => void>] = [new Set(), new Set()];
  const make = (self: 0 | 1): Protocol => ({
    send(message: RpcMessage) {
      const copy = structuredClone(message);
      queueMicrotask(() => {
        for (const listener of listeners[self === 0 ? 1 : 0]) listener(copy);
      });
    },
    onMessage(listener) {
      listeners[self].add(listener);
      return () => listeners[self].delete(listener);
    },
  });
  return [make(0), make(1)];
}
