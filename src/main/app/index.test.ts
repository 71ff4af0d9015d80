import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';

// What the entry starts is start-app.test.ts's subject; here only the files it names.
vi.mock('./start-app', () => ({ startApp: vi.fn(() => ({ started: Promise.resolve(undefined) })) }));

describe('the entry (out/main/index.js once built)', () => {
  it('starts the app with the preload and the page electron-vite builds beside it', async () => {
    const { startApp } = await import('./start-app');
    await import('./index');
    const here = dirname(fileURLToPath(import.meta.url));
    expect(startApp).toHaveBeenCalledTimes(1);
    expect(startApp).toHaveBeenCalledWith({
      preload: join(here, '..', 'preload', 'index.cjs'),
      renderer: { url: process.env.ELECTRON_RENDERER_URL, file: join(here, '..', 'renderer', 'index.html') },
    });
  });
});
