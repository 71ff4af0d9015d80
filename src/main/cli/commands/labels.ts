import type { Command } from 'commander';
import { extname } from 'node:path';
import type { Api } from '../../../shared/contract';
import type { CallOptions } from '../../../shared/contract/define';
import { AppError } from '../../../shared/contract/errors';
import type { EditBatchInfo, LabelExportFormat, SuspectKind } from '../../../shared/contract/labels';
import { parseCount, parseList, table, type CliContext, type GlobalOptions } from '../context';

/** The command line is one client of the label edits: its undo takes back its own edits, not a window's. */
const defaultClient = 'cli';

interface FileOptions {
  annotations: string;
  client?: string;
}

/** An image as the user named it: digits are an id, anything else a file name. */
function imageReference(value: string): number | string {
  return /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function describeBatch(batch: EditBatchInfo): string {
  return batch.edits.map((e) => `${e.present ? 'added' : 'removed'} ${e.category} ${e.present ? 'to' : 'from'} ${e.fileName}`).join('; ');
}

/** `mlw labels set|list|undo|redo|review|suspects|accept|reject|export`: label edits over an imported annotation file. */
export function register(program: Command, context: CliContext): void {
  const { withApi, servicePath } = context;

  /** The file's id in the cache, importing it first when needed (at once when unchanged). */
  const fileIdOf = async (api: Api, call: CallOptions, global: GlobalOptions, annotations: string): Promise<number> =>
    (await api.dataset.ingest({ path: servicePath(global, annotations) }, call)).fileId;

  const labels = program
    .command('labels')
    .description(
      'review and correct image-level labels: edits over an imported annotation file (the file is never changed), a run’s suspects, export',
    );

  const withFile = (command: Command): Command =>
    command
      .requiredOption('--annotations <file>', 'annotation file (imported first if the cache lacks it)')
      .option('--client <name>', `who edits, for undo and redo (default "${defaultClient}")`);

  withFile(
    labels
      .command('set')
      .description('add or remove labels of an image (one action: undone as one)')
      .requiredOption('--image <file-or-id>', 'the image, by file name or id (repeat for several)', collect)
      .option('--add <classes>', 'comma-separated classes to add')
      .option('--remove <classes>', 'comma-separated classes to remove')
      .option('--note <text>', 'why, kept in the history'),
  ).action(async (options: FileOptions & { image: string[]; add?: string; remove?: string; note?: string }, command: Command) => {
    const global = command.optsWithGlobals<GlobalOptions>();
    const add = parseList(options.add ?? '');
    const remove = parseList(options.remove ?? '');
    if (add.length + remove.length === 0)
      throw new AppError('INVALID_INPUT', 'Name a label to add with --add CLASS, or to remove with --remove CLASS.');
    await withApi(
      global,
      async (api, call) => {
        const fileId = await fileIdOf(api, call, global, options.annotations);
        const result = await api.labels.set(
          {
            fileId,
            imageRefs: options.image.map(imageReference),
            add,
            remove,
            ...(options.note === undefined ? {} : { note: options.note }),
            client: options.client ?? defaultClient,
          },
          call,
        );
        return { fileId, ...result };
      },
      (r) =>
        `${describeBatch(r.batch)} (${r.changed} label${r.changed === 1 ? '' : 's'} changed). "mlw labels undo --annotations ${options.annotations}" takes it back.`,
    );
  });

  withFile(
    labels
      .command('list')
      .description('the labels edits changed (against the import), the latest edits, and edits a re-import could not carry over')
      .option('--image <file-or-id>', 'only this image (by id)')
      .option('--history <n>', 'how many of the latest edits to list (default 20)', parseCount),
  ).action(async (options: FileOptions & { image?: string; history?: number }, command: Command) => {
    const global = command.optsWithGlobals<GlobalOptions>();
    const image = options.image === undefined ? undefined : imageReference(options.image);
    if (typeof image === 'string') throw new AppError('INVALID_INPUT', '--image takes an image id here, such as 139.');
    await withApi(
      global,
      async (api, call) => {
        const fileId = await fileIdOf(api, call, global, options.annotations);
        return api.labels.list(
          {
            fileId,
            ...(image === undefined ? {} : { imageId: image }),
            limit: options.history ?? 20,
            client: options.client ?? defaultClient,
          },
          call,
        );
      },
      (r) =>
        [
          r.changes.length === 0
            ? `No label of ${r.annotations} differs from the import.`
            : table(
                ['image', 'file', 'class', 'now'],
                r.changes.map((c) => [c.imageId, c.fileName, c.category, c.present ? 'added' : 'removed']),
              ),
          '',
          `${r.history.total} edit${r.history.total === 1 ? '' : 's'} in the log; ${r.reviewed} image${r.reviewed === 1 ? '' : 's'} marked reviewed.`,
          ...(r.history.rows.length === 0
            ? []
            : [
                '',
                table(
                  ['#', 'when', 'who', 'image', 'class', 'set', 'state', 'note'],
                  r.history.rows.map((h) => [
                    h.seq,
                    h.createdAt,
                    h.client,
                    h.fileName,
                    h.category,
                    h.present ? 'present' : 'absent',
                    h.stale ? 'not carried over' : h.undone ? 'undone' : 'in effect',
                    h.note ?? '',
                  ]),
                ),
              ]),
          ...(r.notCarried.length === 0
            ? []
            : [
                '',
                `Not carried over to this import (its image or class is gone): ${r.notCarried.map((e) => `${e.category} ${e.present ? 'added to' : 'removed from'} ${e.fileName}`).join('; ')}.`,
              ]),
        ].join('\n'),
    );
  });

  for (const which of ['undo', 'redo'] as const) {
    withFile(
      labels
        .command(which)
        .description(which === 'undo' ? "take back this client's latest label edit on the file" : 'put back the edit undone last'),
    ).action(async (options: FileOptions, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      await withApi(
        global,
        async (api, call) => {
          const fileId = await fileIdOf(api, call, global, options.annotations);
          const input = { fileId, client: options.client ?? defaultClient };
          return which === 'undo' ? api.labels.undo(input, call) : api.labels.redo(input, call);
        },
        (r) => (r.batch === null ? `Nothing to ${which}.` : `${which === 'undo' ? 'Undid' : 'Redid'}: ${describeBatch(r.batch)}.`),
      );
    });
  }

  withFile(
    labels
      .command('review')
      .description('mark images reviewed (or, with --not, not reviewed)')
      .requiredOption('--image <id>', 'the image id (repeat for several)', collect)
      .option('--not', 'clear the mark'),
  ).action(async (options: FileOptions & { image: string[]; not?: boolean }, command: Command) => {
    const global = command.optsWithGlobals<GlobalOptions>();
    const imageIds = options.image.map((value) => {
      const id = imageReference(value);
      if (typeof id === 'string') throw new AppError('INVALID_INPUT', `--image takes image ids here; "${value}" is not one.`);
      return id;
    });
    await withApi(
      global,
      async (api, call) => {
        const fileId = await fileIdOf(api, call, global, options.annotations);
        return api.labels.review({ fileId, imageIds, reviewed: options.not !== true, client: options.client ?? defaultClient }, call);
      },
      (r) => `${r.reviewed} image${r.reviewed === 1 ? '' : 's'} of the file marked reviewed.`,
    );
  });

  labels
    .command('suspects')
    .description(
      "a completed run's likely label errors on its validation images, ranked by the per-label binary cross-entropy of its scores: missing (high score, no label) and wrong (low score, labelled)",
    )
    .requiredOption('--run <id>', 'the run, as "mlw runs" lists it')
    .option('--limit <n>', 'how many (default 50)', parseCount)
    .option('--kind <kind>', 'only missing or only wrong labels')
    .option('--class <name>', 'only this class')
    .action(async (options: { run: string; limit?: number; kind?: string; class?: string }, command: Command) => {
      if (options.kind !== undefined && options.kind !== 'missing' && options.kind !== 'wrong') {
        throw new AppError('INVALID_INPUT', `--kind is missing or wrong, not "${options.kind}".`);
      }
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        (api, call) =>
          api.labels.suspects(
            {
              runId: options.run,
              limit: options.limit ?? 50,
              ...(options.kind === undefined ? {} : { kind: options.kind as SuspectKind }),
              ...(options.class === undefined ? {} : { class: options.class }),
            },
            call,
          ),
        (r) =>
          [
            r.items.length === 0
              ? 'No suspects: every pair was rejected, or nothing matches.'
              : table(
                  ['rank', 'kind', 'class', 'class rank', 'image', 'file', 'score', 'label', 'loss'],
                  r.items.map((s) => [
                    s.rank,
                    s.kind,
                    s.class,
                    s.classRank,
                    s.imageId,
                    s.fileName,
                    s.score.toFixed(4),
                    s.label,
                    s.loss.toFixed(4),
                  ]),
                ),
            '',
            `${r.totals.disagreeing.missing} likely missing and ${r.totals.disagreeing.wrong} likely wrong labels (score on the other side of 0.5); ${r.rejected} rejected left out; ${r.counts.accepted} accepted and ${r.counts.rejected} rejected on this file so far. Ranked in ${r.durationMs.toFixed(0)} ms.`,
          ].join('\n'),
      );
    });

  for (const decision of ['accept', 'reject'] as const) {
    labels
      .command(decision)
      .description(
        decision === 'accept'
          ? "accept a run's suspect: its label is changed (a missing one added, a wrong one removed)"
          : "reject a run's suspect: the pair is never proposed again for the file",
      )
      .requiredOption('--run <id>', 'the run')
      .requiredOption('--image <id>', 'the image id')
      .requiredOption('--class <name>', 'the class')
      .requiredOption('--kind <kind>', 'missing or wrong, as "mlw labels suspects" listed it')
      .option('--client <name>', `who decides, for undo (default "${defaultClient}")`)
      .action(async (options: { run: string; image: string; class: string; kind: string; client?: string }, command: Command) => {
        const imageId = imageReference(options.image);
        if (typeof imageId === 'string') throw new AppError('INVALID_INPUT', `--image takes an image id; "${options.image}" is not one.`);
        if (options.kind !== 'missing' && options.kind !== 'wrong')
          throw new AppError('INVALID_INPUT', `--kind is missing or wrong, not "${options.kind}".`);
        await withApi(
          command.optsWithGlobals<GlobalOptions>(),
          (api, call) =>
            api.labels.decide(
              {
                runId: options.run,
                imageId,
                class: options.class,
                kind: options.kind as SuspectKind,
                decision,
                client: options.client ?? defaultClient,
              },
              call,
            ),
          (r) =>
            `${r.batch === null ? 'Rejected.' : `Accepted: ${describeBatch(r.batch)}.`} ${r.counts.accepted} accepted and ${r.counts.rejected} rejected on this file.`,
        );
      });
  }

  labels
    .command('export')
    .description(
      'write the effective labels: a COCO instances file keeping every original field (added labels, which have no box, in "mlw_image_labels"), or CSV (file_name,labels) or JSON Lines',
    )
    .requiredOption('--annotations <file>', 'annotation file (imported first if the cache lacks it)')
    .requiredOption('--out <file>', 'where to write it (.json, .csv or .jsonl)')
    .option('--format <format>', 'coco, csv or jsonl (default: from the extension of --out, else coco)')
    .option('--overwrite', 'replace a file this app did not write')
    .action(async (options: { annotations: string; out: string; format?: string; overwrite?: boolean }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const byExtension: Record<string, LabelExportFormat> = { '.csv': 'csv', '.jsonl': 'jsonl' };
      const format = options.format ?? byExtension[extname(options.out).toLowerCase()] ?? 'coco';
      if (format !== 'coco' && format !== 'csv' && format !== 'jsonl') {
        throw new AppError('INVALID_INPUT', `--format is coco, csv or jsonl, not "${format}".`);
      }
      await withApi(
        global,
        async (api, call) => {
          const fileId = await fileIdOf(api, call, global, options.annotations);
          const { inline: _inline, ...result } = await api.labels.export(
            { fileId, format, outPath: servicePath(global, options.out), overwrite: options.overwrite === true },
            call,
          );
          return result;
        },
        (r) =>
          `Wrote ${r.path ?? options.out}: ${r.images} images, ${r.labels} labels (${r.added} added and ${r.removed} removed by edits)${
            r.format === 'coco'
              ? `; ${r.annotationsKept} annotations kept, ${r.annotationsDropped} dropped with removed labels, ${r.imageLabels} labels without a box in "mlw_image_labels"`
              : ''
          }.`,
      );
    });
}
