import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { AppError } from '../../shared/contract/errors';
import { migrations as defaultMigrations, type Migration } from './migrations';
import { loadSqlite, wrapNativeError } from './native';

export type Db = SqliteDatabase;

export const cacheFileName = 'cache.sqlite';

/** Opens (creating if needed) the SQLite cache in `dataDir`, in WAL mode, with every migration applied. */
export function openCache(dataDir: string, migrations: readonly Migration[] = defaultMigrations): Db {
  mkdirSync(dataDir, { recursive: true });
  const { Database, nativeBinding } = loadSqlite();
  let db: Db;
  try {
    db = new Database(join(dataDir, cacheFileName), nativeBinding ? { nativeBinding } : {});
  } catch (error) {
    throw wrapNativeError(error);
  }
  // Takes effect only when the cache is created (a WAL database keeps its page size): 16 KiB pages
  // make the import's commit a quarter cheaper than SQLite's default 4 KiB (bench:ingest).
  db.pragma('page_size = 16384');
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('cache_size = -65536');
  migrate(db, migrations);
  return db;
}

export function migrationHash(migration: Migration): string {
  return createHash('sha256').update(migration.sql).digest('hex');
}

export function migrate(db: Db, migrations: readonly Migration[]): void {
  // A cache that has every migration needs no write lock: reading that (WAL: readers never wait)
  // lets `mlw files` or a second window open the cache while an import holds the write lock.
  if (upToDate(db, migrations)) return;
  // One writer at a time: two processes opening a new cache together must not both apply version 1.
  db.transaction(() => applyMigrations(db, migrations)).immediate();
}

/** Whether the cache has exactly these migrations, each as written; anything else goes through applyMigrations. */
function upToDate(db: Db, migrations: readonly Migration[]): boolean {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (table === undefined) return false;
  const applied = new Map(
    (db.prepare('SELECT version, sha256 FROM schema_migrations').all() as { version: number; sha256: string }[]).map((row) => [
      row.version,
      row.sha256,
    ]),
  );
  return applied.size === migrations.length && migrations.every((m) => applied.get(m.version) === migrationHash(m));
}

function applyMigrations(db: Db, migrations: readonly Migration[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = new Map(
    (db.prepare('SELECT version, sha256 FROM schema_migrations').all() as { version: number; sha256: string }[]).map((row) => [
      row.version,
      row.sha256,
    ]),
  );
  const known = new Set(migrations.map((m) => m.version));
  for (const version of applied.keys()) {
    if (!known.has(version)) {
      throw new AppError(
        'INVALID_INPUT',
        `The cache was written by a newer version of Multilabel Workbench (schema ${version}). Update the app, or point --cache at another folder.`,
      );
    }
  }
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    const hash = migrationHash(migration);
    const previous = applied.get(migration.version);
    if (previous !== undefined) {
      if (previous !== hash) {
        throw new AppError(
          'INTERNAL',
          `Migration ${migration.version} (${migration.name}) was edited after it was applied; add a new migration instead.`,
        );
      }
      continue;
    }
    db.exec(migration.sql);
    db.prepare('INSERT INTO schema_migrations (version, name, sha256, applied_at) VALUES (?, ?, ?, ?)').run(
      migration.version,
      migration.name,
      hash,
      new Date().toISOString(),
    );
  }
}
