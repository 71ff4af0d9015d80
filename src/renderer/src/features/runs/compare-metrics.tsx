import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Snackbar from '@mui/material/Snackbar';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TableSortLabel from '@mui/material/TableSortLabel';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { alpha, useTheme } from '@mui/material/styles';
import { useMemo, useState, type ReactNode } from 'react';
import type { ClassMetrics, Metrics } from '../../../../shared/domain/metrics';
import { comparisonColumns, comparisonRows, delimitedTable } from '../../../../shared/domain/run-diff';
import { CopyIcon, DownloadIcon } from '../../components/icons';
import { formatDelta, formatRatio } from '../../components/format-metric';
import { RunLabel } from './config-diff';
import type { ComparedRun } from './run-comparison';
import { changeOf } from './runs-format';
import { downloadText } from '../../components/download';

type Headline = 'microF1' | 'jaccard' | 'precision' | 'recall' | 'mAP';
const headlines: readonly { key: Headline; label: string; title: string }[] = [
  { key: 'microF1', label: 'Micro F1', title: 'TP / (TP + (FP + FN) / 2) over every image and class' },
  { key: 'jaccard', label: 'Jaccard', title: 'The example’s Jaccard index: intersection over union of each class, averaged' },
  { key: 'precision', label: 'Precision', title: 'Micro precision' },
  { key: 'recall', label: 'Recall', title: 'Micro recall' },
  { key: 'mAP', label: 'mAP', title: 'Mean average precision (no threshold)' },
];

type ClassFigure = 'f1' | 'ap' | 'precision' | 'recall' | 'iou';
const classFigures: readonly { key: ClassFigure; label: string }[] = [
  { key: 'f1', label: 'F1' },
  { key: 'ap', label: 'Average precision' },
  { key: 'precision', label: 'Precision' },
  { key: 'recall', label: 'Recall' },
  { key: 'iou', label: 'Jaccard (intersection over union)' },
];

function classFigure(c: ClassMetrics | undefined, figure: ClassFigure): number | null {
  if (c === undefined) return null;
  if (figure === 'iou') {
    const union = c.tp + c.fp + c.fn;
    return union === 0 ? 1 : c.tp / union;
  }
  return c[figure];
}

/** What Copy, Save CSV and `mlw compare --csv` write: each run's headline row, then one row per class. */
export function comparisonTable(runs: readonly ComparedRun[], thresholds: readonly number[], metrics: readonly (Metrics | null)[]) {
  return comparisonRows(
    runs.map((r, i) => ({ runId: r.runId, name: r.name, threshold: thresholds[i] ?? 0.5, metrics: metrics[i] ?? null })),
  );
}

/**
 * The metrics of each run at its own threshold (0.5 to start), computed here with the shared metric
 * functions; each figure's change against the baseline; then every class, its changes tinted green
 * (better) or red (worse). Copy puts the whole table on the clipboard as tab-separated text, Save CSV
 * downloads it.
 */
