#!/usr/bin/env node
// Prepares what the desktop app needs beyond `npm install`:
// - Electron's own binary (skipped on machines installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1);
// - a copy of better-sqlite3 built for Electron's ABI in .cache/electron-native/, so that the
//   Node build in node_modules keeps serving tests, `mlw` and `mlw serve`. The app loads the copy
//   through better-sqlite3's `nativeBinding` option.
// Both need internet the first time (Electron's binary and headers); later starts reuse them.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fail = (message) => {
  console.error(`\nCannot start the desktop app: ${message}\n`);
  process.exit(1);
};

const electronDir = dirname(require.resolve('electron/package.json'));
const electronVersion = JSON.parse(readFileSync(join(electronDir, 'package.json'), 'utf8')).version;
if (!existsSync(join(electronDir, 'path.txt'))) {
  console.error(`Downloading Electron ${electronVersion}…`);
  try {
    execFileSync(process.execPath, [join(electronDir, 'install.js')], {
      stdio: 'inherit',
      env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '' },
    });
  } catch {
    fail(
      `Electron ${electronVersion} could not be downloaded. Connect to the internet and run "npm start" again. (The command line and "npm run serve" work without it.)`,
    );
  }
}

const sourceDir = dirname(require.resolve('better-sqlite3/package.json'));
const targetDir = join(root, '.cache', 'electron-native', 'better-sqlite3');
const marker = join(targetDir, '.built-for');
const wanted = `electron-${electronVersion}-${process.platform}-${process.arch}`;
if (existsSync(marker) && readFileSync(marker, 'utf8') === wanted) process.exit(0);

console.error(`Building the SQLite addon for Electron ${electronVersion}…`);
rmSync(targetDir, { recursive: true, force: true });
mkdirSync(dirname(targetDir), { recursive: true });
cpSync(sourceDir, targetDir, { recursive: true, filter: (path) => !path.includes(`${join(sourceDir, 'build')}`) });
const run = (command, args) => execFileSync(command, args, { cwd: targetDir, stdio: 'inherit', shell: process.platform === 'win32' });
try {
  run(process.execPath, [
    require.resolve('prebuild-install/bin.js'),
    '--runtime=electron',
    `--target=${electronVersion}`,
    `--arch=${process.arch}`,
    `--platform=${process.platform}`,
  ]);
} catch {
  try {
    run('npx', [
      '--yes',
      'node-gyp',
      'rebuild',
      '--release',
      `--target=${electronVersion}`,
      `--arch=${process.arch}`,
      '--dist-url=https://electronjs.org/headers',
    ]);
  } catch {
    fail(
      'the SQLite addon could not be built for Electron (it needs a prebuilt binary or Electron headers from the internet, and a C++ compiler). Connect to the internet and run "npm start" again.',
    );
  }
}
writeFileSync(marker, wanted);
