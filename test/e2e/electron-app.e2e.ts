import { _electron as electron, expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from './serve-harness';

/** The Electron binary that `require('electron')` names, when npm installed it (not with ELECTRON_SKIP_BINARY_DOWNLOAD=1). */
function electronBinary(): string | undefined {
  try {
    const path: unknown = createRequire(import.meta.url)('electron');
    return typeof path === 'string' && existsSync(path) ? path : undefined;
  } catch {
    return undefined; // electron/index.js throws when its binary was never downloaded
  }
}

const binary = electronBinary();
const noDisplay = process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;

test.describe('the desktop app in Electron', () => {
  test.skip(
    binary === undefined,
    'The Electron binary is not installed here (ELECTRON_SKIP_BINARY_DOWNLOAD); the main process is tested against a stand-in for the electron module instead (src/main/app/*.test.ts and built-main.e2e.ts).',
  );
  test.skip(noDisplay, 'There is no display for Electron’s window here; run the end-to-end tests under xvfb-run.');

  test('opens its window with the app’s title, loads the page over the bridge, and shows it', async () => {
    // What `npm start` does first: the SQLite addon built for Electron (nothing to do once it is there).
    execFileSync(process.execPath, [join(projectRoot, 'scripts', 'prepare-electron-native.mjs')], { cwd: projectRoot, stdio: 'inherit' });
    expect(existsSync(join(projectRoot, 'out', 'main', 'index.js')), 'the app is built (npm run build)').toBe(true);
    const dataDir = mkdtempSync(join(tmpdir(), 'mlw-electron-e2e-'));
    // The built page (not a dev server), in Electron (not Electron run as Node).
    const { ELECTRON_RENDERER_URL: _devServer, ELECTRON_RUN_AS_NODE: _asNode, ...inherited } = process.env;
    const env = { ...inherited, MLW_DATA_DIR: dataDir };
    const app = await electron.launch({
      executablePath: binary!,
      // Chromium's sandbox refuses to run as root.
      args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), projectRoot],
      cwd: projectRoot,
      env: env as Record<string, string>,
    });
    try {
      const window = await app.firstWindow();
      await expect(window).toHaveTitle('Multilabel Workbench');
      // The renderer reached the services through the preload's bridge.
      await expect(window.locator('body[data-app-state="loaded"]')).toBeAttached();
      // The page has the bridge and nothing of Node.
      expect(
        await window.evaluate(() => {
          const page = globalThis as Record<string, unknown>;
          return [typeof page.mlwBridge, typeof page.require, typeof page.process];
        }),
      ).toEqual(['object', 'undefined', 'undefined']);
      mkdirSync(join(projectRoot, 'test-results'), { recursive: true });
      await window.screenshot({ path: join(projectRoot, 'test-results', 'electron-app.png') });
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
