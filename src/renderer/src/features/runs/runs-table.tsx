import Box from '@mui/material/Box';
import Checkbox from '@mui/material/Checkbox';
import Chip from '@mui/material/Chip';
import IconButton from '@mui/material/IconButton';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableContainer from '@mui/material/TableContainer';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import TableSortLabel from '@mui/material/TableSortLabel';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useMemo, useRef, useState, type ReactNode } from 'react';
import type { RunEntry } from '../../../../shared/contract/runs';
import { formatCount, formatDuration } from '../../components/format';
import { CheckIcon, CloseIcon, DeleteIcon, EditIcon } from '../../components/icons';
import { formatRatio } from '../../components/format-metric';
import { datasetLabel, formatRunDay, formatRunTime } from './runs-format';

type SortKey = 'name' | 'createdAt' | 'dataset' | 'model' | 'seconds' | 'status' | 'microF1' | 'jaccard' | 'precision' | 'recall' | 'mAP';

type Metric = 'microF1' | 'jaccard' | 'precision' | 'recall' | 'mAP';

const metricColumns: readonly { key: Metric; label: string; title: string }[] = [
  { key: 'microF1', label: 'Micro F1', title: 'Micro F1 at 0.5 on the validation images' },
  { key: 'jaccard', label: 'Jaccard', title: 'The example’s Jaccard index (per class, averaged) at 0.5' },
  { key: 'precision', label: 'Precision', title: 'Micro precision at 0.5' },
  { key: 'recall', label: 'Recall', title: 'Micro recall at 0.5' },
  { key: 'mAP', label: 'mAP', title: 'Mean average precision over the classes with a positive image' },
];

const statusColor = { completed: 'success', running: 'info', cancelled: 'default', failed: 'error' } as const;

function sortValue(run: RunEntry, key: SortKey): string | number | null {
  switch (key) {
    case 'name':
      return run.name.toLowerCase();
    case 'dataset':
      return datasetLabel(run).toLowerCase();
    case 'model':
      return `${run.backbone}\u0000${run.mode}\u0000${run.backend ?? ''}`;
    case 'seconds':
      return run.seconds;
    case 'createdAt':
    case 'status':
      return run[key];
    default:
      return run.metrics?.[key] ?? null;
  }
}

const headCell = { py: 0.75, px: 0.75, whiteSpace: 'nowrap' } as const;
const bodyCell = { py: 0.5, px: 0.75 } as const;

/**
 * Every run in a sortable table (a header click; again to reverse; empty values last either way), with
 * a checkbox to choose it for comparison, its name editable in place, and a delete button.
 */
