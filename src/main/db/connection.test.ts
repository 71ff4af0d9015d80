import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCache } from './connection';
import { migrations } from './migrations';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-connection-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('openCache', () => {
  it('creates a new cache with 16 KiB pages in WAL mode, and keeps them when it is opened again', () => {
    for (let open = 0; open < 2; open++) {
      const db = openCache(dir);
      try {
        expect(db.pragma('page_size', { simple: true })).toBe(16384);
        expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      } finally {
        db.close();
      }
    }
  });

  it('opens a cache whose write lock another connection holds (an import in progress) without waiting for it', () => {
    openCache(dir).close();
    const importing = openCache(dir);
    try {
      importing.prepare('BEGIN IMMEDIATE').run();
      const started = performance.now();
      const reader = openCache(dir);
      try {
        expect(reader.prepare('SELECT COUNT(*) AS n FROM annotation_files').get()).toEqual({ n: 0 });
      } finally {
        reader.close();
      }
      // busy_timeout is 5 s: a migration check that took the write lock would have waited that long and failed.
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      importing.prepare('ROLLBACK').run();
      importing.close();
    }
  });

  it('still refuses a cache of a newer schema and a migration edited after it was applied', () => {
    openCache(dir).close();
    const extra = { version: 999, name: 'from the future', sql: 'CREATE TABLE future (x INTEGER);' };
    openCache(dir, [...migrations, extra]).close();
    expect(() => openCache(dir)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining('newer version') }),
    );
    const other = mkdtempSync(join(tmpdir(), 'mlw-connection-'));
    try {
      openCache(other).close();
      const edited = migrations.map((m, i) => (i === 0 ? { ...m, sql: `${m.sql}\n-- edited` } : m));
      expect(() => openCache(other, edited)).toThrow(
        expect.objectContaining({ code: 'INTERNAL', message: expect.stringContaining('was edited') }),
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
