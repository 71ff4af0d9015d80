import { describe, expect, it } from 'vitest';
import type { HandlerContext, Progress } from '../../shared/contract/define';
import { AppError } from '../../shared/contract/errors';
import { JobRegistry, type JobContext } from './job-registry';

/** A job whose steps the test releases one by one, reporting progress at each. */
function steppedWork(steps: number) {
  const gates: (() => void)[] = [];
  let started = false;
  const work = async (context: JobContext): Promise<string> => {
    started = true;
    for (let done = 1; done <= steps; done++) {
      await new Promise<void>((resolve) => gates.push(resolve));
      if (context.signal.aborted) throw new AppError('CANCELLED', 'stopped');
      context.progress({ phase: 'Working', done, total: steps });
    }
    return 'finished';
  };
  const step = async (): Promise<void> => {
    await waitFor(() => gates.length > 0);
    gates.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { work, step, started: () => started };
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error('timed out');
}

function watcher(): { context: HandlerContext; seen: Progress[]; leave: () => void } {
  const controller = new AbortController();
  const seen: Progress[] = [];
  return { context: { signal: controller.signal, progress: (p) => seen.push(p) }, seen, leave: () => controller.abort() };
}

describe('JobRegistry', () => {
  it('goes on when a watcher leaves, and two watchers see the same progress and outcome', async () => {
    const jobs = new JobRegistry();
    const { work, step } = steppedWork(3);
    const { jobId } = jobs.start({ kind: 'training.train', title: 'A run' }, work);
    const leaving = watcher();
    const a = watcher();
    const b = watcher();
    const leavingDone = jobs.watch(jobId, leaving.context).catch((error: unknown) => error);
    const aDone = jobs.watch(jobId, a.context);
    await step();
    leaving.leave(); // a closed tab
    expect(await leavingDone).toMatchObject({ code: 'CANCELLED' });
    const bDone = jobs.watch(jobId, b.context); // attaches late: gets the latest progress at once
    await step();
    await step();
    const [aEnd, bEnd] = await Promise.all([aDone, bDone]);
    expect(aEnd).toMatchObject({ status: 'completed', result: 'finished' });
    expect(bEnd).toMatchObject({ status: 'completed', result: 'finished' });
    expect(a.seen.map((p) => p.done)).toEqual([1, 2, 3]);
    expect(b.seen.map((p) => p.done)).toEqual([1, 2, 3]);
    expect(leaving.seen.map((p) => p.done)).toEqual([1]);
  });

  it('runs engine jobs one at a time, and cancels a queued one before it starts', async () => {
    const jobs = new JobRegistry();
    const first = steppedWork(1);
    const second = steppedWork(1);
    const third = steppedWork(1);
    const a = jobs.start({ kind: 'training.train', title: 'first' }, first.work);
    const b = jobs.start({ kind: 'training.train', title: 'second' }, second.work);
    const c = jobs.start({ kind: 'training.train', title: 'third' }, third.work);
    expect(jobs.get(a.jobId).status).toBe('running');
    expect(jobs.get(b.jobId).status).toBe('queued');
    expect(jobs.cancel(b.jobId).status).toBe('cancelled');
    await first.step();
    await waitFor(() => jobs.get(c.jobId).status === 'running');
    expect(second.started()).toBe(false);
    await third.step();
    await waitFor(() => jobs.get(c.jobId).status === 'completed');
    expect(
      jobs
        .list()
        .map((j) => j.status)
        .sort(),
    ).toEqual(['cancelled', 'completed', 'completed']);
  });

  it('cancels a running job through its signal, and tells a watcher that attaches after it failed', async () => {
    const jobs = new JobRegistry();
    const running = steppedWork(2);
    const { jobId } = jobs.start({ kind: 'training.train', title: 'cancelled' }, running.work);
    await running.step();
    expect(jobs.cancel(jobId).status).toBe('cancelling');
    await running.step();
    await waitFor(() => jobs.get(jobId).status === 'cancelled');

    const failing = jobs.start({ kind: 'training.train', title: 'failing' }, async (context) => {
      context.setRun('run-x');
      context.progress({ phase: 'Reading', done: 1, total: 4 });
      throw new AppError('INVALID_INPUT', 'The images folder is empty.');
    });
    await waitFor(() => jobs.get(failing.jobId).status === 'failed');
    const late = watcher();
    const end = await jobs.watch(failing.jobId, late.context);
    expect(end).toMatchObject({
      status: 'failed',
      runId: 'run-x',
      error: { code: 'INVALID_INPUT', message: 'The images folder is empty.' },
    });
    expect(late.seen).toEqual([{ phase: 'Reading', done: 1, total: 4 }]);
    expect(() => jobs.get('job-none')).toThrow(/There is no job job-none/);
  });
});

describe('jobs.start through the services', () => {
  it('runs a long call (an import) as a job that a watcher follows to its result, and refuses a bad input before any job exists', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { writeCocoFixture } = await import('../../../test/fixtures/coco-fixture');
    const { createServices } = await import('./index');
    const dir = mkdtempSync(join(tmpdir(), 'mlw-jobs-'));
    const services = createServices({ dataDir: join(dir, 'data'), host: 'test' });
    try {
      const fixture = await writeCocoFixture(join(dir, 'coco'));
      const { jobs } = services.handlers;
      await expect(jobs.start({ method: 'dataset.ingest', input: { path: '' } }, watcher().context)).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringContaining('dataset.ingest at path'),
      });
      expect(await jobs.list({}, watcher().context)).toEqual([]);

      const { jobId } = await jobs.start({ method: 'dataset.ingest', input: { path: fixture.annotationPath } }, watcher().context);
      const follower = watcher();
      const end = await jobs.watch({ jobId }, follower.context);
      expect(end).toMatchObject({ kind: 'dataset.ingest', title: 'Importing annotations', status: 'completed' });
      expect(end.result).toMatchObject({ images: fixture.data.images.length });
      expect(follower.seen.length).toBeGreaterThan(0);
      expect((await services.handlers.dataset.files({}, watcher().context)).map((f) => f.path)).toEqual([fixture.annotationPath]);
    } finally {
      services.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
