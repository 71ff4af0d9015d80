import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import CircularProgress from '@mui/material/CircularProgress';
import Dialog from '@mui/material/Dialog';
import DialogActions from '@mui/material/DialogActions';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import Stack from '@mui/material/Stack';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import Typography from '@mui/material/Typography';
import { useState, type KeyboardEvent, type ReactNode } from 'react';
import type { ImportedFile } from '../../../../shared/contract/dataset';
import { AppError } from '../../../../shared/contract/errors';
import type { DecisionCounts, Suspect, SuspectKind } from '../../../../shared/contract/labels';
import { ErrorAlert } from '../../components/error-alert';
import { baseName } from '../../components/format';
import { ThumbnailImage } from '../../components/images/image-tile';
import { useThumbnail } from '../../components/images/use-thumbnail';
import { labelClientId } from '../../components/label-client';
import { RunPicker } from '../../components/runs/run-picker';
import { useCompletedRuns } from '../../components/runs/completed-runs';
import { useApi } from '../../rpc/api-context';
import { useRequest } from '../../rpc/use-request';

const pairKey = (s: Pick<Suspect, 'imageId' | 'class'>): string => `${s.imageId}:${s.class}`;
const imageSize = 384;

/**
 * The review queue of a completed run's suspects: the pairs whose validation score disagrees most
 * with the label, one at a time, with the image, its Grad-CAM for that class and the score. A (or
 * Y) accepts (the label is changed), R (or N) rejects (the pair is never proposed again for the
 * file), the right arrow skips. Counts of accepted and rejected suspects are those of the file.
 */
