import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCache } from './connection';

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
});
