import { Command, CommanderError } from 'commander';
import { AppError, cancelled } from '../../shared/contract/errors';
import { defaultDataDir } from '../paths';
import { appVersion } from '../version';
import * as coco from './commands/coco';
import * as compare from './commands/compare';
import * as dataset from './commands/dataset';
import * as evaluate from './commands/evaluate';
import * as jobs from './commands/jobs';
import * as labels from './commands/labels';
import * as metrics from './commands/metrics';
import * as predict from './commands/predict';
import * as reports from './commands/reports';
import * as runs from './commands/runs';
import * as serve from './commands/serve';
import * as training from './commands/training';
import { createCliContext, type CliIo, type GlobalOptions } from './context';

export type { CliIo } from './context';

/**
 * The command modules, in the order `mlw --help` lists their commands. Each adds its commands to
 * the program with `register(program, context)`.
 */
const commandModules = [coco, dataset, labels, training, runs, jobs, compare, evaluate, predict, reports, metrics, serve];

/** Exit codes: 0 done, 1 a problem with the input or the data, 2 a usage error, 130 cancelled. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const controller = new AbortController();
  let interrupted = 0;
  const onSigint = (): void => {
    interrupted++;
    if (interrupted > 1) process.exit(130);
    io.stderr.write('\nCancelling… (press Ctrl-C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSigint);

  const { context, close } = createCliContext(io, controller.signal);
  let exitCode = 0;

  const program = new Command()
    .name('mlw')
    .description('Multilabel Workbench from a terminal: the same services as the desktop app.')
    .version(appVersion)
    .option('--json', 'print one JSON document on stdout (progress and messages go to stderr)')
    .option('--cache <dir>', `folder of the SQLite cache and other state (default: ${defaultDataDir()})`)
    .option(
      '--server <url>',
      'call a running "mlw serve" at this address (the URL it printed, with ?token=, or with the token in MLW_SERVE_TOKEN) instead of this machine\'s cache',
    )
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  for (const commands of commandModules) commands.register(program, context);

  try {
    await program.parseAsync(['node', 'mlw', ...argv]);
  } catch (error) {
    exitCode = reportError(error, program.opts<GlobalOptions>().json === true, io);
  } finally {
    process.off('SIGINT', onSigint);
    close();
  }
  return exitCode;
}

function reportError(error: unknown, json: boolean, io: CliIo): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
    // Commander has already explained the usage on stderr; scripts still get their one document.
    if (json) {
      const message = error.message.replace(/^error: /, '');
      io.stdout.write(`${JSON.stringify({ error: { code: 'INVALID_INPUT', message } }, null, 2)}\n`);
    }
    return 2;
  }
  const appError = AppError.from(error);
  if (json) io.stdout.write(`${JSON.stringify({ error: appError.toJSON() }, null, 2)}\n`);
  if (appError.code === 'CANCELLED') {
    // A command that keeps what it did (a paused download) says so in its own words.
    io.stderr.write(appError.message === cancelled().message ? 'Cancelled; nothing was changed.\n' : `${appError.message}\n`);
    return 130;
  }
  io.stderr.write(`mlw: ${appError.message}\n`);
  if (appError.code === 'INTERNAL') {
    io.stderr.write('This looks like a bug in Multilabel Workbench; set MLW_DEBUG=1 to see the stack trace.\n');
    if (process.env.MLW_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  }
  return 1;
}