export function SuspectsDialog({
  files,
  labelsVersion,
  onLabelsChanged,
  onClose,
}: {
  files: readonly ImportedFile[];
  labelsVersion: number;
  onLabelsChanged: () => void;
  onClose: () => void;
}): ReactNode {
  const api = useApi();
  const client = labelClientId();
  const { runs, completed, run, choose } = useCompletedRuns();
  const [kind, setKind] = useState<SuspectKind | 'all'>('all');
  const [skipped, setSkipped] = useState<ReadonlySet<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | undefined>(undefined);
  const [counts, setCounts] = useState<DecisionCounts | null>(null);
  const [last, setLast] = useState<string | null>(null);
  const runId = run?.runId ?? null;
  const queue = useRequest(runId === null ? null : JSON.stringify({ runId, kind, labelsVersion }), (signal) =>
    api.labels.suspects({ runId: runId!, ...(kind === 'all' ? {} : { kind }), limit: 100 }, { signal }),
  );
  const list = queue.data?.runId === runId ? queue.data : undefined;
  const current = list?.items.find((s) => !skipped.has(pairKey(s)));
  const file = files.find((f) => f.fileId === list?.fileId);
  const shownCounts = counts ?? list?.counts ?? null;

  const decide = (decision: 'accept' | 'reject'): void => {
    if (current === undefined || runId === null || busy) return;
    setBusy(true);
    setError(undefined);
    api.labels.decide({ runId, imageId: current.imageId, class: current.class, kind: current.kind, decision, client }).then(
      (result) => {
        setBusy(false);
        setCounts(result.counts);
        setLast(
          decision === 'accept'
            ? `Accepted: ${current.class} ${current.kind === 'missing' ? 'added to' : 'removed from'} ${current.fileName}.`
            : `Rejected: ${current.class} on ${current.fileName} will not be proposed again.`,
        );
        onLabelsChanged();
      },
      (caught: unknown) => {
        setBusy(false);
        setError(AppError.from(caught));
      },
    );
  };
  const skip = (): void => {
    if (current !== undefined) setSkipped((previous) => new Set([...previous, pairKey(current)]));
  };
  const onKeyDown = (event: KeyboardEvent): void => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const key = event.key.toLowerCase();
    if (key === 'a' || key === 'y') {
      event.preventDefault();
      decide('accept');
    } else if (key === 'r' || key === 'n') {
      event.preventDefault();
      decide('reject');
    } else if (event.key === 'ArrowRight' || key === 's') {
      event.preventDefault();
      skip();
    }
  };

  return (
    <Dialog
      open
      onClose={onClose}
      fullWidth
      maxWidth="lg"
      aria-labelledby="suspects-title"
      data-testid="suspects-dialog"
      onKeyDown={onKeyDown}
    >
      <DialogTitle id="suspects-title">Review a run’s suspects</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ pt: 1 }}>
          <Typography variant="body2" color="text.secondary">
            The (image, class) pairs whose validation score disagrees most with the label, by the per-label binary cross-entropy: likely{' '}
            <strong>missing</strong> labels (high score, no label) and likely <strong>wrong</strong> ones (low score, labelled). Press A to
            accept (the label is changed), R to reject (never proposed again for this file), → to skip.
          </Typography>
          {runs.error !== undefined && <ErrorAlert error={runs.error} />}
          {runs.data !== undefined && completed.length === 0 && (
            <Alert severity="info" data-testid="suspects-no-run">
              No completed run yet. Train one in the Train workspace: its validation scores point at likely label errors.
            </Alert>
          )}
          {completed.length > 0 && run !== undefined && (
            <Stack direction="row" spacing={2} sx={{ alignItems: 'flex-start', flexWrap: 'wrap', rowGap: 1 }}>
              <Box sx={{ flex: 1, minWidth: 320 }}>
                <RunPicker
                  runs={completed}
                  runId={run.runId}
                  onChange={(id) => {
                    choose(id);
                    setSkipped(new Set());
                    setCounts(null);
                  }}
                  scores={undefined}
                  testId="suspects-run"
                />
              </Box>
              <ToggleButtonGroup
                size="small"
                exclusive
                value={kind}
                onChange={(_, value: SuspectKind | 'all' | null) => value !== null && setKind(value)}
                aria-label="Which suspects"
              >
                <ToggleButton value="all">All</ToggleButton>
                <ToggleButton value="missing">Missing labels</ToggleButton>
                <ToggleButton value="wrong">Wrong labels</ToggleButton>
              </ToggleButtonGroup>
            </Stack>
          )}
          {list !== undefined && (
            <Typography
              variant="body2"
              data-testid="suspects-counts"
              data-accepted={shownCounts?.accepted}
              data-rejected={shownCounts?.rejected}
            >
              {list.totals.disagreeing.missing} likely missing and {list.totals.disagreeing.wrong} likely wrong labels (score on the other
              side of 0.5) in {baseName(list.annotations)}. Accepted so far: <strong>{shownCounts?.accepted ?? 0}</strong>, rejected:{' '}
              <strong>{shownCounts?.rejected ?? 0}</strong>.
            </Typography>
          )}
          {list !== undefined && file === undefined && (
            <Alert severity="warning">
              The run’s validation annotations, {list.annotations}, are not among the imported files shown here; import them to see the
              images.
            </Alert>
          )}
          {queue.error !== undefined && <ErrorAlert error={queue.error} data-testid="suspects-error" />}
          {error !== undefined && <ErrorAlert error={error} data-testid="suspects-decide-error" />}
          {last !== null && (
            <Typography variant="body2" color="text.secondary" data-testid="suspects-last">
              {last}
            </Typography>
          )}
          {queue.loading && list === undefined && (
            <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }} role="status">
              <CircularProgress size={18} />
              <Typography color="text.secondary">Ranking the run’s suspects…</Typography>
            </Stack>
          )}
          {list !== undefined && current === undefined && (
            <Alert severity="success" data-testid="suspects-empty">
              No suspects left to review{kind === 'all' ? '' : ` of this kind`}: every pair was decided on, skipped, or agrees with its
              label.
            </Alert>
          )}
          {list !== undefined && current !== undefined && runId !== null && (
            <SuspectCard key={pairKey(current)} runId={runId} suspect={current} file={file} busy={busy} onDecide={decide} onSkip={skip} />
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} data-testid="suspects-close">
          Close
        </Button>
      </DialogActions>
    </Dialog>
  );
}

