/**
 * A reader that misbehaves on purpose, one way per input index, so that run-fuzz.test.ts can check
 * that the runner tells every kind of failure apart (and is not a harness that cannot fail).
 */
import { AppError } from '../../../src/shared/contract/errors';
import { judgeError } from '../judge';
import type { FuzzTarget } from '../target';

const behaviours: (() => Promise<unknown>)[] = [
  async () => 'fine',
  async () => {
    throw new AppError('INVALID_INPUT', 'This input is refused. Choose another one.');
  },
  async () => {
    throw new AppError('INVALID_INPUT', 'boom\n    at reader (reader.ts:1:1)');
  },
  async () => {
    throw new TypeError("Cannot read properties of undefined (reading 'id')");
  },
  async () => {
    // A loop with no await in it: only killing the process stops it.
    for (;;) Math.sqrt(Math.random());
  },
  async () => process.exit(3),
  async () => {
    // A rejection nobody handles kills a Node process.
    void Promise.reject(new Error('left unhandled'));
    await new Promise((resolve) => setTimeout(resolve, 1000));
  },
  async () => {
    throw new AppError('INTERNAL', 'Unexpected internal error: x is not a function.');
  },
  async () => 'fine again, in a new process',
];

export const selftestTarget: FuzzTarget = {
  async setup() {
    return { seeds: 1 };
  },
  async run(index, _rng, announce) {
    announce(`behaviour ${index}`, '');
    try {
      await behaviours[index % behaviours.length]!();
      return { outcome: { kind: 'accepted' } };
    } catch (error) {
      return { outcome: judgeError(error) };
    }
  },
};
