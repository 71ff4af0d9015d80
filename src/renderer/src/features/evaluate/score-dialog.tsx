import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Dialog from '@mui/material/Dialog';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import IconButton from '@mui/material/IconButton';
import Stack from '@mui/material/Stack';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import { useMemo, type ReactNode } from 'react';
import type { RunScores } from '../../../../shared/contract/evaluation';
import type { Thresholds } from '../../../../shared/domain/metrics';
import { ErrorAlert } from '../../components/error-alert';
import { baseName } from '../../components/format';
import { CloseIcon } from '../../components/icons';
import { useApi } from '../../rpc/api-context';
import { useRequest } from '../../rpc/use-request';
import { AnnotatedImage } from '../../components/images/annotated-image';
import { ThumbnailImage } from '../../components/images/image-tile';
import { useThumbnail } from '../../components/images/use-thumbnail';
import { formatScore, formatThreshold } from '../../components/format-metric';

const viewerSize = 1024;

function thresholdOf(thresholds: Thresholds, j: number): number {
  return typeof thresholds === 'number' ? thresholds : (thresholds[j] ?? 0.5);
}

/** One scored image large, with the example's "Class / Score" table: every class by descending score, predicted ones marked. */
export function ScoreDialog({
  scores,
  row,
  thresholds,
  onClose,
}: {
  scores: RunScores;
  row: number;
  thresholds: Thresholds;
  onClose: () => void;
}): ReactNode {
  const imageId = scores.imageIds[row]!;
  const fileName = scores.fileNames[row] || `image ${imageId}`;
  const { fileId } = scores.source;
  const entries = useMemo(
    () =>
      scores.classes
        .map((name, j) => {
          const score = scores.scores[row]![j]!;
          const threshold = thresholdOf(thresholds, j);
          return { name, score, threshold, labelled: scores.labels[row]![j]! > 0, predicted: score >= threshold };
        })
        .sort((a, b) => b.score - a.score),
    [scores, row, thresholds],
  );
  const predicted = entries.filter((e) => e.predicted).map((e) => e.name);
  return (
    <Dialog open onClose={onClose} maxWidth="xl" aria-labelledby="score-dialog-title" data-testid="score-dialog" data-row={row}>
      <DialogTitle id="score-dialog-title" sx={{ pr: 6 }}>
        {fileName}
        <Typography component="span" variant="body2" color="text.secondary" sx={{ ml: 1 }}>
          id {imageId} · predicted: {predicted.length === 0 ? 'nothing' : predicted.join(', ')}
        </Typography>
        <IconButton aria-label="Close" onClick={onClose} sx={{ position: 'absolute', right: 8, top: 8 }} data-testid="score-dialog-close">
          <CloseIcon />
        </IconButton>
      </DialogTitle>
      <DialogContent>
        <Stack direction={{ xs: 'column', md: 'row' }} spacing={3} sx={{ alignItems: 'flex-start' }}>
          <Box sx={{ flex: '1 1 auto', minWidth: 0, textAlign: 'center' }}>
            {fileId === null ? (
              <Alert severity="info" data-testid="score-dialog-no-image">
                {baseName(scores.source.annotations)} is no longer imported, so the image cannot be shown. Import it again in the Dataset
                workspace to see it.
              </Alert>
            ) : (
              <ScoredImage fileId={fileId} imageId={imageId} imagesDir={scores.source.images} classes={scores.classes} />
            )}
          </Box>
          <Table size="small" sx={{ width: 'auto', minWidth: 360 }} data-testid="score-table">
            <caption>Every class’s score, highest first; bold: predicted (score at least the threshold).</caption>
            <TableHead>
              <TableRow>
                <TableCell component="th" scope="col">
                  Class
                </TableCell>
                <TableCell component="th" scope="col" align="right">
                  Score
                </TableCell>
                <TableCell component="th" scope="col" align="right">
                  Threshold
                </TableCell>
                <TableCell component="th" scope="col">
                  Labelled
                </TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {entries.map((e) => (
                <TableRow
                  key={e.name}
                  data-testid="score-row"
                  data-class={e.name}
                  data-score={e.score}
                  data-predicted={e.predicted}
                  data-labelled={e.labelled}
                  sx={{ '& td, & th': { fontWeight: e.predicted ? 700 : 400 } }}
                >
                  <TableCell component="th" scope="row">
                    {e.name}
                  </TableCell>
                  <TableCell align="right" sx={{ fontVariantNumeric: 'tabular-nums' }}>
                    {formatScore(e.score)}
                  </TableCell>
                  <TableCell align="right" sx={{ fontVariantNumeric: 'tabular-nums', color: 'text.secondary' }}>
                    {formatThreshold(e.threshold)}
                  </TableCell>
                  <TableCell>
                    <Outcome labelled={e.labelled} predicted={e.predicted} />
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </Stack>
      </DialogContent>
    </Dialog>
  );
}

function Outcome({ labelled, predicted }: { labelled: boolean; predicted: boolean }): ReactNode {
  if (labelled && predicted) return <Chip size="small" color="success" variant="outlined" label="yes · found" />;
  if (labelled) return <Chip size="small" color="error" label="yes · missed (FN)" />;
  if (predicted) return <Chip size="small" color="error" variant="outlined" label="no · false positive" />;
  return (
    <Typography variant="body2" color="text.secondary">
      no
    </Typography>
  );
}

function ScoredImage({
  fileId,
  imageId,
  imagesDir,
  classes,
}: {
  fileId: number;
  imageId: number;
  imagesDir: string;
  classes: readonly string[];
}): ReactNode {
  const api = useApi();
  const detail = useRequest(JSON.stringify({ fileId, imageId, classes }), (signal) =>
    api.dataset.image({ fileId, imageId, categories: [...classes] }, { signal }),
  );
  const picture = useThumbnail({ fileId, imageId, size: viewerSize, imagesDir });
  if (detail.error !== undefined) return <ErrorAlert error={detail.error} />;
  if (detail.data === undefined) return <ThumbnailImage state={picture} alt={`image ${imageId}`} height={480} />;
  return <AnnotatedImage detail={detail.data} image={picture} selected={classes} maxHeight="70vh" />;
}
