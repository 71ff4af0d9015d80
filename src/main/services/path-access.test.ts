import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { contract } from '../../shared/contract';
import { openCache, type Db } from '../db/connection';
import { OutputsStore } from '../db/outputs-store';
import { createServices, type Services } from '.';
import { pathUses, rootedAccess, type PathUse } from './path-access';

let dir: string;
let root: string;
let outside: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-roots-'));
  root = join(dir, 'root');
  outside = join(dir, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.jpg'), 'not for the server');
  writeFileSync(join(root, 'photo.jpg'), 'inside');
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const context = { signal: new AbortController().signal, progress: () => undefined };

/** The names of string fields that hold a path, wherever they sit in a schema. */
function pathFields(schema: z.ZodType, key = ''): string[] {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case 'object':
      return Object.entries(def.shape as Record<string, z.ZodType>).flatMap(([name, inner]) => pathFields(inner, name));
    case 'array':
      return pathFields(def.element as z.ZodType, key);
    case 'union':
      return (def.options as z.ZodType[]).flatMap((option) => pathFields(option, key));
    case 'optional':
    case 'nullable':
    case 'default':
      return pathFields(def.innerType as z.ZodType, key);
    case 'string':
      return /(path|dir|dest|annotations|images|weights)$/i.test(key) ? [key] : [];
    default:
      return [];
  }
}

describe('what mlw serve --root covers', () => {
  it('names exactly the methods of the contract whose input holds a path', () => {
    const withPaths: string[] = [];
    for (const [service, methods] of Object.entries(contract)) {
      for (const [name, spec] of Object.entries(methods)) {
        // The desktop's own file dialog takes a title, not a path, and is refused in a browser.
        if (pathFields(spec.input).length > 0 && `${service}.${name}` !== 'app.pickPath') withPaths.push(`${service}.${name}`);
      }
    }
    const guarded = Object.entries(pathUses).flatMap(([service, methods]) => Object.keys(methods).map((name) => `${service}.${name}`));
    expect(withPaths.length).toBeGreaterThanOrEqual(13);
    expect(guarded.sort()).toEqual(withPaths.sort());
  });
});

describe('a server with roots', () => {
  let services: Services;
  beforeEach(() => {
    services = createServices({ dataDir: join(dir, 'data'), host: 'test', roots: [root] });
  });
  afterEach(() => services.close());

  it('refuses to read or probe a path outside its roots, naming --root and not saying whether it exists', async () => {
    const refusals = await Promise.all([
      services.handlers.prediction.preview({ path: join(outside, 'secret.jpg'), size: 64 }, context).catch((e: unknown) => e),
      services.handlers.dataset.checkPath({ path: join(outside, 'secret.jpg'), kind: 'file' }, context).catch((e: unknown) => e),
      services.handlers.dataset.checkPath({ path: join(outside, 'nothing-here.jpg'), kind: 'file' }, context).catch((e: unknown) => e),
      services.handlers.dataset
        .checkPath({ path: join(root, '..', 'outside', 'secret.jpg'), kind: 'file' }, context)
        .catch((e: unknown) => e),
    ]);
    for (const refusal of refusals) {
      expect(refusal).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('--root') });
      expect((refusal as Error).message).not.toMatch(/not for the server|bytes|does not exist|missing/);
    }
  });

  it('follows symbolic links: a link inside a root to a file outside is refused', async () => {
    symlinkSync(join(outside, 'secret.jpg'), join(root, 'link.jpg'));
    symlinkSync(outside, join(root, 'linked-folder'));
    for (const path of [join(root, 'link.jpg'), join(root, 'linked-folder', 'secret.jpg')]) {
      await expect(services.handlers.dataset.checkPath({ path, kind: 'file' }, context)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    }
  });

  it('reads what lies under a root and in its own data folder', async () => {
    await expect(services.handlers.dataset.checkPath({ path: join(root, 'photo.jpg'), kind: 'file' }, context)).resolves.toMatchObject({
      ok: true,
    });
    await expect(services.handlers.dataset.checkPath({ path: join(dir, 'data'), kind: 'directory' }, context)).resolves.toMatchObject({
      ok: true,
    });
  });

  it('writes reports only as .html under a root, checked before anything else (also as a job)', async () => {
    const request = { runId: 'run-zzz', compare: [], threshold: 0.5, gradcamTiles: 0, overwrite: false };
    await expect(services.handlers.reports.report({ ...request, outPath: join(root, 'report.txt') }, context)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('.html'),
    });
    await expect(services.handlers.reports.report({ ...request, outPath: join(outside, 'r.html') }, context)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    // Inside a root with the right name, the call goes on to the service, which knows no such run.
    await expect(services.handlers.reports.report({ ...request, outPath: join(root, 'r.html') }, context)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const { jobId } = await services.handlers.jobs.start(
      { method: 'reports.report', input: { runId: 'run-zzz', outPath: join(outside, 'r.html') } },
      context,
    );
    await expect(services.jobs.watch(jobId, context)).resolves.toMatchObject({ status: 'failed', error: { code: 'FORBIDDEN' } });
  });
});

