import { useCallback, useEffect, useEffectEvent, useState } from 'react';
import { AppError } from '../../../shared/contract/errors';

export interface RequestResult<T> {
  /** The latest result; kept while a newer request runs, so views do not flash empty. */
  data: T | undefined;
  /** The key `data` belongs to (compare with the current key to know whether it is stale). */
  dataKey: string | null;
  error: AppError | undefined;
  /** True from the moment the key changes until its request settles (debounce included). */
  loading: boolean;
  reload: () => void;
}

interface Settled<T> {
  key: string;
  data: T | undefined;
  dataKey: string | null;
  error: AppError | undefined;
}

/**
 * Runs `run` whenever `key` changes (null: nothing to ask), after `debounceMs`, aborting the
 * previous request so a stale answer never overwrites a newer one. `key` must capture every input
 * of `run` (a JSON string of them is the usual choice).
 */
export function useRequest<T>(
  key: string | null,
  run: (signal: AbortSignal) => Promise<T>,
  options: { debounceMs?: number } = {},
): RequestResult<T> {
  const debounceMs = options.debounceMs ?? 0;
  const [generation, setGeneration] = useState(0);
  const [settled, setSettled] = useState<Settled<T> | null>(null);
  const fullKey = key === null ? null : `${generation}\u0000${key}`;
  const start = useEffectEvent((signal: AbortSignal) => run(signal));

  useEffect(() => {
    if (fullKey === null) return;
    const controller = new AbortController();
    const send = (): void => {
      start(controller.signal).then(
        (data) => {
          if (!controller.signal.aborted) setSettled({ key: fullKey, data, dataKey: key, error: undefined });
        },
        (error: unknown) => {
          if (controller.signal.aborted) return;
          setSettled((previous) => ({
            key: fullKey,
            data: previous?.data,
            dataKey: previous?.dataKey ?? null,
            error: AppError.from(error),
          }));
        },
      );
    };
    // Without a debounce the request leaves at once, not a task later behind the browser's paint.
    const timer = debounceMs > 0 ? setTimeout(send, debounceMs) : undefined;
    if (timer === undefined) send();
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [fullKey, key, debounceMs]);

  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  if (key === null) return { data: undefined, dataKey: null, error: undefined, loading: false, reload };
  const current = settled?.key === fullKey;
  return {
    data: settled?.data,
    dataKey: settled?.dataKey ?? null,
    error: current ? settled.error : undefined,
    loading: !current,
    reload,
  };
}
