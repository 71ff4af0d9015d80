import { logInternalError } from '../files/log-file';
import { contract, type Api, type ApiHandlers } from '../../shared/contract';
import { createClient } from '../../shared/rpc/client';
import { createInMemoryPair } from '../../shared/rpc/in-memory';
import { serveContract } from '../../shared/rpc/server';

/** A client over an in-memory pair: the CLI and tests call services through the same contract as the app. */
export function createLocalApi(handlers: Partial<ApiHandlers>): Api & { dispose(): void } {
  const [clientSide, serverSide] = createInMemoryPair();
  const stop = serveContract(serverSide, contract, handlers, { onInternalError: logInternalError });
  const client = createClient(clientSide, contract);
  const disposeClient = client.dispose;
  return Object.assign(client, {
    dispose: () => {
      disposeClient();
      stop();
    },
  });
}
