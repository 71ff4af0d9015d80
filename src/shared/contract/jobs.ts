import { z } from 'zod';
import { method } from './define';
import { errorCodes } from './errors';

/** The kinds of long work that run as jobs, owned by the process that serves the app (not by a window). */
export const jobKinds = ['training'] as const;
export type JobKind = (typeof jobKinds)[number];

export const jobStatuses = ['queued', 'running', 'cancelling', 'completed', 'cancelled', 'failed'] as const;
export type JobStatus = (typeof jobStatuses)[number];

const progress = z.object({
  phase: z.string(),
  done: z.number(),
  total: z.number(),
  unit: z.enum(['bytes', 'items', 'images', 'iterations']).optional(),
  message: z.string().optional(),
  metrics: z.record(z.string(), z.number()).optional(),
  estimable: z.boolean().optional(),
});

export const jobInfo = z.object({
  jobId: z.string(),
  kind: z.enum(jobKinds),
  title: z.string(),
  status: z.enum(jobStatuses),
  /** The latest progress; null before the first. */
  progress: progress.nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** The run the job works on, once it has one. */
  runId: z.string().nullable(),
  /** How it ended, when it failed or was cancelled: the error's code and sentence. */
  error: z.object({ code: z.enum(errorCodes), message: z.string() }).nullable(),
  /** What it returned, when it completed. */
  result: z.unknown().nullable(),
});
export type JobInfo = z.infer<typeof jobInfo>;

export const jobsContract = {
  list: method({
    summary: 'The jobs of this process (running, queued and finished ones), newest first.',
    input: z.object({}),
    output: z.array(jobInfo),
  }),
  watch: method({
    summary:
      'Follows a job: its latest progress at once, then every update, then the job as it ended. Leaving (cancelling this call, or a closed connection) stops watching only; the job goes on.',
    input: z.object({ jobId: z.string().min(1) }),
    output: jobInfo,
    progress: true,
  }),
  cancel: method({
    summary: 'Asks a job to stop (a queued one is dropped); the job reports cancelled once it has.',
    input: z.object({ jobId: z.string().min(1) }),
    output: jobInfo,
  }),
} as const;
