import type { z } from 'zod';

/**
 * One method of a service: its input and output schemas. Inputs are validated with zod where they
 * cross a process boundary; `progress` marks long work that reports {phase, done, total} while it runs
 * and can be cancelled.
 */
export interface MethodSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly input: I;
  readonly output: O;
  readonly progress: boolean;
  readonly summary: string;
}

export function method<I extends z.ZodType, O extends z.ZodType>(spec: {
  input: I;
  output: O;
  progress?: boolean;
  summary: string;
}): MethodSpec<I, O> {
  return { progress: false, ...spec };
}

export type ServiceSpec = Readonly<Record<string, MethodSpec>>;
export type ContractSpec = Readonly<Record<string, ServiceSpec>>;

/** Progress of a long call; `total` is 0 when unknown. Units are named by `unit`. */
export interface Progress {
  phase: string;
  done: number;
  total: number;
  unit?: 'bytes' | 'items' | 'images' | 'iterations';
  message?: string;
  /** Figures that go with this step, such as a training iteration's loss (named with their units). */
  metrics?: Record<string, number>;
  /**
   * False while the work done so far is not a fair sample of the rest, so that no time left is
   * estimated from it (the image records at the head of a COCO file read slower per byte than the
   * annotations after them). Absent: fair.
   */
  estimable?: boolean;
}

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
}

export interface HandlerContext {
  signal: AbortSignal;
  progress: (progress: Progress) => void;
}

/** What a caller sees: every method as an async function. */
export type ServiceClient<S extends ServiceSpec> = {
  [M in keyof S]: (input: z.input<S[M]['input']>, options?: CallOptions) => Promise<z.output<S[M]['output']>>;
};
export type ContractClient<C extends ContractSpec> = { [K in keyof C]: ServiceClient<C[K]> };

/** What a service provides: every method, given the parsed input and a context for progress and cancellation. */
export type ServiceHandlers<S extends ServiceSpec> = {
  [M in keyof S]: (input: z.output<S[M]['input']>, context: HandlerContext) => Promise<z.input<S[M]['output']>>;
};
export type ContractHandlers<C extends ContractSpec> = { [K in keyof C]: ServiceHandlers<C[K]> };
