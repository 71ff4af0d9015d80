import { describe, expect, it } from 'vitest';
import { reportStyles } from './html';

describe('the report’s layout', () => {
  it('lets charts fill the page’s width: a lone chart the whole of it, side by side ones a share each', () => {
    const charts = /\.charts \{([^}]*)\}/.exec(reportStyles)?.[1] ?? '';
    expect(charts).toContain('display: grid');
    expect(charts).toContain('1fr');
    const svg = /svg\.chart \{([^}]*)\}/.exec(reportStyles)?.[1] ?? '';
    expect(svg).toMatch(/(^|;)\s*width: 100%/);
  });
});
