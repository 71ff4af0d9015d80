import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';

// Must match rpcChannel in src/main/transport/electron-ipc.ts (the sandboxed preload cannot import it).
const rpcChannel = 'mlw:rpc';

/**
 * The renderer's only door to the main process: send a message on one channel and be told of
 * messages on it. Everything else (files, dialogs, SQLite) is behind the typed RPC contract.
 */
contextBridge.exposeInMainWorld('mlwBridge', {
  send(message: unknown): void {
    ipcRenderer.send(rpcChannel, message);
  },
  onMessage(listener: (message: unknown) => void): () => void {
    const handler = (_event: IpcRendererEvent, message: unknown): void => listener(message);
    ipcRenderer.on(rpcChannel, handler);
    return () => {
      ipcRenderer.off(rpcChannel, handler);
    };
  },
});
