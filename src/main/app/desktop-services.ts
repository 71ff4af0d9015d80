import { BrowserWindow, dialog } from 'electron';
import { writeFile } from 'node:fs/promises';
import type { PathPicker } from '../services/app-service';
import type { PdfPrinter } from '../services/report-service';

/** What only the desktop gives the services: native file dialogs, and Chromium's printing. */
export const pickPath: PathPicker = async ({ kind, title, filters }) => {
  const options: Electron.OpenDialogOptions = {
    title,
    properties: kind === 'file' ? ['openFile'] : ['openDirectory'],
    ...(filters ? { filters } : {}),
  };
  const parent = BrowserWindow.getFocusedWindow();
  const result = parent ? await dialog.showOpenDialog(parent, options) : await dialog.showOpenDialog(options);
  return result.canceled ? null : (result.filePaths[0] ?? null);
};

/**
 * Reports to PDF with Chromium's own printing: the self-contained report loads in a hidden window
 * without scripts, which can neither navigate nor open others, and is printed on A4 with its colours.
 */
export const printPdf: PdfPrinter = async (htmlPath, pdfPath) => {
  const window = new BrowserWindow({
    show: false,
    webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false, webSecurity: true },
  });
  try {
    window.webContents.on('will-navigate', (event) => event.preventDefault());
    window.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
    await window.loadFile(htmlPath);
    const pdf = await window.webContents.printToPDF({ pageSize: 'A4', printBackground: true });
    await writeFile(pdfPath, pdf);
  } finally {
    window.destroy();
  }
};
