#!/usr/bin/env node
// `npm run fuzz`: the fuzz suites of test/fuzz with a long budget (each suite runs for up to
// MLW_FUZZ_SECONDS, 45 by default, with no cap on the number of inputs), a few minutes in all.
// `npm test` runs the same suites with a few seconds' worth of inputs each. Any MLW_FUZZ_* variable
// already set wins (see test/fuzz/budget.ts); arguments are passed on to vitest, and files named
// among them are run instead of the whole folder.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const env = { MLW_FUZZ_INPUTS: '1000000', MLW_FUZZ_SECONDS: '45', ...process.env };
const args = process.argv.slice(2);
// Files named on the command line replace the folder (`npm run fuzz -- test/fuzz/jpeg.fuzz.test.ts`).
const files = args.some((arg) => !arg.startsWith('-')) ? [] : ['test/fuzz'];
const result = spawnSync(process.execPath, [vitest, 'run', ...files, ...args], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
