import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import type BetterSqlite3 from 'better-sqlite3';
import { AppError } from '../../shared/contract/errors';

const nodeRequire = createRequire(import.meta.url);

/**
 * Loads better-sqlite3. Its addon is built for one ABI: Node's (tests, `mlw`, `mlw serve`) or
 * Electron's (the desktop app, from the copy `npm start` prepares in `MLW_SQLITE_NATIVE_BINDING`).
 * A wrong build becomes a sentence saying which command fixes it, not a crash.
 */
export function loadSqlite(): { Database: typeof BetterSqlite3; nativeBinding: string | undefined } {
  const nativeBinding = process.env.MLW_SQLITE_NATIVE_BINDING;
  if (nativeBinding !== undefined && !existsSync(nativeBinding)) {
    throw new AppError(
      'WRONG_NATIVE_BUILD',
      `The SQLite addon built for Electron is missing (${nativeBinding}). Run "npm start" again with internet access so it can be prepared.`,
    );
  }
  try {
    const Database = nodeRequire('better-sqlite3') as typeof BetterSqlite3;
    return { Database, nativeBinding };
  } catch (error) {
    throw wrapNativeError(error);
  }
}

export function wrapNativeError(error: unknown): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (
    /NODE_MODULE_VERSION|was compiled against a different Node\.js version|invalid ELF header|Could not locate the bindings file/.test(
      message,
    )
  ) {
    const runtime = process.versions.electron ? `Electron ${process.versions.electron}` : `Node ${process.version}`;
    return new AppError(
      'WRONG_NATIVE_BUILD',
      `The SQLite addon (better-sqlite3) was built for another runtime than ${runtime}. Run "npm rebuild better-sqlite3" for the command line and tests, or "npm start" for the desktop app, which prepares its own copy.`,
      { cause: message },
    );
  }
  return error;
}
