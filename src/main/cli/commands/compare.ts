import type { Command } from 'commander';
import { resolve } from 'node:path';
import { AppError } from '../../../shared/contract/errors';
import type { CompareResult } from '../../../shared/contract/runs';
import { comparisonColumns, comparisonRows, delimitedTable, formatDiffCell } from '../../../shared/domain/run-diff';
import { writeFileAtomic } from '../../files/atomic-file';
import { parseList, parseUnit, table, type CliContext, type GlobalOptions } from '../context';

/** `mlw compare`: runs side by side. */
export function register(program: Command, context: CliContext): void {
  const { withApi } = context;

  program
    .command('compare')
    .description('compare runs side by side: the settings that differ, and the metrics of each run and class at its threshold')
    .argument('<run-ids...>', '2 to 8 runs, as "mlw runs" lists them; deltas are against the first')
    .option('--threshold <x[,x…]>', 'one threshold for every run, or one per run in the same order', '0.5')
    .option('--csv <file>', 'also write the metrics table (a row per run, then per class) as CSV')
    .action(async (runIds: string[], options: { threshold: string; csv?: string }, command: Command) => {
      const thresholds = parseList(options.threshold).map(parseUnit);
      if (thresholds.length === 0) throw new AppError('INVALID_INPUT', 'Give --threshold a value between 0 and 1, such as 0.5.');
      await withApi(
        command.optsWithGlobals<GlobalOptions>(),
        async (api, call) => {
          const { histories: _histories, ...result } = await api.runs.compare(
            { runIds, thresholds: thresholds.length === 1 ? thresholds[0]! : thresholds },
            call,
          );
          if (options.csv !== undefined) await writeFileAtomic(resolve(options.csv), comparisonCsv(result.runs, result.metrics));
          return result;
        },
        (r) => formatComparison(r),
      );
    });
}

/** The metrics table of `mlw compare --csv` (and the Runs workspace's Save CSV). */
function comparisonCsv(runs: CompareResult['runs'], metrics: CompareResult['metrics']): string {
  const rows = comparisonRows(
    runs.map((run, i) => ({ runId: run.runId, name: run.name, threshold: metrics[i]?.threshold ?? 0.5, metrics: metrics[i] ?? null })),
  );
  return delimitedTable(comparisonColumns, rows, 'csv');
}

/** The runs, the settings that differ, the metrics of each run, and each class's F1 with its change against the first run. */
function formatComparison(r: Omit<CompareResult, 'histories'>): string {
  const f = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : v.toFixed(4));
  const delta = (v: number): string => (Number(v.toFixed(4)) === 0 ? '±0.0000' : `${v > 0 ? '+' : '−'}${Math.abs(v).toFixed(4)}`);
  const ids = r.runs.map((run) => run.runId);
  const baseline = r.metrics[0];
  const classes = [...new Set(r.metrics.flatMap((m) => m?.perClass.map((c) => c.class) ?? []))];
  return [
    table(
      ['run', 'name', 'mode', 'backbone', 'backend', 'created'],
      r.runs.map((run) => [run.runId, run.name, run.mode, run.backbone, run.backend ?? '', run.createdAt]),
    ),
    '',
    r.diff.length === 0
      ? `Identical settings: all ${r.settings} are the same.`
      : [
          `Settings that differ (${r.diff.length} of ${r.settings}):`,
          table(
            ['setting', ...ids],
            r.diff.map((row) => [row.key, ...row.values.map(formatDiffCell)]),
          ),
        ].join('\n'),
    '',
    "Metrics at each run's threshold:",
    table(
      ['run', 'threshold', 'micro F1', 'Jaccard', 'precision', 'recall', 'mAP'],
      r.runs.map((run, i) => {
        const m = r.metrics[i];
        return m === null || m === undefined
          ? [run.runId, '—', '—', '—', '—', '—', 'no validation scores']
          : [run.runId, String(m.threshold), f(m.microF1), f(m.jaccard), f(m.precision), f(m.recall), f(m.mAP)];
      }),
    ),
    ...(classes.length === 0
      ? []
      : [
          '',
          `F1 per class (Δ against ${ids[0]}):`,
          table(
            ['class', ...r.runs.flatMap((run, i) => (i === 0 ? [run.runId] : [run.runId, 'Δ']))],
            classes.map((name) => {
              const base = baseline?.perClass.find((c) => c.class === name);
              return [
                name,
                ...r.metrics.flatMap((m, i) => {
                  const c = m?.perClass.find((p) => p.class === name);
                  if (i === 0) return [f(c?.f1)];
                  return [f(c?.f1), c === undefined || base === undefined ? '' : delta(c.f1 - base.f1)];
                }),
              ];
            }),
          ),
        ]),
  ].join('\n');
}
