import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { rpcChannel } from '../main/transport/electron-ipc';
import {
  BrowserWindow,
  contextBridge,
  ipcMain,
  ipcRenderer,
  resetFakeElectron,
  type FakeWebContents,
} from '../main/app/testing/fake-electron';

vi.mock('electron', () => import('../main/app/testing/fake-electron'));

interface Bridge {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): () => void;
}

// The preload runs once, as in a page.
beforeAll(async () => {
  await import('./index');
});
afterEach(resetFakeElectron);

/** A window whose page runs the preload. */
function page(): FakeWebContents {
  const contents = new BrowserWindow({ show: false }).webContents;
  ipcRenderer.attach(contents);
  return contents;
}
const bridge = (): Bridge => contextBridge.exposed.get('mlwBridge') as Bridge;

describe('the preload', () => {
  it('puts exactly one thing on the page’s window: mlwBridge, with send and onMessage', () => {
    expect([...contextBridge.exposed.keys()]).toEqual(['mlwBridge']);
    expect(Object.keys(bridge()).sort()).toEqual(['onMessage', 'send']);
    expect(bridge().send).toBeTypeOf('function');
    expect(bridge().onMessage).toBeTypeOf('function');
  });

  it('uses the channel main serves, mlw:rpc', () => {
    expect(rpcChannel).toBe('mlw:rpc');
  });

  it('send delivers the message to main on that channel, from the page', () => {
    const contents = page();
    const received: { sender: unknown; message: unknown }[] = [];
    ipcMain.on(rpcChannel, (event: { sender: unknown }, message: unknown) => received.push({ sender: event.sender, message }));
    const other = vi.fn();
    ipcMain.on('other', other);
    bridge().send({ type: 'call', id: 1, method: 'app.info', input: {} });
    expect(received).toEqual([{ sender: contents, message: { type: 'call', id: 1, method: 'app.info', input: {} } }]);
    expect(other).not.toHaveBeenCalled();
  });

  it('onMessage hears what main sends on that channel, the message alone, until it unsubscribes', () => {
    const contents = page();
    const listener = vi.fn();
    const unsubscribe = bridge().onMessage(listener);
    contents.send(rpcChannel, { type: 'result', id: 1, output: 42 });
    contents.send('other', { type: 'result', id: 2, output: 43 });
    // The page gets the message, never the IPC event (which would hand it ipcRenderer).
    expect(listener.mock.calls).toEqual([[{ type: 'result', id: 1, output: 42 }]]);
    unsubscribe();
    contents.send(rpcChannel, { type: 'result', id: 3, output: 44 });
    expect(listener).toHaveBeenCalledTimes(1);
  });
});
