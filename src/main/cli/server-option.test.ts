import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertRunWithScores } from '../../../test/fixtures/run-fixture';
import { cancelled } from '../../shared/contract/errors';
import type { JobInfo } from '../../shared/contract/jobs';
import { startServer, type RunningServer } from '../server/serve';
import { createServices, type Services } from '../services';
import { serverEndpoint } from './server-connection';

const root = fileURLToPath(new URL('../../..', import.meta.url));
let dir: string;
let services: Services;
let server: RunningServer;

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `mlw` as a user would, in its own process; asynchronously, since the server it talks to runs
 * in this one. Its own cache folder must stay untouched when it talks to the server.
 */
function mlw(args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const { MLW_SERVE_TOKEN: _ignored, ...inherited } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/mlw.mjs'), ...args, '--cache', join(dir, 'client-cache')], {
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Waits for a job of the server to end, as any watcher would. */
function ended(jobId: string): Promise<JobInfo> {
  return services.jobs.watch(jobId, { signal: new AbortController().signal, progress: () => undefined });
}

const trainArgs = (): string[] => [
  'train',
  '--train-annotations',
  join(dir, 'train.json'),
  '--train-images',
  join(dir, 'images'),
  '--val-annotations',
  join(dir, 'val.json'),
  '--val-images',
  join(dir, 'images'),
  '--categories',
  'dog,cat',
  // No weights there: the job fails at once, inside the server, with the sentence that says so.
  '--weights',
  join(dir, 'no-weights'),
  '--name',
  'detached',
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-server-option-'));
  mkdirSync(join(dir, 'renderer'), { recursive: true });
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>Multilabel Workbench</title>');
  services = createServices({ dataDir: join(dir, 'server-data'), host: 'serve' });
  server = await startServer({ services, rendererDir: join(dir, 'renderer'), host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await server.close();
  services.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('mlw --server', () => {
  it('turns the URL "mlw serve" printed, or the token in MLW_SERVE_TOKEN, into its RPC address', () => {
    expect(serverEndpoint('http://127.0.0.1:5178/?token=abc', undefined)).toEqual({
      rpcUrl: 'ws://127.0.0.1:5178/rpc?token=abc',
      host: '127.0.0.1:5178',
    });
    expect(serverEndpoint('https://gpu.example:8443/', 'x/y')).toEqual({
      rpcUrl: 'wss://gpu.example:8443/rpc?token=x%2Fy',
      host: 'gpu.example:8443',
    });
    expect(() => serverEndpoint('http://127.0.0.1:5178/', undefined)).toThrow(/MLW_SERVE_TOKEN/);
    expect(serverEndpoint('127.0.0.1:5178/?token=abc', undefined).rpcUrl).toBe('ws://127.0.0.1:5178/rpc?token=abc');
    expect(() => serverEndpoint('ftp://127.0.0.1:5178/?token=abc', undefined)).toThrow(/http:\/\/ or https:\/\//);
    expect(() => serverEndpoint('http://', undefined)).toThrow(/is not an address/);
  });

  it('says jobs need a server, and refuses --detach without one', async () => {
    const jobs = await mlw(['jobs']);
    expect(jobs.status).toBe(1);
    expect(jobs.stderr).toContain('Jobs belong to a running "mlw serve" or the desktop app');
    expect(jobs.stderr).toContain('--server URL');
    const json = await mlw(['jobs', 'cancel', 'job-x', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'INVALID_INPUT' } });

    const detached = await mlw([...trainArgs(), '--detach']);
    expect(detached.status).toBe(1);
    expect(detached.stderr).toContain('--detach starts the training as a job of a running "mlw serve", so it needs --server URL');
  });

  it('train --detach starts a job on the server and prints its id; mlw jobs lists it and how it ended', async () => {
    const started = await mlw([...trainArgs(), '--detach', '--server', server.url, '--json']);
    expect(started.stderr).toBe('');
    expect(started.status).toBe(0);
    const { jobId } = JSON.parse(started.stdout) as { jobId: string };
    expect(jobId).toMatch(/^job-/);

    const job = await ended(jobId);
    expect(job).toMatchObject({ kind: 'training.train', title: 'Training "detached"', status: 'failed' });
    expect(job.error).toEqual({ code: 'NOT_FOUND', message: expect.stringContaining(`weights at ${join(dir, 'no-weights')}`) });

    const listed = await mlw(['jobs', '--json', '--server', server.url]);
    expect(listed.status).toBe(0);
    const jobs = JSON.parse(listed.stdout) as Record<string, unknown>[];
    expect(jobs.find((j) => j.jobId === jobId)).toEqual({
      jobId,
      kind: 'training.train',
      title: 'Training "detached"',
      status: 'failed',
      progress: job.progress,
      createdAt: job.createdAt,
      startedAt: job.startedAt,
      finishedAt: job.finishedAt,
      runId: null,
      error: job.error,
    });
    const human = await mlw(['jobs', '--server', server.url]);
    expect(human.stdout).toContain(`${jobId} failed: ${job.error!.message}`);
    // The command called the server; it opened no cache of its own.
    expect(existsSync(join(dir, 'client-cache'))).toBe(false);
  });

  it('mlw jobs shows a running job of the server, and mlw jobs cancel stops it', async () => {
    const { jobId } = services.jobs.start(
      { kind: 'dataset.ingest', title: 'Waiting to be cancelled', exclusive: false },
      (context) =>
        new Promise((_resolve, reject) => {
          context.progress({ phase: 'Reading annotations', done: 3, total: 12, unit: 'items' });
          context.signal.addEventListener('abort', () => reject(cancelled()), { once: true });
        }),
    );
    const listed = await mlw(['jobs', '--server', server.url]);
    expect(listed.status).toBe(0);
    const line = listed.stdout.split('\n').find((l) => l.startsWith(jobId));
    expect(line).toMatch(/dataset\.ingest\s+Waiting to be cancelled\s+running\s+Reading annotations: 3 of 12 \(25%\)/);

    // The token may come from MLW_SERVE_TOKEN instead of the URL.
    const bare = `http://127.0.0.1:${server.port}/`;
    const cancelledJob = await mlw(['jobs', 'cancel', jobId, '--server', bare], { MLW_SERVE_TOKEN: server.token });
    expect(cancelledJob.status).toBe(0);
    expect(cancelledJob.stdout).toContain(`Job ${jobId} (Waiting to be cancelled)`);
    expect((await ended(jobId)).status).toBe('cancelled');

    const unknown = await mlw(['jobs', 'cancel', 'job-nope', '--server', server.url]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('There is no job job-nope');
  });

  it('any command reads the server’s data, and a wrong token is refused with a sentence', async () => {
    insertRunWithScores(services.db, {
      runId: 'run-on-server',
      classes: ['dog', 'cat'],
      imageIds: [1, 2],
      labels: [
        [1, 0],
        [0, 1],
      ],
      scores: [
        [0.9, 0.2],
        [0.1, 0.8],
      ],
    });
    const runs = await mlw(['runs', '--json', '--server', server.url]);
    expect(runs.status).toBe(0);
    expect((JSON.parse(runs.stdout) as { runId: string }[]).map((r) => r.runId)).toContain('run-on-server');

    const wrong = await mlw(['jobs', '--server', `http://127.0.0.1:${server.port}/?token=wrong`]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain(`The server at 127.0.0.1:${server.port} did not accept the token`);
    expect(wrong.stderr).not.toContain('wrong');
  });
});