export function CompareMetrics({
  runs,
  thresholds,
  onThreshold,
  metrics,
}: {
  runs: readonly ComparedRun[];
  thresholds: readonly number[];
  onThreshold: (index: number, threshold: number) => void;
  metrics: readonly (Metrics | null)[];
}): ReactNode {
  const [notice, setNotice] = useState<string | null>(null);
  const table = (format: 'csv' | 'tsv'): string => delimitedTable(comparisonColumns, comparisonTable(runs, thresholds, metrics), format);
  const rowCount = (): number => comparisonTable(runs, thresholds, metrics).length;

  const copy = async (): Promise<void> => {
    const text = table('tsv');
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Without the asynchronous clipboard (an insecure page), the older way.
      const area = document.createElement('textarea');
      area.value = text;
      document.body.append(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setNotice(`Copied ${rowCount()} rows as tab-separated text.`);
  };
  const save = (): void => downloadText('runs-comparison.csv', table('csv'), 'text/csv');

  return (
    <Paper sx={{ p: 2 }} component="section" aria-labelledby="compare-metrics-heading">
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 1, flexWrap: 'wrap' }}>
        <Typography variant="h6" id="compare-metrics-heading" sx={{ flexGrow: 1 }}>
          Metrics
        </Typography>
        <Button size="small" startIcon={<CopyIcon />} onClick={() => void copy()} data-testid="compare-copy">
          Copy
        </Button>
        <Button size="small" startIcon={<DownloadIcon />} onClick={save} data-testid="compare-save-csv">
          Save CSV
        </Button>
      </Box>
      <Typography variant="body2" color="text.secondary" gutterBottom>
        On each run’s validation images at its own threshold (edit it in the table); changes are against the baseline. Copy and Save CSV
        give every run and every class.
      </Typography>
      <RunMetricsTable runs={runs} thresholds={thresholds} onThreshold={onThreshold} metrics={metrics} />
      <ClassComparison runs={runs} metrics={metrics} />
      <Snackbar
        open={notice !== null}
        autoHideDuration={4000}
        onClose={() => setNotice(null)}
        message={notice}
        anchorOrigin={{ vertical: 'bottom', horizontal: 'center' }}
        data-testid="compare-notice"
      />
    </Paper>
  );
}

function DeltaText({ delta }: { delta: number | null }): ReactNode {
  const theme = useTheme();
  const change = changeOf(delta);
  if (delta === null) return null;
  const color =
    change === 'better' ? theme.palette.success.dark : change === 'worse' ? theme.palette.error.main : theme.palette.text.secondary;
  return (
    <Box
      component="span"
      sx={{ display: 'block', fontSize: 11, color, lineHeight: 1.2 }}
      data-testid="delta"
      data-value={delta}
      data-change={change}
    >
      {formatDelta(delta)}
    </Box>
  );
}

