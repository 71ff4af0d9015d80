import { AppError } from '../../src/shared/contract/errors';
import type { Outcome } from './protocol';
import { sentenceProblems } from '../support/sentence';

/**
 * The outcome of a reader that threw `error`: a refusal when it is an AppError (not INTERNAL, which
 * means a bug) whose message is a sentence, else a failure saying what was wrong.
 */
export function judgeError(error: unknown): Outcome {
  if (!(error instanceof AppError)) {
    const name = error instanceof Error ? error.name : typeof error;
    const message = error instanceof Error ? error.message : String(error);
    const where = error instanceof Error ? (error.stack ?? '').split('\n').slice(1, 4).join(' | ').trim() : '';
    return { kind: 'failed', problem: `a raw ${name} instead of an AppError: ${clip(message)}${where ? ` (${where})` : ''}` };
  }
  if (error.code === 'INTERNAL') return { kind: 'failed', problem: `an INTERNAL AppError (a bug, not a refusal): ${clip(error.message)}` };
  const problems = sentenceProblems(error.message);
  if (problems.length > 0) {
    return {
      kind: 'failed',
      problem: `an AppError (${error.code}) whose message is no sentence (${problems.join('; ')}): ${clip(error.message)}`,
    };
  }
  return { kind: 'rejected', code: error.code, message: error.message };
}

/** The first 300 characters of a message, on one line, for a report. */
export function clip(message: string): string {
  const line = JSON.stringify(message).slice(1, -1);
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
