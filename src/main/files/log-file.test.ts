import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { currentLogPath, logLine, openProcessLog } from './log-file';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('openProcessLog', () => {
  it('appends time-stamped lines under logs/, and moves a full log aside keeping one older file', () => {
    dir = mkdtempSync(join(tmpdir(), 'mlw-log-'));
    const log = openProcessLog(dir, 'serve', 200);
    expect(currentLogPath()).toBe(join(dir, 'logs', 'serve.log'));
    logLine('INTERNAL in training.train: TypeError: x is not a function\n    at train (file.ts:1:1)');
    const text = readFileSync(log.path, 'utf8');
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z INTERNAL in training.train: TypeError: x is not a function\n\S+Z {5}at train/);
    for (let i = 0; i < 10; i++) logLine(`line ${i} ${'x'.repeat(40)}`);
    const older = readFileSync(join(dir, 'logs', 'serve.1.log'), 'utf8');
    const newer = readFileSync(log.path, 'utf8');
    expect(older.length + newer.length).toBeGreaterThan(200);
    expect(newer.length).toBeLessThanOrEqual(200 + 80);
    expect(newer).toContain('line 9');
  });
});
