/**
 * Errors cross every transport as {code, message, details}. The message is a sentence for a person:
 * what went wrong and what to do. Codes are stable for programs.
 */
export const errorCodes = [
  'INVALID_INPUT',
  'NOT_FOUND',
  'CANCELLED',
  'UNSUPPORTED',
  'ENGINE_CRASHED',
  'OUT_OF_MEMORY',
  'WRONG_NATIVE_BUILD',
  'TRANSPORT_CLOSED',
  'NETWORK',
  /** A path outside what this server may touch (`mlw serve --root`), or a file it may not replace. */
  'FORBIDDEN',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof errorCodes)[number];

export interface SerializedError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.details = details;
  }

  toJSON(): SerializedError {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }

  static from(error: unknown): AppError {
    if (error instanceof AppError) return error;
    if (isSerializedError(error)) return new AppError(error.code, error.message, error.details);
    if (error instanceof Error && error.name === 'AbortError') return cancelled();
    const message = error instanceof Error ? error.message : String(error);
    return new AppError('INTERNAL', `Unexpected internal error: ${message}`);
  }
}

export function cancelled(): AppError {
  return new AppError('CANCELLED', 'The operation was cancelled.');
}

/**
 * `work`'s outcome, or CANCELLED as soon as `signal` aborts, without stopping `work` (which others
 * may share, or which the caller stops itself).
 */
export function unlessAborted<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  // Whoever shares the work sees its failure; here it must not go unhandled once this caller has left.
  work.catch(() => undefined);
  if (signal === undefined) return work;
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

export function isSerializedError(value: unknown): value is SerializedError {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === 'string' && (errorCodes as readonly string[]).includes(v.code) && typeof v.message === 'string';
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled();
}
