import { useCallback, useEffect, useRef, useState } from 'react';
import type { Progress } from '../../../shared/contract/define';
import { AppError } from '../../../shared/contract/errors';
import { createProgressEstimator, type ProgressWithEstimate } from '../../../shared/domain/progress-estimate';

export type JobState<T> =
  | { status: 'idle' }
  | { status: 'running'; estimate: ProgressWithEstimate | null; cancelling: boolean }
  | { status: 'done'; result: T }
  | { status: 'cancelled' }
  | { status: 'failed'; error: AppError };

export interface Job<T> {
  state: JobState<T>;
  running: boolean;
  /** Starts `work`, cancelling the job already running (its answer is then ignored). */
  start: (work: (signal: AbortSignal, onProgress: (progress: Progress) => void) => Promise<T>) => void;
  /** Asks the service to stop; the state says "cancelling" until it confirms. */
  cancel: () => void;
  /** Forgets the last outcome (a cleared workspace); a running job is cancelled. */
  reset: () => void;
}

/**
 * One long service call at a time with its progress (and ETA), cancellation and outcome. Leaving the
 * workspace cancels it, as the Cancel button would.
 */
export function useJob<T>(kept?: T | null): Job<T> {
  // A result kept from before (a workspace shown again) is shown as this job's last outcome.
  const [state, setState] = useState<JobState<T>>(() => (kept == null ? { status: 'idle' } : { status: 'done', result: kept }));
  const current = useRef<AbortController | null>(null);

  useEffect(() => () => current.current?.abort(), []);

  const start = useCallback<Job<T>['start']>((work) => {
    current.current?.abort();
    const controller = new AbortController();
    current.current = controller;
    const estimator = createProgressEstimator();
    const mine = (): boolean => current.current === controller;
    setState({ status: 'running', estimate: null, cancelling: false });
    work(controller.signal, (progress) => {
      if (!mine()) return;
      const estimate = estimator(progress);
      setState((s) => (s.status === 'running' ? { ...s, estimate } : s));
    }).then(
      (result) => {
        if (!mine()) return;
        current.current = null;
        setState({ status: 'done', result });
      },
      (error: unknown) => {
        if (!mine()) return;
        current.current = null;
        const appError = AppError.from(error);
        setState(appError.code === 'CANCELLED' ? { status: 'cancelled' } : { status: 'failed', error: appError });
      },
    );
  }, []);

  const cancel = useCallback(() => {
    current.current?.abort();
    setState((s) => (s.status === 'running' ? { ...s, cancelling: true } : s));
  }, []);

  const reset = useCallback(() => {
    current.current?.abort();
    current.current = null;
    setState({ status: 'idle' });
  }, []);

  return { state, running: state.status === 'running', start, cancel, reset };
}
