import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiHandlers } from '../../shared/contract';
import { createMainWindow, isTrustedSender } from './main-window';
import { BrowserWindow, dialog, ipcMain, resetFakeElectron, shell, type FakeBrowserWindow } from './testing/fake-electron';

vi.mock('electron', () => import('./testing/fake-electron'));

const preload = '/opt/mlw/out/preload/index.cjs';
const rendererFile = '/opt/mlw/out/renderer/index.html';
const pageUrl = 'file:///opt/mlw/out/renderer/index.html';
const appInfo = { version: '1.2.3', host: 'electron' as const, dataDir: '/home/someone/.config/Multilabel Workbench', canPickPaths: true };

afterEach(resetFakeElectron);

/** The window, serving handlers whose `app.info` is watched, once its page has loaded. */
async function openWindow(rendererUrl?: string): Promise<{ window: FakeBrowserWindow; info: ReturnType<typeof vi.fn> }> {
  const info = vi.fn(async () => appInfo);
  const handlers = { app: { info, pickPath: async () => null } } as unknown as Partial<ApiHandlers>;
  createMainWindow({ preload, renderer: { url: rendererUrl, file: rendererFile }, handlers });
  expect(BrowserWindow.made).toHaveLength(1);
  const window = BrowserWindow.made[0]!;
  await vi.waitFor(() => expect(window.webContents.getURL()).not.toBe(''));
  return { window, info };
}

const infoCall = (id: number) => ({ type: 'call', id, method: 'app.info', input: {} });
/** What main sent the page on the RPC channel. */
const rpcSent = (window: FakeBrowserWindow): unknown[] =>
  window.webContents.sent.filter((message) => message.channel === 'mlw:rpc').map((message) => message.args[0]);
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 30));

describe('the main window', () => {
  it('is sandboxed and context-isolated, without Node, with web security, and gets the preload', async () => {
    const { window } = await openWindow();
    expect(window.webPreferences).toEqual({
      preload: '/opt/mlw/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
    });
    expect(window.options.title).toBe('Multilabel Workbench');
  });

  it('loads the built page, and shows the window only once it is ready', async () => {
    const { window } = await openWindow();
    expect(window.webContents.loads).toEqual(['file:///opt/mlw/out/renderer/index.html']);
    expect(window.options.show).toBe(false);
    expect(window.isVisible()).toBe(true);
  });

  it('loads the dev server’s page when electron-vite names one', async () => {
    const { window } = await openWindow('http://localhost:5173/');
    expect(window.webContents.loads).toEqual(['http://localhost:5173/']);
  });

  it('never navigates away: will-navigate is prevented', async () => {
    const { window } = await openWindow();
    for (const url of ['https://cocodataset.org/', 'https://evil.example/', 'file:///etc/passwd']) {
      expect(await window.webContents.navigateFromPage(url)).toBe(false);
    }
    expect(window.webContents.getURL()).toBe(pageUrl);
  });
});

describe('links the page opens', () => {
  it('denies the new window; an allowed link opens in the browser after the user clicks Open', async () => {
    const { window } = await openWindow();
    const url = 'https://cocodataset.org/#download';
    expect(window.webContents.openFromPage(url)).toEqual({ action: 'deny' });
    expect(dialog.messageBoxes).toHaveLength(1);
    const [box] = dialog.messageBoxes;
    expect(box!.window).toBe(window);
    expect(box!.options).toMatchObject({ buttons: ['Open', 'Cancel'], cancelId: 1, detail: url });
    // Not before the user has answered.
    await settle();
    expect(shell.openedExternal).toEqual([]);
    box!.answer(0);
    await vi.waitFor(() => expect(shell.openedExternal).toEqual(['https://cocodataset.org/#download']));
  });

  it('does not open an allowed link when the user clicks Cancel', async () => {
    const { window } = await openWindow();
    expect(window.webContents.openFromPage('https://github.com/tensorflow/tfjs-models')).toEqual({ action: 'deny' });
    dialog.messageBoxes[0]!.answer(1);
    await settle();
    expect(shell.openedExternal).toEqual([]);
  });

  it('neither opens nor asks about a link to any other place', async () => {
    const { window } = await openWindow();
    for (const url of ['https://evil.example/', 'http://cocodataset.org/', 'https://cocodataset.org.evil.example/', 'file:///etc/passwd']) {
      expect(window.webContents.openFromPage(url)).toEqual({ action: 'deny' });
    }
    await settle();
    expect(dialog.messageBoxes).toEqual([]);
    expect(shell.openedExternal).toEqual([]);
  });
});

