import { fork, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FuzzBudget } from './budget';
import { clip } from './judge';
import type { FromChild, TargetName, ToChild } from './protocol';

export interface FuzzFailure {
  index: number;
  kind: 'failed' | 'hang' | 'crash';
  description: string;
  problem: string;
  /** A copy of the input, kept for a look; null when there was none to keep. */
  keptAt: string | null;
}

export interface FuzzReport {
  target: TargetName;
  group: string;
  seed: number;
  /** The unmutated seeds among the inputs (indices 0 to seeds - 1). */
  seeds: number;
  tried: number;
  accepted: number;
  rejected: number;
  failures: FuzzFailure[];
  /** Rejections by error code. */
  codes: Record<string, number>;
  /** Facts the target counted (see FromChild's tags). */
  tags: Record<string, number>;
  /** For a tag, the first input counted under it that came with an example. */
  examples: Record<string, { index: number; text: string }>;
  seconds: number;
  /** Why it stopped: the input count was reached, the time budget ran out, or too many hangs and crashes. */
  stoppedBy: 'inputs' | 'time' | 'failures';
}

/** Hangs and crashes after which a suite stops: each costs a restart, and one says enough. */
const maxHardFailures = 5;

const childFile = fileURLToPath(new URL('./fuzz-child.ts', import.meta.url));

/**
 * Feeds a reader `budget.inputs` mutated inputs (or fewer, when its time budget runs out), one at a
 * time, in a process of its own, so that an input that hangs the reader (a loop with no await
 * included) or kills its process is reported with its index and the process started again.
 */
export async function runFuzz(target: TargetName, group: string, budget: FuzzBudget): Promise<FuzzReport> {
  const workRoot = mkdtempSync(join(tmpdir(), `mlw-fuzz-${target}-`));
  const report: FuzzReport = {
    target,
    group,
    seed: budget.seed,
    seeds: 0,
    tried: 0,
    accepted: 0,
    rejected: 0,
    failures: [],
    codes: {},
    tags: {},
    examples: {},
    seconds: 0,
    stoppedBy: 'inputs',
  };
  const started = performance.now();
  let child: Child | null = null;
  let restarts = 0;
  let inputsStarted: number | null = null;
  try {
    const indices = budget.only === null ? null : [budget.only];
    for (let k = 0; indices === null ? k < budget.inputs : k < indices.length; k++) {
      // The budget is for inputs: starting the process (loading TensorFlow.js, making seeds) is not counted.
      if (inputsStarted !== null && performance.now() - inputsStarted > budget.seconds * 1000) {
        report.stoppedBy = 'time';
        break;
      }
      if (report.failures.filter((f) => f.kind !== 'failed').length >= maxHardFailures) {
        report.stoppedBy = 'failures';
        break;
      }
      const index = indices === null ? k : indices[k]!;
      if (child === null) {
        child = await Child.start(target, group, budget.seed, join(workRoot, `process-${restarts++}`));
        report.seeds = child.seeds;
        inputsStarted ??= performance.now();
      }
      const answer = await child.run(index, budget.timeoutMs);
      report.tried++;
      if (answer.kind === 'done') {
        for (const tag of answer.tags) report.tags[tag] = (report.tags[tag] ?? 0) + 1;
        const tag = answer.tags[0];
        if (tag !== undefined && answer.example !== undefined) report.examples[tag] ??= { index, text: answer.example };
        const { outcome } = answer;
        if (outcome.kind === 'accepted') report.accepted++;
        else if (outcome.kind === 'rejected') {
          report.rejected++;
          report.codes[outcome.code] = (report.codes[outcome.code] ?? 0) + 1;
        } else {
          report.failures.push({
            index,
            kind: 'failed',
            description: answer.description,
            problem: outcome.problem,
            keptAt: keep(answer.inputPath, report, index),
          });
        }
        continue;
      }
      // A hang or a crash: the process is gone (killed or dead); the next input gets a new one.
      report.failures.push({
        index,
        kind: answer.kind,
        description: answer.description,
        problem: answer.problem,
        keptAt: keep(answer.inputPath, report, index),
      });
      child = null;
    }
  } finally {
    child?.stop();
    report.seconds = (performance.now() - started) / 1000;
    rmSync(workRoot, { recursive: true, force: true });
  }
  return report;
}

