import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useState, type ReactNode } from 'react';
import type { GalleryResult } from '../../../../shared/contract/prediction';
import { countOf, formatCount } from '../../components/format';
import { useApi } from '../../rpc/api-context';
import { runJob } from '../../jobs/run-job';
import { formatScore, formatThreshold } from '../../components/format-metric';
import { JobProgress } from '../../jobs/job-progress';
import { useJob } from '../../jobs/use-job';

type Kind = GalleryResult['kind'];

const kinds: { value: Kind; label: string; plural: string; order: string }[] = [
  { value: 'tp', label: 'True positives', plural: 'true positives', order: 'highest scores first' },
  { value: 'fp', label: 'False positives', plural: 'false positives', order: 'highest scores first' },
  { value: 'fn', label: 'False negatives', plural: 'false negatives', order: 'lowest scores first' },
];

const imageHeight = 150;

/**
 * Grad-CAM over the run's validation images of one class: its most confident true positives, false
 * positives or false negatives, each as the image and its overlay. The service keeps them with the run,
 * so the same gallery a second time comes from its cache.
 */
export function GalleryPanel({
  runId,
  classes,
  thresholdOf,
  temperature,
}: {
  runId: string;
  classes: readonly string[];
  /** The threshold a class is judged at (the slider's, or its tuned one). */
  thresholdOf: (classIndex: number) => number;
  /** The temperature the workspace's scores are scaled by (null: the network's own): the threshold judges those. */
  temperature: number | null;
}): ReactNode {
  const api = useApi();
  const [className, setClassName] = useState(classes[0] ?? '');
  const [kind, setKind] = useState<Kind>('tp');
  const [countText, setCountText] = useState('8');
  const job = useJob<GalleryResult>();
  const count = Number(countText);
  const countOk = Number.isInteger(count) && count >= 1 && count <= 48;
  const classIndex = classes.indexOf(className);
  const threshold = classIndex < 0 ? 0.5 : thresholdOf(classIndex);
  const result = job.state.status === 'done' ? job.state.result : null;
  // Judged on other scores than the workspace's now (the temperature switched, or the threshold moved).
  const resultThreshold = result === null ? null : thresholdOf(classes.indexOf(result.class));
  const outdated = result !== null && (result.temperature !== temperature || result.threshold !== resultThreshold);

  const run = (): void => {
    job.start((signal, onProgress) =>
      runJob<GalleryResult>(
        api,
        'prediction.gallery',
        { runId, class: className, kind, threshold, count, calibrated: temperature !== null },
        `Gallery of ${className} (${kind})`,
        {
          signal,
          onProgress,
        },
      ),
    );
  };

  return (
    <Paper component="section" sx={{ p: 2 }} aria-labelledby="gallery-heading" data-testid="gallery-panel">
      <Typography variant="h6" id="gallery-heading" gutterBottom>
        Grad-CAM galleries
      </Typography>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
        Where the network looks on the run’s validation images of one class: its most confident hits and mistakes at the threshold above.
      </Typography>
      <Stack direction="row" spacing={2} sx={{ flexWrap: 'wrap', rowGap: 2, alignItems: 'flex-start' }}>
        <TextField
          select
          size="small"
          label="Class"
          value={classIndex < 0 ? '' : className}
          onChange={(e) => setClassName(e.target.value)}
          sx={{ minWidth: 200 }}
          slotProps={{ htmlInput: { 'data-testid': 'gallery-class-select' } }}
        >
          {classes.map((name) => (
            <MenuItem key={name} value={name}>
              {name}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          select
          size="small"
          label="Kind"
          value={kind}
          onChange={(e) => setKind(e.target.value as Kind)}
          sx={{ minWidth: 200 }}
          slotProps={{ htmlInput: { 'data-testid': 'gallery-kind-select' } }}
        >
          {kinds.map((k) => (
            <MenuItem key={k.value} value={k.value}>
              {k.label}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          size="small"
          label="Images"
          type="number"
          value={countText}
          onChange={(e) => setCountText(e.target.value)}
          error={!countOk}
          helperText={countOk ? ' ' : 'A whole number from 1 to 48.'}
          sx={{ width: 140 }}
          slotProps={{ htmlInput: { min: 1, max: 48, step: 1, 'data-testid': 'gallery-count' } }}
        />
        <Button
          variant="contained"
          onClick={run}
          disabled={classIndex < 0 || !countOk || job.running}
          sx={{ height: 40 }}
          data-testid="gallery-button"
        >
          Show gallery
        </Button>
      </Stack>
      <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
        {className === '' ? '' : `${className} is judged at ${formatThreshold(threshold)}${scaledWords(temperature)}.`}
      </Typography>
      <Stack spacing={2}>
        <JobProgress job={job} label="Computing the gallery" testId="gallery" cancelledText="Gallery cancelled; nothing was kept." />
        {result !== null && outdated && (
          <Alert severity="info" data-testid="gallery-outdated">
            This gallery is judged at {formatThreshold(result.threshold)}
            {scaledWords(result.temperature) || ' on the network’s own scores'}; the workspace now judges {result.class} at{' '}
            {formatThreshold(resultThreshold ?? result.threshold)}
            {scaledWords(temperature) || ' on the network’s own scores'}. Press Show gallery to judge it again.
          </Alert>
        )}
        {result !== null && <Gallery result={result} />}
      </Stack>
    </Paper>
  );
}

function Gallery({ result }: { result: GalleryResult }): ReactNode {
  const kind = kinds.find((k) => k.value === result.kind)!;
  const at = `${formatThreshold(result.threshold)}${scaledWords(result.temperature)}`;
  return (
    <Box
      data-testid="gallery-result"
      data-cached={result.cached}
      data-available={result.available}
      data-class={result.class}
      data-temperature={result.temperature ?? ''}
    >
      {result.available === 0 ? (
        <Alert severity="info" data-testid="gallery-none">
          The run’s validation images have no {kind.plural} of {result.class} at {at}. Try another kind, class or threshold.
        </Alert>
      ) : (
        <Typography variant="body2" sx={{ mb: 1 }} data-testid="gallery-summary">
          {result.items.length < result.available
            ? `The ${formatCount(result.items.length)} most confident of ${countOf(result.available, kind.plural.slice(0, -1), kind.plural)}`
            : `All ${countOf(result.available, kind.plural.slice(0, -1), kind.plural)}`}{' '}
          of <strong>{result.class}</strong> at {at}, {kind.order}
          {result.cached ? (
            <Typography component="span" variant="body2" color="text.secondary" data-testid="gallery-cached">
              {' '}
              · from the run’s cache
            </Typography>
          ) : (
            ''
          )}
          .
        </Typography>
      )}
      {result.skipped.length > 0 && (
        <Alert severity="warning" sx={{ mb: 1 }} data-testid="gallery-skipped">
          {countOf(result.skipped.length, 'image was', 'images were')} skipped:{' '}
          {result.skipped.map((s) => `${s.path}: ${s.reason}`).join('; ')}
        </Alert>
      )}
      <Box sx={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(340px, 1fr))', gap: 1.5 }}>
        {result.items.map((item) => (
          <Box
            key={item.imageId}
            data-testid="gallery-tile"
            data-image-id={item.imageId}
            data-score={item.score}
            sx={{ border: 1, borderColor: 'divider', borderRadius: 1, overflow: 'hidden', bgcolor: 'background.paper' }}
          >
            <Box sx={{ display: 'grid', gridTemplateColumns: '1fr 1fr', gap: '2px', bgcolor: 'grey.100' }}>
              <Box
                component="img"
                src={item.image}
                alt={item.fileName}
                sx={{ display: 'block', width: '100%', height: imageHeight, objectFit: 'contain' }}
              />
              <Box
                component="img"
                src={item.png}
                alt={`Grad-CAM of ${result.class} over ${item.fileName}`}
                sx={{ display: 'block', width: '100%', height: imageHeight, objectFit: 'contain' }}
              />
            </Box>
            <Stack direction="row" sx={{ px: 1, py: 0.5, justifyContent: 'space-between', gap: 1 }}>
              <Typography variant="body2" noWrap title={item.fileName}>
                {item.fileName}
              </Typography>
              <Typography variant="body2" sx={{ fontVariantNumeric: 'tabular-nums', flexShrink: 0 }}>
                {result.class} {formatScore(item.score)}
              </Typography>
            </Stack>
          </Box>
        ))}
      </Box>
    </Box>
  );
}

/** How a threshold's scores are scaled, as words after it. */
function scaledWords(temperature: number | null): string {
  return temperature === null ? '' : ` on the scores scaled by T = ${temperature.toFixed(3)}`;
}