describe('IPC from the page', () => {
  it('a call from the window’s own page reaches the services and is answered', async () => {
    const { window, info } = await openWindow();
    window.webContents.sendFromPage('mlw:rpc', [infoCall(1)]);
    await vi.waitFor(() => expect(rpcSent(window)).toEqual([{ type: 'result', id: 1, output: appInfo }]));
    expect(info).toHaveBeenCalledTimes(1);
  });

  it('a call from another webContents, even one showing the app’s page, is dropped', async () => {
    const { window, info } = await openWindow();
    const other = new BrowserWindow({ show: false });
    await other.loadFile(rendererFile);
    other.webContents.sendFromPage('mlw:rpc', [infoCall(1)]);
    await settle();
    expect(info).not.toHaveBeenCalled();
    expect(rpcSent(window)).toEqual([]);
    expect(rpcSent(other)).toEqual([]);
    // The same call from the window's own page is answered: the wait above was long enough.
    window.webContents.sendFromPage('mlw:rpc', [infoCall(1)]);
    await vi.waitFor(() => expect(rpcSent(window)).toHaveLength(1));
  });

  it('a call from a subframe or from another URL in the window is dropped', async () => {
    const { window, info } = await openWindow();
    const frames = [
      'https://evil.example/frame.html',
      'file:///opt/mlw/out/renderer/index.html.evil',
      'file:///opt/mlw/out/renderer/other.html',
      'file:///tmp/index.html',
      'about:blank',
      null, // a frame that has gone
    ];
    for (const [i, frameUrl] of frames.entries()) window.webContents.sendFromPage('mlw:rpc', [infoCall(i + 1)], { frameUrl });
    await settle();
    expect(info).not.toHaveBeenCalled();
    expect(rpcSent(window)).toEqual([]);
  });

  it('messages on other channels, and what is not a call, are ignored', async () => {
    const { window, info } = await openWindow();
    window.webContents.sendFromPage('other-channel', [infoCall(1)]);
    window.webContents.sendFromPage('mlw:rpc', [{ id: 2, method: 'app.info' }]);
    window.webContents.sendFromPage('mlw:rpc', ['app.info']);
    await settle();
    expect(info).not.toHaveBeenCalled();
    expect(rpcSent(window)).toEqual([]);
  });

  it('a reloaded page is served afresh, once: one answer per call', async () => {
    const { window, info } = await openWindow();
    window.reload();
    await vi.waitFor(() => expect(window.webContents.reloads).toBe(1));
    await settle();
    expect(ipcMain.listenerCount('mlw:rpc')).toBe(1);
    window.webContents.sendFromPage('mlw:rpc', [infoCall(1)]);
    await vi.waitFor(() => expect(rpcSent(window)).toHaveLength(1));
    await settle();
    expect(rpcSent(window)).toEqual([{ type: 'result', id: 1, output: appInfo }]);
    expect(info).toHaveBeenCalledTimes(1);
  });

  it('after the renderer crashes, says so and reloads, and the new page is served', async () => {
    const { window } = await openWindow();
    window.webContents.renderProcessGone('crashed');
    expect(ipcMain.listenerCount('mlw:rpc')).toBe(0);
    expect(dialog.messageBoxes).toHaveLength(1);
    expect(dialog.messageBoxes[0]!.options).toMatchObject({ type: 'error', message: 'The window stopped unexpectedly' });
    expect(dialog.messageBoxes[0]!.options.detail).toContain('Reason: crashed.');
    expect(window.webContents.reloads).toBe(1);
    await vi.waitFor(() => expect(ipcMain.listenerCount('mlw:rpc')).toBe(1));
    window.webContents.sendFromPage('mlw:rpc', [infoCall(1)]);
    await vi.waitFor(() => expect(rpcSent(window)).toHaveLength(1));
  });

  it('after a clean exit of the renderer, neither asks nor reloads', async () => {
    const { window } = await openWindow();
    window.webContents.renderProcessGone('clean-exit');
    expect(ipcMain.listenerCount('mlw:rpc')).toBe(0);
    expect(dialog.messageBoxes).toEqual([]);
    expect(window.webContents.reloads).toBe(0);
  });

  it('stops listening when the window closes', async () => {
    const { window } = await openWindow();
    expect(ipcMain.listenerCount('mlw:rpc')).toBe(1);
    window.destroy({ quitting: true });
    expect(ipcMain.listenerCount('mlw:rpc')).toBe(0);
  });
});

describe('isTrustedSender', () => {
  const built = { url: undefined, file: rendererFile };
  const dev = { url: 'http://localhost:5173', file: rendererFile };
  const from = (url: string | null) => ({ senderFrame: url === null ? null : ({ url } as Electron.WebFrameMain) });

  it('trusts the built page, with a query or a hash', () => {
    expect(isTrustedSender(from('file:///opt/mlw/out/renderer/index.html'), built)).toBe(true);
    expect(isTrustedSender(from('file:///opt/mlw/out/renderer/index.html?x=1'), built)).toBe(true);
    expect(isTrustedSender(from('file:///opt/mlw/out/renderer/index.html#/train'), built)).toBe(true);
  });

  it('trusts the dev server’s pages when there is a dev server', () => {
    expect(isTrustedSender(from('http://localhost:5173/'), dev)).toBe(true);
    expect(isTrustedSender(from('http://localhost:5173/'), built)).toBe(false);
    // Its origin exactly: a port or host that merely begins the same is another site.
    expect(isTrustedSender(from('http://localhost:51730/'), dev)).toBe(false);
    expect(isTrustedSender(from('http://localhost:5173.evil.example/'), dev)).toBe(false);
  });

  it('trusts nothing else', () => {
    for (const url of [
      'file:///opt/mlw/out/renderer/index.htmlx',
      'file:///opt/mlw/out/renderer/',
      'https://evil.example/file:///opt/mlw/out/renderer/index.html',
      'http://localhost:5174/',
      '',
      null,
    ]) {
      expect(isTrustedSender(from(url), dev)).toBe(false);
    }
  });
});
