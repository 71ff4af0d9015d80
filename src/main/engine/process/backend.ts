import { createRequire } from 'node:module';
import { cpus, freemem, totalmem } from 'node:os';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import { registerWasmGradientKernels } from '../training/wasm-gradients';

const nodeRequire = createRequire(import.meta.url);

/** Backends in the order we prefer them: CUDA, native CPU, WebAssembly, plain JavaScript. */
export const backendNames = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof backendNames)[number];

export interface BackendCandidate {
  name: BackendName;
  /** The npm package that provides it. */
  package: string;
  available: boolean;
  /** Why it is not in use, in one sentence; null for the active one. */
  reason: string | null;
}

export interface EngineStatus {
  backend: BackendName;
  candidates: BackendCandidate[];
  /** Threads the active backend computes with. */
  threads: number;
  memory: { totalBytes: number; freeBytes: number };
  /** The largest WebAssembly memory, where it applies (the WebAssembly backend's 4 GB ceiling). */
  wasmMemoryLimitBytes: number | null;
  node: string;
  platform: string;
}

export interface Engine {
  tf: typeof Tf;
  status: EngineStatus;
}

let loaded: Promise<Engine> | undefined;

/**
 * Loads TensorFlow.js with the best backend this machine has, once per process. The native
 * packages are optional dependencies that download libtensorflow when installed: where that failed
 * (no internet) or the libraries do not load (no CUDA), the next backend is used and the reason kept.
 * `MLW_BACKEND` forces one (tests use it to stay on one backend).
 */
export function loadEngine(forced: string | undefined = process.env.MLW_BACKEND): Promise<Engine> {
  loaded ??= chooseBackend(forced);
  return loaded;
}

async function chooseBackend(forced: string | undefined): Promise<Engine> {
  if (forced !== undefined && !(backendNames as readonly string[]).includes(forced)) {
    throw new Error(`MLW_BACKEND must be one of ${backendNames.join(', ')}, not "${forced}".`);
  }
  const candidates: BackendCandidate[] = [];
  const skip = (name: BackendName): boolean => forced !== undefined && forced !== name;

  const native = async (name: 'tensorflow-gpu' | 'tensorflow', pkg: string): Promise<typeof Tf | null> => {
    if (skip(name)) {
      candidates.push({ name, package: pkg, available: false, reason: `Not tried: MLW_BACKEND=${forced}.` });
      return null;
    }
    try {
      // A package whose libtensorflow download failed at install time is not loaded at all: its
      // JavaScript would register tfjs's kernels a second time (a wall of "already registered"
      // warnings) only to fail on the missing library.
      const missing = missingNativeBinding(pkg);
      if (missing !== null) {
        candidates.push({ name, package: pkg, available: false, reason: missing });
        return null;
      }
      // The native packages bundle their own copy of tfjs with the backend registered.
      const tf = nodeRequire(pkg) as typeof Tf;
      await tf.setBackend('tensorflow');
      await tf.ready();
      candidates.push({ name, package: pkg, available: true, reason: null });
      return tf;
    } catch (error) {
      candidates.push({ name, package: pkg, available: false, reason: explainNativeFailure(pkg, error) });
      return null;
    }
  };

  const gpu = await native('tensorflow-gpu', '@tensorflow/tfjs-node-gpu');
  if (gpu) return finish(gpu, 'tensorflow-gpu', candidates, 'wasm', 'cpu');
  const cpuNative = await native('tensorflow', '@tensorflow/tfjs-node');
  if (cpuNative) return finish(cpuNative, 'tensorflow', candidates, 'wasm', 'cpu');

  const tf = (await import('@tensorflow/tfjs')) as typeof Tf;
  if (!skip('wasm')) {
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      wasm.setWasmPaths(`${join(dirname(nodeRequire.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')}/`);
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        registerWasmGradientKernels(tf);
        candidates.push({ name: 'wasm', package: '@tensorflow/tfjs-backend-wasm', available: true, reason: null });
        return finish(tf, 'wasm', candidates, 'cpu');
      }
      candidates.push({
        name: 'wasm',
        package: '@tensorflow/tfjs-backend-wasm',
        available: false,
        reason: 'The WebAssembly backend did not initialise.',
      });
    } catch (error) {
      candidates.push({
        name: 'wasm',
        package: '@tensorflow/tfjs-backend-wasm',
        available: false,
        reason: `The WebAssembly backend failed to load: ${firstLine(error)}`,
      });
    }
  } else {
    candidates.push({
      name: 'wasm',
      package: '@tensorflow/tfjs-backend-wasm',
      available: false,
      reason: `Not tried: MLW_BACKEND=${forced}.`,
    });
  }
  await tf.setBackend('cpu');
  await tf.ready();
  candidates.push({ name: 'cpu', package: '@tensorflow/tfjs-backend-cpu', available: true, reason: null });
  return finish(tf, 'cpu', candidates);
}

