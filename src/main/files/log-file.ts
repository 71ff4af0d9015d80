import { appendFileSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** A log of one process in the data folder: `logs/<name>.log`, moved to `<name>.1.log` past `maxBytes`. */
export interface LogFile {
  path: string;
  write(text: string): void;
}

let current: LogFile | null = null;

/**
 * Opens (and makes current) the log of this process: the desktop app's main process, `mlw serve`
 * or one `mlw` command. Writes are synchronous appends, so a crash loses nothing written before it;
 * a log that cannot be written (a read-only data folder) costs nothing but the log.
 */
export function openProcessLog(dataDir: string, name: string, maxBytes = 5 * 1024 * 1024): LogFile {
  const dir = join(dataDir, 'logs');
  const path = join(dir, `${name}.log`);
  const rotated = join(dir, `${name}.1.log`);
  let broken = false;
  const log: LogFile = {
    path,
    write(text: string): void {
      if (broken) return;
      try {
        mkdirSync(dir, { recursive: true });
        try {
          if (statSync(path).size > maxBytes) {
            rmSync(rotated, { force: true });
            renameSync(path, rotated);
          }
        } catch {
          // no log yet
        }
        const stamped = text
          .replace(/\n+$/, '')
          .split('\n')
          .map((line) => `${new Date().toISOString()} ${line}`)
          .join('\n');
        appendFileSync(path, `${stamped}\n`);
      } catch {
        broken = true;
      }
    },
  };
  current = log;
  return log;
}

/** Appends to this process's log, if it has one. */
export function logLine(text: string): void {
  current?.write(text);
}

/** Logs an error that is a bug (INTERNAL), with its stack: the user sees a sentence, the log keeps the rest. */
export function logInternalError(method: string, error: unknown): void {
  logLine(`INTERNAL in ${method}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
}

/** The path of this process's log, if it has one. */
export function currentLogPath(): string | null {
  return current?.path ?? null;
}
