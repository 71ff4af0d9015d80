import { useTheme } from '@mui/material/styles';
import type { Data, Layout } from 'plotly.js';
import { memo, useMemo, type ReactNode } from 'react';
import { Plot } from '../../components/plot';

/** How many images have 1, 2, 3… of the selected labels, with the mean as a dashed line. */
export const LabelsHistogram = memo(function LabelsHistogram({
  histogram,
  mean,
}: {
  histogram: Readonly<Record<string, number>>;
  mean: number;
}): ReactNode {
  const theme = useTheme();
  const bins = useMemo(
    () =>
      Object.entries(histogram)
        .map(([labels, images]) => ({ labels: Number(labels), images }))
        .sort((a, b) => a.labels - b.labels),
    [histogram],
  );
  const data = useMemo<Data[]>(
    () => [
      {
        type: 'bar',
        x: bins.map((b) => b.labels),
        y: bins.map((b) => b.images),
        text: bins.map((b) => b.images.toLocaleString('en-US')),
        textposition: 'outside',
        cliponaxis: false,
        marker: { color: theme.palette.secondary.main },
        hovertemplate: '%{x} labels: %{y:,} images<extra></extra>',
      },
    ],
    [bins, theme],
  );
  const layout = useMemo<Partial<Layout>>(() => {
    const hasData = bins.length > 0;
    return {
      // The top margin holds Plotly's toolbar (about 30 px, shown on hover) and, below it, the mean's label.
      margin: { t: 64, r: 16, b: 56, l: 64 },
      xaxis: { title: { text: 'Labels per image' }, dtick: 1, tick0: 0, rangemode: 'tozero', automargin: true, ticklabeloverflow: 'allow' },
      // Headroom over the tallest bar for its count, below the mean's label above the plot.
      yaxis: {
        title: { text: 'Images' },
        automargin: true,
        ticklabeloverflow: 'allow',
        ...(hasData ? { range: [0, Math.max(...bins.map((b) => b.images)) * 1.15] } : { rangemode: 'tozero' }),
      },
      bargap: 0.15,
      shapes: hasData
        ? [
            {
              type: 'line',
              xref: 'x',
              yref: 'paper',
              x0: mean,
              x1: mean,
              y0: 0,
              y1: 1,
              line: { dash: 'dash', width: 2, color: theme.palette.text.primary },
            },
          ]
        : [],
      annotations: hasData
        ? [
            {
              x: mean,
              xref: 'x',
              y: 1,
              yref: 'paper',
              yanchor: 'bottom',
              xanchor: 'left',
              text: `mean ${mean.toFixed(2)}`,
              showarrow: false,
            },
          ]
        : [],
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: { family: theme.typography.fontFamily, size: 12 },
    };
  }, [bins, mean, theme]);
  return (
    <Plot
      data={data}
      layout={layout}
      height={360}
      data-testid="labels-histogram"
      data-values={JSON.stringify(histogram)}
      data-mean={mean}
      role="img"
      aria-label={`Histogram of labels per image: ${bins.map((b) => `${b.labels} labels ${b.images} images`).join(', ')}; mean ${mean.toFixed(2)}`}
    />
  );
});
