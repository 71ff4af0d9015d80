import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import { useTheme } from '@mui/material/styles';
import type { Data, Layout, Shape } from 'plotly.js';
import { useMemo, type ReactNode } from 'react';
import type { ThresholdMetrics } from '../../../../shared/domain/metrics';
import { Plot } from '../../components/plot';

type Figure = 'microF1' | 'jaccard' | 'precision' | 'recall';

const panels: readonly { key: Figure; title: string }[] = [
  { key: 'microF1', title: 'F1-score' },
  { key: 'jaccard', title: 'Jaccard index' },
  { key: 'precision', title: 'Precision' },
  { key: 'recall', title: 'Recall' },
];

/** Plotly's names of the n-th subplot's axes: x/y, x2/y2… */
const axis = (n: number, letter: 'x' | 'y'): string => (n === 0 ? letter : `${letter}${n + 1}`);

/**
 * The example's "Investigate Threshold Value" figure: F1-score, Jaccard index, precision and recall
 * against the threshold, the 0.1..0.9 points it computes as stars on a finer 0.01 sweep, the current
 * threshold as a vertical line and, with per-class thresholds on, their figure as a dashed level.
 */
export function SweepPlots({
  fine,
  example,
  threshold,
  tuned,
}: {
  fine: readonly ThresholdMetrics[];
  example: readonly ThresholdMetrics[];
  threshold: number;
  /** The figures at the per-class thresholds, when they are on. */
  tuned: ThresholdMetrics | null;
}): ReactNode {
  const theme = useTheme();
  const line = theme.palette.primary.main;
  const marker = theme.palette.secondary.main;
  const data = useMemo<Data[]>(
    () =>
      panels.flatMap(({ key, title }, n): Data[] => [
        {
          type: 'scatter',
          mode: 'lines',
          x: fine.map((m) => m.threshold),
          y: fine.map((m) => m[key]),
          xaxis: axis(n, 'x'),
          yaxis: axis(n, 'y'),
          name: 'every 0.01',
          legendgroup: 'fine',
          showlegend: n === 0,
          line: { color: line, width: 2 },
          hovertemplate: `${title} %{y:.4f} at %{x:.2f}<extra></extra>`,
        } as Data,
        {
          type: 'scatter',
          mode: 'markers',
          x: example.map((m) => m.threshold),
          y: example.map((m) => m[key]),
          xaxis: axis(n, 'x'),
          yaxis: axis(n, 'y'),
          name: 'the example’s 0.1 … 0.9',
          legendgroup: 'example',
          showlegend: n === 0,
          marker: { color: marker, size: 9, symbol: 'star' },
          hovertemplate: `${title} %{y:.4f} at %{x:.1f}<extra></extra>`,
        } as Data,
      ]),
    [fine, example, line, marker],
  );
  const layout = useMemo<Partial<Layout>>(() => {
    const shapes: Partial<Shape>[] = panels.flatMap(({ key }, n) => {
      const xref = axis(n, 'x') as Shape['xref'];
      const yDomain = `${axis(n, 'y')} domain` as Shape['yref'];
      const current: Partial<Shape> = {
        type: 'line',
        xref,
        yref: yDomain,
        x0: threshold,
        x1: threshold,
        y0: 0,
        y1: 1,
        line: { color: theme.palette.text.primary, width: 1.5, dash: 'dot' },
      };
      if (tuned === null) return [current];
      const level: Partial<Shape> = {
        type: 'line',
        xref: `${xref} domain` as Shape['xref'],
        yref: axis(n, 'y') as Shape['yref'],
        x0: 0,
        x1: 1,
        y0: tuned[key],
        y1: tuned[key],
        line: { color: theme.palette.warning.main, width: 1.5, dash: 'dash' },
      };
      return [current, level];
    });
    const axes: Partial<Layout> = {};
    panels.forEach(({ title }, n) => {
      const suffix = n === 0 ? '' : String(n + 1);
      Object.assign(axes, {
        [`xaxis${suffix}`]: { title: { text: 'Threshold' }, range: [-0.02, 1.02], dtick: 0.1, zeroline: false },
        [`yaxis${suffix}`]: { title: { text: title }, range: [-0.02, 1.04], zeroline: false },
      });
    });
    return {
      ...axes,
      grid: { rows: 2, columns: 2, pattern: 'independent', xgap: 0.12, ygap: 0.3 },
      shapes,
      margin: { t: 36, r: 16, b: 48, l: 64 },
      legend: { orientation: 'h', x: 0, y: 1.12 },
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: { family: theme.typography.fontFamily, size: 12 },
    };
  }, [threshold, tuned, theme]);
  return (
    <Paper sx={{ p: 2 }} component="section" aria-labelledby="sweep-heading">
      <Typography variant="h6" id="sweep-heading">
        Figures against the threshold
      </Typography>
      <Typography variant="body2" color="text.secondary">
        As the example’s threshold study: raising the threshold trades false positives for false negatives. The dotted line is the current
        threshold{tuned !== null ? '; the dashed level is each figure at the per-class thresholds' : ''}.
      </Typography>
      <Plot
        data={data}
        layout={layout}
        height={560}
        data-testid="sweep-plots"
        data-threshold={threshold}
        role="img"
        aria-label={`F1-score, Jaccard index, precision and recall for thresholds 0.01 to 0.99; the current threshold is ${threshold.toFixed(2)}`}
      />
    </Paper>
  );
}