export function RunsTable({
  runs,
  selected,
  onToggle,
  onRename,
  onDelete,
}: {
  runs: readonly RunEntry[];
  selected: readonly string[];
  onToggle: (runId: string) => void;
  onRename: (runId: string, name: string) => Promise<void>;
  onDelete: (run: RunEntry) => void;
}): ReactNode {
  const [sort, setSort] = useState<{ by: SortKey; direction: 'asc' | 'desc' }>({ by: 'createdAt', direction: 'desc' });
  const [editing, setEditing] = useState<string | null>(null);
  const rows = useMemo(() => {
    const sign = sort.direction === 'asc' ? 1 : -1;
    return runs
      .map((run, index) => ({ run, index }))
      .sort((a, b) => {
        const x = sortValue(a.run, sort.by);
        const y = sortValue(b.run, sort.by);
        if (x === null || y === null) return x === y ? a.index - b.index : x === null ? 1 : -1;
        const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
        return sign * order || a.index - b.index;
      })
      .map((r) => r.run);
  }, [runs, sort]);
  const toggleSort = (by: SortKey): void =>
    setSort((current) =>
      current.by === by
        ? { by, direction: current.direction === 'asc' ? 'desc' : 'asc' }
        : { by, direction: ['name', 'dataset', 'model', 'status'].includes(by) ? 'asc' : 'desc' },
    );
  const header = (key: SortKey, label: string, align: 'left' | 'right' = 'left', title?: string): ReactNode => (
    <TableCell
      key={key}
      align={align}
      sx={align === 'right' ? { ...headCell, px: 0.5 } : headCell}
      title={title}
      sortDirection={sort.by === key ? sort.direction : false}
    >
      <TableSortLabel
        active={sort.by === key}
        // The arrow only on the sorted column: fifteen hidden arrows would cost the table 300 px.
        hideSortIcon
        direction={sort.by === key ? sort.direction : 'asc'}
        onClick={() => toggleSort(key)}
        data-testid={`runs-sort-${key}`}
      >
        {label}
      </TableSortLabel>
    </TableCell>
  );

  return (
    <TableContainer sx={{ overflowX: 'auto' }} data-testid="runs-table-container">
      <Table size="small" data-testid="runs-table" data-sort={`${sort.by}:${sort.direction}`} data-rows={rows.length}>
        <TableHead>
          <TableRow>
            <TableCell padding="checkbox" sx={{ px: 0.5 }}>
              <Typography component="span" variant="caption" color="text.secondary" sx={{ pl: 0.5 }}>
                Pick
              </Typography>
            </TableCell>
            {header('name', 'Run')}
            {header('createdAt', 'Date')}
            {header('dataset', 'Dataset', 'left', 'Training and validation annotation files and classes; training / validation images')}
            {header('model', 'Backbone', 'left', 'Backbone; below it the training mode and the compute backend')}
            {header('seconds', 'Duration', 'right')}
            {header('status', 'Status')}
            {metricColumns.map((c) => header(c.key, c.label, 'right', c.title))}
          </TableRow>
        </TableHead>
        <TableBody>
          {rows.map((run) => {
            const order = selected.indexOf(run.runId);
            return (
              <TableRow
                key={run.runId}
                hover
                selected={order >= 0}
                data-testid="runs-row"
                data-run-id={run.runId}
                data-name={run.name}
                data-status={run.status}
              >
                <TableCell padding="checkbox" sx={{ px: 0.5 }}>
                  <Box sx={{ display: 'flex', alignItems: 'center' }}>
                    <Checkbox
                      size="small"
                      sx={{ p: 0.5 }}
                      checked={order >= 0}
                      onChange={() => onToggle(run.runId)}
                      slotProps={{ input: { 'aria-label': `Compare ${run.name}`, 'data-testid': 'runs-pick' } as object }}
                    />
                    <Typography variant="caption" color="text.secondary" sx={{ width: 12 }} aria-hidden>
                      {order >= 0 ? order + 1 : ''}
                    </Typography>
                  </Box>
                </TableCell>
                <TableCell sx={{ ...bodyCell, minWidth: editing === run.runId ? 230 : 150, maxWidth: 260 }}>
                  {editing === run.runId ? (
                    <NameEditor
                      name={run.name}
                      onDone={async (name) => {
                        setEditing(null);
                        if (name !== null && name !== run.name) await onRename(run.runId, name);
                      }}
                    />
                  ) : (
                    <Box sx={{ display: 'flex', alignItems: 'flex-start', gap: 0.5 }}>
                      <Box sx={{ minWidth: 0, flexGrow: 1 }}>
                        <Typography variant="body2" sx={{ fontWeight: 500, overflowWrap: 'break-word' }} data-testid="runs-name">
                          {run.name}
                        </Typography>
                        <Typography variant="caption" color="text.secondary" sx={{ fontFamily: 'monospace', overflowWrap: 'break-word' }}>
                          {run.runId}
                        </Typography>
                      </Box>
                      <Box sx={{ display: 'flex', flexShrink: 0 }}>
                        <IconButton
                          size="small"
                          aria-label={`Rename ${run.name}`}
                          title="Rename"
                          onClick={() => setEditing(run.runId)}
                          data-testid="runs-rename"
                        >
                          <EditIcon sx={{ fontSize: 16 }} />
                        </IconButton>
                        <span title={run.status === 'running' ? 'A running run cannot be deleted; cancel it first' : 'Delete'}>
                          <IconButton
                            size="small"
                            aria-label={`Delete ${run.name}`}
                            disabled={run.status === 'running'}
                            onClick={() => onDelete(run)}
                            data-testid="runs-delete"
                          >
                            <DeleteIcon sx={{ fontSize: 17 }} />
                          </IconButton>
                        </span>
                      </Box>
                    </Box>
                  )}
                </TableCell>
                <TableCell sx={{ ...bodyCell, whiteSpace: 'nowrap' }} title={run.createdAt}>
                  <Typography variant="body2">{formatRunDay(run.createdAt)}</Typography>
                  <Typography variant="caption" color="text.secondary">
                    {formatRunTime(run.createdAt)}
                  </Typography>
                </TableCell>
                <TableCell
                  sx={{ ...bodyCell, minWidth: 140, maxWidth: 200 }}
                  title={`Classes: ${run.dataset.categories.join(', ')}\nTraining: ${run.dataset.train.annotations} (${run.dataset.train.images})\nValidation: ${run.dataset.val.annotations} (${run.dataset.val.images})`}
                  data-testid="runs-dataset"
                >
                  <Typography variant="body2" sx={{ overflowWrap: 'break-word' }}>
                    {datasetLabel(run)}
                  </Typography>
                  <Typography variant="caption" color="text.secondary">
                    {formatCount(run.dataset.train.count)} / {formatCount(run.dataset.val.count)} images
                  </Typography>
                </TableCell>
                <TableCell sx={{ ...bodyCell, minWidth: 96, maxWidth: 150, overflowWrap: 'break-word' }} data-testid="runs-model">
                  {/* A line may break after an underscore: "mobilenet_v1_0.75" is too wide a column otherwise. */}
                  <Typography variant="body2">{run.backbone.replace(/_/g, '_\u200b')}</Typography>
                  <Typography variant="caption" color="text.secondary">
                    {run.mode} · {run.backend ?? 'no backend yet'}
                  </Typography>
                </TableCell>
                <TableCell sx={{ ...bodyCell, whiteSpace: 'nowrap' }} align="right">
                  {run.seconds === null ? '—' : formatDuration(run.seconds)}
                </TableCell>
                <TableCell sx={bodyCell}>
                  <Chip size="small" label={run.status} color={statusColor[run.status]} title={run.error ?? undefined} />
                </TableCell>
                {metricColumns.map((c) => {
                  const value = run.metrics === null ? null : run.metrics[c.key];
                  return (
                    <TableCell
                      key={c.key}
                      sx={{ ...bodyCell, px: 0.5 }}
                      align="right"
                      data-testid={`runs-${c.key}`}
                      data-value={value ?? ''}
                      title={
                        run.metrics === null
                          ? 'No validation scores are stored with this run (a run stores them when its training completes)'
                          : undefined
                      }
                    >
                      {formatRatio(value)}
                    </TableCell>
                  );
                })}
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

/** The name in a text field: Enter or ✓ saves, Escape or ✕ cancels, leaving the field saves. */
function NameEditor({ name, onDone }: { name: string; onDone: (name: string | null) => Promise<void> }): ReactNode {
  const [value, setValue] = useState(name);
  const finished = useRef(false);
  const finish = (save: boolean): void => {
    if (finished.current) return;
    finished.current = true;
    const trimmed = value.trim();
    void onDone(save && trimmed !== '' ? trimmed : null);
  };
  return (
    // The field takes the cell's whole width, its buttons below it, so that a long name shows.
    <Box sx={{ display: 'flex', flexDirection: 'column', alignItems: 'stretch' }}>
      <TextField
        fullWidth
        size="small"
        value={value}
        autoFocus
        onChange={(e) => setValue(e.target.value)}
        onFocus={(e) => e.target.select()}
        onBlur={() => finish(true)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') finish(true);
          if (e.key === 'Escape') finish(false);
        }}
        slotProps={{ htmlInput: { 'aria-label': 'Run name', 'data-testid': 'runs-name-input', maxLength: 200 } }}
        sx={{ '& input': { py: 0.5, fontSize: 14 } }}
      />
      <Box sx={{ display: 'flex', justifyContent: 'flex-end' }}>
        <IconButton size="small" aria-label="Save the name" onMouseDown={(e) => e.preventDefault()} onClick={() => finish(true)}>
          <CheckIcon sx={{ fontSize: 18 }} />
        </IconButton>
        <IconButton size="small" aria-label="Keep the old name" onMouseDown={(e) => e.preventDefault()} onClick={() => finish(false)}>
          <CloseIcon sx={{ fontSize: 18 }} />
        </IconButton>
      </Box>
    </Box>
  );
}
