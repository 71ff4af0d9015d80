/**
 * How much a fuzz suite tries (see docs/fuzzing.md). `npm test` runs each suite with its small
 * default count; `npm run fuzz` sets a large count and a time budget. Environment variables:
 *
 * - MLW_FUZZ_INPUTS: inputs per suite (default: the suite's own, a few seconds' worth).
 * - MLW_FUZZ_SECONDS: the most seconds a suite spends on inputs (default 40, a guard for slow machines).
 * - MLW_FUZZ_SEED: the seed every input is derived from (default 14); a failure prints it.
 * - MLW_FUZZ_TIMEOUT_MS: how long one input may take before it counts as a hang (default 5000).
 * - MLW_FUZZ_ONLY: run only this input index (to reproduce a failure).
 */
export interface FuzzBudget {
  inputs: number;
  seconds: number;
  seed: number;
  timeoutMs: number;
  only: number | null;
}

function numberFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, not "${raw}".`);
  return value;
}

export function fuzzBudget(defaultInputs: number): FuzzBudget {
  const only = process.env.MLW_FUZZ_ONLY;
  return {
    inputs: Math.floor(numberFrom('MLW_FUZZ_INPUTS', defaultInputs)),
    seconds: numberFrom('MLW_FUZZ_SECONDS', 40),
    seed: Math.floor(numberFrom('MLW_FUZZ_SEED', 14)),
    timeoutMs: numberFrom('MLW_FUZZ_TIMEOUT_MS', 5000),
    only: only === undefined || only.trim() === '' ? null : Math.floor(numberFrom('MLW_FUZZ_ONLY', 0)),
  };
}

/** A suite's test timeout: its time budget, the per-input limit of a last input, and room to start its process. */
export function suiteTimeoutMs(budget: FuzzBudget): number {
  return budget.seconds * 1000 + 2 * budget.timeoutMs + 120_000;
}
