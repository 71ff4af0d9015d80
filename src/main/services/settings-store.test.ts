import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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
});
