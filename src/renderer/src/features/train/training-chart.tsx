import { useTheme } from '@mui/material/styles';
import type { Data, Layout } from 'plotly.js';
import { useMemo, type ReactNode } from 'react';
import { smooth } from '../../../../shared/domain/smoothing';
import { Plot } from '../../components/plot';

export interface TrainingPoint {
  iteration: number;
  epoch: number;
  trainLoss: number;
  trainRmse: number;
  valLoss: number | null;
  valRmse: number | null;
}

/**
 * The example's training-progress plot: loss (top) and RMSE (bottom) per iteration, the raw
 * mini-batch values faint, smoothed lines strong, validation points as markers.
 */
export function TrainingChart({ points }: { points: readonly TrainingPoint[] }): ReactNode {
  const theme = useTheme();
  const train = theme.palette.primary.main;
  const val = theme.palette.secondary.main;
  const data = useMemo<Data[]>(() => {
    const x = points.map((p) => p.iteration);
    const validated = points.filter((p) => p.valLoss !== null);
    const series = (y: number[], axis: 'y' | 'y2', name: string, color: string, width: number, opacity: number, legend: boolean): Data => ({
      type: 'scatter',
      mode: 'lines',
      x,
      y,
      yaxis: axis,
      name,
      line: { color, width },
      opacity,
      showlegend: legend,
      hovertemplate: `${name} %{y:.4f} at iteration %{x}<extra></extra>`,
    });
    return [
      series(
        points.map((p) => p.trainLoss),
        'y',
        'training loss',
        train,
        1,
        0.25,
        false,
      ),
      series(smooth(points.map((p) => p.trainLoss)), 'y', 'training loss (smoothed)', train, 2, 1, true),
      {
        type: 'scatter',
        mode: 'lines+markers',
        x: validated.map((p) => p.iteration),
        y: validated.map((p) => p.valLoss!),
        yaxis: 'y',
        name: 'validation loss',
        line: { color: val, width: 1.5, dash: 'dot' },
        marker: { color: val, size: 6 },
      },
      series(
        points.map((p) => p.trainRmse),
        'y2',
        'training RMSE',
        train,
        1,
        0.25,
        false,
      ),
      series(smooth(points.map((p) => p.trainRmse)), 'y2', 'training RMSE (smoothed)', train, 2, 1, false),
      {
        type: 'scatter',
        mode: 'lines+markers',
        x: validated.map((p) => p.iteration),
        y: validated.map((p) => p.valRmse!),
        yaxis: 'y2',
        name: 'validation RMSE',
        line: { color: val, width: 1.5, dash: 'dot' },
        marker: { color: val, size: 6 },
        showlegend: false,
      },
    ];
  }, [points, train, val]);
  const layout = useMemo<Partial<Layout>>(
    () => ({
      margin: { t: 16, r: 16, b: 48, l: 64 },
      grid: { rows: 2, columns: 1, pattern: 'independent' },
      xaxis: { title: { text: 'Iteration' }, anchor: 'y2' },
      yaxis: { title: { text: 'Loss' }, domain: [0.55, 1], rangemode: 'tozero' },
      yaxis2: { title: { text: 'RMSE' }, domain: [0, 0.45], rangemode: 'tozero' },
      legend: { orientation: 'h', y: 1.08 },
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: { family: theme.typography.fontFamily, size: 12 },
    }),
    [theme],
  );
  const last = points[points.length - 1];
  return (
    <Plot
      data={data}
      layout={layout}
      height={420}
      data-testid="training-chart"
      data-points={points.length}
      data-validations={points.filter((p) => p.valLoss !== null).length}
      role="img"
      aria-label={last ? `Training progress: iteration ${last.iteration}, training loss ${last.trainLoss.toFixed(4)}` : 'Training progress'}
    />
  );
}
