import { BrowserWindow, dialog, ipcMain, shell, type IpcMainEvent } from 'electron';
import { pathToFileURL } from 'node:url';
import { contract, type ApiHandlers } from '../../shared/contract';
import { serveContract } from '../../shared/rpc/server';
import { logInternalError } from '../files/log-file';
import { productName } from '../paths';
import { electronProtocol } from '../transport/electron-ipc';
import { isAllowedExternalLink } from './external-links';

/** Where the window's page comes from: electron-vite's dev server (`url`) or the built file. */
export interface RendererLocation {
  url: string | undefined;
  file: string;
}

/**
 * Whether an IPC message comes from the app's own page: the frame that sent it shows the dev
 * server's page or the built index.html (with any query or hash), and nothing else, such as a
 * subframe from elsewhere.
 */
export function isTrustedSender(event: Pick<IpcMainEvent, 'senderFrame'>, renderer: RendererLocation): boolean {
  const url = event.senderFrame?.url ?? '';
  // The dev server: its own origin exactly (a prefix would let http://localhost:51730 pass for :5173).
  if (renderer.url !== undefined && originOf(url) !== null && originOf(url) === originOf(renderer.url)) return true;
  const page = pathToFileURL(renderer.file).href;
  return url === page || url.startsWith(`${page}?`) || url.startsWith(`${page}#`);
}

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

/**
 * The app's window: a sandboxed, context-isolated page without Node, whose only door to the
 * services is the preload's bridge, served here over IPC for messages from its own page only. It
 * never navigates away; links to the allowed sites open in the user's browser once they have seen
 * where they go.
 */
export function createMainWindow(options: { preload: string; renderer: RendererLocation; handlers: Partial<ApiHandlers> }): BrowserWindow {
  const { renderer, handlers } = options;
  const window = new BrowserWindow({
    width: 1400,
    height: 900,
    minWidth: 960,
    minHeight: 640,
    title: productName,
    show: false,
    webPreferences: {
      preload: options.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    },
  });

  // A reload starts a new page whose call ids begin again at 1: serve it afresh, cancelling what
  // the old page had asked for.
  const serve = (): (() => void) =>
    serveContract(
      electronProtocol(ipcMain, window.webContents, (event) => isTrustedSender(event, renderer)),
      contract,
      handlers,
      { onInternalError: logInternalError },
    );
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

  if (renderer.url !== undefined) void window.loadURL(renderer.url);
  else void window.loadFile(renderer.file);
  return window;
}
