import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import type { ReactNode, Ref } from 'react';
import type { GradCamResult } from '../../../../shared/contract/prediction';
import { formatScore } from '../../components/format-metric';
import { JobProgress } from '../../jobs/job-progress';
import { shortName, type NewImage } from './new-images';
import { OverlayFrame } from './overlay-frame';
import type { Job } from '../../jobs/use-job';
import { usePreviewUrl } from './use-preview-url';
import { scoreAt } from './scaled-results';

const tileHeight = 260;

export interface CamOutcome {
  image: NewImage;
  result: GradCamResult;
}

export interface CamSelection {
  key: string;
  classes: string[];
}

/**
 * Grad-CAM of one scored image, as the example's last figure: the image, then one tile per chosen class
 * with its map in jet at 50% over it (titled with the class and its score), the map's peak marked.
 */
export function GradCamPanel({
  images,
  classes,
  selection,
  onSelectImage,
  onToggleClass,
  onCompute,
  job,
  temperature,
  ref,
}: {
  /** The images that were scored. */
  images: readonly NewImage[];
  classes: readonly string[];
  selection: CamSelection | null;
  onSelectImage: (key: string) => void;
  onToggleClass: (name: string) => void;
  onCompute: () => void;
  job: Job<CamOutcome>;
  /** The temperature the cards' scores are scaled by (null: the network's own), for the tiles' scores to match. */
  temperature: number | null;
  ref?: Ref<HTMLElement>;
}): ReactNode {
  const outcome = job.state.status === 'done' ? job.state.result : null;
  const selected = images.find((i) => i.key === selection?.key);
  return (
    <Paper component="section" sx={{ p: 2, scrollMarginTop: 64 }} aria-labelledby="gradcam-heading" data-testid="gradcam-panel" ref={ref}>
      <Typography variant="h6" id="gradcam-heading" gutterBottom>
        Grad-CAM: where the network looks
      </Typography>
      {images.length === 0 ? (
        <Alert severity="info" data-testid="gradcam-empty">
          Predict some images first, then press Grad-CAM on one of them to see which parts of it each class’s score depends on.
        </Alert>
      ) : (
        <Stack spacing={2}>
          <Typography variant="body2" color="text.secondary">
            The gradient of each class’s score with respect to the last convolutional features, weighted over the image: red where the score
            depends most on the image. The classes start as the predicted ones.
          </Typography>
          <TextField
            select
            size="small"
            label="Image"
            value={selected?.key ?? ''}
            onChange={(e) => onSelectImage(e.target.value)}
            sx={{ maxWidth: 640 }}
            slotProps={{ htmlInput: { 'data-testid': 'gradcam-image-select' } }}
          >
            {images.map((i) => (
              <MenuItem key={i.key} value={i.key} data-testid="gradcam-image-option" data-image={i.name}>
                {shortName(i)}
              </MenuItem>
            ))}
          </TextField>
          {selected !== undefined && selection !== null && (
            <Box>
              <Typography variant="body2" sx={{ mb: 1 }} id="gradcam-classes-label">
                Classes to explain
              </Typography>
              <Stack direction="row" sx={{ flexWrap: 'wrap', gap: 1 }} role="group" aria-labelledby="gradcam-classes-label">
                {classes.map((name) => {
                  const on = selection.classes.includes(name);
                  return (
                    <Chip
                      key={name}
                      label={name}
                      color={on ? 'primary' : 'default'}
                      variant={on ? 'filled' : 'outlined'}
                      onClick={() => onToggleClass(name)}
                      aria-pressed={on}
                      data-testid="gradcam-class-chip"
                      data-class={name}
                      data-selected={on}
                    />
                  );
                })}
              </Stack>
            </Box>
          )}
          <Stack direction="row" spacing={1}>
            <Button
              variant="contained"
              onClick={onCompute}
              disabled={selected === undefined || selection === null || selection.classes.length === 0 || job.running}
              data-testid="gradcam-button"
            >
              Compute Grad-CAM
            </Button>
          </Stack>
          {selection !== null && selection.classes.length === 0 && (
            <Typography variant="body2" color="text.secondary">
              Choose at least one class.
            </Typography>
          )}
          <JobProgress job={job} label="Computing Grad-CAM" testId="gradcam" cancelledText="Grad-CAM cancelled." />
          {outcome !== null && <GradCamFigure outcome={outcome} temperature={temperature} />}
        </Stack>
      )}
    </Paper>
  );
}

