import type { CallOptions, ContractClient, ContractSpec, Progress } from '../contract/define';
import { AppError, cancelled } from '../contract/errors';
import { isRpcMessage, type Protocol } from './protocol';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: AppError) => void;
  onProgress: ((progress: Progress) => void) | undefined;
  cleanup: () => void;
}

/**
 * The calling side of a contract over one protocol. `client.dataset.ingest(input, {signal, onProgress})`
 * sends a call; aborting the signal asks the server to cancel, and the call settles with its answer.
 */
export function createClient<C extends ContractSpec>(protocol: Protocol, contract: C): ContractClient<C> & { dispose(): void } {
  let nextId = 1;
  const pending = new Map<number, Pending>();

  const unsubscribe = protocol.onMessage((raw) => {
    if (!isRpcMessage(raw)) return;
    const call = pending.get(raw.id);
    if (call === undefined) return;
    if (raw.type === 'progress') {
      call.onProgress?.(raw.progress);
    } else if (raw.type === 'result') {
      pending.delete(raw.id);
      call.cleanup();
      call.resolve(raw.output);
    } else if (raw.type === 'error') {
      pending.delete(raw.id);
      call.cleanup();
      call.reject(AppError.from(raw.error));
    }
  });
  const unsubscribeClose = protocol.onClose?.(() => failAll());

  function failAll(): void {
    for (const [id, call] of pending) {
      pending.delete(id);
      call.cleanup();
      call.reject(new AppError('TRANSPORT_CLOSED', 'The connection to the workbench service was lost. Reload to reconnect.'));
    }
  }

  function call(method: string, input: unknown, options: CallOptions = {}): Promise<unknown> {
    const { signal, onProgress } = options;
    if (signal?.aborted) return Promise.reject(cancelled());
    const id = nextId++;
    return new Promise((resolve, reject) => {
      // A cancel is a request: the call settles with what the server answers (CANCELLED, or the
      // result when the work had already finished), so "cancelled" always means nothing was done.
      const onAbort = (): void => {
        if (!pending.has(id)) return;
        try {
          protocol.send({ type: 'cancel', id });
        } catch (error) {
          pending.delete(id);
          reject(AppError.from(error));
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      pending.set(id, { resolve, reject, onProgress, cleanup: () => signal?.removeEventListener('abort', onAbort) });
      try {
        protocol.send({ type: 'call', id, method, input });
      } catch (error) {
        pending.delete(id);
        reject(AppError.from(error));
      }
    });
  }

  const client: Record<string, Record<string, unknown>> = {};
  for (const [serviceName, service] of Object.entries(contract)) {
    const methods: Record<string, unknown> = {};
    for (const methodName of Object.keys(service)) {
      methods[methodName] = (input: unknown, options?: CallOptions) => call(`${serviceName}.${methodName}`, input, options);
    }
    client[serviceName] = methods;
  }
  return Object.assign(client as ContractClient<C>, {
    dispose: () => {
      unsubscribe();
      unsubscribeClose?.();
      failAll();
    },
  });
}
