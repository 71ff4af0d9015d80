import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import type * as Ort from 'onnxruntime-node';

const nodeRequire = createRequire(import.meta.url);

/** What runs networks forward: ONNX Runtime where it loads, else TensorFlow.js (and why). */
export interface InferenceStatus {
  runtime: 'onnxruntime' | 'tfjs';
  /** ONNX Runtime's version, where it loaded. */
  version: string | null;
  /** The execution providers in use, in order of preference. */
  executionProviders: string[];
  /** Threads one forward pass computes with (ONNX Runtime's intra-op threads). */
  threads: number;
  /** Why ONNX Runtime is not in use, in one sentence; null when it is. */
  reason: string | null;
}

export interface OnnxRuntime {
  ort: typeof Ort;
  status: InferenceStatus;
}

let loaded: OnnxRuntime | { error: string } | undefined;

/**
 * Threads for one forward pass: every core. The decode pool has every core too: ONNX Runtime's
 * threads sleep (no spinning) while the pool decodes the next batch, and the pool's wait while they
 * compute (bench/README.md, "The pipeline"; one thread fewer for either was slower on 2 cores).
 * `MLW_ORT_THREADS` sets another number.
 */
export function inferenceThreads(): number {
  const forced = Number(process.env.MLW_ORT_THREADS);
  if (Number.isInteger(forced) && forced > 0) return forced;
  return Math.max(1, availableParallelism());
}

/**
 * The execution providers to ask for, best first: `MLW_ORT_PROVIDERS` (such as `cuda,cpu` once the
 * CUDA 12 provider is installed; docs/inference.md), else the CPU provider the package ships.
 */
export function executionProviders(): string[] {
  const listed = (process.env.MLW_ORT_PROVIDERS ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return listed.length > 0 ? listed : ['cpu'];
}

/**
 * ONNX Runtime for Node, loaded once per process; null (with the reason kept for `status`) where its
 * native library does not load on this machine, or `MLW_RUNTIME=tfjs` asks for TensorFlow.js.
 */
export function loadOnnxRuntime(): OnnxRuntime | null {
  if (loaded === undefined) loaded = tryLoad();
  return 'ort' in loaded ? loaded : null;
}

function tryLoad(): OnnxRuntime | { error: string } {
  if (process.env.MLW_RUNTIME === 'tfjs') return { error: 'MLW_RUNTIME=tfjs asks for TensorFlow.js.' };
  try {
    const ort = nodeRequire('onnxruntime-node') as typeof Ort;
    return {
      ort,
      status: {
        runtime: 'onnxruntime',
        version: ort.env.versions.node ?? null,
        executionProviders: executionProviders(),
        threads: inferenceThreads(),
        reason: null,
      },
    };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return { error: `ONNX Runtime (onnxruntime-node) did not load: ${message}` };
  }
}

/** The runtime in use and why, for `mlw doctor` and the Train workspace's status line. */
export function inferenceStatus(): InferenceStatus {
  const runtime = loadOnnxRuntime();
  if (runtime !== null) return runtime.status;
  return {
    runtime: 'tfjs',
    version: null,
    executionProviders: [],
    threads: 0,
    reason: loaded !== undefined && 'error' in loaded ? loaded.error : null,
  };
}

/** A network ready to run: ONNX Runtime's session over the model an exporter wrote. */
export async function createSession(runtime: OnnxRuntime, model: Uint8Array): Promise<Ort.InferenceSession> {
  return runtime.ort.InferenceSession.create(model, {
    executionProviders: runtime.status.executionProviders,
    intraOpNumThreads: runtime.status.threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // Threads sleep between batches instead of spinning, so the decode pool has the cores meanwhile.
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
}

export interface OutputTensor {
  data: Float32Array;
  dims: number[];
}

/** Runs a batch of preprocessed NHWC images and returns the named outputs' data. */
export async function runBatch(
  runtime: OnnxRuntime,
  session: Ort.InferenceSession,
  input: Float32Array,
  count: number,
  size: number,
  outputs: string[],
): Promise<Record<string, OutputTensor>> {
  const tensor = new runtime.ort.Tensor('float32', input, [count, size, size, 3]);
  const result = await session.run({ input: tensor }, outputs);
  const data: Record<string, OutputTensor> = {};
  for (const name of outputs) {
    data[name] = { data: result[name]!.data as Float32Array, dims: result[name]!.dims.map(Number) };
  }
  return data;
}
