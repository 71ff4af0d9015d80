// The desktop app's entry, built by electron-vite as out/main/index.js: the preload and the
// renderer are built beside it, in out/preload and out/renderer. Everything it does is in
// start-app.ts and the modules beside it, which tests drive with a stand-in for the electron
// module (testing/fake-electron.ts).
import { join } from 'node:path';
import { startApp } from './start-app';

startApp({
  preload: join(__dirname, '../preload/index.cjs'),
  renderer: { url: process.env.ELECTRON_RENDERER_URL, file: join(__dirname, '../renderer/index.html') },
});
