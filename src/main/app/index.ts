import { logInternalError } from '../files/log-file';
import { app, BrowserWindow, dialog, ipcMain, Menu, session, shell, utilityProcess, type IpcMainEvent } from 'electron';
import { isAllowedExternalLink } from './external-links';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { contract } from '../../shared/contract';
import { AppError } from '../../shared/contract/errors';
import { serveContract } from '../../shared/rpc/server';
import { defaultDataDir, productName } from '../paths';
import { createServices, type Services } from '../services';
import type { PathPicker } from '../services/app-service';
import type { PdfPrinter } from '../services/report-service';
import { electronProtocol } from '../transport/electron-ipc';
import type { EngineSpawner } from '../engine';

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

let services: Services | undefined;

/** The engine in an Electron utility process: a crash there leaves the app running. */
const spawnEngine: EngineSpawner = (workerPath) => {
  const child = utilityProcess.fork(workerPath, [], { serviceName: 'Multilabel Workbench engine', stdio: 'pipe' });
  let tail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4000);
  });
  return {
    send: (message) => child.postMessage(message),
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.once('exit', (code) => listener(code, null)),
    stderrTail: () => tail,
    kill: () => void child.kill(),
  };
};

const pickPath: PathPicker = async ({ kind, title, filters }) => {
  const options: Electron.OpenDialogOptions = {
    title,
    properties: kind === 'file' ? ['openFile'] : ['openDirectory'],
    ...(filters ? { filters } : {}),
  };
  const parent = BrowserWindow.getFocusedWindow();
  const result = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
};

/**
 * Reports to PDF with Chromium's own printing: the self-contained report loads in a hidden window
 * without scripts, which can neither navigate nor open others, and is printed on A4 with its colours.
 */
const printPdf: PdfPrinter = async (htmlPath, pdfPath) => {
  const window = new BrowserWindow({
    show: false,
    webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false, webSecurity: true },
  });
  try {
    window.webContents.on('will-navigate', (event) => event.preventDefault());
    window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    await window.loadFile(htmlPath);
    const pdf = await window.webContents.printToPDF({ pageSize: 'A4', printBackground: true });
    await writeFile(pdfPath, pdf);
  } finally {
    window.destroy();
  }
};

const rendererUrl = process.env.ELECTRON_RENDERER_URL;
const rendererFile = join(__dirname, '../renderer/index.html');

function isTrustedSender(event: IpcMainEvent): boolean {
  const url = event.senderFrame?.url ?? '';
  if (rendererUrl !== undefined && url.startsWith(rendererUrl)) return true;
  return (
    url === pathToFileURL(rendererFile).href ||
    url.startsWith(`${pathToFileURL(rendererFile).href}?`) ||
    url.startsWith(`${pathToFileURL(rendererFile).href}#`)
  );
}

function createWindow(): void {
  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 960,
    minHeight: 640,
    title: productName,
    show: false,
    webPreferences: {
      preload: join(__dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });

  // A reload starts a new page whose call ids begin again at 1: serve it afresh, cancelling what
  // the old page had asked for.
  const serve = (): (() => void) =>
    serveContract(electronProtocol(ipcMain, window.webContents, isTrustedSender), contract, services!.handlers, {
      onInternalError: logInternalError,
    });
  let stop = serve();
  window.webContents.on('did-navigate', () => {
    stop();
    stop = serve();
  });
  window.webContents.on('render-process-gone', (_event, details) => {
    stop();
    if (details.reason === 'clean-exit') return;
    void dialog.showMessageBox(window, {
      type: 'error',
      message: 'The window stopped unexpectedly',
      detail: `Reason: ${details.reason}. Your data is safe in the cache; the window will reload.`,
    });
    window.reload();
  });
  window.on('closed', () => stop());

  // Links to the allowed sites open in the user's browser once the user has seen where they go;
  // the window never navigates away from the app.
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalLink(url)) {
      void dialog
        .showMessageBox(window, {
          type: 'question',
          buttons: ['Open', 'Cancel'],
          defaultId: 0,
          cancelId: 1,
          message: 'Open this link in your browser?',
          detail: url,
        })
        .then(({ response }) => (response === 0 ? shell.openExternal(url) : undefined));
    }
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  window.once('ready-to-show', () => window.show());

  if (rendererUrl !== undefined) void window.loadURL(rendererUrl);
  else void window.loadFile(rendererFile);
}

app.whenReady().then(
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
      return;
    }
    const logsDir = join(app.getPath('userData'), 'logs');
    // The renderer needs no camera, microphone, notifications or any other permission: deny them all.
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
    session.defaultSession.setPermissionCheckHandler(() => false);
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
    createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  },
  (error: unknown) => {
    dialog.showErrorBox(productName, AppError.from(error).message);
    app.exit(1);
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
