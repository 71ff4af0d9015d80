import Box from '@mui/material/Box';
import FormControlLabel from '@mui/material/FormControlLabel';
import Stack from '@mui/material/Stack';
import { useTheme } from '@mui/material/styles';
import Switch from '@mui/material/Switch';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import Typography from '@mui/material/Typography';
import { memo, useMemo, useState, type CSSProperties, type ReactNode } from 'react';
import { axisPosition, linearTicks, logTicks, shortCount } from '../../../../shared/domain/axis-ticks';

export type ClassOrder = 'count' | 'name' | 'selection';

/** Height of one bar's row, in CSS pixels: every name and count stays readable at 80 classes. */
const rowHeight = 22;

/** The classes in the order the chart shows them, top to bottom. */
export function orderClasses(classes: readonly string[], counts: readonly number[], order: ClassOrder): number[] {
  const positions = classes.map((_, i) => i);
  if (order === 'count') return positions.sort((a, b) => (counts[b] ?? 0) - (counts[a] ?? 0) || a - b);
  if (order === 'name') return positions.sort((a, b) => classes[a]!.localeCompare(classes[b]!));
  return positions;
}

const percent = (share: number): string => `${(share * 100).toFixed(3)}%`;

/**
 * Images per class as horizontal bars, one row per class with its name and count, ordered by count
 * (or name, or as selected), on a linear or log scale (for subsets where person dwarfs the rest).
 *
 * Drawn as HTML rather than with Plotly: at 80 classes Plotly laid out 160 text labels on every
 * selection change (about 40 ms of the 200 ms a change may take), where these rows cost a few; the
 * names and counts are also plain, selectable text.
 */
export const ClassBalanceChart = memo(function ClassBalanceChart({
  classes,
  counts,
  images,
}: {
  classes: readonly string[];
  counts: readonly number[];
  /** Images of the subset, for each bar's share in its tooltip. */
  images: number;
}): ReactNode {
  const theme = useTheme();
  const [order, setOrder] = useState<ClassOrder>('count');
  const [log, setLog] = useState(false);
  const scale = log ? 'log' : 'linear';
  const shown = useMemo(() => orderClasses(classes, counts, order), [classes, counts, order]);
  const largest = counts.reduce((max, n) => Math.max(max, n), 0);
  const ticks = useMemo(() => (log ? logTicks(largest) : linearTicks(largest, 8)), [log, largest]);
  const end = ticks[ticks.length - 1]!;
  // Room after the longest bar for its count.
  const countRoom = `${largest.toLocaleString('en-US').length + 2}ch`;
  const values = useMemo(() => JSON.stringify(Object.fromEntries(classes.map((c, i) => [c, counts[i] ?? 0]))), [classes, counts]);
  const names = shown.map((i) => classes[i]!);

  const bar: CSSProperties = { position: 'absolute', left: 0, top: 4, bottom: 4, background: theme.palette.primary.main, borderRadius: 2 };
  const countLabel: CSSProperties = { position: 'absolute', top: 0, lineHeight: `${rowHeight}px`, whiteSpace: 'nowrap' };
  const grid: CSSProperties = { position: 'absolute', top: 0, bottom: 0, width: 1, background: theme.palette.divider };

  return (
    <>
      <ChartControls order={order} onOrder={setOrder} log={log} onLog={setLog} />
      <Box
        data-testid="class-balance-chart"
        data-values={values}
        data-order={JSON.stringify(names)}
        data-scale={scale}
        role="img"
        aria-label={`Bar chart of images per class${log ? ' (log scale)' : ''}: ${names.map((c, i) => `${c} ${counts[shown[i]!] ?? 0}`).join(', ')}`}
        sx={{
          display: 'grid',
          gridTemplateColumns: 'max-content minmax(120px, 1fr)',
          columnGap: 1,
          fontSize: 12,
          color: 'text.primary',
          '& [data-row]:hover [data-bar]': { opacity: 0.75 },
        }}
      >
        {/* Grid lines behind every row, in the bars' column. */}
        <div style={{ gridColumn: 2, gridRow: `1 / ${names.length + 2}`, position: 'relative', paddingRight: countRoom }}>
          <div style={{ position: 'relative', height: '100%' }}>
            {ticks.map((tick) => (
              <div key={tick} style={{ ...grid, left: percent(axisPosition(tick, end, scale)) }} />
            ))}
          </div>
        </div>
        {shown.map((index, row) => {
          const name = classes[index]!;
          const count = counts[index] ?? 0;
          const position = percent(axisPosition(count, end, scale));
          const title = `${name}: ${count.toLocaleString('en-US')} images${images > 0 ? ` (${((count / images) * 100).toFixed(1)}% of the subset's ${images.toLocaleString('en-US')})` : ''}`;
          return (
            <div key={name} data-row style={{ display: 'contents' }}>
              <div
                data-class-name
                title={title}
                style={{ gridColumn: 1, gridRow: row + 1, textAlign: 'right', lineHeight: `${rowHeight}px`, whiteSpace: 'nowrap' }}
              >
                {name}
              </div>
              <div
                title={title}
                style={{ gridColumn: 2, gridRow: row + 1, position: 'relative', height: rowHeight, paddingRight: countRoom }}
              >
                <div style={{ position: 'relative', height: '100%' }}>
                  <div data-bar style={{ ...bar, width: position }} />
                  <span data-count style={{ ...countLabel, left: `calc(${position} + 4px)` }}>
                    {count.toLocaleString('en-US')}
                  </span>
                </div>
              </div>
            </div>
          );
        })}
        {/* The axis: tick labels under the grid lines, and its title. */}
        <div style={{ gridColumn: 2, gridRow: names.length + 1, position: 'relative', height: 20, paddingRight: countRoom }}>
          <div style={{ position: 'relative', height: '100%', color: theme.palette.text.secondary }}>
            {ticks.map((tick) => (
              <span
                key={tick}
                data-tick
                style={{ position: 'absolute', top: 4, left: percent(axisPosition(tick, end, scale)), transform: 'translateX(-50%)' }}
              >
                {shortCount(tick)}
              </span>
            ))}
          </div>
        </div>
        <div
          data-testid="class-axis-title"
          style={{ gridColumn: 2, gridRow: names.length + 2, textAlign: 'center', paddingRight: countRoom, marginTop: 4 }}
        >
          {log ? 'Images (log scale)' : 'Images'}
        </div>
      </Box>
    </>
  );
});

/**
 * The chart's order and scale: memoised apart from the bars, so a selection change (new counts)
 * does not render its buttons and switch again.
 */
const ChartControls = memo(function ChartControls({
  order,
  onOrder,
  log,
  onLog,
}: {
  order: ClassOrder;
  onOrder: (order: ClassOrder) => void;
  log: boolean;
  onLog: (log: boolean) => void;
}): ReactNode {
  return (
    <Stack direction="row" spacing={2} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1, my: 1 }}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }}>
        <Typography variant="body2" color="text.secondary" id="class-order-label">
          Order
        </Typography>
        <ToggleButtonGroup
          size="small"
          exclusive
          value={order}
          onChange={(_event, next: ClassOrder | null) => next !== null && onOrder(next)}
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
        control={<Switch size="small" checked={log} onChange={(event) => onLog(event.target.checked)} data-testid="class-log-scale" />}
        label={<Typography variant="body2">Log scale</Typography>}
      />
    </Stack>
  );
});
