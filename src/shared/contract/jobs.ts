import { z } from 'zod';
import { method } from './define';
import { errorCodes } from './errors';

/**
 * The long calls that run as jobs, owned by the process that serves the app rather than by the
 * window or tab that started them: a job's kind is its method. `exclusive` ones (training) run one
 * at a time, later ones queued; the others start at once.
 */
export const jobMethods = {
  'training.train': { title: 'Training', exclusive: true },
  'training.resume': { title: 'Resuming a run', exclusive: true },
  'training.downloadModel': { title: 'Downloading backbone weights', exclusive: false },
  'dataset.ingest': { title: 'Importing annotations', exclusive: false },
  'evaluation.evaluate': { title: 'Evaluating', exclusive: false },
  'prediction.predict': { title: 'Predicting', exclusive: false },
  'prediction.gallery': { title: 'Grad-CAM gallery', exclusive: false },
  'reports.report': { title: 'Writing a report', exclusive: false },
  'reports.exportModel': { title: 'Exporting a model', exclusive: false },
  'coco.download': { title: 'Downloading COCO 2017', exclusive: false },
  'labels.export': { title: 'Exporting labels', exclusive: false },
} as const;
export const jobKinds = Object.keys(jobMethods) as [keyof typeof jobMethods, ...(keyof typeof jobMethods)[]];
export type JobKind = keyof typeof jobMethods;

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
  /** What it returned, when it completed (jobs.watch gives it; jobs.list leaves it out). */
  result: z.unknown().nullable(),
});
export type JobInfo = z.infer<typeof jobInfo>;

export const jobsContract = {
  start: method({
    summary:
      'Start a long call (one of jobMethods, with its own input) as a job of this process and return at once; jobs.watch follows it, jobs.cancel stops it.',
    input: z.object({ method: z.enum(jobKinds), input: z.unknown(), title: z.string().min(1).optional() }),
    output: z.object({ jobId: z.string() }),
  }),
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
