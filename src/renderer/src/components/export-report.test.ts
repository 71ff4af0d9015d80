import { describe, expect, it } from 'vitest';
import { reportFileName, reportRequestOf } from './export-report';

describe('a report of compared runs', () => {
  it('asks for the first run with the others beside it', () => {
    expect(reportRequestOf('a', 0.5, ['b', 'c'])).toEqual({ runId: 'a', threshold: 0.5, compare: ['b', 'c'] });
    expect(reportRequestOf('a', 0.3, [], '/r/x.html')).toEqual({ runId: 'a', threshold: 0.3, outPath: '/r/x.html' });
    expect(reportFileName('a', 0.5, ['b', 'c'])).toBe('report-a-vs-2-t0.50.html');
    expect(reportFileName('a', 0.25)).toBe('report-a-t0.25.html');
  });
});
