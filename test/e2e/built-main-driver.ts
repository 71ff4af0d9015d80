// Runs the built desktop app (out/main/index.js, out/preload/index.cjs) in Node, with the stand-in
// for the electron module (src/main/app/testing/fake-electron.ts) where it imports 'electron':
// Electron becomes ready, the page loads, the built preload runs in it as Electron runs a sandboxed
// preload, and the page calls `app.info` and `training.status` (which starts the built engine worker in
// a utility process) through the bridge. Prints what it saw as one JSON line.
// Run with `node --import tsx test/e2e/built-main-driver.ts` (built-main.e2e.ts does).
import { readFileSync } from 'node:fs';
import { register } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as electron from '../../src/main/app/testing/fake-electron';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fakeUrl = new URL('../../src/main/app/testing/fake-electron.ts', import.meta.url).href;
const { app, BrowserWindow, contextBridge, FakeUtilityProcess, ipcRenderer, resetFakeElectron } = electron;

/** Polls until `value()` gives something, for at most 20 s. */
async function until<T>(what: string, value: () => T | undefined): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = value();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`Gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// From here on, `import 'electron'` gives the stand-in (the same module instance as above).
const hooks = `export async function resolve(specifier, context, next) {
  return specifier === 'electron' ? { url: ${JSON.stringify(fakeUrl)}, shortCircuit: true } : next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

await import(pathToFileURL(join(root, 'out', 'main', 'index.js')).href);
app.becomeReady();
const window = await until('the window', () => BrowserWindow.getAllWindows()[0]);
await until('the page', () => (window.webContents.getURL() === '' ? undefined : true));

// A sandboxed preload is CommonJS whose `require` knows 'electron' (and a few of Node's modules this one does not use).
ipcRenderer.attach(window.webContents);
const preloadPath = window.webPreferences.preload as string;
const preloadModule = { exports: {} };
const sandboxedRequire = (id: string): unknown => {
  if (id === 'electron') return electron;
  throw new Error(`The sandboxed preload cannot require "${id}"`);
};
new Function('require', 'module', 'exports', readFileSync(preloadPath, 'utf8'))(sandboxedRequire, preloadModule, preloadModule.exports);

const bridge = contextBridge.exposed.get('mlwBridge') as {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): () => void;
};
/** The page's call, and the answer it gets. */
const call = (id: number, method: string): Promise<unknown> =>
  new Promise((resolve) => {
    const stop = bridge.onMessage((message) => {
      if ((message as { id?: unknown }).id !== id) return;
      stop();
      resolve(message);
    });
    bridge.send({ type: 'call', id, method, input: {} });
  });
const info = await call(1, 'app.info');
const engineStatus = await call(2, 'training.status');

console.log(
  JSON.stringify({
    title: window.options.title,
    webPreferences: window.webPreferences,
    loads: window.webContents.loads,
    exposed: [...contextBridge.exposed.keys()],
    info,
    engineStatus,
    engines: FakeUtilityProcess.forked.map((engine) => ({ modulePath: engine.modulePath, options: engine.options })),
  }),
);
app.quit();
await resetFakeElectron();
process.exit(0);
