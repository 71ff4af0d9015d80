import { randomBytes } from 'node:crypto';
import type { HandlerContext, Progress, ServiceHandlers } from '../../shared/contract/define';
import { AppError, cancelled } from '../../shared/contract/errors';
import { jobMethods, type JobInfo, type JobKind, type jobsContract } from '../../shared/contract/jobs';

/** What a job's work gets: cancellation, progress, and a way to say which run it works on. */
export interface JobContext extends HandlerContext {
  setRun(runId: string): void;
}

interface Job {
  info: JobInfo;
  controller: AbortController;
  /** Engine jobs run one at a time, in order; the rest start at once. */
  exclusive: boolean;
  work: (context: JobContext) => Promise<unknown>;
  watchers: Set<(job: JobInfo, ended: boolean) => void>;
  ended: Promise<void>;
  end: () => void;
}

/** How many finished jobs are kept for `jobs.list` and late watchers. */
const keptFinished = 20;

/**
 * The long work of one process (the desktop app's main process, or `mlw serve`): each job runs here,
 * not in the call that started it, so closing a window or a browser tab stops only its watching.
 * Engine jobs (training) run one at a time; later ones wait, queued, in order.
 */
export class JobRegistry {
  private readonly jobs = new Map<string, Job>();
  private engineBusy = false;

  /** Starts (or queues) a job and returns its record at once. */
  start(spec: { kind: JobKind; title: string; exclusive?: boolean }, work: (context: JobContext) => Promise<unknown>): JobInfo {
    let end!: () => void;
    const ended = new Promise<void>((resolve) => (end = resolve));
    const job: Job = {
      info: {
        jobId: `job-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`,
        kind: spec.kind,
        title: spec.title,
        status: 'queued',
        progress: null,
        createdAt: new Date().toISOString(),
        startedAt: null,
        finishedAt: null,
        runId: null,
        error: null,
        result: null,
      },
      controller: new AbortController(),
      exclusive: spec.exclusive ?? true,
      work,
      watchers: new Set(),
      ended,
      end,
    };
    this.jobs.set(job.info.jobId, job);
    this.prune();
    this.startNext();
    return { ...job.info };
  }

  /** Every job, newest first, without results (a report's HTML can weigh megabytes; `watch` gives a job's result). */
  list(): JobInfo[] {
    return [...this.jobs.values()].map((job) => ({ ...job.info, result: null })).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  }

  /** The jobs not yet ended. */
  active(): JobInfo[] {
    return this.list().filter((job) => job.status === 'queued' || job.status === 'running' || job.status === 'cancelling');
  }

  get(jobId: string): JobInfo {
    return { ...this.require(jobId).info };
  }

