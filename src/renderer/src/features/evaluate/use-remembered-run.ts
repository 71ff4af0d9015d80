import { useCallback, useState } from 'react';

const storageKey = 'mlw.evaluate.runId';

function read(): string | null {
  try {
    return window.localStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

/** The run last picked in the Evaluate or Predict workspace (they share it), kept across switches and reloads (null: none picked yet). */
export function useRememberedRun(): [string | null, (runId: string) => void] {
  const [runId, setRunId] = useState<string | null>(read);
  const choose = useCallback((id: string) => {
    setRunId(id);
    try {
      window.localStorage.setItem(storageKey, id);
    } catch {
      // Storage may be disabled; the choice then lasts as long as the workspace is open.
    }
  }, []);
  return [runId, choose];
}
