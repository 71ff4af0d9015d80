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
    const { jobId } = jobs.start({ kind: 'training', title: 'A run' }, work);
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
    const a = jobs.start({ kind: 'training', title: 'first' }, first.work);
    const b = jobs.start({ kind: 'training', title: 'second' }, second.work);
    const c = jobs.start({ kind: 'training', title: 'third' }, third.work);
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
    const { jobId } = jobs.start({ kind: 'training', title: 'cancelled' }, running.work);
    await running.step();
    expect(jobs.cancel(jobId).status).toBe('cancelling');
    await running.step();
    await waitFor(() => jobs.get(jobId).status === 'cancelled');

    const failing = jobs.start({ kind: 'training', title: 'failing' }, async (context) => {
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
