import type { Command } from 'commander';
import { AppError } from '../../../shared/contract/errors';
import { formatBytes } from '../../../shared/domain/format';
import { noSuchRun } from '../../db/runs-store';
import { table, type CliContext, type GlobalOptions } from '../context';

/** `mlw runs`, `runs rename` and `runs delete`. */
export function register(program: Command, context: CliContext): void {
  const { withApi, io } = context;

  const runsCommand = program
    .command('runs')
    .description('list the recorded training runs (rename or delete one with "mlw runs rename|delete")')
    .action(async (_options: unknown, command: Command) => {
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        (api, call) => api.runs.list({}, call),
        (rows) =>
          rows.length === 0
            ? 'No runs yet. Train one with "mlw train".'
            : table(
                ['run', 'status', 'mode', 'backbone', 'backend', 'val loss', 'micro F1', 'mAP', 'created'],
                rows.map((r) => [
                  r.runId,
                  r.status,
                  r.mode,
                  r.backbone,
                  r.backend ?? '',
                  r.bestValidationLoss?.toFixed(4) ?? '',
                  r.metrics?.microF1.toFixed(4) ?? '',
                  r.metrics === null ? '' : (r.metrics.mAP?.toFixed(4) ?? '—'),
                  r.createdAt,
                ]),
              ),
      );
    });
  runsCommand
    .command('rename')
    .description('give a run another name')
    .argument('<run-id>', 'the run, as "mlw runs" lists it')
    .argument('<name>', 'its new name')
    .action(async (runId: string, name: string, _options: unknown, command: Command) => {
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        (api, call) => api.runs.rename({ runId, name }, call),
        (r) => `Run ${r.runId} is now named "${r.name}".`,
      );
    });
  runsCommand
    .command('delete')
    .description('delete a run: its record, metric history and scores, and its folder (checkpoint, head, backbone, Grad-CAM cache)')
    .argument('<run-id>', 'the run, as "mlw runs" lists it')
    .option('--yes', 'do not ask for confirmation (needed where the terminal cannot ask)')
    .action(async (runId: string, options: { yes?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      await withApi(
        globals,
        async (api, call) => {
          if (options.yes !== true) {
            const run = (await api.runs.list({}, call)).find((r) => r.runId === runId);
            if (run === undefined) throw noSuchRun(runId);
            if (!process.stdin.isTTY) {
              throw new AppError(
                'INVALID_INPUT',
                `Not deleting run ${runId} ("${run.name}") without confirmation: this terminal cannot ask. Add --yes to delete it and its folder ${run.runDir}.`,
              );
            }
            const { createInterface } = await import('node:readline/promises');
            const ask = createInterface({ input: process.stdin, output: io.stderr });
            try {
              const answer = await ask.question(
                `Delete run ${runId} ("${run.name}"), its metric history and scores, and its folder ${run.runDir}? This cannot be undone. [y/N] `,
              );
              if (!/^y(es)?$/i.test(answer.trim())) throw new AppError('CANCELLED', 'The operation was cancelled.');
            } finally {
              ask.close();
            }
          }
          return api.runs.delete({ runId }, call);
        },
        (r) =>
          r.folder === null
            ? `Deleted run ${r.runId} ("${r.name}"); it had no folder of its own to remove.`
            : `Deleted run ${r.runId} ("${r.name}") and its folder ${r.folder} (${r.files} files, ${formatBytes(r.bytes)}).`,
      );
    });
}
