import type { Command } from 'commander';
import { officialCocoBaseUrl } from '../../../shared/contract/coco';
import { AppError } from '../../../shared/contract/errors';
import { formatBytes } from '../../../shared/domain/format';
import { parseCount, parseList, type CliContext, type GlobalOptions } from '../context';

interface DownloadOptions {
  split: string;
  categories?: string;
  dest: string;
  baseUrl?: string;
  concurrency?: number;
  retryFailed?: boolean;
}

/** How many failures the human output lists (--json and the folder's state file have them all). */
const listedFailures = 10;

/** `mlw coco download`: COCO 2017's annotations and only the images a category subset needs. */
export function register(program: Command, context: CliContext): void {
  const { withApi, servicePath } = context;
  const coco = program.command('coco').description('get COCO 2017 from its publisher (or a mirror)');
  coco
    .command('download')
    .description(
      'fetch the annotations zip, import the split’s instances file, then only the images of the chosen categories (Ctrl-C pauses; the same command resumes)',
    )
    .requiredOption('--split <split>', 'train2017 or val2017')
    .requiredOption('--dest <dir>', 'the folder that receives annotations/, train2017/ and val2017/')
    .option('--categories <names>', 'comma-separated category names, such as "dog,cat,potted plant" (default: every image)')
    .option('--base-url <url>', `where COCO is published (default ${officialCocoBaseUrl})`)
    .option('--concurrency <n>', 'images fetched at once (1 to 32, default 8)', parseCount)
    .option('--retry-failed', 'fetch again only the images the last download into --dest listed as failed')
    .action(async (options: DownloadOptions, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      const categories = options.categories === undefined ? [] : parseList(options.categories);
      if (options.categories !== undefined && categories.length === 0) {
        throw new AppError(
          'INVALID_INPUT',
          'Name at least one category with --categories, such as "dog,cat", or leave it out for every image.',
        );
      }
      const dest = servicePath(global, options.dest);
      await withApi(
        global,
        async (api, call) => {
          try {
            return await api.coco.download(
              {
                split: options.split as 'train2017',
                dest,
                ...(categories.length > 0 ? { categories } : {}),
                ...(options.baseUrl !== undefined ? { baseUrl: options.baseUrl } : {}),
                ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
                ...(options.retryFailed === true ? { retryFailed: true } : {}),
              },
              call,
            );
          } catch (error) {
            const appError = AppError.from(error);
            if (appError.code !== 'CANCELLED') throw error;
            throw new AppError(
              'CANCELLED',
              `Paused. What was downloaded stays in ${dest}; run the same command again to resume where it stopped.`,
            );
          }
        },
        (r) => {
          const lines = [
            `${r.split}: ${r.images.downloaded.toLocaleString('en-US')} images downloaded (${formatBytes(r.bytes)} in ${r.seconds.toFixed(1)} s), ${r.images.alreadyPresent.toLocaleString('en-US')} already here, ${r.images.failed.toLocaleString('en-US')} failed, of ${r.images.wanted.toLocaleString('en-US')} ${r.categories.length === 0 ? 'images' : `images with ${r.categories.join(', ')}`}.`,
            `Images: ${r.imagesDir}`,
            `Annotations: ${r.annotationsPath} (imported as file ${r.fileId}${r.annotationsDownloaded ? ', downloaded now' : ''})`,
          ];
          if (r.failures.length > 0) {
            lines.push('', 'Failed:');
            for (const failure of r.failures.slice(0, listedFailures)) lines.push(`  ${failure.fileName}: ${failure.reason}`);
            if (r.failures.length > listedFailures)
              lines.push(`  … and ${r.failures.length - listedFailures} more (--json lists them all)`);
            lines.push('Run the same command with --retry-failed to fetch them again.');
          }
          return lines.join('\n');
        },
      );
    });
}
