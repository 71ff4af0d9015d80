import { describe, expect, it } from 'vitest';
import { VipsErrorGate } from './vips-error-gate';

/** A run that records when it starts and ends, and ends when told. */
function step(log: string[], name: string): { work: () => Promise<string>; finish: () => void } {
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    work: async () => {
      log.push(`${name} starts`);
      await done;
      log.push(`${name} ends`);
      return name;
    },
    finish: () => finish(),
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('VipsErrorGate', () => {
  it('runs shared work together', async () => {
    const gate = new VipsErrorGate();
    const log: string[] = [];
    const [a, b] = [step(log, 'a'), step(log, 'b')];
    const runs = [gate.together(a.work), gate.together(b.work)];
    await tick();
    expect(log).toEqual(['a starts', 'b starts']);
    a.finish();
    b.finish();
    expect(await Promise.all(runs)).toEqual(['a', 'b']);
  });

  it('starts exclusive work after the shared work under way, and shared work asked for meanwhile after it', async () => {
    const gate = new VipsErrorGate();
    const log: string[] = [];
    const [a, x, c] = [step(log, 'a'), step(log, 'x'), step(log, 'c')];
    const first = gate.together(a.work);
    await tick();
    const exclusive = gate.alone(x.work);
    const later = gate.together(c.work);
    await tick();
    expect(log).toEqual(['a starts']);
    a.finish();
    await first;
    await tick();
    expect(log).toEqual(['a starts', 'a ends', 'x starts']);
    x.finish();
    await exclusive;
    await tick();
    c.finish();
    await later;
    expect(log).toEqual(['a starts', 'a ends', 'x starts', 'x ends', 'c starts', 'c ends']);
  });

  it('runs exclusive work one at a time, and goes on after one fails', async () => {
    const gate = new VipsErrorGate();
    const log: string[] = [];
    const [x, y] = [step(log, 'x'), step(log, 'y')];
    const failing = gate.alone(async () => {
      log.push('f fails');
      throw new Error('no');
    });
    const runs = [gate.alone(x.work), gate.alone(y.work)];
    await expect(failing).rejects.toThrow('no');
    await tick();
    expect(log).toEqual(['f fails', 'x starts']);
    x.finish();
    await runs[0];
    await tick();
    expect(log).toEqual(['f fails', 'x starts', 'x ends', 'y starts']);
    y.finish();
    await runs[1];
  });
});
