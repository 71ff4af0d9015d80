import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '../../../shared/contract/errors';
import type { DecodedSquare, ImageDamage } from './preprocess';

/** One image to decode: the network's square size and the augmentation already drawn for it. */
export interface DecodeRequest {
  path: string;
  size: number;
  /** Clockwise rotation in degrees (0 for none). */
  angle: number;
  flip: boolean;
}

/** What a decode worker sends back. */
export type DecodeReply =
  | { id: number; rgb: Uint8Array; damage: ImageDamage | null }
  | { id: number; error: { code: ErrorCode; message: string; details?: Record<string, unknown> } };

interface Pending {
  request: DecodeRequest;
  resolve: (decoded: DecodedSquare) => void;
  reject: (error: Error) => void;
  /** Workers it has been sent to: a request whose worker died is sent once more. */
  attempts: number;
}

interface Slot {
  worker: Worker;
  /** Requests sent to this worker and not answered yet. */
  pending: Map<number, Pending>;
}

/**
 * Decoding on worker threads, one per spare core. The decoder (decode-wasm.ts, and libvips for the
 * rest) is synchronous WebAssembly for JPEGs, so on the engine's own thread it would stop
 * TensorFlow.js while it ran and use one core; here the engine asks and goes on, and a batch is
 * decoded on every core the backbone leaves free. Each worker owns its WebAssembly instance.
 *
 * Requests go to the worker with the fewest waiting. A worker that dies (out of memory on a huge
 * image, say) is replaced, and its waiting requests are sent once more, to the new one: the image
 * that killed it fails there again, with a sentence, rather than taking the others with it.
 */
export class DecodePool {
  private readonly slots: (Slot | null)[];
  private nextId = 1;
  private closed = false;

  constructor(
    readonly threads: number = defaultDecodeThreads(),
    /** Starts a worker (tests give their own). */
    private readonly startWorker: () => Worker = startDecodeWorker,
  ) {
    if (!(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`A decode pool needs at least one thread, not ${threads}.`);
    this.slots = Array.from({ length: threads }, () => null);
  }

  decode(request: DecodeRequest): Promise<DecodedSquare> {
    return new Promise((resolve, reject) => this.send({ request, resolve, reject, attempts: 0 }));
  }

  private send(pending: Pending): void {
    if (this.closed) return pending.reject(new AppError('INTERNAL', 'The decode pool has been closed.'));
    let slot: Slot;
    try {
      const index = this.leastBusy();
      slot = this.slots[index] ??= this.start(index);
    } catch (error) {
      return pending.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const id = this.nextId++;
    pending.attempts++;
    // A worker with work keeps the process alive (a promise alone does not); an idle one does not.
    if (slot.pending.size === 0) slot.worker.ref();
    slot.pending.set(id, pending);
    slot.worker.postMessage({ id, ...pending.request });
  }

  /** Ends the workers; waiting requests fail. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.slots.map(async (slot, index) => {
        if (slot === null) return;
        this.slots[index] = null;
        this.fail(slot, 'The decode pool was closed before the image was decoded.', false);
        await slot.worker.terminate();
      }),
    );
  }

  private leastBusy(): number {
    let best = 0;
    for (let i = 1; i < this.slots.length; i++) {
      if ((this.slots[i]?.pending.size ?? 0) < (this.slots[best]?.pending.size ?? 0)) best = i;
    }
    return best;
  }

  private start(index: number): Slot {
    const worker = this.startWorker();
    const slot: Slot = { worker, pending: new Map() };
    worker.unref();
    worker.on('message', (reply: DecodeReply) => {
      const pending = slot.pending.get(reply.id);
      if (pending === undefined) return;
      slot.pending.delete(reply.id);
      if (slot.pending.size === 0) worker.unref();
      if ('rgb' in reply) pending.resolve({ rgb: reply.rgb, damage: reply.damage });
      else pending.reject(new AppError(reply.error.code, reply.error.message, reply.error.details));
    });
    const gone = (why: string): void => {
      if (this.slots[index] === slot) this.slots[index] = null;
      this.fail(slot, why, true);
    };
    worker.on('error', (error) => gone(`A decode worker failed: ${error.message}`));
    worker.on('exit', (code) => gone(`A decode worker stopped (exit code ${code}), probably out of memory on a very large image.`));
    return slot;
  }

  /** Ends a slot's waiting requests: each is sent once more where `retry` allows, and fails otherwise. */
  private fail(slot: Slot, why: string, retry: boolean): void {
    const waiting = [...slot.pending.values()];
    slot.pending.clear();
    for (const pending of waiting) {
      if (retry && pending.attempts < 2 && !this.closed) this.send(pending);
      else pending.reject(new AppError('INTERNAL', `${why} (${pending.request.path})`, { path: pending.request.path }));
    }
  }
}

/**
 * Decode threads: every core but the one the engine's own thread keeps busy when TensorFlow.js
 * computes on it (at least one); every core when networks run on ONNX Runtime, whose threads sleep
 * while the pool works and the pool's while they compute (bench/README.md, "The pipeline": on 2
 * cores, 172 against 144 images/s for MobileNet v1 0.75).
 */
export function defaultDecodeThreads(networkOnOwnThreads = false): number {
  return networkOnOwnThreads ? availableParallelism() : Math.max(1, availableParallelism() - 1);
}

/** The worker's entry: the bundled `decode-worker` beside this module, or the TypeScript source through tsx. */
export function startDecodeWorker(): Worker {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.ts')) return new Worker(join(dirname(here), 'decode-worker-tsx.mjs'));
  for (const name of ['decode-worker.mjs', 'decode-worker.js']) {
    const candidate = join(dirname(here), name);
    if (existsSync(candidate)) return new Worker(candidate);
  }
  throw new AppError('INTERNAL', `The decode worker is missing beside ${here}; rebuild with "npm run build".`);
}
