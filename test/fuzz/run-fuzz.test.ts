import { describe, expect, it } from 'vitest';
import { sentenceProblems } from '../support/sentence';
import { inputSeed, mutateBytes, mutateJson, Rng } from './mutate';
import { formatReport, runFuzz } from './run-fuzz';

describe('the fuzz runner', () => {
  it('tells acceptances, refusals, bad messages, raw errors, hangs and crashes apart, and starts a new process after each hang or crash', async () => {
    const report = await runFuzz('selftest', 'all', { inputs: 9, seconds: 60, seed: 1, timeoutMs: 2000, only: null });
    const byIndex = Object.fromEntries(report.failures.map((f) => [f.index, f.kind]));
    expect(byIndex, formatReport(report, 'test/fuzz/run-fuzz.test.ts')).toEqual({
      2: 'failed',
      3: 'failed',
      4: 'hang',
      5: 'crash',
      6: 'crash',
      7: 'failed',
    });
    expect(report.failures.find((f) => f.index === 2)!.problem).toMatch(/stack trace/);
    expect(report.failures.find((f) => f.index === 3)!.problem).toMatch(/raw TypeError/);
    expect(report.failures.find((f) => f.index === 5)!.problem).toMatch(/exit code 3/);
    expect(report.failures.find((f) => f.index === 7)!.problem).toMatch(/INTERNAL/);
    expect([report.tried, report.accepted, report.rejected]).toEqual([9, 2, 1]);
    expect(formatReport(report, 'x.test.ts')).toContain('reproduce: MLW_FUZZ_SEED=1 MLW_FUZZ_ONLY=4 npx vitest run x.test.ts');
  });
});

describe('the mutators', () => {
  const json = JSON.stringify({ images: [{ id: 1, file_name: 'a.jpg' }], annotations: [], categories: [{ id: 1, name: 'cat' }] });

  it('make the same input from the same seed and index, and other inputs from other indices', () => {
    const make = (index: number) => {
      const rng = new Rng(inputSeed(14, 'suite', index));
      return `${mutateJson(rng, json, 2)!.text}|${mutateBytes(rng, Buffer.from(json)).bytes.toString('latin1')}`;
    };
    expect(make(5)).toBe(make(5));
    expect(new Set([0, 1, 2, 3, 4, 5, 6, 7].map(make)).size).toBeGreaterThan(6);
  });

  it('write keys twice and numbers no double holds, which JSON.stringify alone cannot', () => {
    const texts = Array.from({ length: 300 }, (_, k) => mutateJson(new Rng(k), json, 1, ['duplicateKey', 'hugeNumber'])!.text);
    expect(texts.some((t) => /"(id|images|name)":[^}]*"\1":/.test(t))).toBe(true);
    expect(texts.some((t) => t.includes('1e400'))).toBe(true);
    expect(texts.every((t) => !t.includes('\\u0001raw'))).toBe(true);
  });
});

describe('sentenceProblems', () => {
  it('accepts a sentence that starts with a path and finds stacks, objects, lines, lower case and missing full stops', () => {
    expect(sentenceProblems('/data/model.json is not valid JSON; the file is damaged. Copy the model again.')).toEqual([]);
    expect(sentenceProblems('Weights (TensorFlow.js: "got undefined"). Copy it again.')).toEqual([]);
    expect(sentenceProblems('Failed\n    at read (x.ts:1:2)')).toContain('it carries a stack trace');
    expect(sentenceProblems('Bad value [object Object].')).toContain('it prints an object as [object Object]');
    expect(sentenceProblems('The id is undefined.')).toContain('it prints "undefined"');
    expect(sentenceProblems('cannot read: VipsJpeg: premature end')).toEqual([
      'it does not start with a capital letter or a path',
      'it does not end with a full stop',
    ]);
    expect(sentenceProblems('Line one.\nLine two.')).toContain('it spans several lines');
  });
});
