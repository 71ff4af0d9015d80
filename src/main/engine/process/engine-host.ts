import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContractClient } from '../../../shared/contract/define';
import { logLine } from '../../files/log-file';
import { AppError } from '../../../shared/contract/errors';
import { createClient } from '../../../shared/rpc/client';
import type { Protocol, RpcMessage } from '../../../shared/rpc/protocol';
import { engineContract, type EngineContract } from './engine-contract';

/** A started engine process, whatever started it (child_process here, utilityProcess in Electron). */
export interface EngineProcess {
  send(message: RpcMessage): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (code: number | null, signal: string | null) => void): void;
  /** The last lines it wrote to stderr, to explain a crash. */
  stderrTail(): string;
  kill(): void;
}

export type EngineSpawner = (workerPath: string) => EngineProcess;

/** Where the worker's entry is: beside this module in a bundle, or the TypeScript source. */
export function engineWorkerPath(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return join(dirname(here), 'engine.worker.ts');
  for (const name of ['engine-worker.mjs', 'engine-worker.js']) {
    const candidate = join(dirname(here), name);
    if (existsSync(candidate)) return candidate;
  }
  throw new AppError('INTERNAL', `The engine worker is missing beside ${here}; rebuild with "npm run build".`);
}

/** child_process.fork, with TypeScript sources run through tsx. */
export const forkEngine: EngineSpawner = (workerPath) => {
  const child: ChildProcess = fork(workerPath, [], {
    execArgv: workerPath.endsWith('.ts') ? ['--import', 'tsx'] : [],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
    process.stderr.write(chunk);
    logLine(`engine: ${chunk.toString()}`);
  });
  return {
    send: (message) => {
      if (child.connected) child.send(message);
    },
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.once('exit', listener),
    stderrTail: () => tail,
    kill: () => child.kill(),
  };
};

export interface EngineSession {
  api: ContractClient<EngineContract>;
  close(): void;
}

/**
 * Starts an engine process for one job. If it dies, pending calls fail with ENGINE_CRASHED or
 * OUT_OF_MEMORY and a sentence saying what to do; the caller (and the app) carry on.
 */
export function startEngine(spawn: EngineSpawner = forkEngine): EngineSession {
  const child = spawn(engineWorkerPath());
  const closeListeners = new Set<() => void>();
  let exitInfo: { code: number | null; signal: string | null } | null = null;
  const protocol: Protocol = {
    send: (message) => child.send(message),
    onMessage: (listener) => {
      child.onMessage(listener);
      return () => undefined;
    },
    onClose: (listener) => {
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
  };
  const client = createClient(protocol, engineContract);
  child.onExit((code, signal) => {
    exitInfo = { code, signal };
    for (const listener of closeListeners) listener();
  });
  let closed = false;
  const wrap = <T>(start: () => Promise<T>): Promise<T> => {
    if (exitInfo !== null) return Promise.reject(engineDeath(exitInfo.code, exitInfo.signal, child.stderrTail()));
    if (closed) return Promise.reject(new AppError('TRANSPORT_CLOSED', 'This engine session is closed; start a new one.'));
    return start().catch((error: unknown) => {
      const appError = AppError.from(error);
      if (appError.code !== 'TRANSPORT_CLOSED' || exitInfo === null) throw appError;
      throw engineDeath(exitInfo.code, exitInfo.signal, child.stderrTail());
    });
  };
  // Every engine method, with a dead or closed engine turned into a sentence.
  const methods: Record<string, (input: unknown, options?: unknown) => Promise<unknown>> = {};
  for (const [name, call] of Object.entries(client.engine as Record<string, (input: unknown, options?: unknown) => Promise<unknown>>)) {
    methods[name] = (input, options) => wrap(() => call(input, options));
  }
  const api = { engine: methods } as unknown as ContractClient<EngineContract>;
  return {
    api,
    close: () => {
      closed = true;
      client.dispose();
      child.kill();
    },
  };
}

/**
 * The line of a dead process's stderr that says what went wrong: the last error line ("TypeError:
 * …", "Error [ERR_…]: …"), not what Node prints after an uncaught exception (the stack, a blank
 * line, "Node.js v20.x"); else the last line that is none of those.
 */
export function crashLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const error = lines.findLast((line) => /^(Uncaught )?[A-Z]\w*(Error|Exception)\b( \[[A-Z_\d]+\])?:/.test(line));
  if (error !== undefined) return error;
  return lines.findLast((line) => !/^Node\.js v\d/.test(line) && !line.startsWith('at ') && line !== '^') ?? '';
}

/** What a dead engine process means for the user. */
export function engineDeath(code: number | null, signal: string | null, stderr: string): AppError {
  const outOfMemory =
    /out of memory|Aborted\(\)|memory access out of bounds|Cannot allocate memory|JavaScript heap/i.test(stderr) || signal === 'SIGKILL';
  if (outOfMemory) {
    return new AppError(
      'OUT_OF_MEMORY',
      'The training engine ran out of memory. Use a smaller mini-batch, the frozen-backbone mode, or a smaller backbone; on the WebAssembly backend, fine-tuning large networks needs more than its 4 GB.',
      { code, signal },
    );
  }
  const last = crashLine(stderr);
  return new AppError(
    'ENGINE_CRASHED',
    `The training engine stopped unexpectedly (${signal ?? `exit code ${code}`})${last ? `: ${last}` : ''}. The app is unaffected; try again, or see the log above.`,
    { code, signal },
  );
}
