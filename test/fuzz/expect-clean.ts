import { expect } from 'vitest';
import type { FuzzBudget } from './budget';
import { formatReport, runFuzz } from './run-fuzz';
import type { TargetName } from './protocol';

/**
 * Runs one fuzz group and requires it clean: no failure (the report, with the command that
 * reproduces each, is the message), at least one input tried. With `seedsAccepted` (groups whose
 * seeds are all valid files), an unrestricted run must also have accepted the unmutated seeds and,
 * once past 20 inputs, refused some mutations: otherwise the mutator did nothing useful.
 */
export async function expectCleanFuzz(
  target: TargetName,
  group: string,
  budget: FuzzBudget,
  testFile: string,
  options: { seedsAccepted?: boolean } = {},
): Promise<void> {
  const report = await runFuzz(target, group, budget);
  console.log(formatReport(report, testFile));
  expect(report.failures.length, formatReport(report, testFile)).toBe(0);
  expect(report.tried).toBeGreaterThan(0);
  if (options.seedsAccepted === true && budget.only === null) {
    expect(report.accepted).toBeGreaterThanOrEqual(Math.min(report.seeds, report.tried));
    if (report.tried > 20) expect(report.rejected).toBeGreaterThan(0);
  }
}
