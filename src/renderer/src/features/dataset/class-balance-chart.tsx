import FormControlLabel from '@mui/material/FormControlLabel';
import Stack from '@mui/material/Stack';
import { useTheme } from '@mui/material/styles';
import Switch from '@mui/material/Switch';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import Typography from '@mui/material/Typography';
import type { Data, Layout } from 'plotly.js';
import { memo, useMemo, useState, type ReactNode } from 'react';
import { Plot } from '../../components/plot';

export type ClassOrder = 'count' | 'name' | 'selection';

/** Height of one bar's row, in CSS pixels: every name and count stays readable at 80 classes. */
const rowHeight = 22;
const fontSize = 12;

/** The classes in the order the chart shows them, top to bottom. */
export function orderClasses(classes: readonly string[], counts: readonly number[], order: ClassOrder): number[] {
  const positions = classes.map((_, i) => i);
  if (order === 'count') return positions.sort((a, b) => (counts[b] ?? 0) - (counts[a] ?? 0) || a - b);
  if (order === 'name') return positions.sort((a, b) => classes[a]!.localeCompare(classes[b]!));
  return positions;
}

let measuringContext: CanvasRenderingContext2D | null | undefined;

/** Width in pixels of the longest name, so the left margin fits the labels without Plotly's extra automargin pass. */
function labelWidth(names: readonly string[], fontFamily: string): number {
  measuringContext ??= document.createElement('canvas').getContext('2d');
  if (measuringContext === null) return Math.max(0, ...names.map((n) => n.length)) * fontSize * 0.6;
  measuringContext.font = `${fontSize}px ${fontFamily}`;
  return Math.max(0, ...names.map((name) => measuringContext!.measureText(name).width));
}

/**
 * Images per class as horizontal bars (sorted by count by default), one row per class so that every
 * name and count can be read at 80 classes, with a log scale for subsets where one class (person)
 * dwarfs the rest.
 */
export const ClassBalanceChart = memo(function ClassBalanceChart({
  classes,
  counts,
}: {
  classes: readonly string[];
  counts: readonly number[];
}): ReactNode {
  const theme = useTheme();
  const [order, setOrder] = useState<ClassOrder>('count');
  const [log, setLog] = useState(false);
  const fontFamily = theme.typography.fontFamily ?? 'sans-serif';
  const shown = useMemo(() => orderClasses(classes, counts, order), [classes, counts, order]);
  const names = useMemo(() => shown.map((i) => classes[i]!), [shown, classes]);
  const values = useMemo(() => shown.map((i) => counts[i] ?? 0), [shown, counts]);
  const left = useMemo(
    () =>
      Math.ceil(
        labelWidth(
          names.map((name) => `${name} · 0`),
          fontFamily,
        ),
      ) + 12,
    [names, fontFamily],
  );
  const largest = Math.max(0, ...values);
  const height = Math.max(140, names.length * rowHeight + 64);

  const data = useMemo<Data[]>(
    () => [
      {
        type: 'bar',
        orientation: 'h',
        y: names,
        x: values,
        text: values.map((n) => n.toLocaleString('en-US')),
        textposition: 'outside',
        cliponaxis: false,
        marker: { color: theme.palette.primary.main },
        hovertemplate: '%{y}: %{x:,} images<extra></extra>',
      },
    ],
    [names, values, theme],
  );
  const layout = useMemo<Partial<Layout>>(
    () => ({
      // Room on the right for the longest bar's count.
      margin: { t: 8, r: 16 + String(largest.toLocaleString('en-US')).length * 8, b: 48, l: left },
      bargap: 0.25,
      yaxis: {
        type: 'category',
        categoryorder: 'array',
        categoryarray: names,
        // The first class at the top.
        autorange: 'reversed',
        // Every name; on a log scale a class without images has no bar, so its label says 0.
        tickmode: 'array',
        tickvals: names,
        ticktext: log ? names.map((name, i) => (values[i] === 0 ? `${name} · 0` : name)) : names,
        automargin: false,
        fixedrange: true,
      },
      xaxis: log
        ? { type: 'log', title: { text: 'Images (log scale)' }, automargin: false, fixedrange: true }
        : { type: 'linear', title: { text: 'Images' }, rangemode: 'tozero', automargin: false, fixedrange: true },
      paper_bgcolor: 'rgba(0,0,0,0)',
      plot_bgcolor: 'rgba(0,0,0,0)',
      font: { family: fontFamily, size: fontSize },
    }),
    [names, values, log, left, largest, fontFamily],
  );
  const valuesAttribute = useMemo(() => JSON.stringify(Object.fromEntries(classes.map((c, i) => [c, counts[i] ?? 0]))), [classes, counts]);
  return (
    <>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1, my: 1 }}>
        <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
          <Typography variant="body2" color="text.secondary" id="class-order-label">
            Order
          </Typography>
          <ToggleButtonGroup
            size="small"
            exclusive
            value={order}
            onChange={(_event, next: ClassOrder | null) => next !== null && setOrder(next)}
            aria-labelledby="class-order-label"
            data-testid="class-order"
          >
            <ToggleButton value="count" sx={{ py: 0.25 }}>
              By count
            </ToggleButton>
            <ToggleButton value="name" sx={{ py: 0.25 }}>
              By name
            </ToggleButton>
            <ToggleButton value="selection" sx={{ py: 0.25 }}>
              As selected
            </ToggleButton>
          </ToggleButtonGroup>
        </Stack>
        <FormControlLabel
          control={<Switch size="small" checked={log} onChange={(event) => setLog(event.target.checked)} data-testid="class-log-scale" />}
          label={<Typography variant="body2">Log scale</Typography>}
        />
      </Stack>
      <Plot
        data={data}
        layout={layout}
        height={height}
        data-testid="class-balance-chart"
        data-values={valuesAttribute}
        data-order={JSON.stringify(names)}
        data-scale={log ? 'log' : 'linear'}
        role="img"
        aria-label={`Bar chart of images per class: ${names.map((c, i) => `${c} ${values[i] ?? 0}`).join(', ')}`}
      />
    </>
  );
});
