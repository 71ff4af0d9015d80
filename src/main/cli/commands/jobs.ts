import type { Command } from 'commander';
import { cancelSentence, formatJobs, jobsNeedServer, listedJob } from '../jobs';
import { table, type CliContext, type GlobalOptions } from '../context';

/** `mlw jobs` and `jobs cancel`: the jobs of a running `mlw serve` (with --server). */
export function register(program: Command, context: CliContext): void {
  const { withApi } = context;

  const jobsCommand = program
    .command('jobs')
    .description(
      'the jobs of a running "mlw serve" (with --server): training, imports, evaluations, reports; cancel one with "mlw jobs cancel"',
    )
    .action(async (_options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      if (global.server === undefined) throw jobsNeedServer();
      await withApi(
        global,
        async (api, call) => (await api.jobs.list({}, call)).map(listedJob),
        (jobs) => formatJobs(jobs, table),
      );
    });
  jobsCommand
    .command('cancel')
    .description('ask a job of the server to stop (a training run stays resumable from its last checkpoint)')
    .argument('<job-id>', 'the job, as "mlw jobs" lists it')
    .action(async (jobId: string, _options: unknown, command: Command) => {
      const global = command.optsWithGlobals<GlobalOptions>();
      if (global.server === undefined) throw jobsNeedServer();
      await withApi(
        global,
        async (api, call) => listedJob(await api.jobs.cancel({ jobId }, call)),
        (job) => cancelSentence(job),
      );
    });
}