  /**
   * Follows a job until it ends: its latest progress at once, then every update. Resolves with the
   * job as it ended (completed, cancelled or failed: the caller reads `status`). If the watcher's
   * own signal aborts, it stops watching with CANCELLED; the job goes on.
   */
  watch(jobId: string, context: HandlerContext): Promise<JobInfo> {
    const job = this.require(jobId);
    if (job.info.progress !== null) context.progress(job.info.progress);
    if (isEnded(job.info)) return Promise.resolve({ ...job.info });
    return new Promise<JobInfo>((resolve, reject) => {
      const listener = (info: JobInfo, ended: boolean): void => {
        if (!ended) {
          if (info.progress !== null) context.progress(info.progress);
          return;
        }
        stop();
        resolve({ ...info });
      };
      const onAbort = (): void => {
        stop();
        reject(cancelled());
      };
      const stop = (): void => {
        job.watchers.delete(listener);
        context.signal.removeEventListener('abort', onAbort);
      };
      if (context.signal.aborted) return onAbort();
      job.watchers.add(listener);
      context.signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Asks a job to stop: a queued one ends cancelled at once, a running one when its work has stopped. */
  cancel(jobId: string): JobInfo {
    const job = this.require(jobId);
    if (job.info.status === 'queued') {
      this.finish(job, 'cancelled', null, cancelled());
    } else if (job.info.status === 'running') {
      job.info.status = 'cancelling';
      job.controller.abort();
      this.notify(job, false);
    }
    return { ...job.info };
  }

  /** Cancels every job and waits (up to `timeoutMs`) for them to end: for a process that is quitting. */
  async cancelAll(timeoutMs = 10_000): Promise<void> {
    const pending = [...this.jobs.values()].filter((job) => !isEnded(job.info));
    for (const job of pending) this.cancel(job.info.jobId);
    await Promise.race([Promise.all(pending.map((job) => job.ended)), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  private require(jobId: string): Job {
    const job = this.jobs.get(jobId);
    if (job === undefined) throw new AppError('NOT_FOUND', `There is no job ${jobId}; "jobs.list" lists this process's jobs.`);
    return job;
  }

  private startNext(): void {
    for (const job of [...this.jobs.values()].sort((a, b) => a.info.createdAt.localeCompare(b.info.createdAt))) {
      if (job.info.status !== 'queued') continue;
      if (job.exclusive && this.engineBusy) continue;
      this.run(job);
    }
  }

  private run(job: Job): void {
    if (job.exclusive) this.engineBusy = true;
    job.info.status = 'running';
    job.info.startedAt = new Date().toISOString();
    this.notify(job, false);
    const context: JobContext = {
      signal: job.controller.signal,
      progress: (progress: Progress) => {
        if (isEnded(job.info)) return;
        job.info.progress = progress;
        this.notify(job, false);
      },
      setRun: (runId) => {
        job.info.runId = runId;
        this.notify(job, false);
      },
    };
    void Promise.resolve()
      .then(() => job.work(context))
      .then(
        (result) => this.finish(job, 'completed', result ?? null, null),
        (error: unknown) => {
          const appError = AppError.from(error);
          this.finish(job, appError.code === 'CANCELLED' ? 'cancelled' : 'failed', null, appError);
        },
      )
      .finally(() => {
        if (job.exclusive) this.engineBusy = false;
        this.startNext();
      });
  }

  private finish(job: Job, status: 'completed' | 'cancelled' | 'failed', result: unknown, error: AppError | null): void {
    job.info.status = status;
    job.info.finishedAt = new Date().toISOString();
    job.info.result = result;
    job.info.error = error === null ? null : { code: error.code, message: error.message };
    this.notify(job, true);
    job.end();
  }

  private notify(job: Job, ended: boolean): void {
    for (const watcher of [...job.watchers]) watcher({ ...job.info }, ended);
  }

  private prune(): void {
    const finished = [...this.jobs.values()].filter((job) => isEnded(job.info));
    for (const job of finished.slice(0, Math.max(0, finished.length - keptFinished))) this.jobs.delete(job.info.jobId);
  }
}

function isEnded(info: JobInfo): boolean {
  return info.status === 'completed' || info.status === 'cancelled' || info.status === 'failed';
}

/** The jobs service: start, list, watch and cancel, over every transport. */
export class JobsService implements ServiceHandlers<typeof jobsContract> {
  constructor(
    private readonly registry: JobRegistry,
    /** The work of a call, its input already checked (INVALID_INPUT is thrown here, before any job exists). */
    private readonly prepare: (method: JobKind, input: unknown) => (context: JobContext) => Promise<unknown>,
  ) {}

  start: ServiceHandlers<typeof jobsContract>['start'] = async ({ method, input, title }) => {
    const work = this.prepare(method, input);
    const spec = jobMethods[method];
    return { jobId: this.registry.start({ kind: method, title: title ?? spec.title, exclusive: spec.exclusive }, work).jobId };
  };

  list: ServiceHandlers<typeof jobsContract>['list'] = async () => this.registry.list();
  watch: ServiceHandlers<typeof jobsContract>['watch'] = async ({ jobId }, context) => this.registry.watch(jobId, context);
  cancel: ServiceHandlers<typeof jobsContract>['cancel'] = async ({ jobId }) => this.registry.cancel(jobId);
}
