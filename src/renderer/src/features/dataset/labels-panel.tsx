import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { memo, type ReactNode, useState } from 'react';
import type { ImportedFile } from '../../../../shared/contract/dataset';
import { AppError } from '../../../../shared/contract/errors';
import { ErrorAlert } from '../../components/error-alert';
import { formatCount } from '../../components/format';
import { labelClientId } from '../../components/label-client';
import { useApi } from '../../rpc/api-context';
import { useRequest } from '../../rpc/use-request';
import { ExportLabelsButton } from './export-labels-button';
import { SuspectsDialog } from './suspects-dialog';

/**
 * The file's label edits at a glance: how many labels differ from the import and how many images
 * were reviewed, this window's undo and redo, the review queue of a run's suspects, and the export.
 */
export const LabelsPanel = memo(function LabelsPanel({
  file,
  files,
  labelsVersion,
  onLabelsChanged,
}: {
  file: ImportedFile;
  files: readonly ImportedFile[];
  labelsVersion: number;
  onLabelsChanged: () => void;
}): ReactNode {
  const api = useApi();
  const client = labelClientId();
  const { fileId } = file;
  const summary = useRequest(JSON.stringify({ fileId, labelsVersion }), (signal) =>
    api.labels.list({ fileId, limit: 0, client }, { signal }),
  );
  const [suspectsOpen, setSuspectsOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | undefined>(undefined);
  const [last, setLast] = useState<string | null>(null);
  const data = summary.data?.fileId === fileId ? summary.data : undefined;
  const added = data?.changes.filter((c) => c.present).length ?? 0;
  const removed = (data?.changes.length ?? 0) - added;

  const step = (which: 'undo' | 'redo'): void => {
    setBusy(true);
    setError(undefined);
    (which === 'undo' ? api.labels.undo({ fileId, client }) : api.labels.redo({ fileId, client })).then(
      (result) => {
        setBusy(false);
        const what = result.batch?.edits.map((e) => `${e.present ? 'added' : 'removed'} ${e.category} (${e.fileName})`).join(', ');
        setLast(result.batch === null ? `Nothing to ${which}.` : `${which === 'undo' ? 'Undid' : 'Redid'}: ${what}.`);
        onLabelsChanged();
      },
      (caught: unknown) => {
        setBusy(false);
        setError(AppError.from(caught));
      },
    );
  };

  return (
    <Paper sx={{ p: 2 }} component="section" aria-labelledby="labels-heading" data-testid="labels-panel">
      <Typography variant="h6" id="labels-heading" gutterBottom>
        Labels
      </Typography>
      {summary.error !== undefined && <ErrorAlert error={summary.error} sx={{ mb: 1 }} />}
      {data !== undefined && (
        <Typography
          variant="body2"
          sx={{ mb: 1.5 }}
          data-testid="labels-summary"
          data-changes={data.changes.length}
          data-reviewed={data.reviewed}
        >
          {data.changes.length === 0
            ? 'No label differs from the annotation file yet: open an image below and press a digit to toggle a class, or review a run’s suspects.'
            : `${formatCount(data.changes.length)} label${data.changes.length === 1 ? '' : 's'} differ from the annotation file (${formatCount(added)} added, ${formatCount(removed)} removed); the file itself is never changed.`}{' '}
          {formatCount(data.reviewed)} image{data.reviewed === 1 ? '' : 's'} marked reviewed.
        </Typography>
      )}
      {data !== undefined && data.notCarried.length > 0 && (
        <Alert severity="warning" sx={{ mb: 1.5 }} data-testid="labels-not-carried">
          {data.notCarried.length} edit{data.notCarried.length === 1 ? '' : 's'} of an earlier import could not be carried over, because the
          file no longer has {data.notCarried.length === 1 ? 'its image or class' : 'their images or classes'}:{' '}
          {data.notCarried
            .slice(0, 10)
            .map((e) => `${e.category} ${e.present ? 'added to' : 'removed from'} ${e.fileName}`)
            .join('; ')}
          {data.notCarried.length > 10 ? '; …' : '.'}
        </Alert>
      )}
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1.5 }}>
        <Button variant="contained" onClick={() => setSuspectsOpen(true)} data-testid="review-suspects">
          Review suspects…
        </Button>
        <Button onClick={() => step('undo')} disabled={busy || data?.undo?.undo == null} data-testid="labels-undo">
          Undo
        </Button>
        <Button onClick={() => step('redo')} disabled={busy || data?.undo?.redo == null} data-testid="labels-redo">
          Redo
        </Button>
        <ExportLabelsButton file={file} />
      </Stack>
      {last !== null && (
        <Typography variant="body2" color="text.secondary" sx={{ mt: 1 }} data-testid="labels-last">
          {last}
        </Typography>
      )}
      {error !== undefined && <ErrorAlert error={error} sx={{ mt: 1 }} />}
      {suspectsOpen && (
        <SuspectsDialog
          files={files}
          labelsVersion={labelsVersion}
          onLabelsChanged={onLabelsChanged}
          onClose={() => setSuspectsOpen(false)}
        />
      )}
    </Paper>
  );
});
