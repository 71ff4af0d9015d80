import { statSync } from 'node:fs';
import type { Db } from './connection';

/**
 * The one owner of `written_outputs`: the reports, PDFs and output folders this app wrote. A file is
 * still the app's while its size and modification time are those recorded; a folder while it exists.
 */
export class OutputsStore {
  constructor(private readonly db: Db) {}

  /** Records what exists now at each path (a file with its size and time, or a folder). */
  record(paths: readonly string[]): void {
    const insert = this.db.prepare(
      `INSERT INTO written_outputs (path, kind, size_bytes, mtime_ms, written_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (path) DO UPDATE SET kind = excluded.kind, size_bytes = excluded.size_bytes,
         mtime_ms = excluded.mtime_ms, written_at = excluded.written_at`,
    );
    const now = new Date().toISOString();
    this.db.transaction(() => {
      for (const path of paths) {
        const info = statSync(path, { throwIfNoEntry: false });
        if (info === undefined) continue;
        if (info.isDirectory()) insert.run(path, 'folder', null, null, now);
        else insert.run(path, 'file', info.size, info.mtimeMs, now);
      }
    })();
  }

  /** Whether the file or folder at `path` is one this app wrote and nobody has changed since. */
  wroteIt(path: string): boolean {
    const row = this.db.prepare('SELECT kind, size_bytes, mtime_ms FROM written_outputs WHERE path = ?').get(path) as
      { kind: 'file' | 'folder'; size_bytes: number | null; mtime_ms: number | null } | undefined;
    if (row === undefined) return false;
    const info = statSync(path, { throwIfNoEntry: false });
    if (info === undefined) return false;
    if (row.kind === 'folder') return info.isDirectory();
    return info.isFile() && info.size === row.size_bytes && info.mtimeMs === row.mtime_ms;
  }
}
