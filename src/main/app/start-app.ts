import { app, BrowserWindow, dialog, Menu, session, shell } from 'electron';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../shared/contract/errors';
import { defaultDataDir, productName } from '../paths';
import { createServices, type Services } from '../services';
import { pickPath, printPdf } from './desktop-services';
import { spawnEngine } from './engine-process';
import { createMainWindow, type RendererLocation } from './main-window';
import { denyAllPermissions } from './permissions';

/** What the desktop app loads: electron-vite builds them beside the main bundle. */
export interface AppFiles {
  /** The preload (CommonJS, as a sandboxed preload must be). */
  preload: string;
  renderer: RendererLocation;
}

/**
 * The desktop app's main process: names the app and its data folder at once; when Electron is
 * ready, starts the services (or says why they cannot start, and exits), denies every permission,
 * sets the menu and opens the window; asks before quitting while jobs run. `started` settles once
 * the window is open, with the services (undefined when they could not start).
 */
export function startApp(files: AppFiles): { started: Promise<Services | undefined> } {
  let services: Services | undefined;

  // The CLI and `mlw serve` use the same folder by default, so all three faces share one cache.
  app.setName(productName);
  app.setPath('userData', defaultDataDir());
  // better-sqlite3 built for Electron's ABI, prepared by scripts/prepare-electron-native.mjs.
  process.env.MLW_SQLITE_NATIVE_BINDING ??= join(
    app.getAppPath(),
    '.cache',
    'electron-native',
    'better-sqlite3',
    'build',
    'Release',
    'better_sqlite3.node',
  );

  const openWindow = (): void => {
    createMainWindow({ preload: files.preload, renderer: files.renderer, handlers: services!.handlers });
  };

  const started = app.whenReady().then(
    () => {
      try {
        services = createServices({
          dataDir: app.getPath('userData'),
          host: 'electron',
          pickPath,
          spawnEngine,
          printPdf,
          logName: 'desktop',
        });
      } catch (error) {
        dialog.showErrorBox(productName, AppError.from(error).message);
        app.exit(1);
        return undefined;
      }
      denyAllPermissions(session.defaultSession);
      setMenu(join(app.getPath('userData'), 'logs'));
      openWindow();
      app.on('activate', () => {
        if (BrowserWindow.getAllWindows().length === 0) openWindow();
      });
      return services;
    },
    (error: unknown) => {
      dialog.showErrorBox(productName, AppError.from(error).message);
      app.exit(1);
      return undefined;
    },
  );

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  // Jobs (training) run in this process, not in a window: quitting stops them, so ask first.
  let quitConfirmed = false;
  app.on('before-quit', (event) => {
    const running = services?.jobs.active() ?? [];
    if (quitConfirmed || running.length === 0) return;
    event.preventDefault();
    const choice = dialog.showMessageBoxSync({
      type: 'question',
      buttons: ['Stop them and quit', 'Keep working'],
      defaultId: 1,
      cancelId: 1,
      message: `${running.length} job${running.length === 1 ? ' is' : 's are'} still running: ${running.map((j) => j.title).join(', ')}.`,
      detail:
        'Quitting stops them. A stopped training run can be resumed later from its last checkpoint (Resume in the Train workspace, or "mlw resume RUN_ID").',
    });
    if (choice !== 0) return;
    quitConfirmed = true;
    void services!.jobs.cancelAll().finally(() => app.quit());
  });

  app.on('will-quit', () => services?.close());
  return { started };
}

function setMenu(logsDir: string): void {
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      { role: 'fileMenu' },
      { role: 'editMenu' },
      { role: 'viewMenu' },
      {
        label: 'Help',
        submenu: [
          {
            label: 'Open log folder',
            // The logs of the app and its engine: what a bug report needs.
            click: () => void mkdir(logsDir, { recursive: true }).then(() => shell.openPath(logsDir)),
          },
        ],
      },
    ]),
  );
}
