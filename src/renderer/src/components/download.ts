/**
 * Saves text as a file through the browser's download: in `mlw serve` it lands in the browser's
 * downloads, in the desktop app Electron asks where to save it.
 */
export function downloadText(name: string, text: string, type = 'text/plain'): void {
  const url = URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has started from the URL by now; a late revoke only frees the memory later.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
