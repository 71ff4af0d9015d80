import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import IconButton from '@mui/material/IconButton';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { memo, useMemo, type ReactNode } from 'react';
import type { ImagePrediction } from '../../../../shared/contract/prediction';
import { CloseIcon } from '../../components/icons';
import { formatScore, formatThreshold } from '../../components/format-metric';
import { ImagePreview } from './image-preview';
import { usePreviewUrl } from './use-preview-url';
import { messageFor, shortName, type NewImage } from './new-images';

const imageHeight = 220;

/** The classes an image is predicted to hold: those whose score reaches their threshold. */
export function predictedLabels(classes: readonly string[], scores: readonly number[], thresholds: readonly number[]): string[] {
  return classes.filter((_, j) => scores[j]! >= thresholds[j]!);
}

/**
 * One new image: the picture with its predicted labels as the title (the example's `title(YPred)`) and
 * its "Class / Score" table, highest score first, predicted classes in bold. An image the service could
 * not read says why; one not scored yet says so.
 */
export const PredictionCard = memo(function PredictionCard({
  image,
  result,
  rescore,
  classes,
  thresholds,
  showThresholds,
  onRemove,
  onExplain,
  disabled,
}: {
  image: NewImage;
  result: ImagePrediction | undefined;
  /** Set where the image was scored under the other choice of scores: what to do to see these. */
  rescore?: string | undefined;
  classes: readonly string[];
  /** The threshold of each class the labels are judged at; null: the service's labels. */
  thresholds: readonly number[] | null;
  showThresholds: boolean;
  onRemove: (key: string) => void;
  onExplain: (key: string) => void;
  disabled: boolean;
}): ReactNode {
  const ok = result?.ok === true ? result : undefined;
  const previewUrl = usePreviewUrl(image);
  const { labels, rows } = useMemo(() => {
    if (ok === undefined) return { labels: [], rows: [] };
    const predicted = thresholds === null ? ok.labels : predictedLabels(classes, ok.scores, thresholds);
    const chosen = new Set(predicted);
    return {
      labels: predicted,
      rows: classes
        .map((name, j) => ({ name, score: ok.scores[j]!, threshold: thresholds?.[j], predicted: chosen.has(name) }))
        .sort((a, b) => b.score - a.score),
    };
  }, [ok, classes, thresholds]);
  const state = result === undefined ? (rescore === undefined ? 'pending' : 'rescore') : result.ok ? 'ok' : 'error';
  const caption = shortName(image);

  return (
    <Paper
      component="article"
      data-testid="prediction-card"
      data-image={image.name}
      data-state={state}
      aria-label={caption}
      sx={{ overflow: 'hidden', display: 'flex', flexDirection: 'column' }}
    >
      <ImagePreview url={previewUrl} alt={caption} height={imageHeight} size={ok} />
      <Box sx={{ p: 1.5, pb: 1, display: 'flex', alignItems: 'flex-start', gap: 1 }}>
        <Box sx={{ flex: 1, minWidth: 0 }}>
          <Typography
            variant="subtitle1"
            component="h3"
            sx={{ fontWeight: 600, lineHeight: 1.3 }}
            data-testid="prediction-labels"
            data-labels={JSON.stringify(labels)}
          >
            {state === 'ok'
              ? labels.length === 0
                ? 'No class'
                : labels.join(', ')
              : state === 'error'
                ? 'Cannot be read'
                : state === 'rescore'
                  ? 'Not scored this way yet'
                  : 'Not scored yet'}
          </Typography>
          <Typography variant="body2" color="text.secondary" noWrap title={image.name}>
            {caption}
            {ok !== undefined && ` · ${ok.width} × ${ok.height}`}
          </Typography>
        </Box>
        <IconButton size="small" aria-label={`Remove ${caption}`} onClick={() => onRemove(image.key)} disabled={disabled}>
          <CloseIcon fontSize="small" />
        </IconButton>
      </Box>
      {result !== undefined && !result.ok && (
        <Alert severity="error" sx={{ mx: 1.5, mb: 1.5 }} data-testid="prediction-error">
          {messageFor(image, result.error)}
        </Alert>
      )}
      {ok?.damaged !== undefined && (
        <Alert severity="warning" sx={{ mx: 1.5, mb: 1 }} data-testid="prediction-damaged">
          {messageFor(image, ok.damaged.message)} Its scores may be wrong.
          <Box component="details" sx={{ mt: 0.5 }}>
            <summary>Details</summary>
            <Typography variant="caption" component="p" sx={{ fontFamily: 'monospace' }}>
              {ok.damaged.library}
            </Typography>
          </Box>
        </Alert>
      )}
      {result === undefined && (
        <Typography variant="body2" color="text.secondary" sx={{ px: 1.5, pb: 1.5 }} data-testid="prediction-pending">
          {rescore ?? 'Press Predict to score it.'}
        </Typography>
      )}
      {ok !== undefined && (
        <>
          <Box sx={{ px: 1.5, maxHeight: 400, overflowY: 'auto' }}>
            <Table size="small" data-testid="score-table" aria-label={`Scores of ${caption}`}>
              <TableHead>
                <TableRow>
                  <TableCell component="th" scope="col" sx={{ pl: 0 }}>
                    Class
                  </TableCell>
                  <TableCell component="th" scope="col" align="right">
                    Score
                  </TableCell>
                  {showThresholds && (
                    <TableCell component="th" scope="col" align="right" sx={{ pr: 0 }}>
                      Threshold
                    </TableCell>
                  )}
                </TableRow>
              </TableHead>
              <TableBody>
                {rows.map((r) => (
                  <TableRow
                    key={r.name}
                    data-testid="score-row"
                    data-class={r.name}
                    data-score={r.score}
                    data-predicted={r.predicted}
                    sx={{ '& td, & th': { fontWeight: r.predicted ? 700 : 400, py: 0.25 } }}
                  >
                    <TableCell component="th" scope="row" sx={{ pl: 0 }}>
                      {r.predicted ? '✓ ' : ''}
                      {r.name}
                    </TableCell>
                    <TableCell align="right" sx={{ fontVariantNumeric: 'tabular-nums' }}>
                      {formatScore(r.score)}
                    </TableCell>
                    {showThresholds && (
                      <TableCell align="right" sx={{ fontVariantNumeric: 'tabular-nums', color: 'text.secondary', pr: 0 }}>
                        {r.threshold === undefined ? '' : formatThreshold(r.threshold)}
                      </TableCell>
                    )}
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          </Box>
          <Stack direction="row" sx={{ p: 1, mt: 'auto', justifyContent: 'flex-end' }}>
            <Button size="small" onClick={() => onExplain(image.key)} disabled={disabled} data-testid="prediction-explain">
              Grad-CAM
            </Button>
          </Stack>
        </>
      )}
    </Paper>
  );
});
