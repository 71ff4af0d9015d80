import { useTheme } from '@mui/material/styles';
import type { Data, Layout } from 'plotly.js';
import { useMemo, type ReactNode } from 'react';
import type { ReliabilityBin } from '../../../../shared/domain/calibration';
import { Plot } from '../../components/plot';

/**
 * The reliability diagram of a run's scores: above, each of the 15 score bins as a bar as high as the
 * fraction of its (image, class) pairs that are labelled, a dot at the bin's mean score, and the
 * diagonal of perfect calibration; below, the pairs in each bin (a log scale: most pairs score low).
 */
export function ReliabilityDiagram({ bins, temperature }: { bins: readonly ReliabilityBin[]; temperature: number | null }): ReactNode {
  const theme = useTheme();
  const bar = temperature === null ? theme.palette.primary.main : theme.palette.success.main;
  const data = useMemo<Data[]>(() => {
    const centres = bins.map((b) => (b.lower + b.upper) / 2);
    const occupied = bins.filter((b) => b.count > 0);
    const binText = (b: ReliabilityBin): string => `${b.lower.toFixed(3)}–${b.upper.toFixed(3)}`;
    return [
      {
        type: 'bar',
        x: centres,
        y: bins.map((b) => b.fractionPositive ?? 0),
        width: bins.map((b) => (b.upper - b.lower) * 0.92),
        marker: { color: bar, opacity: 0.75 },
        name: 'observed fraction labelled',
        text: bins.map(binText),
        customdata: bins.map((b) => [b.count, b.meanScore ?? Number.NaN]),
        textposition: 'none',
        hovertemplate: 'scores %{text}: %{customdata[0]:,} pairs, mean score %{customdata[1]:.4f}, %{y:.1%} labelled<extra></extra>',
        xaxis: 'x',
        yaxis: 'y',
      } as Data,
      {
        type: 'scatter',
        mode: 'markers',
        x: occupied.map((b) => b.meanScore),
        y: occupied.map((b) => b.fractionPositive),
        marker: { color: theme.palette.text.primary, size: 6 },
        name: 'mean score of the bin',
        hovertemplate: 'mean score %{x:.4f}, %{y:.1%} labelled<extra></extra>',
        xaxis: 'x',
        yaxis: 'y',
      },
      {
        type: 'scatter',
        mode: 'lines',
        x: [0, 1],
        y: [0, 1],
        line: { color: theme.palette.error.main, dash: 'dash', width: 1.5 },
        name: 'perfect calibration',
        hoverinfo: 'skip',
        xaxis: 'x',
        yaxis: 'y',
      },
      {
        type: 'bar',
        x: centres,
        y: bins.map((b) => b.count),
        width: bins.map((b) => (b.upper - b.lower) * 0.92),
        marker: { color: theme.palette.text.secondary, opacity: 0.6 },
        name: 'pairs in the bin',
        text: bins.map(binText),
        texttemplate: '%{y:,}',
        textposition: 'outside',
        textfont: { size: 10 },
        cliponaxis: false,
        hovertemplate: 'scores %{text}: %{y:,} pairs<extra></extra>',
        showlegend: false,
        xaxis: 'x2',
        yaxis: 'y2',
      } as Data,
    ];
  }, [bins, bar, theme]);
  const layout = useMemo<Partial<Layout>>(
    () => ({
      xaxis: { range: [0, 1], dtick: 0.2, zeroline: false, anchor: 'y', domain: [0, 1], showticklabels: false },
      yaxis: { title: { text: 'Fraction labelled' }, range: [0, 1.02], zeroline: false, domain: [0.34, 1] },
      xaxis2: { title: { text: 'Score (15 equal-width bins)' }, range: [0, 1], dtick: 0.2, zeroline: false, anchor: 'y2', matches: 'x' },
      // Powers of ten only: most pairs score low, so the bins differ by orders of magnitude.
      yaxis2: { title: { text: 'Pairs' }, type: 'log', dtick: 1, domain: [0, 0.24] },
      bargap: 0,
      margin: { t: 36, r: 16, b: 48, l: 64 },
      legend: { orientation: 'h', x: 0, y: 1.1 },
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: { family: theme.typography.fontFamily, size: 12 },
    }),
    [theme],
  );
  const pairs = bins.reduce((total, b) => total + b.count, 0);
  return (
    <Plot
      data={data}
      layout={layout}
      height={520}
      data-testid="reliability-diagram"
      data-temperature={temperature ?? ''}
      data-counts={bins.map((b) => b.count).join(',')}
      role="img"
      aria-label={`Reliability diagram of ${pairs} image–class pairs in 15 score bins${temperature === null ? '' : `, scores scaled by temperature ${temperature.toFixed(3)}`}`}
    />
  );
}