function RunMetricsTable({
  runs,
  thresholds,
  onThreshold,
  metrics,
}: {
  runs: readonly ComparedRun[];
  thresholds: readonly number[];
  onThreshold: (index: number, threshold: number) => void;
  metrics: readonly (Metrics | null)[];
}): ReactNode {
  const [sort, setSort] = useState<{ by: Headline | 'run'; direction: 'asc' | 'desc' }>({ by: 'run', direction: 'asc' });
  const order = useMemo(() => {
    const indices = runs.map((_, i) => i);
    if (sort.by === 'run') return sort.direction === 'asc' ? indices : indices.reverse();
    const key = sort.by;
    const sign = sort.direction === 'asc' ? 1 : -1;
    return indices.sort((a, b) => {
      const x = metrics[a]?.[key] ?? null;
      const y = metrics[b]?.[key] ?? null;
      if (x === null || y === null) return x === y ? a - b : x === null ? 1 : -1;
      return sign * (x - y) || a - b;
    });
  }, [runs, metrics, sort]);
  const toggle = (by: Headline | 'run'): void =>
    setSort((s) =>
      s.by === by ? { by, direction: s.direction === 'asc' ? 'desc' : 'asc' } : { by, direction: by === 'run' ? 'asc' : 'desc' },
    );
  const baseline = metrics[0] ?? null;
  return (
    <TableContainer sx={{ mt: 1 }}>
      <Table size="small" data-testid="compare-metrics" data-sort={`${sort.by}:${sort.direction}`}>
        <TableHead>
          <TableRow>
            <TableCell sortDirection={sort.by === 'run' ? sort.direction : false}>
              <TableSortLabel
                active={sort.by === 'run'}
                direction={sort.by === 'run' ? sort.direction : 'asc'}
                onClick={() => toggle('run')}
              >
                Run
              </TableSortLabel>
            </TableCell>
            <TableCell align="right">Threshold</TableCell>
            {headlines.map((h) => (
              <TableCell key={h.key} align="right" title={h.title} sortDirection={sort.by === h.key ? sort.direction : false}>
                <TableSortLabel
                  active={sort.by === h.key}
                  direction={sort.by === h.key ? sort.direction : 'desc'}
                  onClick={() => toggle(h.key)}
                  data-testid={`compare-sort-${h.key}`}
                >
                  {h.label}
                </TableSortLabel>
              </TableCell>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {order.map((i) => {
            const run = runs[i]!;
            const m = metrics[i] ?? null;
            return (
              <TableRow key={run.runId} data-testid="compare-metric-row" data-run-id={run.runId} data-threshold={thresholds[i]}>
                <TableCell component="th" scope="row">
                  <RunLabel run={run} baseline={i === 0} />
                </TableCell>
                <TableCell align="right" sx={{ py: 0.5 }}>
                  {m === null ? (
                    '—'
                  ) : (
                    <ThresholdInput value={thresholds[i] ?? 0.5} onChange={(t) => onThreshold(i, t)} label={`Threshold of ${run.name}`} />
                  )}
                </TableCell>
                {m === null ? (
                  <TableCell colSpan={headlines.length} sx={{ color: 'text.secondary' }} data-testid="compare-no-scores">
                    No validation scores are stored with this run ({run.entry.status}, {run.entry.mode}).
                  </TableCell>
                ) : (
                  headlines.map((h) => {
                    const value = m[h.key];
                    const base = baseline?.[h.key] ?? null;
                    return (
                      <TableCell key={h.key} align="right" data-testid={`compare-${h.key}`} data-value={value ?? ''}>
                        {formatRatio(value)}
                        {i > 0 && <DeltaText delta={value === null || base === null ? null : value - base} />}
                      </TableCell>
                    );
                  })
                )}
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

/** A threshold typed in: kept while it is a number from 0 to 1, flagged otherwise. */
function ThresholdInput({ value, onChange, label }: { value: number; onChange: (t: number) => void; label: string }): ReactNode {
  const [text, setText] = useState(String(value));
  const parsed = text.trim() === '' ? NaN : Number(text);
  const valid = Number.isFinite(parsed) && parsed >= 0 && parsed <= 1;
  return (
    <TextField
      size="small"
      type="number"
      value={text}
      error={!valid}
      onChange={(e) => {
        setText(e.target.value);
        const t = Number(e.target.value);
        if (e.target.value.trim() !== '' && Number.isFinite(t) && t >= 0 && t <= 1) onChange(t);
      }}
      onBlur={() => setText(String(value))}
      title={valid ? undefined : 'A threshold is a number from 0 to 1'}
      slotProps={{ htmlInput: { step: 0.05, min: 0, max: 1, 'aria-label': label, 'data-testid': 'compare-threshold' } }}
      sx={{ width: 92, '& input': { py: 0.5, textAlign: 'right', fontSize: 14 } }}
    />
  );
}

function ClassComparison({ runs, metrics }: { runs: readonly ComparedRun[]; metrics: readonly (Metrics | null)[] }): ReactNode {
  const theme = useTheme();
  const [figure, setFigure] = useState<ClassFigure>('f1');
  const [sort, setSort] = useState<{ by: number | 'class'; direction: 'asc' | 'desc' }>({ by: 'class', direction: 'asc' });
  // Every class of any run, in the baseline's order first.
  const classes = useMemo(() => [...new Set(metrics.flatMap((m) => m?.perClass.map((c) => c.class) ?? []))], [metrics]);
  const lookup = useMemo(() => metrics.map((m) => new Map(m?.perClass.map((c) => [c.class, c]) ?? [])), [metrics]);
  const rows = useMemo(() => {
    const indexed = classes.map((name, index) => ({ name, index, values: lookup.map((l) => classFigure(l.get(name), figure)) }));
    if (sort.by === 'class') return sort.direction === 'asc' ? indexed : [...indexed].reverse();
    const column = sort.by;
    const sign = sort.direction === 'asc' ? 1 : -1;
    return [...indexed].sort((a, b) => {
      const x = a.values[column] ?? null;
      const y = b.values[column] ?? null;
      if (x === null || y === null) return x === y ? a.index - b.index : x === null ? 1 : -1;
      return sign * (x - y) || a.index - b.index;
    });
  }, [classes, lookup, figure, sort]);
  const toggle = (by: number | 'class'): void =>
    setSort((s) =>
      s.by === by ? { by, direction: s.direction === 'asc' ? 'desc' : 'asc' } : { by, direction: by === 'class' ? 'asc' : 'desc' },
    );
  if (classes.length === 0) return null;
  const tint = (change: 'better' | 'worse' | 'same'): string | undefined =>
    change === 'better' ? alpha(theme.palette.success.main, 0.16) : change === 'worse' ? alpha(theme.palette.error.main, 0.14) : undefined;
  return (
    <Box sx={{ mt: 3 }}>
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 2, flexWrap: 'wrap', mb: 1 }}>
        <Typography variant="subtitle1" sx={{ fontWeight: 600 }} id="compare-classes-heading">
          Per class
        </Typography>
        <TextField
          select
          size="small"
          label="Figure"
          value={figure}
          onChange={(e) => setFigure(e.target.value as ClassFigure)}
          sx={{ minWidth: 240 }}
          slotProps={{ htmlInput: { 'data-testid': 'compare-class-figure' } }}
        >
          {classFigures.map((f) => (
            <MenuItem key={f.key} value={f.key}>
              {f.label}
            </MenuItem>
          ))}
        </TextField>
        <Typography variant="body2" color="text.secondary">
          Changes against the baseline:{' '}
          <Box component="span" sx={{ bgcolor: tint('better'), px: 0.5, borderRadius: 0.5 }}>
            better
          </Box>
          ,{' '}
          <Box component="span" sx={{ bgcolor: tint('worse'), px: 0.5, borderRadius: 0.5 }}>
            worse
          </Box>
          .
        </Typography>
      </Box>
      <TableContainer>
        <Table
          size="small"
          aria-labelledby="compare-classes-heading"
          data-testid="compare-classes"
          sx={{ width: 'auto', minWidth: 480, '& td, & th': { minWidth: 120 } }}
          data-figure={figure}
          data-sort={`${sort.by}:${sort.direction}`}
        >
          <TableHead>
            <TableRow>
              <TableCell sortDirection={sort.by === 'class' ? sort.direction : false}>
                <TableSortLabel
                  active={sort.by === 'class'}
                  direction={sort.by === 'class' ? sort.direction : 'asc'}
                  onClick={() => toggle('class')}
                >
                  Class
                </TableSortLabel>
              </TableCell>
              {runs.map((run, i) => (
                <TableCell key={run.runId} align="right" sortDirection={sort.by === i ? sort.direction : false}>
                  <TableSortLabel active={sort.by === i} direction={sort.by === i ? sort.direction : 'desc'} onClick={() => toggle(i)}>
                    <RunLabel run={run} />
                  </TableSortLabel>
                </TableCell>
              ))}
            </TableRow>
          </TableHead>
          <TableBody>
            {rows.map((row) => (
              <TableRow key={row.name} data-testid="compare-class-row" data-class={row.name}>
                <TableCell component="th" scope="row">
                  {row.name}
                </TableCell>
                {row.values.map((value, i) => {
                  const base = row.values[0] ?? null;
                  const delta = i === 0 || value === null || base === null ? null : value - base;
                  const change = changeOf(delta);
                  return (
                    <TableCell
                      key={runs[i]!.runId}
                      align="right"
                      data-testid="compare-class-value"
                      data-run-id={runs[i]!.runId}
                      data-value={value ?? ''}
                      data-change={i === 0 ? 'baseline' : change}
                      sx={{ bgcolor: i === 0 ? undefined : tint(change) }}
                    >
                      {formatRatio(value)}
                      {i > 0 && <DeltaText delta={delta} />}
                    </TableCell>
                  );
                })}
              </TableRow>
            ))}
          </TableBody>
        </Table>
      </TableContainer>
    </Box>
  );
}
