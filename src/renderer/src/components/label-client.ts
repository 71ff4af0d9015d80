const storageKey = 'mlw.labelClient';

let fallback: string | null = null;

function newId(): string {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, '0')).join('');
  return `window-${random}`;
}

/**
 * Who this window or browser tab is to the label edits: one id per tab (kept in sessionStorage, so a
 * reload keeps it and another tab gets its own). Undo and redo take back this client's edits only.
 */
export function labelClientId(): string {
  try {
    const known = window.sessionStorage.getItem(storageKey);
    if (known !== null) return known;
    const id = newId();
    window.sessionStorage.setItem(storageKey, id);
    return id;
  } catch {
    // Storage may be disabled: one id for as long as the page lives.
    fallback ??= newId();
    return fallback;
  }
}