function SuspectCard({
  runId,
  suspect,
  file,
  busy,
  onDecide,
  onSkip,
}: {
  runId: string;
  suspect: Suspect;
  file: ImportedFile | undefined;
  busy: boolean;
  onDecide: (decision: 'accept' | 'reject') => void;
  onSkip: () => void;
}): ReactNode {
  const api = useApi();
  const picture = useThumbnail(
    file === undefined
      ? null
      : { fileId: file.fileId, imageId: suspect.imageId, size: imageSize, imagesDir: file.imagesDir, folderVersion: 0 },
  );
  const explained = useRequest(JSON.stringify({ runId, imageId: suspect.imageId, class: suspect.class }), (signal) =>
    api.labels.explain({ runId, imageId: suspect.imageId, class: suspect.class }, { signal }),
  );
  const missing = suspect.kind === 'missing';
  return (
    <Box data-testid="suspect" data-image-id={suspect.imageId} data-class={suspect.class} data-kind={suspect.kind} data-rank={suspect.rank}>
      <Typography variant="h6" component="p" sx={{ mb: 1 }}>
        {missing ? 'Likely missing label' : 'Likely wrong label'}: <strong>{suspect.class}</strong> on {suspect.fileName}
      </Typography>
      <Typography variant="body2" sx={{ mb: 1.5 }}>
        The run scores {suspect.class} <strong data-testid="suspect-score">{suspect.score.toFixed(3)}</strong>, but the image is{' '}
        {missing ? 'not' : ''} labelled {suspect.class}. Rank {suspect.rank} of the {missing ? 'missing' : 'wrong'} labels,{' '}
        {suspect.classRank} of {suspect.class}’s (loss {suspect.loss.toFixed(3)}).
      </Typography>
      <Box sx={{ display: 'grid', gridTemplateColumns: { xs: '1fr', md: '1fr 1fr' }, gap: 2, mb: 2 }}>
        <Box>
          <Typography variant="subtitle2" component="h3">
            Image
          </Typography>
          <ThumbnailImage
            state={file === undefined ? { status: 'error', message: 'Not imported here.' } : picture}
            alt={suspect.fileName}
            height={320}
          />
        </Box>
        <Box>
          <Typography variant="subtitle2" component="h3">
            Grad-CAM of {suspect.class}
          </Typography>
          {explained.loading && explained.data === undefined && (
            <Stack direction="row" spacing={1} sx={{ alignItems: 'center', height: 320 }} role="status">
              <CircularProgress size={18} />
              <Typography color="text.secondary">Computing where the run looks for {suspect.class}…</Typography>
            </Stack>
          )}
          {explained.error !== undefined && <ErrorAlert error={explained.error} data-testid="suspect-gradcam-error" />}
          {explained.data !== undefined && (
            <Box
              component="img"
              src={explained.data.overlay}
              alt={`Grad-CAM of ${suspect.class} on ${suspect.fileName}`}
              data-testid="suspect-gradcam"
              sx={{ display: 'block', width: '100%', height: 320, objectFit: 'contain', bgcolor: 'grey.100' }}
            />
          )}
        </Box>
      </Box>
      <Stack direction="row" spacing={1}>
        <Button variant="contained" color="primary" onClick={() => onDecide('accept')} disabled={busy} data-testid="suspect-accept">
          {missing ? `Accept: add ${suspect.class}` : `Accept: remove ${suspect.class}`} (A)
        </Button>
        <Button variant="outlined" color="warning" onClick={() => onDecide('reject')} disabled={busy} data-testid="suspect-reject">
          Reject: the label is right (R)
        </Button>
        <Button onClick={onSkip} disabled={busy} data-testid="suspect-skip">
          Skip (→)
        </Button>
      </Stack>
    </Box>
  );
}
