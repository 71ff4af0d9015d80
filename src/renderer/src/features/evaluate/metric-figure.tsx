import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import { formatDelta, formatRatio } from '../../components/format-metric';

/**
 * One headline figure: its name, its value to four decimals (the full value in `data-value`), and,
 * when `base` is given, the change from it (per-class thresholds against the global one).
 */
export function MetricFigure({
  id,
  label,
  hint,
  value,
  base,
}: {
  /** `metric-${id}` is the test id, e.g. metric-microF1. */
  id: string;
  label: string;
  hint: string;
  value: number | null;
  base?: number | null;
}): ReactNode {
  const delta = value !== null && base !== undefined && base !== null ? value - base : null;
  return (
    <Box
      role="group"
      aria-label={label}
      title={hint}
      sx={{ minWidth: 150, flex: '1 1 150px', px: 1.5, py: 1, border: 1, borderColor: 'divider', borderRadius: 1 }}
    >
      <Typography variant="caption" color="text.secondary" component="div" sx={{ lineHeight: 1.3, minHeight: '2.6em' }}>
        {label}
      </Typography>
      <Typography
        variant="h5"
        component="div"
        sx={{ fontVariantNumeric: 'tabular-nums', fontWeight: 600 }}
        data-testid={`metric-${id}`}
        data-value={value === null ? '' : String(value)}
      >
        {formatRatio(value)}
      </Typography>
      {delta !== null && (
        <Typography
          variant="body2"
          sx={{
            fontVariantNumeric: 'tabular-nums',
            color: delta > 5e-5 ? 'success.main' : delta < -5e-5 ? 'error.main' : 'text.secondary',
          }}
          data-testid={`metric-${id}-delta`}
          data-value={String(delta)}
        >
          {formatDelta(delta)} vs global
        </Typography>
      )}
    </Box>
  );
}
