import { describe, expect, it } from 'vitest';
import { csvField, tsvField } from './csv';

describe('csvField and tsvField', () => {
  it('neutralise text a spreadsheet would run as a formula, and leave numbers alone', () => {
    expect(csvField('=HYPERLINK("http://x","cat")')).toBe(`"'=HYPERLINK(""http://x"",""cat"")"`);
    expect(csvField('+1')).toBe(`"'+1"`);
    expect(csvField('-cmd')).toBe(`"'-cmd"`);
    expect(csvField('@SUM(A1)')).toBe(`"'@SUM(A1)"`);
    expect(tsvField('=1+1')).toBe("'=1+1");
    expect(csvField(-0.25)).toBe('-0.25');
    expect(tsvField(-3)).toBe('-3');
    expect(csvField('potted plant')).toBe('potted plant');
    expect(csvField('a, b')).toBe('"a, b"');
    expect(csvField(null)).toBe('');
  });
});
