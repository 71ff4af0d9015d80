import { homedir } from 'node:os';
import { join } from 'node:path';

export const productName = 'Multilabel Workbench';

/**
 * The per-user data folder: the same one Electron's `app.getPath('userData')` gives the desktop app
 * (it is set to this at start-up), so the CLI, `mlw serve` and the app share one cache by default.
 * `MLW_DATA_DIR` overrides it (tests give each run its own).
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.MLW_DATA_DIR) return env.MLW_DATA_DIR;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), productName);
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', productName);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), productName);
}