function GradCamFigure({ outcome, temperature }: { outcome: CamOutcome; temperature: number | null }): ReactNode {
  const { image, result } = outcome;
  // Computed before the choice of scores changed: scaled here when it can be, else named as computed.
  const scoreOf = (score: number): { score: number; note: string } => {
    const now = scoreAt(score, result.temperature, temperature);
    if (now !== null) return { score: now, note: '' };
    return { score, note: result.temperature === null ? ' (unscaled)' : ` (scaled by T = ${result.temperature.toFixed(3)})` };
  };
  const previewUrl = usePreviewUrl(image);
  const name = shortName(image);
  return (
    <Box data-testid="gradcam-figure" data-image={image.name}>
      <Box sx={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(300px, 1fr))', gap: 2 }}>
        <Tile title={name} subtitle={`${result.width} × ${result.height}`} testId="gradcam-original">
          <OverlayFrame url={previewUrl} alt={name} width={result.width} height={result.height} maxHeight={tileHeight}>
            <Box
              sx={{ height: '100%', display: 'flex', alignItems: 'center', justifyContent: 'center', p: 1, textAlign: 'center' }}
              data-testid="preview-unavailable"
            >
              <Typography variant="body2" color="text.secondary">
                The image is on the service’s machine and is not sent to this window; the tiles beside show it under each map.
              </Typography>
            </Box>
          </OverlayFrame>
        </Tile>
        {result.classes.map((c) => {
          // A map without any variation (no gradient reaches the features) has no peak worth marking.
          const first = c.map[0]?.[0];
          const flat = c.map.every((row) => row.every((v) => v === first));
          const shown = scoreOf(c.score);
          return (
            <Tile
              key={c.class}
              title={c.class}
              subtitle={`score ${formatScore(shown.score)}${shown.note}`}
              testId="gradcam-tile"
              dataClass={c.class}
              score={shown.score}
              note={flat ? 'Flat map: no part of the image moves this score.' : undefined}
            >
              <OverlayFrame
                url={c.png}
                alt={`Grad-CAM of ${c.class} over ${name}`}
                width={result.width}
                height={result.height}
                maxHeight={tileHeight}
                peak={flat ? undefined : c.peak}
              />
            </Tile>
          );
        })}
      </Box>
      <Typography variant="caption" color="text.secondary" sx={{ display: 'block', mt: 1 }}>
        Jet colour map at 50% opacity, each map scaled to its own minimum and maximum; the ring marks its peak.
      </Typography>
    </Box>
  );
}

function Tile({
  title,
  subtitle,
  testId,
  dataClass,
  score,
  note,
  children,
}: {
  title: string;
  subtitle: string;
  testId: string;
  dataClass?: string;
  score?: number;
  note?: string;
  children: ReactNode;
}): ReactNode {
  return (
    <Box data-testid={testId} data-class={dataClass} data-score={score} sx={{ minWidth: 0 }}>
      <Typography variant="subtitle2" align="center" noWrap title={title}>
        {title}{' '}
        <Typography component="span" variant="body2" color="text.secondary">
          {subtitle}
        </Typography>
      </Typography>
      <Box sx={{ mt: 0.5 }}>{children}</Box>
      {note !== undefined && (
        <Typography variant="caption" color="text.secondary" component="p" align="center" sx={{ mt: 0.5 }}>
          {note}
        </Typography>
      )}
    </Box>
  );
}
