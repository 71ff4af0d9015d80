import { useTheme } from '@mui/material/styles';
import type { Data, Layout } from 'plotly.js';
import { useMemo, type ReactNode } from 'react';
import { Plot } from '../../components/plot';

/** Images per class, in selection order, with the count on each bar. */
export function ClassBalanceChart({ classes, counts }: { classes: readonly string[]; counts: readonly number[] }): ReactNode {
  const theme = useTheme();
  const data = useMemo<Data[]>(
    () => [
      {
        type: 'bar',
        x: [...classes],
        y: [...counts],
        text: counts.map((n) => n.toLocaleString('en-US')),
        textposition: 'outside',
        cliponaxis: false,
        marker: { color: theme.palette.primary.main },
        hovertemplate: '%{x}: %{y:,} images<extra></extra>',
      },
    ],
    [classes, counts, theme],
  );
  const layout = useMemo<Partial<Layout>>(
    () => ({
      margin: { t: 24, r: 16, b: 96, l: 64 },
      xaxis: { type: 'category', categoryorder: 'array', categoryarray: [...classes], tickangle: -35, automargin: true },
      yaxis: { title: { text: 'Images' }, rangemode: 'tozero', automargin: true },
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: { family: theme.typography.fontFamily, size: 12 },
    }),
    [classes, theme],
  );
  const values = useMemo(() => JSON.stringify(Object.fromEntries(classes.map((c, i) => [c, counts[i] ?? 0]))), [classes, counts]);
  return (
    <Plot
      data={data}
      layout={layout}
      height={340}
      data-testid="class-balance-chart"
      data-values={values}
      role="img"
      aria-label={`Bar chart of images per class: ${classes.map((c, i) => `${c} ${counts[i] ?? 0}`).join(', ')}`}
    />
  );
}
