import Box from '@mui/material/Box';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useTheme, type Theme } from '@mui/material/styles';
import type { Data, Layout } from 'plotly.js';
import { useMemo, useState, type ReactNode } from 'react';
import type { Metrics } from '../../../../shared/domain/metrics';
import { Plot } from '../../components/plot';
import type { ComparedRun } from './run-comparison';

function baseLayout(theme: Theme): Partial<Layout> {
  return {
    // Room above the plot for Plotly's toolbar, so it does not cover the legend.
    margin: { t: 36, r: 16, b: 48, l: 64 },
    paper_bgcolor: 'rgba(0,0,0,0)',
    plot_bgcolor: 'rgba(0,0,0,0)',
    font: { family: theme.typography.fontFamily, size: 12 },
    legend: { orientation: 'h', x: 0, y: -0.2, yanchor: 'top' },
  };
}

/**
 * Each run's training loss per iteration, smoothed as the Train workspace draws it, and its validation
 * loss at each validation (markers), in the run's colour.
 */
export function TrainingCurves({ runs }: { runs: readonly ComparedRun[] }): ReactNode {
  const theme = useTheme();
  const data = useMemo<Data[]>(
    () =>
      runs.flatMap((run): Data[] => {
        const h = run.history;
        if (h.training.length === 0) return [];
        return [
          {
            type: 'scatter',
            mode: 'lines',
            x: h.training.map((p) => p.iteration),
            y: h.training.map((p) => p.smoothedLoss),
            name: `${run.name}: training (smoothed)`,
            legendgroup: run.runId,
            line: { color: run.color, width: 2 },
            hovertemplate: `${run.name}: training loss %{y:.4f} at iteration %{x}<extra></extra>`,
          },
          {
            type: 'scatter',
            mode: 'lines+markers',
            x: h.validation.map((p) => p.iteration),
            y: h.validation.map((p) => p.loss),
            name: `${run.name}: validation`,
            legendgroup: run.runId,
            line: { color: run.color, width: 1, dash: 'dot' },
            marker: { color: run.color, size: 7, symbol: 'circle-open', line: { width: 2 } },
            hovertemplate: `${run.name}: validation loss %{y:.4f} at iteration %{x}<extra></extra>`,
          },
        ];
      }),
    [runs],
  );
  const layout = useMemo<Partial<Layout>>(
    () => ({
      ...baseLayout(theme),
      xaxis: { title: { text: 'Iteration' }, zeroline: false },
      yaxis: { title: { text: 'Loss' }, rangemode: 'tozero' },
    }),
    [theme],
  );
  const without = runs.filter((r) => r.history.training.length === 0);
  return (
    <Paper sx={{ p: 2 }} component="section" aria-labelledby="compare-training-heading">
      <Typography variant="h6" id="compare-training-heading">
        Training curves
      </Typography>
      <Typography variant="body2" color="text.secondary">
        Training loss per iteration (smoothed) as lines, validation loss as rings, one colour per run.
        {without.length > 0 && ` ${without.map((r) => r.name).join(', ')} recorded no history.`}
      </Typography>
      <Plot
        data={data}
        layout={layout}
        height={400}
        data-testid="compare-training-curves"
        data-runs={runs.length - without.length}
        role="img"
        aria-label="Training and validation loss of each compared run against the iteration"
      />
    </Paper>
  );
}

/** Each run's micro F1 against the threshold (every 0.01), with a dot at its current threshold. */
export function SweepOverlay({
  runs,
  thresholds,
  metrics,
}: {
  runs: readonly ComparedRun[];
  thresholds: readonly number[];
  metrics: readonly (Metrics | null)[];
}): ReactNode {
  const theme = useTheme();
  const curves = useMemo<Data[]>(
    () =>
      runs.flatMap((run): Data[] =>
        run.model === null
          ? []
          : [
              {
                type: 'scatter',
                mode: 'lines',
                x: run.model.fineSweep.map((m) => m.threshold),
                y: run.model.fineSweep.map((m) => m.microF1),
                name: run.name,
                legendgroup: run.runId,
                line: { color: run.color, width: 2 },
                hovertemplate: `${run.name}: micro F1 %{y:.4f} at %{x:.2f}<extra></extra>`,
              },
            ],
      ),
    [runs],
  );
  const data = useMemo<Data[]>(
    () => [
      ...curves,
      ...runs.flatMap((run, i): Data[] => {
        const m = metrics[i];
        if (run.model === null || m === null || m === undefined) return [];
        return [
          {
            type: 'scatter',
            mode: 'markers',
            x: [thresholds[i] ?? 0.5],
            y: [m.microF1],
            legendgroup: run.runId,
            showlegend: false,
            marker: { color: run.color, size: 10, line: { color: 'white', width: 1.5 } },
            hovertemplate: `${run.name}: micro F1 %{y:.4f} at its threshold %{x:.2f}<extra></extra>`,
          },
        ];
      }),
    ],
    [curves, runs, thresholds, metrics],
  );
  const layout = useMemo<Partial<Layout>>(
    () => ({
      ...baseLayout(theme),
      xaxis: { title: { text: 'Threshold' }, range: [-0.02, 1.02], dtick: 0.1, zeroline: false },
      yaxis: { title: { text: 'Micro F1' }, range: [-0.02, 1.04], zeroline: false },
    }),
    [theme],
  );
  return (
    <Paper sx={{ p: 2, height: '100%' }} component="section" aria-labelledby="compare-sweep-heading">
      <Typography variant="h6" id="compare-sweep-heading">
        Micro F1 against the threshold
      </Typography>
      <Typography variant="body2" color="text.secondary">
        Every 0.01 from 0.01 to 0.99; the dot is each run’s threshold in the table.
      </Typography>
      <Plot
        data={data}
        layout={layout}
        height={400}
        data-testid="compare-sweeps"
        data-runs={curves.length}
        data-thresholds={thresholds.join(',')}
        role="img"
        aria-label="Micro F1 of each compared run for thresholds 0.01 to 0.99"
      />
    </Paper>
  );
}

