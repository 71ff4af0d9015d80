import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../../../shared/contract/errors';
import type { RpcMessage } from '../../../shared/rpc/protocol';
import { backendNames } from './backend';
import { engineDeath, forkEngine, startEngine, type EngineProcess, type EngineSession, type EngineSpawner } from './engine-host';
import { rejection } from '../../../../test/support/rejection';

/** Settles with 'pending' if `promise` has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> {
  return Promise.race([promise, new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms))]);
}

const sessions: EngineSession[] = [];
afterEach(() => {
  for (const session of sessions.splice(0)) session.close();
});

describe('engineDeath', () => {
  it('reads "Aborted()" in stderr as OUT_OF_MEMORY', () => {
    const error = engineDeath(1, null, 'loading weights\nAborted(). Build with -sASSERTIONS for more info.\n');
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe('OUT_OF_MEMORY');
    expect(error.message).toMatch(/smaller mini-batch|frozen-backbone/);
    expect(error.details).toEqual({ code: 1, signal: null });
  });

  it('reads "memory access out of bounds" in stderr as OUT_OF_MEMORY', () => {
    expect(engineDeath(7, null, 'RuntimeError: memory access out of bounds\n    at wasm://wasm/00a1b2c3').code).toBe('OUT_OF_MEMORY');
  });

  it('reads a SIGKILL (the kernel’s OOM killer) as OUT_OF_MEMORY, whatever stderr says', () => {
    const error = engineDeath(null, 'SIGKILL', '');
    expect(error.code).toBe('OUT_OF_MEMORY');
    expect(error.details).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('reads V8’s heap exhaustion as OUT_OF_MEMORY', () => {
    expect(engineDeath(134, null, 'FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory').code).toBe(
      'OUT_OF_MEMORY',
    );
  });

  it('otherwise is ENGINE_CRASHED with the exit code and the last stderr line', () => {
    const error = engineDeath(3, null, 'first line\nsecond line\nTypeError: x is not a function\n\n');
    expect(error.code).toBe('ENGINE_CRASHED');
    expect(error.message).toContain('exit code 3');
    expect(error.message).toContain('TypeError: x is not a function');
    expect(error.message).not.toContain('second line');
    expect(error.details).toEqual({ code: 3, signal: null });
  });

  it('quotes the error of a real crashing process, not the Node version line Node prints after it', () => {
    const crashed = spawnSync(
      process.execPath,
      ['-e', "setTimeout(() => { throw new TypeError('The weights file is damaged at byte 12'); })"],
      {
        encoding: 'utf8',
      },
    );
    expect(crashed.stderr.trim().split('\n').at(-1)).toMatch(/^Node\.js v/);
    const error = engineDeath(crashed.status, crashed.signal, crashed.stderr);
    expect(error.code).toBe('ENGINE_CRASHED');
    expect(error.message).toContain(': TypeError: The weights file is damaged at byte 12.');
    expect(error.message).not.toContain('Node.js v');
  });

  it('names the signal when there is one, and has no dangling colon without stderr', () => {
    const error = engineDeath(null, 'SIGSEGV', '');
    expect(error.code).toBe('ENGINE_CRASHED');
    expect(error.message).toContain('SIGSEGV');
    expect(error.message).not.toMatch(/\): /);
  });
});

/** An EngineProcess over a real `node -e <script>` child without a message channel. */
function scriptSpawner(script: string): { spawner: EngineSpawner; workerPaths: string[] } {
  const workerPaths: string[] = [];
  const spawner: EngineSpawner = (workerPath) => {
    workerPaths.push(workerPath);
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let tail = '';
    child.stderr.on('data', (chunk: Buffer) => (tail += chunk.toString()));
    return {
      send: () => undefined,
      onMessage: () => undefined,
      // 'close' comes after stderr has been read to its end.
      onExit: (listener) => child.once('close', (code, signal) => listener(code, signal)),
      stderrTail: () => tail,
      kill: () => child.kill(),
    };
  };
  return { spawner, workerPaths };
}

/** A pure fake: records what is sent, and dies (calls the exit listener) when told to. */
function fakeProcess(stderr: string): {
  spawner: EngineSpawner;
  sent: RpcMessage[];
  die: (code: number | null, signal: string | null) => void;
  killed: () => boolean;
} {
  const sent: RpcMessage[] = [];
  const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
  let killed = false;
  const process: EngineProcess = {
    send: (message) => sent.push(message),
    onMessage: () => undefined,
    onExit: (listener) => exitListeners.push(listener),
    stderrTail: () => stderr,
    kill: () => (killed = true),
  };
  return {
    spawner: () => process,
    sent,
    die: (code, signal) => exitListeners.forEach((l) => l(code, signal)),
    killed: () => killed,
  };
}