describe('a COCO download on a server with roots', () => {
  let services: Services;
  beforeEach(() => {
    services = createServices({ dataDir: join(dir, 'data'), host: 'test', roots: [root] });
  });
  afterEach(() => services.close());

  // Nothing listens on port 1: each call fails at its first request, after making its folder.
  const download = (dest: string): Promise<unknown> =>
    services.handlers.coco.download({ split: 'val2017', dest, baseUrl: 'http://127.0.0.1:1', concurrency: 8, retryFailed: false }, context);

  it('refuses a folder outside the roots, and a folder the app did not make, before any request (also as a job)', async () => {
    await expect(download(join(outside, 'coco'))).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('--root') });
    expect(existsSync(join(outside, 'coco'))).toBe(false);
    await expect(download(root)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('is not one this app made'),
    });
    const { jobId } = await services.handlers.jobs.start(
      { method: 'coco.download', input: { split: 'train2017', dest: join(outside, 'coco') } },
      context,
    );
    await expect(services.jobs.watch(jobId, context)).resolves.toMatchObject({ status: 'failed', error: { code: 'FORBIDDEN' } });
  });

  it('lets a download that stopped early resume into the folder it made', async () => {
    const dest = join(root, 'coco');
    await expect(download(dest)).rejects.toMatchObject({ code: 'NETWORK', message: expect.stringContaining('could not be reached') });
    expect(existsSync(dest)).toBe(true);
    // Not refused as someone else's folder: the call goes on, and fails the same way.
    await expect(download(dest)).rejects.toMatchObject({ code: 'NETWORK' });
  });
});

describe('files and folders a rooted server may replace', () => {
  let db: Db;
  let outputs: OutputsStore;
  beforeEach(() => {
    db = openCache(join(dir, 'data'));
    outputs = new OutputsStore(db);
  });
  afterEach(() => db.close());

  const policy = (): ReturnType<typeof rootedAccess> => rootedAccess({ roots: () => [root], outputs });
  const report = (path: string, overwrite = false): PathUse => ({
    access: 'write-file',
    path,
    what: 'The report',
    extensions: ['.html'],
    overwrite,
  });

  it('never replaces a file it did not write unless told to', async () => {
    const path = join(root, 'notes.html');
    writeFileSync(path, 'the user’s own page');
    await expect(policy().check([report(path)])).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('overwrite'),
    });
    await expect(policy().check([report(path, true)])).resolves.toBeUndefined();
    expect(readFileSync(path, 'utf8')).toBe('the user’s own page');
  });

  it('replaces a file it wrote, until someone else changes it', async () => {
    const path = join(root, 'report.html');
    await policy().check([report(path)]);
    writeFileSync(path, '<p>report</p>');
    policy().wrote([report(path)]);
    await expect(policy().check([report(path)])).resolves.toBeUndefined();
    writeFileSync(path, '<p>edited by hand, and longer</p>');
    await expect(policy().check([report(path)])).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });

  it('writes Grad-CAM output only into a new folder or one it made', async () => {
    const use = (path: string): PathUse => ({ access: 'write-folder', path, what: 'The Grad-CAM folder' });
    await expect(policy().check([use(root)])).rejects.toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('new folder') });
    const fresh = join(root, 'cams');
    await expect(policy().check([use(fresh)])).resolves.toBeUndefined();
    mkdirSync(fresh);
    policy().wrote([use(fresh)]);
    await expect(policy().check([use(fresh)])).resolves.toBeUndefined();
  });
});

describe('the desktop app and the command line', () => {
  it('keep full access: a path anywhere is read', async () => {
    const services = createServices({ dataDir: join(dir, 'data'), host: 'test' });
    try {
      await expect(
        services.handlers.dataset.checkPath({ path: join(outside, 'secret.jpg'), kind: 'file' }, context),
      ).resolves.toMatchObject({ ok: true });
    } finally {
      services.close();
    }
  });
});
