import { useEffect, useState } from 'react';
import type { z } from 'zod';

/** A value kept under `key`, or `initial` where there is none or it does not match `schema`. */
export function readPersistent<T>(key: string, schema: z.ZodType<T>, initial: T): T {
  try {
    const text = window.localStorage.getItem(key);
    if (text === null) return initial;
    const parsed = schema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : initial;
  } catch {
    return initial; // no storage (a locked-down browser) or a damaged entry: start afresh
  }
}

/** Keeps a value under `key` (quietly does nothing where storage is unavailable). */
export function writePersistent(key: string, value: unknown): void {
  try {
    window.localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or unavailable: the state still works for this page
  }
}

/**
 * State that a workspace keeps across tab switches and reloads: in this browser's (or window's)
 * local storage under `key`, checked by `schema` when read back (a damaged or older entry gives
 * `initial`). When `key` changes (another dataset, another run), the state is that key's.
 */
export function usePersistentState<T>(key: string, schema: z.ZodType<T>, initial: T): [T, (next: T | ((current: T) => T)) => void] {
  const [entry, setEntry] = useState(() => ({ key, value: readPersistent(key, schema, initial) }));
  let current = entry;
  if (entry.key !== key) {
    current = { key, value: readPersistent(key, schema, initial) };
    setEntry(current);
  }
  useEffect(() => writePersistent(current.key, current.value), [current]);
  const set = (next: T | ((value: T) => T)): void =>
    setEntry((e) => ({ key: e.key, value: typeof next === 'function' ? (next as (value: T) => T)(e.value) : next }));
  return [current.value, set];
}
