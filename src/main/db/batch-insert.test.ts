import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BatchInsert } from './batch-insert';
import { openCache, type Db } from './connection';

let dir: string;
let db: Db;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-batch-'));
  db = openCache(dir);
  db.exec('CREATE TABLE t (a INTEGER NOT NULL, b TEXT, c BLOB)');
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('BatchInsert', () => {
  it('inserts every row, in order, whether it ends on a full statement or part of one', () => {
    for (const count of [0, 1, 3, 4, 5, 11]) {
      db.exec('DELETE FROM t');
      const insert = new BatchInsert(db, 't', ['a', 'b', 'c'], 4);
      for (let i = 0; i < count; i++) insert.add(i, `row ${i}`, Buffer.from([i, i + 1]));
      insert.flush();
      const rows = db.prepare('SELECT a, b, c FROM t ORDER BY rowid').all() as { a: number; b: string; c: Buffer }[];
      expect(rows.map((r) => [r.a, r.b, [...r.c]])).toEqual(Array.from({ length: count }, (_, i) => [i, `row ${i}`, [i, i + 1]]));
    }
  });

  it('reports the rows still waiting, so that their buffers are kept until a statement runs', () => {
    const insert = new BatchInsert(db, 't', ['a', 'b', 'c'], 3);
    expect(insert.pending).toBe(0);
    insert.add(1, null, null);
    insert.add(2, null, null);
    expect(insert.pending).toBe(2);
    expect(db.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(0);
    insert.add(3, null, null);
    expect(insert.pending).toBe(0);
    expect(db.prepare('SELECT COUNT(*) FROM t').pluck().get()).toBe(3);
  });

  it('refuses a row with the wrong number of values', () => {
    expect(() => new BatchInsert(db, 't', ['a', 'b', 'c']).add(1, 'x')).toThrow(/A row needs 3 values, not 2/);
  });
});
