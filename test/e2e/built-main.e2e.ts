import { chromium, expect, test } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from './serve-harness';

// The desktop app as built (out/main, out/preload, out/renderer), on any machine: its main bundle
// and preload run in Node with the stand-in for the electron module (built-main-driver.ts).
test('the built main process opens its window with out/preload/index.cjs and out/renderer/index.html, and answers the page through the built preload, engine included', () => {
  const mainBundle = join(projectRoot, 'out', 'main', 'index.js');
  expect(existsSync(mainBundle), 'the app is built (npm run build)').toBe(true);
  const dataDir = mkdtempSync(join(tmpdir(), 'mlw-built-main-'));
  try {
    const output = execFileSync(process.execPath, ['--import', 'tsx', join(projectRoot, 'test', 'e2e', 'built-main-driver.ts')], {
      cwd: projectRoot,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        ...process.env,
        MLW_DATA_DIR: dataDir,
        // Node's build of better-sqlite3 stands for the copy `npm start` builds for Electron.
        MLW_SQLITE_NATIVE_BINDING: join(
          createRequire(import.meta.url).resolve('better-sqlite3/package.json'),
          '..',
          'build',
          'Release',
          'better_sqlite3.node',
        ),
        MLW_BACKEND: 'wasm',
      },
    });
    const seen = JSON.parse(output.trim().split('\n').at(-1)!) as {
      title: string;
      webPreferences: Record<string, unknown>;
      loads: string[];
      exposed: string[];
      info: unknown;
      engineStatus: { type: string; output?: { backend: string } };
      engines: { modulePath: string; options: unknown }[];
    };
    const preload = join(projectRoot, 'out', 'preload', 'index.cjs');
    expect(seen.title).toBe('Multilabel Workbench');
    expect(seen.webPreferences).toEqual({ preload, contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true });
    expect(existsSync(preload)).toBe(true);
    expect(seen.loads).toEqual([pathToFileURL(join(projectRoot, 'out', 'renderer', 'index.html')).href]);
    expect(existsSync(join(projectRoot, 'out', 'renderer', 'index.html'))).toBe(true);
    expect(seen.exposed).toEqual(['mlwBridge']);
    expect(seen.info).toMatchObject({ type: 'result', id: 1, output: { host: 'electron', dataDir, canPickPaths: true } });
    expect(seen.engineStatus).toMatchObject({ type: 'result', id: 2, output: { backend: 'wasm' } });
    expect(seen.engines).toEqual([
      {
        modulePath: join(projectRoot, 'out', 'main', 'engine-worker.js'),
        options: { serviceName: 'Multilabel Workbench engine', stdio: 'pipe' },
      },
    ]);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

// What the window loads, as Electron loads it: the built page from a file: URL, its module scripts
// and styles by relative paths. Without the preload's bridge the page says it cannot reach the
// service, which shows the bundle ran.
test('the built renderer runs from its file: URL, as the desktop window loads it', async ({ browserName }) => {
  // Electron lets a file: page load its module scripts; Chromium only with a launch flag, so this test launches its own.
  const browser = await chromium.launch({
    ...(process.env.CHROMIUM_PATH ? { executablePath: process.env.CHROMIUM_PATH } : {}),
    args: [...(process.getuid?.() === 0 ? ['--no-sandbox'] : []), '--disable-gpu', '--allow-file-access-from-files'],
  });
  try {
    expect(browserName).toBe('chromium');
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(pathToFileURL(join(projectRoot, 'out', 'renderer', 'index.html')).href);
    await expect(page.getByRole('heading', { name: 'Multilabel Workbench' })).toBeVisible();
    await expect(page.locator('body')).toHaveAttribute('data-app-state', 'error');
    await page.screenshot({ path: join(projectRoot, 'test-results', 'built-renderer-file-url.png') });
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
});