/** Copies a failing input out of the work folder, which is removed at the end (the first few: those the report lists). */
function keep(inputPath: string, report: FuzzReport, index: number): string | null {
  if (inputPath === '' || !existsSync(inputPath) || report.failures.length >= maxListed) return null;
  const dir = join(tmpdir(), 'mlw-fuzz-failures', `${report.target}-${report.group}-seed${report.seed}-${index}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const to = join(dir, basename(inputPath));
  cpSync(inputPath, to, { recursive: true });
  return to;
}

type Answer =
  | {
      kind: 'done';
      description: string;
      inputPath: string;
      outcome: Extract<FromChild, { type: 'done' }>['outcome'];
      tags: string[];
      example: string | undefined;
    }
  | { kind: 'hang' | 'crash'; description: string; inputPath: string; problem: string };

/** The process that runs a target's inputs (fuzz-child.ts), started through tsx. */
class Child {
  private stderr = '';
  private listener: ((message: FromChild) => void) | null = null;
  private exitListener: ((code: number | null, signal: string | null) => void) | null = null;

  private constructor(
    private readonly subprocess: ChildProcess,
    readonly seeds: number,
  ) {}

  static async start(target: TargetName, group: string, seed: number, workDir: string): Promise<Child> {
    mkdirSync(workDir, { recursive: true });
    const subprocess = fork(childFile, [target, group, String(seed), workDir], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stderr = '';
    // Libraries print their own diagnostics (HDF5's error stack); only the end is kept, for a crash report.
    subprocess.stderr?.on('data', (data: Buffer) => (stderr = (stderr + data.toString('utf8')).slice(-4000)));
    subprocess.stdout?.on('data', () => undefined);
    const ready = await new Promise<FromChild>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`The fuzz process for ${target}/${group} did not start within 120 s.`)), 120_000);
      subprocess.once('message', (message: FromChild) => {
        clearTimeout(timer);
        resolve(message);
      });
      subprocess.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(`The fuzz process for ${target}/${group} exited while starting (${signal ?? `code ${code}`}): ${stderr.slice(-1500)}`),
        );
      });
    });
    if (ready.type !== 'ready') {
      subprocess.kill('SIGKILL');
      throw new Error(
        `The fuzz process for ${target}/${group} could not set up: ${ready.type === 'setupFailed' ? ready.message : ready.type}`,
      );
    }
    subprocess.removeAllListeners('exit');
    const child = new Child(subprocess, ready.seeds);
    subprocess.stderr?.removeAllListeners('data');
    subprocess.stderr?.on('data', (data: Buffer) => (child.stderr = (child.stderr + data.toString('utf8')).slice(-4000)));
    subprocess.on('message', (message: FromChild) => child.listener?.(message));
    subprocess.on('exit', (code, signal) => child.exitListener?.(code, signal));
    return child;
  }

  /** Runs one input; kills the process when it takes longer than `timeoutMs`. */
  run(index: number, timeoutMs: number): Promise<Answer> {
    return new Promise((resolve) => {
      let description = '(the input was not made yet)';
      let inputPath = '';
      this.stderr = '';
      const finish = (answer: Answer): void => {
        clearTimeout(timer);
        this.listener = null;
        this.exitListener = null;
        resolve(answer);
      };
      const timer = setTimeout(() => {
        this.stop();
        finish({ kind: 'hang', description, inputPath, problem: `no answer within ${timeoutMs} ms: the reader hangs` });
      }, timeoutMs);
      this.listener = (message) => {
        if (message.type === 'start' && message.index === index) {
          description = message.description;
          inputPath = message.inputPath;
        } else if (message.type === 'done' && message.index === index) {
          finish({ kind: 'done', description, inputPath, outcome: message.outcome, tags: message.tags, example: message.example });
        }
      };
      this.exitListener = (code, signal) => {
        const tail = this.stderr.trim().split('\n').slice(-6).join(' | ');
        finish({
          kind: 'crash',
          description,
          inputPath,
          problem: `the process died (${signal ?? `exit code ${code}`})${tail ? `: ${clip(tail)}` : ''}`,
        });
      };
      const message: ToChild = { type: 'run', index };
      this.subprocess.send(message);
    });
  }

  stop(): void {
    if (this.subprocess.exitCode === null && this.subprocess.signalCode === null) this.subprocess.kill('SIGKILL');
  }
}

const maxListed = 20;

/** The report as the test prints it: counts per outcome, rejections by code, tags, and every failure with how to reproduce it. */
export function formatReport(report: FuzzReport, testFile: string): string {
  const { target, group, seed } = report;
  const lines = [
    `fuzz ${target}/${group} (seed ${seed}): ${report.tried} inputs in ${report.seconds.toFixed(1)} s ` +
      `(stopped by ${report.stoppedBy}): ${report.accepted} accepted, ${report.rejected} rejected with an AppError, ` +
      `${report.failures.length} failures`,
  ];
  const codes = Object.entries(report.codes).sort((a, b) => b[1] - a[1]);
  if (codes.length > 0) lines.push(`  rejections by code: ${codes.map(([c, n]) => `${c} ${n}`).join(', ')}`);
  const tags = Object.entries(report.tags).sort((a, b) => a[0].localeCompare(b[0]));
  if (tags.length > 0) lines.push(`  counted: ${tags.map(([t, n]) => `${t} ${n}`).join(', ')}`);
  for (const [tag, { index, text }] of Object.entries(report.examples)) lines.push(`  ${tag}, e.g. #${index}: ${clip(text)}`);
  // The first failures in full; a reader that fails on everything would otherwise print thousands.
  for (const f of report.failures.slice(0, maxListed)) {
    lines.push(
      `  FAILURE #${f.index} [${f.kind}] ${f.problem}`,
      `    input: ${f.description}`,
      `    reproduce: MLW_FUZZ_SEED=${seed} MLW_FUZZ_ONLY=${f.index} npx vitest run ${testFile} -t "${group}"`,
    );
    if (f.keptAt !== null) lines.push(`    kept at: ${f.keptAt}`);
  }
  if (report.failures.length > maxListed) lines.push(`  … and ${report.failures.length - maxListed} more failures`);
  return lines.join('\n');
}
