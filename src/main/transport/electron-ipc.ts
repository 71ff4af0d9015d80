import type { IpcMainEvent, WebContents } from 'electron';
import type { Protocol, RpcMessage } from '../../shared/rpc/protocol';

/** The one IPC channel between the renderer and main; the preload exposes nothing else. */
export const rpcChannel = 'mlw:rpc';

export interface IpcMainLike {
  on(channel: string, listener: (event: IpcMainEvent, message: unknown) => void): unknown;
  off(channel: string, listener: (event: IpcMainEvent, message: unknown) => void): unknown;
}

/**
 * A Protocol for one window's WebContents. Messages from any other sender, or from a frame that is
 * not the app's own page (`isTrusted`), are dropped.
 */
export function electronProtocol(ipcMain: IpcMainLike, contents: WebContents, isTrusted: (event: IpcMainEvent) => boolean): Protocol {
  return {
    send(message: RpcMessage) {
      if (!contents.isDestroyed()) contents.send(rpcChannel, message);
    },
    onMessage(listener) {
      const handler = (event: IpcMainEvent, message: unknown): void => {
        if (event.sender !== contents || !isTrusted(event)) return;
        listener(message);
      };
      ipcMain.on(rpcChannel, handler);
      return () => ipcMain.off(rpcChannel, handler);
    },
    onClose(listener) {
      contents.once('destroyed', listener);
      return () => contents.off('destroyed', listener);
    },
  };
}
