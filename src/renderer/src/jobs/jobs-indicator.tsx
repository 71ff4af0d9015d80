import Badge from '@mui/material/Badge';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import LinearProgress from '@mui/material/LinearProgress';
import Popover from '@mui/material/Popover';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { JobInfo, JobKind } from '../../../shared/contract/jobs';
import { formatDuration, formatProgressAmount } from '../components/format';
import { createProgressEstimator } from '../../../shared/domain/progress-estimate';
import { useApi } from '../rpc/api-context';

/** Where each kind of job is shown in full. */
const workspaceOf: Record<JobKind, string> = {
  'training.train': 'train',
  'training.resume': 'train',
  'training.downloadModel': 'train',
  'dataset.ingest': 'dataset',
  'evaluation.evaluate': 'evaluate',
  'prediction.predict': 'predict',
  'prediction.gallery': 'predict',
  'reports.report': 'evaluate',
  'reports.exportModel': 'evaluate',
  'coco.download': 'dataset',
  'labels.export': 'dataset',
};

const isActive = (job: JobInfo): boolean => job.status === 'queued' || job.status === 'running' || job.status === 'cancelling';

/**
 * The service's jobs wherever the user is: a count in the app bar, and a list with each job's
 * progress, Cancel, and a link to its workspace. Jobs run in the service, so this shows those that
 * another window or tab started too. Engine jobs run one at a time; later ones wait, queued.
 */
export function JobsIndicator({ onNavigate }: { onNavigate: (workspace: string) => void }): ReactNode {
  const api = useApi();
  const [jobs, setJobs] = useState<JobInfo[]>([]);
  // Time left per job, from the progress each poll brings.
  const estimators = useRef(new Map<string, ReturnType<typeof createProgressEstimator>>());
  const [etas, setEtas] = useState<Map<string, number | null>>(new Map());
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = (): void => {
      api.jobs.list({}).then(
        (list) => {
          if (stopped) return;
          const next = new Map<string, number | null>();
          for (const job of list) {
            if (!isActive(job) || job.progress === null) continue;
            let estimator = estimators.current.get(job.jobId);
            if (estimator === undefined) estimators.current.set(job.jobId, (estimator = createProgressEstimator()));
            next.set(job.jobId, estimator(job.progress).etaSeconds);
          }
          setJobs(list);
          setEtas(next);
        },
        () => undefined, // the connection banner says why
      );
      timer = setTimeout(poll, 1500);
    };
    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api]);

  const active = jobs.filter(isActive);
  const shown = [...active, ...jobs.filter((j) => !isActive(j)).slice(0, 5)];
  return (
    <>
      <Button
        color="inherit"
        size="small"
        onClick={(event) => setAnchor(event.currentTarget)}
        data-testid="jobs-button"
        data-active={active.length}
        sx={{ mr: 2 }}
      >
        <Badge badgeContent={active.length} color="secondary" sx={{ '& .MuiBadge-badge': { right: -10 } }}>
          Jobs
        </Badge>
      </Button>
      <Popover
        open={anchor !== null}
        anchorEl={anchor}
        onClose={() => setAnchor(null)}
        anchorOrigin={{ vertical: 'bottom', horizontal: 'right' }}
        transformOrigin={{ vertical: 'top', horizontal: 'right' }}
      >
        <Box sx={{ p: 2, width: 380 }} data-testid="jobs-menu">
          <Typography variant="subtitle2" gutterBottom>
            Jobs of this service
          </Typography>
          <Typography variant="body2" color="text.secondary" sx={{ mb: 1 }}>
            They go on when this window or tab closes. Training runs one at a time (the next waits, queued); other jobs start at once.
          </Typography>
          {shown.length === 0 && <Typography variant="body2">No jobs yet.</Typography>}
          <Stack spacing={1.5}>
            {shown.map((job) => (
              <JobRow
                key={job.jobId}
                job={job}
                etaSeconds={etas.get(job.jobId) ?? null}
                onCancel={() =>
                  void api.jobs.cancel({ jobId: job.jobId }).then(
                    () => undefined,
                    () => undefined,
                  )
                }
                onOpen={() => {
                  setAnchor(null);
                  onNavigate(workspaceOf[job.kind]);
                }}
              />
            ))}
          </Stack>
        </Box>
      </Popover>
    </>
  );
}

function JobRow({
  job,
  etaSeconds,
  onCancel,
  onOpen,
}: {
  job: JobInfo;
  etaSeconds: number | null;
  onCancel: () => void;
  onOpen: () => void;
}): ReactNode {
  const p = job.progress;
  const percent = p !== null && p.total > 0 ? Math.min(100, (p.done / p.total) * 100) : null;
  return (
    <Box data-testid="job-row" data-job-id={job.jobId} data-status={job.status} data-run-id={job.runId ?? ''}>
      <Typography variant="body2">
        <strong>{job.title}</strong> — {job.status}
        {job.runId !== null && ` (${job.runId})`}
      </Typography>
      {isActive(job) && (
        <>
          <LinearProgress variant={percent === null ? 'indeterminate' : 'determinate'} value={percent ?? 0} sx={{ my: 0.5 }} />
          {p !== null && (
            <Typography variant="caption" color="text.secondary">
              {p.phase}: {formatProgressAmount(p.done, p.total, p.unit)}
              {etaSeconds !== null && `, about ${formatDuration(etaSeconds)} left`}
            </Typography>
          )}
        </>
      )}
      {job.error !== null && job.status === 'failed' && (
        <Typography variant="caption" color="error">
          {job.error.message}
        </Typography>
      )}
      <Stack direction="row" spacing={1}>
        <Button size="small" onClick={onOpen}>
          Open
        </Button>
        {isActive(job) && (
          <Button size="small" color="warning" disabled={job.status === 'cancelling'} onClick={onCancel} data-testid="job-cancel">
            {job.status === 'cancelling' ? 'Cancelling…' : 'Cancel'}
          </Button>
        )}
      </Stack>
    </Box>
  );
}
