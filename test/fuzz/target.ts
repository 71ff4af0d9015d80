import type { Outcome } from './protocol';
import type { Rng } from './mutate';

/** One input, made and run by a target. */
export interface InputResult {
  outcome: Outcome;
  /** Facts worth counting in the report. */
  tags?: string[];
  /** Shown in the report for the first input counted under its first tag (a known issue's message, say). */
  example?: string;
}

/**
 * A reader under fuzzing, run in the fuzz process (fuzz-child.ts). `setup` makes the seeds (valid
 * inputs) of one group; `run` makes input `index` from them with `rng` (indices below the number of
 * seeds are the seeds themselves, unmutated) and feeds it to the reader, calling `announce` first.
 */
export interface FuzzTarget {
  setup(group: string, workDir: string): Promise<{ seeds: number }>;
  run(index: number, rng: Rng, announce: (description: string, inputPath: string) => void): Promise<InputResult>;
}
