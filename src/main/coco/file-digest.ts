import { Worker } from 'node:worker_threads';
import { cancelled } from '../../shared/contract/errors';

/**
 * The worker's whole program: read the file in large pieces and hash them. It is a string run with
 * `eval` so that it needs no bundle entry of its own in the app, the CLI and the benchmarks.
 */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');
const hash = createHash('sha256');
const buffer = Buffer.allocUnsafe(workerData.chunkBytes);
const fd = openSync(workerData.path, 'r');
try {
  for (;;) {
    const bytes = readSync(fd, buffer, 0, buffer.length, null);
    if (bytes === 0) break;
    hash.update(bytes === buffer.length ? buffer : buffer.subarray(0, bytes));
  }
} finally {
  closeSync(fd);
}
parentPort.postMessage(hash.digest('hex'));
`;

/**
 * The sha256 of a file, computed on a thread of its own so that it costs the caller no time: the
 * import parses on its thread while this one reads and hashes (a quarter of the import's time when
 * it was done in line). Aborting stops the thread.
 */
export function sha256OfFileOnThread(path: string, signal?: AbortSignal, chunkBytes = 4 * 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    const worker = new Worker(workerSource, { eval: true, workerData: { path, chunkBytes } });
    let settled = false;
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      finish();
    };
    const onAbort = (): void => {
      settle(() => reject(cancelled()));
      void worker.terminate();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (digest: string) => settle(() => resolve(digest)));
    worker.once('error', (error) => settle(() => reject(error)));
    worker.once('exit', (code) => settle(() => reject(new Error(`The hashing thread stopped (exit code ${code}) before it finished.`))));
  });
}
