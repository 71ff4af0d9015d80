import { existsSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { z } from 'zod';
import type { ApiHandlers, Contract, HandlerContext, ServiceSpec } from '../../shared/contract';
import { AppError } from '../../shared/contract/errors';
import type { Db } from '../db/connection';
import type { OutputsStore } from '../db/outputs-store';
import { reportPaths } from './report-service';

/** One path a call reads or writes, named as the user knows it ("images folder"). */
export type PathUse =
  | { access: 'read'; path: string; what: string }
  | { access: 'write-file'; path: string; what: string; extensions: readonly string[]; overwrite: boolean }
  | { access: 'write-folder'; path: string; what: string };

type UsesOf<S extends ServiceSpec> = { [M in keyof S]?: (input: z.output<S[M]['input']>) => PathUse[] };

/** A path read; an empty one names nothing (the service answers it). */
const read = (path: string | undefined, what: string): PathUse[] =>
  path === undefined || path.trim() === '' ? [] : [{ access: 'read', path: path.trim(), what }];

/**
 * Every path a call of the contract names, by method. A method with a path in its input must be
 * here (path-access.test.ts walks the contract to make sure), so `mlw serve --root` sees them all.
 */
export const pathUses: { [K in keyof Contract]?: UsesOf<Contract[K]> } = {
  dataset: {
    ingest: (input) => [...read(input.path, 'The annotation file'), ...read(input.imagesDir, 'The images folder')],
    setImagesDir: (input) => read(input.imagesDir, 'The images folder'),
    checkPath: (input) => read(input.path, 'The path'),
  },
  training: {
    train: (input) => [
      ...read(input.trainAnnotations, 'The training annotation file'),
      ...read(input.trainImages, 'The training images folder'),
      ...read(input.valAnnotations, 'The validation annotation file'),
      ...read(input.valImages, 'The validation images folder'),
      ...read(input.weights, 'The weights'),
    ],
  },
  evaluation: {
    scores: (input) => read(input.annotations, 'The annotation file'),
    evaluate: (input) => [...read(input.annotations, 'The annotation file'), ...read(input.images, 'The images folder')],
  },
  prediction: {
    preview: (input) => read(input.path, 'The image'),
    predict: (input) => input.images.flatMap((image) => ('path' in image ? read(image.path, 'The image') : [])),
    gradcam: (input) => [
      ...('path' in input.image ? read(input.image.path, 'The image') : []),
      ...(input.outDir === undefined ? [] : [{ access: 'write-folder' as const, path: input.outDir, what: 'The Grad-CAM folder' }]),
    ],
  },
  labels: {
    export: (input) =>
      input.outPath === undefined
        ? []
        : [
            {
              access: 'write-file',
              path: input.outPath,
              what: 'The label export',
              extensions: { coco: ['.json'], csv: ['.csv'], jsonl: ['.jsonl'] }[input.format],
              overwrite: input.overwrite,
            },
          ],
  },
  reports: {
    report: (input) => {
      if (input.outPath === undefined) return [];
      const files = reportPaths(input.outPath);
      const file = (path: string, what: string, extensions: readonly string[]): PathUse => ({
        access: 'write-file',
        path,
        what,
        extensions,
        overwrite: input.overwrite,
      });
      return [
        file(input.outPath, 'The report', ['.html', '.htm']),
        file(files.csv, 'The report’s CSV', ['.csv']),
        file(files.json, 'The report’s JSON', ['.json']),
      ];
    },
    pdf: (input) => [
      ...read(input.htmlPath, 'The report'),
      {
        access: 'write-file',
        path: input.outPath ?? input.htmlPath.replace(/\.html?$/i, '') + '.pdf',
        what: 'The PDF',
        extensions: ['.pdf'],
        overwrite: input.overwrite,
      },
    ],
    exportModel: (input) => [{ access: 'write-folder', path: input.outDir, what: 'The export folder' }],
    importModel: (input) => read(input.dir, 'The model folder'),
  },
  coco: {
    // The whole download (annotations, images, its state file) is written under this one folder.
    download: (input) => [{ access: 'write-folder', path: input.dest, what: 'The download folder' }],
  },
};

/** What may be read and written: checked before a call, told what the call wrote after it. */
export interface PathPolicy {
  check(uses: readonly PathUse[]): Promise<void>;
  wrote(uses: readonly PathUse[]): void;
}

/** The desktop app and the command line: one local user, full access; what they write is still recorded. */
export function fullAccess(outputs: OutputsStore): PathPolicy {
  return { check: async () => undefined, wrote: (uses) => outputs.record(writtenPaths(uses)) };
}

/**
 * `mlw serve`: every path must lie under a root (symbolic links followed), reports are only
 * .html/.pdf/.csv/.json and never replace a file the app did not write unless the call says so, and
 * output folders are new or the app's own.
 */
export function rootedAccess(options: { roots: () => string[]; outputs: OutputsStore }): PathPolicy {
  return {
    async check(uses) {
      if (uses.length === 0) return;
      const roots = await Promise.all(options.roots().map((root) => realPathOf(root)));
      for (const use of uses) {
        const path = resolve(use.path);
        const real = await realPathOf(path);
        if (!roots.some((root) => isWithin(root, real))) throw outsideRoots(use, roots);
        if (use.access === 'write-file') checkFile(use, path, options.outputs);
        if (use.access === 'write-folder' && existsSync(path) && !options.outputs.wroteIt(path)) {
          throw new AppError(
            'FORBIDDEN',
            `${use.what} ${path} already exists and is not one this app made; choose a new folder, and the server will create it.`,
            { path },
          );
        }
      }
    },
    wrote: (uses) => options.outputs.record(writtenPaths(uses)),
  };
}

/**
 * The roots `mlw serve` uses when given no --root: the data folder, the user's home folder, and the
 * folders of every imported annotation file and its images.
 */
export function defaultRoots(dataDir: string, db: Db): () => string[] {
  return () => {
    const rows = db.prepare('SELECT path, images_dir FROM annotation_files').all() as { path: string; images_dir: string | null }[];
    const imported = rows.flatMap((row) => [dirname(row.path), ...(row.images_dir === null ? [] : [row.images_dir])]);
    return unique([dataDir, homedir(), ...imported]);
  };
}

/** The handlers, with every method that names a path checked by `policy` first (see pathUses). */
export function guardPaths(handlers: ApiHandlers, policy: PathPolicy): ApiHandlers {
  const guarded: Record<string, unknown> = { ...handlers };
  for (const [service, methods] of Object.entries(pathUses) as [keyof ApiHandlers, Record<string, (input: unknown) => PathUse[]>][]) {
    const original = handlers[service] as unknown as Record<string, (input: unknown, context: HandlerContext) => Promise<unknown>>;
    const wrapped: Record<string, unknown> = Object.create(original as object) as Record<string, unknown>;
    for (const [name, usesOf] of Object.entries(methods)) {
      wrapped[name] = async (input: unknown, context: HandlerContext): Promise<unknown> => {
        const uses = usesOf(input);
        await policy.check(uses);
        let result: unknown;
        try {
          result = await original[name]!(input, context);
        } catch (error) {
          // A folder the call made stays the app's when it stops early: a paused download resumes into it.
          policy.wrote(uses.filter((use) => use.access === 'write-folder'));
          throw error;
        }
        policy.wrote(uses);
        return result;
      };
    }
    guarded[service] = wrapped;
  }
  return guarded as unknown as ApiHandlers;
}

function checkFile(use: Extract<PathUse, { access: 'write-file' }>, path: string, outputs: OutputsStore): void {
  if (!use.extensions.includes(extname(path).toLowerCase())) {
    throw new AppError('FORBIDDEN', `${use.what} must be written as a ${use.extensions.join(' or ')} file; ${basename(path)} is not one.`, {
      path,
    });
  }
  if (existsSync(path) && !use.overwrite && !outputs.wroteIt(path)) {
    throw new AppError(
      'FORBIDDEN',
      `${path} already exists and this app did not write it, so it is left as it is. Choose another name, or ask to replace it (overwrite).`,
      { path },
    );
  }
}

function writtenPaths(uses: readonly PathUse[]): string[] {
  return uses.filter((use) => use.access !== 'read').map((use) => resolve(use.path));
}

function outsideRoots(use: PathUse, roots: readonly string[]): AppError {
  return new AppError(
    'FORBIDDEN',
    `${use.what} ${resolve(use.path)} is outside the folders this server may use (${roots.join(', ')}). Restart "mlw serve" with --root naming a folder that holds it.`,
    { path: resolve(use.path), roots },
  );
}

/** The path with every symbolic link resolved, for the part of it that exists; the rest as written. */
async function realPathOf(path: string): Promise<string> {
  const absolute = resolve(path);
  let existing = absolute;
  const rest: string[] = [];
  for (;;) {
    try {
      return join(await realpath(existing), ...rest.reverse());
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return absolute;
      rest.push(basename(existing));
      existing = parent;
    }
  }
}

function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

function unique(paths: readonly string[]): string[] {
  return [...new Set(paths.map((path) => resolve(path)))];
}
