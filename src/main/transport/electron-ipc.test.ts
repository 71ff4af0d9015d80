import { afterEach, describe, expect, it, vi } from 'vitest';
import { BrowserWindow, ipcMain, resetFakeElectron, type FakeWebContents } from '../app/testing/fake-electron';
import { electronProtocol, rpcChannel } from './electron-ipc';

afterEach(resetFakeElectron);

// Electron's types, without importing electron (only the transport itself may).
type WebContents = Parameters<typeof electronProtocol>[1];
type IpcMainEvent = Parameters<Parameters<typeof electronProtocol>[2]>[0];
const asElectron = (contents: FakeWebContents): WebContents => contents as unknown as WebContents;
const trustAll = (): boolean => true;

describe('electronProtocol', () => {
  it('passes on messages from its own webContents that the check trusts, and only those', () => {
    const own = new BrowserWindow({ show: false }).webContents;
    const other = new BrowserWindow({ show: false }).webContents;
    const trusted = (event: IpcMainEvent): boolean => event.senderFrame?.url === 'app://page';
    const listener = vi.fn();
    electronProtocol(ipcMain, asElectron(own), trusted).onMessage(listener);
    own.sendFromPage(rpcChannel, ['from the page'], { frameUrl: 'app://page' });
    own.sendFromPage(rpcChannel, ['from a subframe'], { frameUrl: 'https://evil.example/' });
    other.sendFromPage(rpcChannel, ['from another window'], { frameUrl: 'app://page' });
    own.sendFromPage('another-channel', ['elsewhere'], { frameUrl: 'app://page' });
    expect(listener.mock.calls).toEqual([['from the page']]);
  });

  it('stops listening when unsubscribed', () => {
    const own = new BrowserWindow({ show: false }).webContents;
    const listener = vi.fn();
    const unsubscribe = electronProtocol(ipcMain, asElectron(own), trustAll).onMessage(listener);
    unsubscribe();
    expect(ipcMain.listenerCount(rpcChannel)).toBe(0);
    own.sendFromPage(rpcChannel, ['late']);
    expect(listener).not.toHaveBeenCalled();
  });

  it('sends on the channel, not to a destroyed webContents, and says when it is destroyed', () => {
    const own = new BrowserWindow({ show: false }).webContents;
    const protocol = electronProtocol(ipcMain, asElectron(own), trustAll);
    const closed = vi.fn();
    protocol.onClose!(closed);
    protocol.send({ type: 'result', id: 1, output: null });
    expect(own.sent).toEqual([{ channel: 'mlw:rpc', args: [{ type: 'result', id: 1, output: null }] }]);
    own.destroy();
    expect(closed).toHaveBeenCalledTimes(1);
    expect(() => protocol.send({ type: 'result', id: 2, output: null })).not.toThrow();
    expect(own.sent).toHaveLength(1);
  });
});
