import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createServices } from '.';
import { SettingsStore } from './settings-store';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('SettingsStore', () => {
  it('keeps a damaged settings.json aside as settings.json.bad and goes on with the defaults', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mlw-settings-'));
    writeFileSync(join(dir, 'settings.json'), '{"selection": {"fileId": 3, "categ');
    const store = new SettingsStore(dir);
    const settings = await store.read();
    expect(settings.selection.fileId).toBeNull();
    expect(readFileSync(join(dir, 'settings.json.bad'), 'utf8')).toBe('{"selection": {"fileId": 3, "categ');
    expect(existsSync(join(dir, 'settings.json'))).toBe(false);
    await store.update((s) => ({ ...s, selection: { fileId: 4, categories: ['dog'] } }));
    expect((await new SettingsStore(dir).read()).selection).toEqual({ fileId: 4, categories: ['dog'] });
  });

  it('tells the user once, through app.notices, that a damaged settings file was set aside', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mlw-settings-'));
    writeFileSync(join(dir, 'settings.json'), 'not json');
    const services = createServices({ dataDir: dir, host: 'test' });
    try {
      const context = { signal: new AbortController().signal, progress: () => undefined };
      const first = await services.handlers.app.notices({}, context);
      expect(first).toEqual([{ severity: 'warning', message: expect.stringContaining('settings.json.bad') }]);
      expect(await services.handlers.app.notices({}, context)).toEqual([]);
      expect(await services.handlers.app.notices({}, context)).toEqual([]);
    } finally {
      services.close();
    }
  });

  it('keeps the user’s preferences, with damaged images scored with a warning until they choose', async () => {
    dir = mkdtempSync(join(tmpdir(), 'mlw-settings-'));
    const services = createServices({ dataDir: dir, host: 'test' });
    try {
      const context = { signal: new AbortController().signal, progress: () => undefined };
      expect(await services.handlers.app.preferences({}, context)).toEqual({ damagedImages: 'warn' });
      expect(await services.handlers.app.setPreferences({ damagedImages: 'refuse' }, context)).toEqual({ damagedImages: 'refuse' });
      expect((await new SettingsStore(dir).read()).preferences).toEqual({ damagedImages: 'refuse' });
      expect(await services.handlers.app.notices({}, context)).toEqual([]);
    } finally {
      services.close();
    }
  });
});
