#!/usr/bin/env node
// The `mlw` command. It runs the bundle that `npm install` and `npm run build` write to
// out/cli/ when that bundle is newer than the sources, and the TypeScript sources through tsx
// otherwise, so that `npm run mlw -- <command>` always runs the code in the tree.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ownRenderer = process.env.MLW_RENDERER_DIR === undefined;
process.env.MLW_RENDERER_DIR ??= join(root, 'out', 'renderer');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (!entry.name.endsWith('.test.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const bundle = join(root, 'out', 'cli', 'index.mjs');
const sources = [join(root, 'src', 'main'), join(root, 'src', 'shared')];
const fresh =
  existsSync(bundle) && statSync(bundle).mtimeMs >= Math.max(statSync(join(root, 'package.json')).mtimeMs, ...sources.map(newestSource));

// `mlw serve` serves the page as last built; the service below always runs the code in the tree.
// A page older than its sources would not match it (found in a review: a switch missing from Predict).
const page = join(root, 'out', 'renderer', 'index.html');
const pageSources = join(root, 'src', 'renderer');
if (ownRenderer && process.argv[2] === 'serve' && existsSync(page) && existsSync(pageSources)) {
  if (statSync(page).mtimeMs < newestSource(pageSources)) {
    process.stderr.write(
      'mlw: the page in out/renderer is older than its sources in src/renderer, so it may not match this service. Run "npm run build" (or serve with "npm run serve", which builds first).\n',
    );
  }
}

if (fresh) {
  await import(pathToFileURL(bundle).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main/cli/index.ts');
}
