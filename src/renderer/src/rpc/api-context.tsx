import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import type { Api } from '../../../shared/contract';
import type { Connection, ConnectionState } from './connect';

const ConnectionContext = createContext<Connection | null>(null);

export function ApiProvider({ connection, children }: { connection: Connection; children: ReactNode }): ReactNode {
  return <ConnectionContext value={connection}>{children}</ConnectionContext>;
}

function useConnection(): Connection {
  const connection = useContext(ConnectionContext);
  if (connection === null) throw new Error('useApi needs an <ApiProvider> above it.');
  return connection;
}

/** The typed client of every service: `useApi().dataset.stats({...}, {signal})`. */
export function useApi(): Api {
  return useConnection().api;
}

/** Whether the link to the services is connecting, open or closed (with the reason). */
export function useConnectionState(): ConnectionState {
  const connection = useConnection();
  return useSyncExternalStore(connection.subscribe, connection.getState);
}
