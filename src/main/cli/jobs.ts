import { AppError } from '../../shared/contract/errors';
import type { JobInfo } from '../../shared/contract/jobs';
import { formatProgress } from './progress';

/** A job as `mlw jobs --json` prints it: everything but its result (a gallery's images, a report's documents). */
export type ListedJob = Omit<JobInfo, 'result'>;

export function listedJob({ result: _result, ...job }: JobInfo): ListedJob {
  return job;
}

/** Jobs live in the process that serves the app; this command has none of its own to show. */
export function jobsNeedServer(): AppError {
  return new AppError(
    'INVALID_INPUT',
    'Jobs belong to a running "mlw serve" or the desktop app, not to this command: pass --server URL (the address "mlw serve" printed, with its ?token=) to reach them.',
  );
}

/** The latest progress of a job in words. */
export function jobProgress(job: ListedJob): string {
  if (job.progress === null) return job.status === 'queued' ? 'waiting for the engine' : '';
  return formatProgress({ progress: job.progress, etaSeconds: null, estimating: false });
}

/** `mlw jobs` for a person: a row per job, then the sentence each failed one ended with. */
export function formatJobs(jobs: ListedJob[], table: (headers: string[], rows: string[][]) => string): string {
  if (jobs.length === 0) return 'The server has no jobs.';
  const failures = jobs.filter((j) => j.status === 'failed' && j.error !== null).map((j) => `${j.jobId} failed: ${j.error!.message}`);
  return [
    table(
      ['job', 'kind', 'title', 'status', 'progress', 'run'],
      jobs.map((j) => [j.jobId, j.kind, j.title, j.status, jobProgress(j), j.runId ?? '']),
    ),
    ...(failures.length === 0 ? [] : ['', ...failures]),
  ].join('\n');
}

/** What `mlw jobs cancel` did, in a sentence. */
export function cancelSentence(job: ListedJob): string {
  switch (job.status) {
    case 'cancelling':
      return `Job ${job.jobId} (${job.title}) is stopping; "mlw jobs" shows when it has.`;
    case 'cancelled':
      return `Job ${job.jobId} (${job.title}) was cancelled.`;
    default:
      return `Job ${job.jobId} (${job.title}) had already ${job.status === 'completed' ? 'completed' : 'failed'}; there was nothing to cancel.`;
  }
}
