/** The sites the app links to: COCO and the model zoo's publishers. Anything else is not opened. */
export const externalLinkHosts = ['cocodataset.org', 'images.cocodataset.org', 'storage.googleapis.com', 'github.com'] as const;

/** Whether a link the renderer asks to open goes to one of those sites, over HTTPS, with no credentials in it. */
export function isAllowedExternalLink(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return (
    parsed.protocol === 'https:' &&
    parsed.username === '' &&
    parsed.password === '' &&
    (externalLinkHosts as readonly string[]).includes(parsed.hostname)
  );
}
