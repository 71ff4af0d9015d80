import Box from '@mui/material/Box';
import Paper from '@mui/material/Paper';
import Typography from '@mui/material/Typography';
import { alpha, useTheme } from '@mui/material/styles';
import { memo, type ReactNode } from 'react';
import type { ClassMetrics } from '../../../../shared/domain/metrics';
import { formatCount } from '../../components/format';
import { formatThreshold } from '../../components/format-metric';

/**
 * The example's `confusionchart` per class, as a grid of tiles: true class in rows, predicted class in
 * columns (0 absent, 1 present), each cell shaded by its count, blue where right and red where wrong.
 */
export function ConfusionGrid({ perClass }: { perClass: readonly ClassMetrics[] }): ReactNode {
  return (
    <Paper sx={{ p: 2 }} component="section" aria-labelledby="confusion-heading">
      <Typography variant="h6" id="confusion-heading">
        Confusion matrix per class
      </Typography>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 1.5 }}>
        As the example’s confusion charts: rows are the true class, columns the predicted one (0 absent, 1 present).
      </Typography>
      <Box sx={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(200px, 1fr))', gap: 1.5 }} data-testid="confusion-grid">
        {perClass.map((m) => (
          <ConfusionTile key={m.class} metrics={m} />
        ))}
      </Box>
    </Paper>
  );
}

const ConfusionTile = memo(function ConfusionTile({ metrics }: { metrics: ClassMetrics }): ReactNode {
  const theme = useTheme();
  const { tp, fp, fn, tn } = metrics;
  const largest = Math.max(tp, fp, fn, tn, 1);
  const cell = (count: number, right: boolean, label: string): ReactNode => {
    const strength = count === 0 ? 0 : 0.12 + 0.78 * (count / largest);
    const base = right ? theme.palette.primary.main : theme.palette.error.main;
    return (
      <Box
        component="td"
        title={`${label}: ${formatCount(count)}`}
        sx={{
          bgcolor: alpha(base, strength),
          color: strength > 0.5 ? 'common.white' : 'text.primary',
          textAlign: 'center',
          fontVariantNumeric: 'tabular-nums',
          fontWeight: 600,
          py: 1.25,
          border: 1,
          borderColor: 'divider',
          width: '40%',
        }}
      >
        {formatCount(count)}
      </Box>
    );
  };
  const head = { fontSize: 12, color: 'text.secondary', fontWeight: 400, px: 0.5 };
  return (
    <Box
      sx={{ border: 1, borderColor: 'divider', borderRadius: 1, p: 1 }}
      data-testid="confusion-tile"
      data-class={metrics.class}
      data-tp={tp}
      data-fp={fp}
      data-fn={fn}
      data-tn={tn}
    >
      <Typography variant="subtitle2" noWrap title={metrics.class} sx={{ textAlign: 'center' }}>
        {metrics.class}
      </Typography>
      <Box component="table" sx={{ width: '100%', borderCollapse: 'collapse', mt: 0.5 }}>
        <caption style={{ captionSide: 'bottom', fontSize: 11, color: theme.palette.text.secondary, paddingTop: 4 }}>
          Predicted class · at {formatThreshold(metrics.threshold)}
        </caption>
        <thead>
          <tr>
            <Box component="th" sx={head} />
            <Box component="th" scope="col" sx={head}>
              0
            </Box>
            <Box component="th" scope="col" sx={head}>
              1
            </Box>
          </tr>
        </thead>
        <tbody>
          <tr>
            <Box component="th" scope="row" sx={{ ...head, textAlign: 'right', whiteSpace: 'nowrap' }}>
              true 0
            </Box>
            {cell(tn, true, 'true negatives')}
            {cell(fp, false, 'false positives')}
          </tr>
          <tr>
            <Box component="th" scope="row" sx={{ ...head, textAlign: 'right', whiteSpace: 'nowrap' }}>
              true 1
            </Box>
            {cell(fn, false, 'false negatives')}
            {cell(tp, true, 'true positives')}
          </tr>
        </tbody>
      </Box>
    </Box>
  );
});