function finish(tf: typeof Tf, backend: BackendName, candidates: BackendCandidate[], ...worse: BackendName[]): Engine {
  for (const name of worse) {
    candidates.push({ name, package: '', available: true, reason: `Available, but ${describe(backend)} is faster.` });
  }
  const threads = backend === 'tensorflow' || backend === 'tensorflow-gpu' ? cpus().length : 1;
  return {
    tf,
    status: {
      backend,
      candidates,
      threads,
      memory: { totalBytes: totalmem(), freeBytes: freemem() },
      wasmMemoryLimitBytes: backend === 'wasm' ? 4 * 1024 ** 3 : null,
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
  };
}

export function describe(backend: BackendName): string {
  switch (backend) {
    case 'tensorflow-gpu':
      return 'the CUDA backend (tfjs-node-gpu)';
    case 'tensorflow':
      return 'the native CPU backend (tfjs-node)';
    case 'wasm':
      return 'the WebAssembly backend';
    default:
      return 'the plain JavaScript CPU backend';
  }
}

/**
 * Why an installed native tfjs package cannot work, checked on disk before loading it: null when its
 * binding (`lib/napi-v<N>/tfjs_binding.node`, where its package.json's `binary.module_path` says) is there
 * or when the package is not installed (the load then says so).
 */
export function missingNativeBinding(pkg: string, resolveFrom: (request: string) => string = nodeRequire.resolve): string | null {
  let manifestPath: string;
  try {
    manifestPath = resolveFrom(`${pkg}/package.json`);
  } catch {
    return null;
  }
  const packageDir = dirname(manifestPath);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { binary?: { module_path?: string; module_name?: string } };
  const modulePath = manifest.binary?.module_path ?? './lib/napi-v{napi_build_version}/';
  const moduleName = `${manifest.binary?.module_name ?? 'tfjs_binding'}.node`;
  const [before, after = ''] = modulePath.split('{napi_build_version}');
  const parent = join(packageDir, dirname(`${before}x`));
  const prefix = basename(`${before}x`).slice(0, -1);
  const folders = existsSync(parent)
    ? readdirSync(parent)
        .filter((entry) => entry.startsWith(prefix))
        .map((entry) => join(parent, entry, after))
    : [];
  if (folders.some((folder) => existsSync(join(folder, moduleName)))) return null;
  return `${pkg} is installed without its native library (${moduleName} is missing; its libtensorflow download failed at install time): reinstall it with internet access.`;
}

/** One sentence for why a native package did not load. */
export function explainNativeFailure(pkg: string, error: unknown): string {
  const message = firstLine(error);
  if (/Cannot find module/.test(message) && message.includes(pkg)) {
    return `${pkg} is not installed (it downloads libtensorflow when installed, which needs internet).`;
  }
  if (/libcudart|libcudnn|libcublas|CUDA/i.test(message)) {
    return `${pkg} is installed but the CUDA libraries did not load (${message}).`;
  }
  if (/tfjs_binding|libtensorflow/.test(message)) {
    return `${pkg} is installed without its native library (its download failed at install time): ${message}`;
  }
  return `${pkg} failed to load: ${message}`;
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.trim();
}
