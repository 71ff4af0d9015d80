import type { Command } from 'commander';
import { AppError } from '../../../shared/contract/errors';
import { parseList, table, type CliContext, type GlobalOptions } from '../context';

/** `mlw ingest`, `categories`, `stats` and `files`: the annotation files in the cache. */
export function register(program: Command, context: CliContext): void {
  const { withApi, servicePath } = context;

  program
    .command('ingest')
    .description('import a COCO instances JSON file into the cache (unchanged files return at once)')
    .argument('<file>', 'annotation file, such as annotations/instances_train2017.json')
    .option('--images <dir>', 'the folder that holds its images, such as train2017')
    .action(async (file: string, options: { images?: string }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      await withApi(
        global,
        async (api, call) => {
          const result = await api.dataset.ingest(
            { path: servicePath(global, file), ...(options.images ? { imagesDir: servicePath(global, options.images) } : {}) },
            call,
          );
          return {
            fileId: result.fileId,
            path: result.path,
            images: result.images,
            annotations: result.annotations,
            categories: result.categories,
            seconds: result.cached ? 0 : Number(result.seconds.toFixed(3)),
            cached: result.cached,
          };
        },
        (r) =>
          r.cached
            ? `${r.path} is already in the cache and unchanged: ${r.images} images, ${r.annotations} annotations, ${r.categories} categories.`
            : `Imported ${r.images.toLocaleString('en-US')} images, ${r.annotations.toLocaleString('en-US')} annotations and ${r.categories} categories in ${r.seconds.toFixed(1)} s.`,
      );
    });

  program
    .command('categories')
    .description('list the categories of an annotation file with supercategory and image count')
    .argument('<file>', 'annotation file (imported first if the cache lacks it)')
    .action(async (file: string, _options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      await withApi(
        global,
        async (api, call) => {
          const { fileId } = await api.dataset.ingest({ path: servicePath(global, file) }, call);
          return (await api.dataset.categories({ fileId }, call)).map((c) => ({
            id: c.id,
            name: c.name,
            supercategory: c.supercategory,
            images: c.imageCount,
          }));
        },
        (rows) =>
          table(
            ['id', 'name', 'supercategory', 'images'],
            rows.map((r) => [r.id, r.name, r.supercategory, r.images]),
          ),
      );
    });

  program
    .command('stats')
    .description('images per class and labels per image of a category subset (with the label edits of "mlw labels")')
    .requiredOption('--annotations <file>', 'annotation file (imported first if the cache lacks it)')
    .requiredOption('--categories <names>', 'comma-separated category names, such as "dog,cat,potted plant"')
    .option('--original-labels', 'count the labels as the file was imported, ignoring label edits ("mlw labels")')
    .action(async (options: { annotations: string; categories: string; originalLabels?: boolean }, command: Command) => {
      const categories = parseList(options.categories);
      if (categories.length === 0) throw new AppError('INVALID_INPUT', 'Name at least one category with --categories, such as "dog,cat".');
      const global = command.optsWithGlobals<GlobalOptions>();
      await withApi(
        global,
        async (api, call) => {
          const { fileId } = await api.dataset.ingest({ path: servicePath(global, options.annotations) }, call);
          return api.dataset.stats({ fileId, categories, ...(options.originalLabels === true ? { originalLabels: true } : {}) }, call);
        },
        (s) =>
          [
            `${s.images.toLocaleString('en-US')} unique images contain at least one of the ${categories.length} categories.`,
            '',
            table(['category', 'images'], Object.entries(s.perClass)),
            '',
            table(['labels', 'images'], Object.entries(s.labelsPerImage.histogram)),
            `mean labels per image: ${s.labelsPerImage.mean.toFixed(4)}`,
          ].join('\n'),
      );
    });

  program
    .command('files')
    .description('list the annotation files in the cache')
    .action(async (_options: unknown, command: Command) => {
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        (api, call) => api.dataset.files({}, call),
        (rows) =>
          rows.length === 0
            ? 'The cache has no annotation files yet. Import one with "mlw ingest FILE".'
            : table(
                ['id', 'path', 'images', 'annotations', 'imported'],
                rows.map((r) => [r.fileId, r.path, r.images, r.annotations, r.importedAt]),
              ),
      );
    });
}
