import type { Api } from '../../../shared/contract';
import type { CallOptions } from '../../../shared/contract/define';
import { AppError } from '../../../shared/contract/errors';
import type { JobKind } from '../../../shared/contract/jobs';

/**
 * Runs a long call as a job of the service (so the Jobs menu shows it, whichever window asked) and
 * waits for its result, as a direct call would: progress goes to `onProgress`, and aborting
 * `signal` cancels the job itself. For work whose result only this component wants; work that
 * must outlive the component keeps its job id instead (useWatchedJob).
 */
export async function runJob<T>(api: Api, method: JobKind, input: unknown, title: string, options: CallOptions = {}): Promise<T> {
  const { jobId } = await api.jobs.start({ method, input, title }, options.signal ? { signal: options.signal } : {});
  const cancel = (): void => void api.jobs.cancel({ jobId }).catch(() => undefined);
  options.signal?.addEventListener('abort', cancel, { once: true });
  try {
    // Not tied to `signal`: a cancelled job still ends, as cancelled, and that is the answer.
    const end = await api.jobs.watch({ jobId }, options.onProgress ? { onProgress: options.onProgress } : {});
    if (end.status === 'completed') return end.result as T;
    throw AppError.from(end.error ?? { code: 'CANCELLED', message: 'The operation was cancelled.' });
  } finally {
    options.signal?.removeEventListener('abort', cancel);
  }
}
