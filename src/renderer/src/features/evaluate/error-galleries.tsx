import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useCallback, useMemo, useState, type ReactNode } from 'react';
import type { Thresholds } from '../../../../shared/domain/metrics';
import { baseName, formatCount } from '../../components/format';
import { formatThreshold } from '../../components/format-metric';
import { ScoreDialog } from './score-dialog';
import { ScoreTile } from './score-tile';
import type { ScoreModel } from '../../components/runs/score-model';

const shown = 12;

/** The class the model finds hardest (lowest AP) opens the galleries until the user picks another. */
function hardestClass(model: ScoreModel): number {
  let best = 0;
  let lowest = Infinity;
  model.averagePrecisions.forEach((ap, j) => {
    if (ap !== null && ap < lowest) {
      lowest = ap;
      best = j;
    }
  });
  return best;
}

/**
 * For one class, the most confident mistakes: false positives (unlabelled images scoring highest, at or
 * above the threshold) and false negatives (labelled images scoring lowest, below it). A tile opens the
 * image with every class's score.
 */
export function ErrorGalleries({ model, thresholds }: { model: ScoreModel; thresholds: Thresholds }): ReactNode {
  const { scores, matrix } = model;
  const [chosen, setChosen] = useState<number | null>(null);
  const [openRow, setOpenRow] = useState<number | null>(null);
  const classIndex = chosen !== null && chosen < scores.classes.length ? chosen : hardestClass(model);
  const threshold = typeof thresholds === 'number' ? thresholds : (thresholds[classIndex] ?? 0.5);
  const c = scores.classes.length;
  const scoreOf = useCallback((row: number) => matrix.scores[row * c + classIndex]!, [matrix, c, classIndex]);

  const { falsePositives, falseNegatives } = useMemo(() => {
    // Negatives by descending score: the false positives are a prefix; positives by ascending score: the false negatives are one.
    const negatives = model.negativesByScore[classIndex] ?? new Int32Array();
    const positives = model.positivesByScore[classIndex] ?? new Int32Array();
    let fp = 0;
    while (fp < negatives.length && scoreOf(negatives[fp]!) >= threshold) fp++;
    let fn = 0;
    while (fn < positives.length && scoreOf(positives[fn]!) < threshold) fn++;
    return {
      falsePositives: { total: fp, rows: Array.from(negatives.subarray(0, Math.min(fp, shown))) },
      falseNegatives: { total: fn, rows: Array.from(positives.subarray(0, Math.min(fn, shown))) },
    };
  }, [model, classIndex, threshold, scoreOf]);

  const className = scores.classes[classIndex] ?? '';
  const gallery = (title: string, explanation: string, found: { total: number; rows: number[] }, testId: string): ReactNode => (
    <Box sx={{ flex: 1, minWidth: 0 }} data-testid={`${testId}-gallery`} data-total={found.total}>
      <Typography variant="subtitle1" sx={{ fontWeight: 600 }}>
        {title}{' '}
        <Typography component="span" variant="body2" color="text.secondary">
          {found.total === 0
            ? 'none'
            : found.total > found.rows.length
              ? `the ${found.rows.length} most confident of ${formatCount(found.total)}`
              : formatCount(found.total)}
        </Typography>
      </Typography>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
        {explanation}
      </Typography>
      {found.total === 0 ? (
        <Typography variant="body2" color="text.secondary" sx={{ py: 2 }}>
          No {title.toLowerCase()} for {className} at {formatThreshold(threshold)}.
        </Typography>
      ) : (
        <Box sx={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(150px, 1fr))', gap: 1 }}>
          {found.rows.map((row) => (
            <ScoreTile
              key={row}
              row={row}
              fileId={scores.source.fileId}
              imageId={scores.imageIds[row]!}
              fileName={scores.fileNames[row] ?? ''}
              imagesDir={scores.source.images}
              score={scoreOf(row)}
              testId={`${testId}-tile`}
              onOpen={setOpenRow}
            />
          ))}
        </Box>
      )}
    </Box>
  );

  return (
    <Paper sx={{ p: 2 }} component="section" aria-labelledby="errors-heading" data-testid="error-galleries" data-class={className}>
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1, mb: 1 }}>
        <Typography variant="h6" id="errors-heading">
          Most confident mistakes
        </Typography>
        <TextField
          select
          size="small"
          label="Class"
          value={classIndex}
          onChange={(e) => setChosen(Number(e.target.value))}
          sx={{ minWidth: 200 }}
          slotProps={{ htmlInput: { 'data-testid': 'gallery-class' } }}
        >
          {scores.classes.map((name, j) => (
            <MenuItem key={name} value={j}>
              {name}
            </MenuItem>
          ))}
        </TextField>
        <Typography variant="body2" color="text.secondary">
          judged at {formatThreshold(threshold)}
        </Typography>
      </Stack>
      {scores.source.fileId === null && (
        <Alert severity="info" sx={{ mb: 1.5 }} data-testid="annotations-gone">
          {baseName(scores.source.annotations)} is no longer imported, so the images are listed by name without thumbnails. Import it again
          in the Dataset workspace to see them.
        </Alert>
      )}
      <Stack direction={{ xs: 'column', lg: 'row' }} spacing={3}>
        {gallery('False positives', `Images not labelled ${className} that scored highest for it.`, falsePositives, 'fp')}
        {gallery('False negatives', `Images labelled ${className} that scored lowest for it.`, falseNegatives, 'fn')}
      </Stack>
      {openRow !== null && <ScoreDialog scores={scores} row={openRow} thresholds={thresholds} onClose={() => setOpenRow(null)} />}
    </Paper>
  );
}
