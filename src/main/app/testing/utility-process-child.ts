// Loaded with `--import` into every process the fake `utilityProcess.fork` starts, before its entry
// module: Electron's `process.parentPort` over Node's IPC channel. As in Electron, messages wait in
// a queue until the first 'message' listener is attached, and arrive as `{ data, ports }`.
//
// It also takes the fake's one order: crash, that is, write a line to stderr and exit with a given
// code, as an engine that hit an uncaught error would. Nothing else reaches the child's code.
import { EventEmitter } from 'node:events';

/** What `FakeUtilityProcess.crash` sends (the fake imports this type only: importing this file would run it). */
export interface CrashOrder {
  fakeElectronCrash: { code: number; stderr: string };
}

function isCrashOrder(message: unknown): message is CrashOrder {
  return typeof message === 'object' && message !== null && 'fakeElectronCrash' in message;
}

interface ParentPort extends EventEmitter {
  postMessage(message: unknown): void;
}

// A utility process has no `process.send`: only the port leads to the parent.
const sendToParent = process.send!.bind(process);
process.send = undefined;

const parentPort = new EventEmitter() as ParentPort;
parentPort.postMessage = (message) => {
  if (process.connected) sendToParent(message);
};
const queued: unknown[] = [];
const deliver = (data: unknown): boolean => parentPort.emit('message', { data, ports: [] });
parentPort.on('newListener', (event: string) => {
  // The listener is attached just after this event: hand it the queue once it is.
  if (event === 'message') queueMicrotask(() => queued.splice(0).forEach(deliver));
});

process.on('message', (data: unknown) => {
  if (isCrashOrder(data)) {
    process.stderr.write(data.fakeElectronCrash.stderr);
    process.exit(data.fakeElectronCrash.code);
  }
  if (parentPort.listenerCount('message') === 0) queued.push(data);
  else deliver(data);
});

Object.defineProperty(process, 'parentPort', { value: parentPort, enumerable: false });
