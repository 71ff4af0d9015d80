import Button from '@mui/material/Button';
import LinearProgress from '@mui/material/LinearProgress';
import { useCallback, useMemo, useState, type ReactNode } from 'react';
import type { RunEntry } from '../../../../shared/contract/runs';
import { ErrorAlert } from '../error-alert';
import { FirstRunHint } from './first-run-hint';
import { useApi } from '../../rpc/api-context';
import { useRequest, type RequestResult } from '../../rpc/use-request';

const storageKey = 'mlw.evaluate.runId';

function read(): string | null {
  try {
    return window.localStorage.getItem(storageKey);
  } catch {
    return null;
  }
}

/** The run last picked in the Evaluate or Predict workspace (they share it), kept across switches and reloads (null: none picked yet). */
function useRememberedRun(): [string | null, (runId: string) => void] {
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

export interface CompletedRuns {
  runs: RequestResult<RunEntry[]>;
  /** Completed runs, newest first. */
  completed: RunEntry[];
  /** The remembered run if it is still there, else the newest; undefined when there is none. */
  run: RunEntry | undefined;
  choose: (runId: string) => void;
}

/** The completed runs the Evaluate and Predict workspaces pick from, and the one picked. */
export function useCompletedRuns(): CompletedRuns {
  const api = useApi();
  const runs = useRequest('training.runs', (signal) => api.runs.list({}, { signal }));
  const [remembered, choose] = useRememberedRun();
  const completed = useMemo(
    () => (runs.data ?? []).filter((r) => r.status === 'completed').sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
    [runs.data],
  );
  const run = completed.find((r) => r.runId === remembered) ?? completed[0];
  return { runs, completed, run, choose };
}

/**
 * What stands in for the run picker while there is none: the runs' error with Retry, a progress bar
 * while they load, or, with no completed run, "Train your first run" (the defaults explained) and `whenNone`.
 */
export function CompletedRunsStatus({
  runs,
  completed,
  whenNone,
  testId,
}: CompletedRuns & { whenNone: string; testId: string }): ReactNode {
  if (runs.error !== undefined) return <ErrorAlert error={runs.error} action={<Button onClick={runs.reload}>Retry</Button>} />;
  if (runs.data === undefined) return <LinearProgress aria-label="Loading runs" />;
  if (completed.length > 0) return null;
  return <FirstRunHint then={whenNone} testId={testId} />;
}
