import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import { useTheme } from '@mui/material/styles';
import type { Data, Layout, Shape } from 'plotly.js';
import { useMemo, type ReactNode } from 'react';
import type { ClassMetrics, PrPoint } from '../../../../shared/domain/metrics';
import { Plot } from '../../components/plot';
import { categoryColor } from '../../components/category-colors';

/**
 * Each class's precision-recall curve (a step at each distinct score, as average precision sums it),
 * AP in the legend, and a dot where the class is judged now (its precision and recall at the threshold).
 */
export function PrCurves({
  classes,
  curves,
  averagePrecisions,
  perClass,
}: {
  classes: readonly string[];
  curves: readonly PrPoint[][];
  averagePrecisions: readonly (number | null)[];
  perClass: readonly ClassMetrics[];
}): ReactNode {
  const theme = useTheme();
  const data = useMemo<Data[]>(
    () =>
      classes.flatMap((name, j): Data[] => {
        const curve = curves[j] ?? [];
        const ap = averagePrecisions[j];
        if (curve.length === 0 || ap === null || ap === undefined) return [];
        return [
          {
            type: 'scatter',
            mode: 'lines',
            // From recall 0 at the first point's precision, so the first step is drawn.
            x: [0, ...curve.map((p) => p.recall)],
            y: [curve[0]!.precision, ...curve.map((p) => p.precision)],
            customdata: [curve[0]!.threshold, ...curve.map((p) => p.threshold)],
            line: { color: categoryColor(j), width: 2, shape: 'vh' },
            name: `${name} (AP ${ap.toFixed(3)})`,
            hovertemplate: `${name}: precision %{y:.3f}, recall %{x:.3f} at score ≥ %{customdata:.3f}<extra></extra>`,
          },
        ];
      }),
    [classes, curves, averagePrecisions],
  );
  // The dots are layout shapes, not traces: a threshold move then redraws the shapes only, not every curve.
  const layout = useMemo<Partial<Layout>>(
    () => ({
      xaxis: { title: { text: 'Recall' }, range: [-0.02, 1.02], zeroline: false },
      yaxis: { title: { text: 'Precision' }, range: [-0.02, 1.04], zeroline: false },
      shapes: classes.flatMap((_, j): Partial<Shape>[] => {
        const m = perClass[j];
        if ((curves[j] ?? []).length === 0 || m === undefined) return [];
        return [
          {
            type: 'circle',
            xref: 'x',
            yref: 'y',
            xsizemode: 'pixel',
            ysizemode: 'pixel',
            xanchor: m.recall,
            yanchor: m.precision,
            x0: -5,
            x1: 5,
            y0: -5,
            y1: 5,
            fillcolor: categoryColor(j),
            line: { color: 'white', width: 1.5 },
          },
        ];
      }),
      // Room above the plot for Plotly's toolbar, so it does not cover the legend.
      margin: { t: 36, r: 16, b: 48, l: 64 },
      legend: { x: 1.02, y: 1, xanchor: 'left' },
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: { family: theme.typography.fontFamily, size: 12 },
    }),
    [classes, curves, perClass, theme],
  );
  const without = classes.filter((_, j) => (curves[j] ?? []).length === 0);
  return (
    <Paper sx={{ p: 2 }} component="section" aria-labelledby="pr-heading">
      <Typography variant="h6" id="pr-heading">
        Precision-recall curves
      </Typography>
      <Typography variant="body2" color="text.secondary">
        One curve per class, average precision in the legend; the dot is where the class is judged now (its precision and recall in the Per
        class table). Click a legend entry to hide a curve.
        {without.length > 0 && ` No curve for ${without.join(', ')}: no image of ${without.length === 1 ? 'it' : 'them'} is labelled.`}
      </Typography>
      <Plot
        data={data}
        layout={layout}
        height={440}
        data-testid="pr-curves"
        data-curves={data.length}
        role="img"
        aria-label="Precision-recall curve of each class"
      />
    </Paper>
  );
}
