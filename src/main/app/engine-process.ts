import { utilityProcess } from 'electron';
import type { EngineSpawner } from '../engine';

/** The engine in an Electron utility process: a crash there leaves the app running. */
export const spawnEngine: EngineSpawner = (workerPath) => {
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
