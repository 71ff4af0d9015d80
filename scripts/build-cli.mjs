#!/usr/bin/env node
// Bundles the `mlw` command into out/cli/index.mjs so that it starts in a fraction of the time
// that compiling the TypeScript sources on each run takes. bin/mlw.mjs uses the bundle only while
// it is newer than every source file, and falls back to the sources (through tsx) otherwise.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  entryPoints: {
    index: join(root, 'src/main/cli/index.ts'),
    // The engine runs in its own process; it is forked from this file beside the bundle.
    'engine-worker': join(root, 'src/main/engine/process/engine.worker.ts'),
    // The engine's decode threads; started from a file beside the engine's bundle.
    'decode-worker': join(root, 'src/main/engine/images/decode.worker.ts'),
    // The import's second reader thread (large COCO files); started from a file beside the bundle.
    'tail-parse-worker': join(root, 'src/main/coco/tail-parse.worker.ts'),
  },
  outdir: join(root, 'out/cli'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  // Pure-JavaScript dependencies are bundled (loading them from an ES module costs a CommonJS
  // export scan each start); native and heavy ones stay outside.
  external: ['better-sqlite3', 'sharp', 'ws', '@tensorflow/*', 'h5wasm', 'tsx', 'esbuild', 'electron'],
  sourcemap: 'linked',
  logLevel: 'warning',
  // Bundled code has no CommonJS globals; recreate the ones our code and dependencies use.
  banner: {
    js: "import { createRequire as __mlwCreateRequire } from 'node:module'; const require = __mlwCreateRequire(import.meta.url);",
  },
});
