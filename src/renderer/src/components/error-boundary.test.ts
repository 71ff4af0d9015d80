// @vitest-environment jsdom
import { act, createElement, useState, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ErrorBoundary } from './error-boundary';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let broken = true;
/** A workspace that throws while rendering until `broken` is cleared. */
function Fragile(): ReactNode {
  if (broken) throw new Error('Cannot read properties of undefined (reading "classes")');
  return createElement('p', { 'data-testid': 'fragile' }, 'fine now');
}

/** The rest of the app beside the failing workspace: it must keep working. */
function Beside(): ReactNode {
  const [clicks, setClicks] = useState(0);
  return createElement('button', { 'data-testid': 'beside', onClick: () => setClicks(clicks + 1) }, `clicked ${clicks}`);
}

afterEach(() => {
  document.body.innerHTML = '';
  vi.restoreAllMocks();
});

describe('ErrorBoundary', () => {
  it('shows a thrown render error of one workspace, keeps the rest working, and renders it again on Try again', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    const container = document.createElement('div');
    document.body.append(container);
    const root = createRoot(container);
    broken = true;
    await act(async () => {
      root.render(
        createElement('div', null, [
          createElement(Beside, { key: 'beside' }),
          createElement(ErrorBoundary, { key: 'ws', name: 'The Train workspace', dataDir: '/data/mlw', children: createElement(Fragile) }),
        ]),
      );
    });
    const alert = container.querySelector('[data-testid="error-boundary"]');
    expect(alert?.textContent).toContain('The Train workspace stopped working');
    expect(alert?.textContent).toContain('Cannot read properties of undefined (reading "classes")');
    expect(alert?.textContent).toContain('/data/mlw');

    const beside = container.querySelector<HTMLButtonElement>('[data-testid="beside"]')!;
    await act(async () => beside.click());
    expect(beside.textContent).toBe('clicked 1');

    await act(async () => container.querySelector<HTMLButtonElement>('[data-testid="error-boundary-copy"]')!.click());
    expect(writeText).toHaveBeenCalledOnce();
    const copied = (writeText.mock.calls[0] as unknown as [string])[0];
    expect(copied).toContain('The Train workspace failed to render.');
    expect(copied).toContain('Error: Cannot read properties of undefined');
    expect(copied).toContain('at Fragile');

    broken = false;
    await act(async () => container.querySelector<HTMLButtonElement>('[data-testid="error-boundary-retry"]')!.click());
    expect(container.querySelector('[data-testid="error-boundary"]')).toBeNull();
    expect(container.querySelector('[data-testid="fragile"]')?.textContent).toBe('fine now');
    await act(async () => root.unmount());
  });
});
