import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { pickPath, printPdf } from './desktop-services';
import { BrowserWindow, dialog, resetFakeElectron } from './testing/fake-electron';

vi.mock('electron', () => import('./testing/fake-electron'));

afterEach(resetFakeElectron);
const context = { signal: new AbortController().signal, progress: () => undefined };

describe('pickPath', () => {
  it('opens a file dialog on the focused window and gives the chosen file', async () => {
    const window = new BrowserWindow({ show: false });
    window.focus();
    const picked = pickPath({ kind: 'file', title: 'Annotations', filters: [{ name: 'COCO JSON', extensions: ['json'] }] }, context);
    await vi.waitFor(() => expect(dialog.openDialogs).toHaveLength(1));
    expect(dialog.openDialogs[0]!.window).toBe(window);
    expect(dialog.openDialogs[0]!.options).toEqual({
      title: 'Annotations',
      properties: ['openFile'],
      filters: [{ name: 'COCO JSON', extensions: ['json'] }],
    });
    dialog.openDialogs[0]!.answer({ canceled: false, filePaths: ['/data/instances_val2017.json'] });
    expect(await picked).toBe('/data/instances_val2017.json');
  });

  it('asks for a folder without a parent window when none has focus, and gives null when cancelled', async () => {
    const picked = pickPath({ kind: 'directory', title: 'Images' }, context);
    await vi.waitFor(() => expect(dialog.openDialogs).toHaveLength(1));
    expect(dialog.openDialogs[0]!.window).toBeNull();
    expect(dialog.openDialogs[0]!.options).toEqual({ title: 'Images', properties: ['openDirectory'] });
    dialog.openDialogs[0]!.answer({ canceled: true, filePaths: [] });
    expect(await picked).toBeNull();
  });
});

describe('printPdf', () => {
  it('prints the report in a hidden window without scripts that can neither navigate nor open windows, then destroys it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlw-pdf-'));
    try {
      const printing = printPdf('/reports/run-1.html', join(dir, 'run-1.pdf'));
      expect(BrowserWindow.made).toHaveLength(1);
      const window = BrowserWindow.made[0]!;
      expect(window.options.show).toBe(false);
      expect(window.webPreferences).toEqual({
        sandbox: true,
        contextIsolation: true,
        nodeIntegration: false,
        javascript: false,
        webSecurity: true,
      });
      expect(window.webContents.openFromPage('https://evil.example/')).toEqual({ action: 'deny' });
      expect(await window.webContents.navigateFromPage('https://evil.example/')).toBe(false);
      await printing;
      expect(window.webContents.loads).toEqual(['file:///reports/run-1.html']);
      expect(window.webContents.printed).toEqual([{ pageSize: 'A4', printBackground: true }]);
      expect(readFileSync(join(dir, 'run-1.pdf'), 'utf8')).toBe('%PDF-1.7 printed by the fake webContents');
      expect(window.isDestroyed()).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
