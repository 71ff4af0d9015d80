import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import { resolve } from 'node:path';

export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/app/index.ts'),
          // The engine process's entry, forked beside the main bundle.
          'engine-worker': resolve(__dirname, 'src/main/engine/process/engine.worker.ts'),
          // The engine's decode threads, started from a file beside the engine's bundle.
          'decode-worker': resolve(__dirname, 'src/main/engine/images/decode.worker.ts'),
          // The import's second reader thread (large COCO files), started from a file beside the bundle.
          'tail-parse-worker': resolve(__dirname, 'src/main/coco/tail-parse.worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/preload/index.ts') },
        // A sandboxed preload must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src/renderer',
    plugins: [react()],
    build: {
      outDir: 'out/renderer',
      // Plotly (1.2 MB, its basic bundle) is loaded from disk or loopback, in its own chunk, when the page is idle or a chart needs it.
      chunkSizeWarningLimit: 5000,
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } },
    },
  },
});
