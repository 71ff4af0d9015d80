import { describe, expect, it } from 'vitest';
import { escapeTraces } from './plot-text';

describe('escapeTraces', () => {
  it('escapes every string a trace shows, so a category name cannot become a link, and leaves numbers and the input alone', () => {
    const traces = [
      {
        type: 'bar',
        name: 'x<a href="https://evil.example">dog</a>',
        y: ['cat', '<b>bold</b>', 3],
        x: [1, 2, 3],
        marker: { color: '#123' },
      },
    ];
    const [escaped] = escapeTraces(traces);
    expect(escaped!.name).toBe('x&lt;a href="https://evil.example"&gt;dog&lt;/a&gt;');
    expect(escaped!.y).toEqual(['cat', '&lt;b&gt;bold&lt;/b&gt;', 3]);
    expect(escaped!.x).toEqual([1, 2, 3]);
    expect(escaped!.marker).toEqual({ color: '#123' });
    expect(traces[0]!.name).toBe('x<a href="https://evil.example">dog</a>');
    expect(escapeTraces([{ text: 'fish & chips' }])[0]!.text).toBe('fish &amp; chips');
  });
});
