import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { contract, type Api } from '../../shared/contract';
import { createClient } from '../../shared/rpc/client';
import type { Services } from '../services';
import { rejection } from '../../../test/support/rejection';
import { startApp } from './start-app';
import {
  app,
  BrowserWindow,
  contextBridge,
  dialog,
  FakeUtilityProcess,
  ipcRenderer,
  Menu,
  resetFakeElectron,
  session,
  shell,
  type FakeBrowserWindow,
  type FakeMenuItem,
} from './testing/fake-electron';

vi.mock('electron', () => import('./testing/fake-electron'));

const files = { preload: '/opt/mlw/out/preload/index.cjs', renderer: { url: undefined, file: '/opt/mlw/out/renderer/index.html' } };
const packageVersion = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
// The Node build of better-sqlite3: the one the desktop app's Electron copy stands for here.
const nodeSqlite = join(
  createRequire(import.meta.url).resolve('better-sqlite3/package.json'),
  '..',
  'build',
  'Release',
  'better_sqlite3.node',
);

const envKeys = ['MLW_DATA_DIR', 'MLW_SQLITE_NATIVE_BINDING', 'MLW_BACKEND'] as const;
let savedEnv: Partial<Record<(typeof envKeys)[number], string>>;
let dataDir: string;
let services: Services | undefined;

beforeEach(() => {
  savedEnv = Object.fromEntries(envKeys.map((key) => [key, process.env[key]]));
  dataDir = mkdtempSync(join(tmpdir(), 'mlw-electron-'));
  process.env.MLW_DATA_DIR = dataDir;
  process.env.MLW_SQLITE_NATIVE_BINDING = nodeSqlite;
  // The engine's WebAssembly backend: there on every machine.
  process.env.MLW_BACKEND = 'wasm';
  services = undefined;
});

