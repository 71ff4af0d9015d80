/**
 * Text for HTML and SVG: the five special characters as entities, and "://" written with an entity
 * colon, so that nothing a user typed (a run name, a path) reads as a network address in the file,
 * while a browser still shows it as typed.
 */
export function escapeText(value: string | number): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;')
    .replace(/:\/\//g, '&#58;//');
}

/** A data: URL of an embedded image, or null for anything else (nothing is ever fetched). */
export function safeImageUrl(value: string): string | null {
  return /^data:image\/(png|jpeg|webp|gif);base64,[A-Za-z0-9+/=]+$/.test(value) ? value : null;
}
