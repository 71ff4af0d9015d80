import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { AppError } from '../../../shared/contract/errors';
import { defaultDataDir } from '../../paths';
import { parsePort, type CliContext, type GlobalOptions } from '../context';

/** `mlw serve`: the renderer and its RPC on one port, until Ctrl-C. */
export function register(program: Command, context: CliContext): void {
  const { io } = context;

  program
    .command('serve')
    .description('serve the app to a browser: the renderer and its RPC on one port (loopback and a token by default)')
    .addOption(new Option('--port <n>', 'port, 0 for any free one').default('5178').argParser(parsePort))
    .option('--host <address>', 'address to listen on; anything but loopback exposes your data to the network', '127.0.0.1')
    .option(
      '--root <dir>',
      'a folder the server may read and write (repeatable); the data folder is always one. Without --root: the data folder, your home folder and the folders of every imported annotation file and its images',
      (dir: string, previous: string[] = []) => [...previous, resolve(dir)],
    )
    .action(async (options: { port: number | string; host: string; root?: string[] }, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      if (global.server !== undefined) {
        throw new AppError('INVALID_INPUT', '"mlw serve" serves this machine\'s cache (--cache); it cannot be combined with --server.');
      }
      const { startServer } = await import('../../server/serve');
      const dataDir = resolve(global.cache ?? defaultDataDir());
      const services = context.ownServices({ dataDir, host: 'serve', logName: 'serve', roots: options.root ?? 'default' });
      const server = await startServer({
        services,
        rendererDir: io.rendererDir,
        host: options.host,
        port: typeof options.port === 'number' ? options.port : parsePort(options.port),
        ...(process.env.MLW_SERVE_TOKEN ? { token: process.env.MLW_SERVE_TOKEN } : {}),
      });
      if (!['127.0.0.1', '::1', 'localhost'].includes(options.host)) {
        io.stderr.write(`Warning: listening on ${options.host}; anyone who can reach it and has the token can read your data.\n`);
      }
      if (global.json) {
        io.stdout.write(
          `${JSON.stringify({ url: server.url, host: server.host, port: server.port, dataDir, roots: options.root ?? 'default' })}\n`,
        );
      } else {
        const roots =
          options.root === undefined ? 'your home folder, the data folder and the imported folders' : [dataDir, ...options.root].join(', ');
        io.stdout.write(
          `Multilabel Workbench is serving ${dataDir}\nFiles it may use: ${roots}\nOpen ${server.url}\nPress Ctrl-C to stop.\n`,
        );
      }
      await new Promise<void>((resolvePromise) => context.signal.addEventListener('abort', () => resolvePromise(), { once: true }));
      // Jobs belong to this process: say which stop with it (a training run can be resumed from its last checkpoint).
      const running = services.jobs.active();
      if (running.length > 0) {
        io.stderr.write(
          `Stopping ${running.length} job${running.length === 1 ? '' : 's'}: ${running.map((j) => `${j.title}${j.runId ? ` (run ${j.runId}; "mlw resume ${j.runId}" continues it from its last checkpoint)` : ''}`).join('; ')}.\n`,
        );
        await services.jobs.cancelAll();
      }
      await server.close();
    });
}
