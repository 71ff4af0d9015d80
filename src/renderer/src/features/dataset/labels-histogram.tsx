import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import { useTheme } from '@mui/material/styles';
import { memo, useMemo, type CSSProperties, type ReactNode } from 'react';
import { histogramSlots, type HistogramSlot } from '../../../../shared/domain/histogram-slots';
import { countOf } from '../../components/format';
import { linearTicks, shortCount } from '../../../../shared/domain/axis-ticks';

/** Height of the bars' area, in CSS pixels. */
const plotHeight = 240;
/** Share of a slot between two bars. */
const barGap = 0.15;
/** Headroom over the tallest bar for its count. */
const headroom = 1.15;

const percent = (share: number): string => `${(share * 100).toFixed(3)}%`;

/**
 * How many images have 1, 2, 3… of the selected labels, with the mean as a dashed line.
 *
 * Drawn as HTML, as the class chart is: Plotly redrew this chart in full on every selection change
 * (about 20 ms of the main thread on a 2-core machine, and again as much in layout), the largest
 * single cost of a change at 80 classes. The counts and ticks are plain, selectable text.
 */
export const LabelsHistogram = memo(function LabelsHistogram({
  histogram,
  mean,
}: {
  histogram: Readonly<Record<string, number>>;
  mean: number;
}): ReactNode {
  const theme = useTheme();
  const slots = useMemo(() => histogramSlots(histogram), [histogram]);
  const images = slots.reduce((sum, slot) => sum + slot.images, 0);
  const largest = slots.reduce((max, slot) => Math.max(max, slot.images), 0);
  // At least 0 to 5, so that a handful of images gets whole-number ticks.
  const ticks = useMemo(() => linearTicks(Math.max(largest * headroom, 5), 6), [largest]);
  const end = ticks[ticks.length - 1]!;
  const present = slots.filter((slot) => slot.present);
  const first = slots[0]?.labels ?? 0;
  // The mean on the same axis as the slots: slot k is centred at (k - first + 0.5) / slots.
  const meanAt = slots.length === 0 ? null : Math.min(1, Math.max(0, (mean - first + 0.5) / slots.length));

  // A count ("28,372": about 3.6 em) fits over its bar: the font shrinks with the slots' width (the
  // plot area is a size container), up to 12 px.
  const countSize = `min(12px, ${(100 / (Math.max(1, slots.length) * 3.8)).toFixed(3)}cqw)`;
  const muted: CSSProperties = { color: theme.palette.text.secondary };
  const gridLine: CSSProperties = { position: 'absolute', left: 0, right: 0, height: 1, background: theme.palette.divider };

  return (
    <Box
      data-testid="labels-histogram"
      data-values={JSON.stringify(histogram)}
      data-mean={mean}
      role="img"
      aria-label={`Histogram of labels per image: ${present.map((s) => `${slotWords(s)}`).join(', ')}; mean ${mean.toFixed(2)}`}
      sx={{
        display: 'grid',
        gridTemplateColumns: 'auto max-content minmax(120px, 1fr)',
        gridTemplateRows: `20px ${plotHeight}px auto auto`,
        columnGap: 0.5,
        fontSize: 12,
        color: 'text.primary',
        mt: 1,
        '& [data-slot]:hover [data-bar]': { opacity: 0.75 },
      }}
    >
      {/* The mean's label, above the bars so that no count hides it. */}
      <div style={{ gridColumn: 3, gridRow: 1, position: 'relative' }}>
        {meanAt !== null && (
          <span
            data-testid="labels-histogram-mean"
            style={{ position: 'absolute', bottom: 2, left: `calc(${percent(meanAt)} + 4px)`, whiteSpace: 'nowrap' }}
          >
            mean {mean.toFixed(2)}
          </span>
        )}
      </div>
      <div style={{ gridColumn: 1, gridRow: 2, writingMode: 'vertical-rl', transform: 'rotate(180deg)', textAlign: 'center', ...muted }}>
        Images
      </div>
      {/* Tick labels of the count axis, level with their grid lines. */}
      <div style={{ gridColumn: 2, gridRow: 2, position: 'relative', minWidth: '4ch', ...muted }}>
        {ticks.map((tick) => (
          <span
            key={tick}
            data-tick
            style={{ position: 'absolute', right: 2, bottom: percent(tick / end), transform: 'translateY(50%)', whiteSpace: 'nowrap' }}
          >
            {shortCount(tick)}
          </span>
        ))}
      </div>
      <div
        style={{
          gridColumn: 3,
          gridRow: 2,
          position: 'relative',
          containerType: 'inline-size',
          borderLeft: `1px solid ${theme.palette.text.secondary}`,
          borderBottom: `1px solid ${theme.palette.text.secondary}`,
        }}
      >
        {ticks.slice(1).map((tick) => (
          <div key={tick} style={{ ...gridLine, bottom: percent(tick / end) }} />
        ))}
        {slots.map((slot, i) => {
          const height = percent(slot.images / end);
          const title = `${slotWords(slot)}${images > 0 ? ` (${((slot.images / images) * 100).toFixed(1)}% of the subset)` : ''}`;
          return (
            <div
              key={slot.labels}
              data-slot
              title={title}
              style={{ position: 'absolute', top: 0, bottom: 0, left: percent(i / slots.length), width: percent(1 / slots.length) }}
            >
              {slot.present && (
                <>
                  <div
                    data-bar
                    style={{
                      position: 'absolute',
                      bottom: 0,
                      height,
                      left: percent(barGap / 2),
                      right: percent(barGap / 2),
                      background: theme.palette.secondary.main,
                      borderRadius: '2px 2px 0 0',
                    }}
                  />
                  <span
                    data-count
                    style={{
                      position: 'absolute',
                      bottom: `calc(${height} + 2px)`,
                      left: '50%',
                      transform: 'translateX(-50%)',
                      whiteSpace: 'nowrap',
                      fontSize: countSize,
                      // Over the mean's dashed line, which may cross it.
                      zIndex: 1,
                      padding: '0 1px',
                      background: theme.palette.background.paper,
                    }}
                  >
                    {slot.images.toLocaleString('en-US')}
                  </span>
                </>
              )}
            </div>
          );
        })}
        {meanAt !== null && (
          <div
            data-testid="labels-histogram-mean-line"
            style={{
              position: 'absolute',
              top: 0,
              bottom: 0,
              left: percent(meanAt),
              borderLeft: `2px dashed ${theme.palette.text.primary}`,
            }}
          />
        )}
        {slots.length === 0 && (
          <Typography variant="body2" color="text.secondary" sx={{ position: 'absolute', inset: 0, display: 'grid', placeItems: 'center' }}>
            No image has any of the selected classes.
          </Typography>
        )}
      </div>
      {/* The label counts under their bars, and the axis title. */}
      <div style={{ gridColumn: 3, gridRow: 3, position: 'relative', height: 20, ...muted }}>
        {slots.map((slot, i) => (
          <span
            key={slot.labels}
            data-bin
            style={{ position: 'absolute', top: 3, left: percent((i + 0.5) / slots.length), transform: 'translateX(-50%)' }}
          >
            {slot.labels}
          </span>
        ))}
      </div>
      <div style={{ gridColumn: 3, gridRow: 4, textAlign: 'center', marginTop: 4, ...muted }}>Labels per image</div>
    </Box>
  );
});

/** "1 label: 30 images", "3 labels: 1 image". */
function slotWords(slot: HistogramSlot): string {
  return `${countOf(slot.labels, 'label', 'labels')}: ${countOf(slot.images, 'image', 'images')}`;
}