afterEach(async () => {
  await resetFakeElectron();
  if (services?.db.open) services.close();
  for (const key of envKeys) {
    if (savedEnv[key] === undefined) delete process.env[key];
    else process.env[key] = savedEnv[key];
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts the app, makes Electron ready and waits for its window. */
async function started(): Promise<{ services: Services; window: FakeBrowserWindow }> {
  const { started } = startApp(files);
  app.becomeReady();
  services = await started;
  expect(services).toBeDefined();
  expect(BrowserWindow.getAllWindows()).toHaveLength(1);
  const window = BrowserWindow.getAllWindows()[0]!;
  await vi.waitFor(() => expect(window.webContents.getURL()).not.toBe(''));
  return { services: services!, window };
}

/** The page's client, as the renderer makes it: over the bridge the real preload exposes in this window. */
async function pageClient(window: FakeBrowserWindow): Promise<Api & { dispose(): void }> {
  ipcRenderer.attach(window.webContents);
  await import('../../preload/index');
  const bridge = contextBridge.exposed.get('mlwBridge') as {
    send(message: unknown): void;
    onMessage(listener: (message: unknown) => void): () => void;
  };
  return createClient({ send: (message) => bridge.send(message), onMessage: (listener) => bridge.onMessage(listener) }, contract);
}

/** A job that runs until it is cancelled (possibly before its work has begun). */
function startEndlessJob(services: Services, title: string): void {
  services.jobs.start({ kind: 'training.train', title }, ({ signal }) => {
    return new Promise((_resolve, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason));
    });
  });
}

describe('start-up', () => {
  it('names the app and its data folder at once, and opens the window only when Electron is ready', async () => {
    const { started: whenStarted } = startApp(files);
    expect(app.getName()).toBe('Multilabel Workbench');
    expect(app.getPath('userData')).toBe(dataDir);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(BrowserWindow.made).toEqual([]);
    app.becomeReady();
    services = await whenStarted;
    expect(BrowserWindow.made).toHaveLength(1);
    expect(BrowserWindow.made[0]!.webPreferences.preload).toBe('/opt/mlw/out/preload/index.cjs');
    expect(existsSync(join(dataDir, 'cache.sqlite'))).toBe(true);
  });

  it('when the cache cannot be opened (no Electron build of SQLite), says why in an error box and exits with 1', async () => {
    delete process.env.MLW_SQLITE_NATIVE_BINDING;
    app.appPath = dataDir;
    const { started: whenStarted } = startApp(files);
    expect(process.env.MLW_SQLITE_NATIVE_BINDING).toBe(
      join(dataDir, '.cache/electron-native/better-sqlite3/build/Release/better_sqlite3.node'),
    );
    app.becomeReady();
    expect(await whenStarted).toBeUndefined();
    expect(dialog.errorBoxes).toHaveLength(1);
    expect(dialog.errorBoxes[0]!.title).toBe('Multilabel Workbench');
    expect(dialog.errorBoxes[0]!.content).toContain('The SQLite addon built for Electron is missing');
    expect(app.exitCode).toBe(1);
    expect(BrowserWindow.made).toEqual([]);
  });

  it('refuses every permission the page asks for, and says no to every permission check', async () => {
    const { window } = await started();
    const { permissionRequestHandler, permissionCheckHandler } = session.defaultSession;
    expect(permissionRequestHandler).toBeTypeOf('function');
    expect(permissionCheckHandler).toBeTypeOf('function');
    for (const permission of ['media', 'notifications', 'geolocation', 'clipboard-read', 'fullscreen', 'openExternal']) {
      const answers: boolean[] = [];
      permissionRequestHandler!(window.webContents, permission, (granted) => answers.push(granted), {
        requestingUrl: window.webContents.getURL(),
      });
      expect(answers).toEqual([false]);
      expect(permissionCheckHandler!(window.webContents, permission, 'file:///', {})).toBe(false);
    }
  });

  it('Help → Open log folder opens the logs folder inside the data folder', async () => {
    await started();
    const help = Menu.applicationMenu!.items.find((item) => item.label === 'Help');
    const openLogs = help?.submenu?.find((item: FakeMenuItem) => item.label === 'Open log folder');
    openLogs!.click!();
    await vi.waitFor(() => expect(shell.openedPaths).toEqual([join(dataDir, 'logs')]));
    expect(existsSync(join(dataDir, 'logs'))).toBe(true);
  });

  it('the page’s calls go through the real preload and IPC to the services, and are answered', async () => {
    const { window } = await started();
    const api = await pageClient(window);
    expect(await api.app.info({})).toEqual({ version: packageVersion, host: 'electron', dataDir, canPickPaths: true });
    api.dispose();
  });
});

describe('the engine’s utility process', () => {
  it('starts the engine in a utility process; after it crashes, the call says so, and the next call starts a new one that answers', async () => {
    const { window } = await started();
    const api = await pageClient(window);

    const first = api.training.status({});
    await vi.waitFor(() => expect(FakeUtilityProcess.forked).toHaveLength(1));
    const engine = FakeUtilityProcess.forked[0]!;
    expect(engine.modulePath).toMatch(/[/\\]engine\.worker\.ts$/);
    expect(engine.options).toEqual({ serviceName: 'Multilabel Workbench engine', stdio: 'pipe' });
    engine.crash(3, 'TypeError: the weights file is damaged at byte 12\n');
    const error = await rejection(first);
    expect(error.code).toBe('ENGINE_CRASHED');
    expect(error.message).toContain('exit code 3');
    expect(error.message).toContain('TypeError: the weights file is damaged at byte 12');
    expect(await engine.exited).toBe(3);

    // The app is unaffected, and the next call to the engine starts it again.
    expect(BrowserWindow.getAllWindows()).toEqual([window]);
    expect(app.quitCalls).toBe(0);
    const status = await api.training.status({});
    expect(status.backend).toBe('wasm');
    expect(FakeUtilityProcess.forked).toHaveLength(2);
    // Each call's engine is ended once the call is answered.
    await FakeUtilityProcess.forked[1]!.exited;
    api.dispose();
  });
});

describe('quitting', () => {
  it('quits without asking when no job runs, and closes the cache', async () => {
    const { services } = await started();
    app.quit();
    expect(dialog.syncMessageBoxes).toEqual([]);
    expect(app.quitted).toBe(true);
    expect(services.db.open).toBe(false);
  });

  it('asks first while jobs run: Keep working keeps them; Stop them and quit cancels them, then quits', async () => {
    const { services } = await started();
    startEndlessJob(services, 'Training on coco128');

    dialog.answerNextSync(1); // Keep working
    app.quit();
    expect(dialog.syncMessageBoxes).toHaveLength(1);
    expect(dialog.syncMessageBoxes[0]!.options).toMatchObject({
      buttons: ['Stop them and quit', 'Keep working'],
      cancelId: 1,
      message: '1 job is still running: Training on coco128.',
    });
    expect(app.quitted).toBe(false);
    expect(services.jobs.active().map((job) => job.status)).toEqual(['running']);
    expect(services.db.open).toBe(true);

    startEndlessJob(services, 'Importing annotations');
    dialog.answerNextSync(0); // Stop them and quit
    app.quit();
    expect(dialog.syncMessageBoxes[1]!.options.message).toMatch(/^2 jobs are still running: /);
    await vi.waitFor(() => expect(app.quitted).toBe(true));
    expect(services.jobs.active()).toEqual([]);
    expect(services.jobs.list().map((job) => job.status)).toEqual(['cancelled', 'cancelled']);
    expect(services.db.open).toBe(false);
    // Asked twice, not a third time when the quit went ahead.
    expect(dialog.syncMessageBoxes).toHaveLength(2);
  });

  it('closing the last window quits, except on macOS', async () => {
    const { window } = await started();
    window.close();
    expect(app.quitCalls).toBe(process.platform === 'darwin' ? 0 : 1);
  });
});
