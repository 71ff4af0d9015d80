import { describe, expect, it } from 'vitest';
import { AppError, unlessAborted } from './errors';

describe('unlessAborted', () => {
  it("gives the work's value, or its failure, while the signal is not aborted", async () => {
    await expect(unlessAborted(Promise.resolve(7), new AbortController().signal)).resolves.toBe(7);
    await expect(unlessAborted(Promise.reject(new Error('disk full')), new AbortController().signal)).rejects.toThrow('disk full');
    await expect(unlessAborted(Promise.resolve('no signal'), undefined)).resolves.toBe('no signal');
  });

  it('rejects with CANCELLED as soon as the signal aborts, without waiting for the work', async () => {
    const controller = new AbortController();
    let finish: (value: number) => void = () => undefined;
    const work = new Promise<number>((resolve) => (finish = resolve));
    const waiting = unlessAborted(work, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'CANCELLED' });
    // The work itself goes on, for whoever else shares it.
    finish(3);
    await expect(work).resolves.toBe(3);
  });

  it('rejects with CANCELLED at once when the signal is already aborted, and leaves no failure unhandled', async () => {
    const error = await unlessAborted(Promise.reject(new Error('later')), AbortSignal.abort()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('CANCELLED');
  });
});
