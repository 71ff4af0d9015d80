import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import LinearProgress from '@mui/material/LinearProgress';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useMemo, type ReactNode } from 'react';
import type { Api } from '../../../../shared/contract';
import type { SubsetStats } from '../../../../shared/contract/dataset';
import { sparseClasses, sparseClassesSentence } from '../../../../shared/domain/class-coverage';
import { ErrorAlert } from '../../components/error-alert';
import { formatCount } from '../../components/format';
import { useApi } from '../../rpc/api-context';
import { useRequest } from '../../rpc/use-request';
import { ClassBalanceChart } from './class-balance-chart';
import { LabelsHistogram } from './labels-histogram';
import { StatsTable } from './stats-table';

interface StatsForSelection {
  categories: readonly string[];
  stats: SubsetStats;
}

/** Statistics asked for before the panel renders, by key; the panel takes its own once. */
const prefetched = new Map<string, Promise<SubsetStats>>();

function statsKey(fileId: number, categories: readonly string[]): string {
  return JSON.stringify({ fileId, categories });
}

/**
 * Asks for a selection's statistics from the click that makes it, so that the service computes
 * them while the page renders the new selection (tens of milliseconds at 80 classes) instead of
 * after. The panel showing that selection takes the answer; a newer prefetch replaces an older one.
 */
export function prefetchSubsetStats(api: Api, fileId: number, categories: readonly string[]): void {
  if (categories.length === 0) return;
  const request = api.dataset.stats({ fileId, categories: [...categories] });
  // Whoever takes it sees a failure; one nobody takes must not go unhandled.
  request.catch(() => undefined);
  prefetched.clear();
  prefetched.set(statsKey(fileId, categories), request);
}

/** Forgets statistics asked for ahead: after a label edit, none asked for before it is right any more. */
export function forgetPrefetchedStats(): void {
  prefetched.clear();
}

/**
 * Class balance and labels per image of the selected subset, recomputed (stale requests cancelled)
 * as the selection changes. The numbers are in the DOM as well as in the charts.
 */
export function SubsetStatsPanel({
  fileId,
  categories,
  labelsVersion = 0,
}: {
  fileId: number;
  categories: readonly string[];
  /** Changes after every label edit: the statistics are asked for again. */
  labelsVersion?: number;
}): ReactNode {
  const api = useApi();
  const key = statsKey(fileId, categories);
  const request = useRequest<StatsForSelection>(
    `${key}:${labelsVersion}`,
    // No debounce: the service answers in milliseconds even at 80 classes, and a newer selection cancels an older request.
    async (signal) => {
      const early = prefetched.get(key);
      prefetched.delete(key);
      return { categories, stats: await (early ?? api.dataset.stats({ fileId, categories: [...categories] }, { signal })) };
    },
  );
  const shown = request.data;
  const counts = useMemo(() => (shown === undefined ? [] : shown.categories.map((name) => shown.stats.perClass[name] ?? 0)), [shown]);
  // Classes a network trained on this file would never (or hardly ever) see.
  const sparse = useMemo(
    () => (shown === undefined ? [] : sparseClasses(shown.categories, (name) => shown.stats.perClass[name] ?? 0)),
    [shown],
  );
  const state = request.error !== undefined ? 'error' : request.loading ? 'loading' : 'ready';

  return (
    <Paper sx={{ p: 2 }} component="section" aria-labelledby="stats-heading" data-testid="subset-stats" data-state={state}>
      <Stack direction="row" sx={{ alignItems: 'baseline', justifyContent: 'space-between', flexWrap: 'wrap', gap: 1 }}>
        <Typography variant="h6" id="stats-heading">
          Class balance
        </Typography>
        {shown !== undefined && (
          <Typography variant="body1" aria-live="polite">
            <Box component="strong" data-testid="subset-images" data-value={shown.stats.images}>
              {formatCount(shown.stats.images)}
            </Box>{' '}
            unique images · mean{' '}
            <Box component="strong" data-testid="labels-mean">
              {shown.stats.labelsPerImage.mean.toFixed(4)}
            </Box>{' '}
            labels per image
          </Typography>
        )}
      </Stack>
      <Box sx={{ height: 4, my: 1 }}>{request.loading && <LinearProgress aria-label="Updating statistics" />}</Box>
      {request.error !== undefined && (
        <ErrorAlert
          error={request.error}
          data-testid="stats-error"
          sx={{ mb: 2 }}
          action={
            <Button color="inherit" size="small" onClick={request.reload}>
              Retry
            </Button>
          }
        />
      )}
      {shown === undefined && request.error === undefined && (
        <Typography color="text.secondary" sx={{ py: 4 }}>
          Computing statistics…
        </Typography>
      )}
      {sparse.length > 0 && (
        <Alert severity="warning" sx={{ mb: 2 }} data-testid="sparse-classes">
          {sparseClassesSentence(sparse, 'images in this file')}
        </Alert>
      )}
      {shown !== undefined && (
        <Box sx={{ opacity: request.loading ? 0.6 : 1, transition: 'opacity 150ms' }}>
          {shown.categories.length === 0 && (
            <Typography color="text.secondary" sx={{ mb: 1 }}>
              Pick categories above to see how many images contain each.
            </Typography>
          )}
          <Box sx={{ display: 'grid', gridTemplateColumns: { xs: '1fr', lg: '3fr 2fr' }, gap: 2 }}>
            <Box sx={{ minWidth: 0 }}>
              <Typography variant="subtitle2" component="h3">
                Images per class
              </Typography>
              <ClassBalanceChart classes={shown.categories} counts={counts} images={shown.stats.images} />
            </Box>
            <Box sx={{ minWidth: 0 }}>
              <Typography variant="subtitle2" component="h3">
                Labels per image
              </Typography>
              <LabelsHistogram histogram={shown.stats.labelsPerImage.histogram} mean={shown.stats.labelsPerImage.mean} />
            </Box>
          </Box>
          <StatsTable
            classes={shown.categories}
            counts={counts}
            images={shown.stats.images}
            histogram={shown.stats.labelsPerImage.histogram}
          />
          {shown.stats.images > 0 && (
            <Typography variant="caption" color="text.secondary">
              {formatCount(shown.stats.images)} images contain at least one selected class; an image with several classes counts once per
              class in the bar chart.
            </Typography>
          )}
        </Box>
      )}
    </Paper>
  );
}
