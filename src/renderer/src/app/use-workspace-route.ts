import { useCallback, useSyncExternalStore } from 'react';

function subscribe(listener: () => void): () => void {
  window.addEventListener('hashchange', listener);
  return () => window.removeEventListener('hashchange', listener);
}

const readHash = (): string => decodeURIComponent(window.location.hash.replace(/^#/, ''));

/** The active workspace id, kept in the URL hash; unknown or empty hashes mean the first workspace. */
export function useWorkspaceRoute(ids: readonly string[]): [string, (id: string) => void] {
  const hash = useSyncExternalStore(subscribe, readHash);
  const active = ids.includes(hash) ? hash : (ids[0] ?? '');
  const navigate = useCallback((id: string) => {
    window.location.hash = encodeURIComponent(id);
  }, []);
  return [active, navigate];
}