/** One class's precision-recall curve for each run (AP in the legend), with a dot where the class is judged at the run's threshold. */
export function PrOverlay({ runs, metrics }: { runs: readonly ComparedRun[]; metrics: readonly (Metrics | null)[] }): ReactNode {
  const theme = useTheme();
  const classes = useMemo(() => [...new Set(runs.flatMap((r) => r.model?.scores.classes ?? []))], [runs]);
  const [chosen, setChosen] = useState<string | null>(null);
  const className = chosen !== null && classes.includes(chosen) ? chosen : (classes[0] ?? null);
  const data = useMemo<Data[]>(
    () =>
      className === null
        ? []
        : runs.flatMap((run, i): Data[] => {
            const j = run.model?.scores.classes.indexOf(className) ?? -1;
            const curve = j < 0 ? [] : (run.model?.curves[j] ?? []);
            const ap = j < 0 ? null : (run.model?.averagePrecisions[j] ?? null);
            if (curve.length === 0 || ap === null) return [];
            const judged = metrics[i]?.perClass[j];
            return [
              {
                type: 'scatter',
                mode: 'lines',
                // From recall 0 at the first point's precision, so the first step is drawn (as in the Evaluate workspace).
                x: [0, ...curve.map((p) => p.recall)],
                y: [curve[0]!.precision, ...curve.map((p) => p.precision)],
                customdata: [curve[0]!.threshold, ...curve.map((p) => p.threshold)],
                name: `${run.name} (AP ${ap.toFixed(3)})`,
                legendgroup: run.runId,
                line: { color: run.color, width: 2, shape: 'vh' },
                hovertemplate: `${run.name}: precision %{y:.3f}, recall %{x:.3f} at score ≥ %{customdata:.3f}<extra></extra>`,
              },
              ...(judged === undefined
                ? []
                : [
                    {
                      type: 'scatter',
                      mode: 'markers',
                      x: [judged.recall],
                      y: [judged.precision],
                      legendgroup: run.runId,
                      showlegend: false,
                      marker: { color: run.color, size: 10, line: { color: 'white', width: 1.5 } },
                      hovertemplate: `${run.name} at ${judged.threshold}: precision %{y:.3f}, recall %{x:.3f}<extra></extra>`,
                    } as Data,
                  ]),
            ];
          }),
    [runs, metrics, className],
  );
  const layout = useMemo<Partial<Layout>>(
    () => ({
      ...baseLayout(theme),
      xaxis: { title: { text: 'Recall' }, range: [-0.02, 1.02], zeroline: false },
      yaxis: { title: { text: 'Precision' }, range: [-0.02, 1.04], zeroline: false },
    }),
    [theme],
  );
  const curves = data.filter((d) => (d as { mode?: string }).mode === 'lines').length;
  return (
    <Paper sx={{ p: 2, height: '100%' }} component="section" aria-labelledby="compare-pr-heading">
      <Box sx={{ display: 'flex', alignItems: 'center', gap: 2, flexWrap: 'wrap' }}>
        <Typography variant="h6" id="compare-pr-heading" sx={{ flexGrow: 1 }}>
          Precision-recall curves
        </Typography>
        {classes.length > 0 && (
          <TextField
            select
            size="small"
            label="Class"
            value={className ?? ''}
            onChange={(e) => setChosen(e.target.value)}
            sx={{ minWidth: 180 }}
            slotProps={{ htmlInput: { 'data-testid': 'compare-pr-class' } }}
          >
            {classes.map((name) => (
              <MenuItem key={name} value={name}>
                {name}
              </MenuItem>
            ))}
          </TextField>
        )}
      </Box>
      <Typography variant="body2" color="text.secondary">
        {className === null
          ? 'No run has validation scores.'
          : `${className}: one curve per run; the dot is where it is judged at the run’s threshold.`}
        {className !== null &&
          curves < runs.filter((r) => r.model !== null).length &&
          ' A run without a curve has no image labelled with it.'}
      </Typography>
      <Plot
        data={data}
        layout={layout}
        height={400}
        data-testid="compare-pr-curves"
        data-class={className ?? ''}
        data-curves={curves}
        role="img"
        aria-label={`Precision-recall curve of ${className ?? 'a class'} for each compared run`}
      />
    </Paper>
  );
}