describe('startEngine with a given spawner', () => {
  it('a pending call fails with ENGINE_CRASHED (exit code and last stderr line) when a real process exits with code 3', async () => {
    const { spawner, workerPaths } = scriptSpawner(
      'console.error("loading the engine"); console.error("something broke badly"); process.exit(3)',
    );
    const session = startEngine(spawner);
    sessions.push(session);
    const error = await rejection(session.api.engine.status({}));
    expect(error.code).toBe('ENGINE_CRASHED');
    expect(error.message).toContain('exit code 3');
    expect(error.message).toContain('something broke badly');
    expect(error.details).toMatchObject({ code: 3, signal: null });
    // The spawner was given the worker's entry (the TypeScript source under vitest).
    expect(workerPaths).toHaveLength(1);
    expect(workerPaths[0]).toMatch(/engine\.worker\.ts$/);
  });

  it('a pending call fails with OUT_OF_MEMORY when the process prints "Aborted()" and dies', async () => {
    const { spawner } = scriptSpawner('console.error("Aborted(). Build with -sASSERTIONS for more info."); process.exit(7)');
    const session = startEngine(spawner);
    sessions.push(session);
    expect((await rejection(session.api.engine.status({}))).code).toBe('OUT_OF_MEMORY');
  });

  it('a pending call fails with OUT_OF_MEMORY when the process is SIGKILLed', async () => {
    const { spawner } = scriptSpawner('process.kill(process.pid, "SIGKILL"); setTimeout(() => {}, 10000)');
    const session = startEngine(spawner);
    sessions.push(session);
    const error = await rejection(session.api.engine.status({}));
    expect(error.code).toBe('OUT_OF_MEMORY');
    expect(error.details).toMatchObject({ signal: 'SIGKILL' });
  });

  it('with a pure fake: sends the call, and every pending call fails with ENGINE_CRASHED when the exit listener fires', async () => {
    const fake = fakeProcess('boot\nError: the backend could not start');
    const session = startEngine(fake.spawner);
    const first = session.api.engine.status({});
    const second = session.api.engine.status({});
    expect(fake.sent).toEqual([
      { type: 'call', id: 1, method: 'engine.status', input: {} },
      { type: 'call', id: 2, method: 'engine.status', input: {} },
    ]);
    expect(await within(first, 20)).toBe('pending');
    fake.die(3, null);
    for (const call of [first, second]) {
      const error = await rejection(call);
      expect(error.code).toBe('ENGINE_CRASHED');
      expect(error.message).toContain('Error: the backend could not start');
    }
    session.close();
    expect(fake.killed()).toBe(true);
  });

  it('passes errors the engine answers with through unchanged (not as a crash)', async () => {
    const listeners: ((message: unknown) => void)[] = [];
    const session = startEngine(() => ({
      send: (message) => {
        if (message.type === 'call') {
          const answer = { type: 'error', id: message.id, error: { code: 'NOT_FOUND', message: 'No weights at /x.' } };
          queueMicrotask(() => listeners.forEach((l) => l(answer)));
        }
      },
      onMessage: (listener) => listeners.push(listener),
      onExit: () => undefined,
      stderrTail: () => 'Aborted()',
      kill: () => undefined,
    }));
    sessions.push(session);
    const error = await rejection(session.api.engine.status({}));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe('No weights at /x.');
  });
  // process has already exited is sent into the void (the exit was handled before the call was
  // pending, and forkEngine's send drops messages when disconnected), so it never settles.
  it('a call made after the engine already died fails too (with ENGINE_CRASHED) instead of hanging', async () => {
    const fake = fakeProcess('fatal: gone');
    const session = startEngine(fake.spawner);
    fake.die(3, null);
    const outcome = await within(
      session.api.engine.status({}).then(
        () => 'resolved',
        (error: unknown) => (error as AppError).code,
      ),
      300,
    );
    expect(outcome).toBe('ENGINE_CRASHED');
  });
});

describe('startEngine with the default spawner', () => {
  it('starts the real engine process, answers status with its backend (wasm here), and close() ends the process', async () => {
    const previous = process.env.MLW_BACKEND;
    process.env.MLW_BACKEND = 'wasm';
    const exits: { code: number | null; signal: string | null }[] = [];
    let session: EngineSession;
    try {
      // The default spawner, watched: only to see the process end.
      session = startEngine((workerPath) => {
        const child = forkEngine(workerPath);
        child.onExit((code, signal) => exits.push({ code, signal }));
        return child;
      });
    } finally {
      if (previous === undefined) delete process.env.MLW_BACKEND;
      else process.env.MLW_BACKEND = previous;
    }
    const status = await session.api.engine.status({});
    expect(backendNames).toContain(status.backend);
    expect(status.backend).toBe('wasm');
    expect(status.node).toBe(process.version);
    expect(status.candidates.find((c) => c.name === 'wasm')).toMatchObject({ available: true, reason: null });
    expect(exits).toEqual([]);
    session.close();
    await expect.poll(() => exits.length, { timeout: 10_000 }).toBe(1);
    expect(exits[0]!.signal ?? exits[0]!.code).toBeTruthy();
  });

  it('startEngine() with no spawner at all answers a backend name', async () => {
    const previous = process.env.MLW_BACKEND;
    process.env.MLW_BACKEND = 'wasm';
    let session: EngineSession;
    try {
      session = startEngine();
    } finally {
      if (previous === undefined) delete process.env.MLW_BACKEND;
      else process.env.MLW_BACKEND = previous;
    }
    sessions.push(session);
    const status = await session.api.engine.status({});
    expect(status.backend).toBe('wasm');
    // Forward passes run on ONNX Runtime, on every core.
    expect(status.inference).toMatchObject({
      runtime: 'onnxruntime',
      executionProviders: ['cpu'],
      threads: availableParallelism(),
      reason: null,
    });
    expect(status.inference.version).toMatch(/^1\.\d+\.\d+$/);
  });

  it('reports TensorFlow.js for inference, and why, when ONNX Runtime is not to be used', async () => {
    const previous = process.env.MLW_RUNTIME;
    process.env.MLW_RUNTIME = 'tfjs';
    let session: EngineSession;
    try {
      session = startEngine();
    } finally {
      if (previous === undefined) delete process.env.MLW_RUNTIME;
      else process.env.MLW_RUNTIME = previous;
    }
    sessions.push(session);
    const status = await session.api.engine.status({});
    expect(status.inference).toMatchObject({ runtime: 'tfjs', executionProviders: [], reason: 'MLW_RUNTIME=tfjs asks for TensorFlow.js.' });
  });
});
