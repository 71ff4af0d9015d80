import { useEffect, useRef, useState } from 'react';
import type { Progress } from '../../../shared/contract/define';
import { AppError } from '../../../shared/contract/errors';
import type { JobInfo, JobKind } from '../../../shared/contract/jobs';
import { createProgressEstimator, type ProgressWithEstimate } from '../../../shared/domain/progress-estimate';
import { useApi } from '../rpc/api-context';

export type WatchedJob =
  | { status: 'idle' }
  | { status: 'running'; job: JobInfo | null; estimate: ProgressWithEstimate | null; cancelling: boolean }
  | { status: 'completed'; job: JobInfo }
  | { status: 'cancelled'; job: JobInfo }
  | { status: 'failed'; error: AppError; job: JobInfo | null };

/**
 * Follows a job of the service (`jobs.watch`): progress with time left while it runs, then how it
 * ended. The job belongs to the service, not to this component: leaving stops watching only, and
 * the same job can be watched again (another workspace, a reloaded page). `cancel` asks the service
 * to stop the job itself.
 */
export function useWatchedJob(jobId: string | null, onProgress?: (progress: Progress) => void): { state: WatchedJob; cancel: () => void } {
  const api = useApi();
  // Kept with the job it belongs to, so that another job starts from "running" without a reset.
  const [entry, setEntry] = useState<{ jobId: string; state: WatchedJob } | null>(null);
  const progressListener = useRef(onProgress);
  useEffect(() => {
    progressListener.current = onProgress;
  });

  useEffect(() => {
    if (jobId === null) return;
    const controller = new AbortController();
    const estimator = createProgressEstimator();
    const update = (next: (current: WatchedJob) => WatchedJob): void =>
      setEntry((e) => ({ jobId, state: next(e?.jobId === jobId ? e.state : starting) }));
    api.jobs
      .watch(
        { jobId },
        {
          signal: controller.signal,
          onProgress: (progress) => {
            progressListener.current?.(progress);
            const estimate = estimator(progress);
            update((s) => (s.status === 'running' ? { ...s, estimate } : s));
          },
        },
      )
      .then(
        (job) =>
          update(() =>
            job.status === 'completed'
              ? { status: 'completed', job }
              : job.status === 'cancelled'
                ? { status: 'cancelled', job }
                : { status: 'failed', job, error: AppError.from(job.error ?? { code: 'INTERNAL', message: 'The job failed.' }) },
          ),
        (error: unknown) => {
          const appError = AppError.from(error);
          // Our own leaving is not the job's end.
          if (appError.code === 'CANCELLED' && controller.signal.aborted) return;
          update(() => ({ status: 'failed', job: null, error: appError }));
        },
      );
    return () => controller.abort();
  }, [api, jobId]);

  const state: WatchedJob = jobId === null ? { status: 'idle' } : entry?.jobId === jobId ? entry.state : starting;

  const cancel = (): void => {
    if (jobId === null) return;
    setEntry((e) => {
      const current = e?.jobId === jobId ? e.state : starting;
      return { jobId, state: current.status === 'running' ? { ...current, cancelling: true } : current };
    });
    api.jobs
      .cancel({ jobId })
      .catch((error: unknown) => setEntry({ jobId, state: { status: 'failed', job: null, error: AppError.from(error) } }));
  };

  return { state, cancel };
}

const starting: WatchedJob = { status: 'running', job: null, estimate: null, cancelling: false };

/** A followed job as a form shows it: what it returned when done, or a start the service refused. */
export type JobView<T> =
  | { status: 'idle' }
  | { status: 'running'; estimate: ProgressWithEstimate | null; cancelling: boolean }
  | { status: 'done'; result: T }
  | { status: 'cancelled' }
  | { status: 'failed'; error: AppError };

export function jobViewOf<T>(state: WatchedJob, startError: AppError | null): JobView<T> {
  if (startError !== null) return { status: 'failed', error: startError };
  switch (state.status) {
    case 'idle':
      return { status: 'idle' };
    case 'running':
      return { status: 'running', estimate: state.estimate, cancelling: state.cancelling };
    case 'completed':
      return { status: 'done', result: state.job.result as T };
    case 'cancelled':
      return { status: 'cancelled' };
    case 'failed':
      return { status: 'failed', error: state.error };
  }
}

/**
 * Finds, once, a job of these kinds that is still going (started from another visit, page or
 * window), and gives its id (and run) to `attach`, so the workspace follows it again.
 */
export function useActiveJob(kinds: readonly JobKind[], attach: (job: JobInfo) => void | Promise<void>): void {
  const api = useApi();
  const attachRef = useRef(attach);
  useEffect(() => {
    attachRef.current = attach;
  });
  const wanted = kinds.join(',');
  useEffect(() => {
    const controller = new AbortController();
    api.jobs.list({}, { signal: controller.signal }).then(
      (jobs) => {
        const active = jobs.find(
          (j) => wanted.split(',').includes(j.kind) && (j.status === 'running' || j.status === 'queued' || j.status === 'cancelling'),
        );
        if (active !== undefined && !controller.signal.aborted) void attachRef.current(active);
      },
      () => undefined, // nothing to follow; the form works without it
    );
    return () => controller.abort();
  }, [api, wanted]);
}
