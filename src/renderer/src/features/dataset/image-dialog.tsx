import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Chip from '@mui/material/Chip';
import Dialog from '@mui/material/Dialog';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import IconButton from '@mui/material/IconButton';
import LinearProgress from '@mui/material/LinearProgress';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useMemo, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { ImageDetail, ImageSummary } from '../../../../shared/contract/dataset';
import { AppError } from '../../../../shared/contract/errors';
import type { EditRecordInfo } from '../../../../shared/contract/labels';
import { ErrorAlert } from '../../components/error-alert';
import { CheckIcon, CloseIcon } from '../../components/icons';
import { labelClientId } from '../../components/label-client';
import { useApi } from '../../rpc/api-context';
import { useRequest } from '../../rpc/use-request';
import { AnnotatedImage } from '../../components/images/annotated-image';
import { categoryColor, unselectedColor } from '../../components/category-colors';
import { useThumbnail } from '../../components/images/use-thumbnail';

const viewerSize = 1024;

/** The digit that toggles the category at `index` (1–9, then 0 for the tenth); null past the tenth. */
function digitOf(index: number): string | null {
  return index < 9 ? String(index + 1) : index === 9 ? '0' : null;
}

/**
 * One image large, with its COCO boxes and its labels as toggles. Digits toggle the selected
 * categories (1 for the first), the arrows go to the next or previous image of the browser's
 * filter, R marks it reviewed, Ctrl+Z undoes this window's last edit (Ctrl+Shift+Z or Ctrl+Y
 * redoes). Boxes of a category whose label was removed are not drawn.
 */
export function ImageDialog({
  fileId,
  imagesDir,
  folderVersion,
  image,
  categories,
  labelsVersion,
  onLabelsChanged,
  position,
  onStep,
  onClose,
}: {
  fileId: number;
  imagesDir: string | null;
  /** Changes when the images folder was found changed (see ThumbnailRequest). */
  folderVersion: number;
  image: ImageSummary;
  categories: readonly string[];
  /** Changes after every label edit: the image's labels are asked for again. */
  labelsVersion: number;
  onLabelsChanged: () => void;
  /** Where the image is among those the browser shows (0-based), and how many it shows. */
  position: { index: number; total: number } | null;
  /** Opens the next (1) or previous (-1) image of the browser's filter. */
  onStep: ((delta: 1 | -1) => void) | null;
  onClose: () => void;
}): ReactNode {
  const api = useApi();
  const client = labelClientId();
  const key = JSON.stringify({ fileId, imageId: image.id, categories, labelsVersion });
  const detail = useRequest(`detail:${key}`, (signal) =>
    api.dataset.image({ fileId, imageId: image.id, categories: [...categories] }, { signal }),
  );
  const labels = useRequest(`labels:${key}`, (signal) =>
    api.labels.image({ fileId, imageId: image.id, categories: [...categories], client }, { signal }),
  );
  const picture = useThumbnail({ fileId, imageId: image.id, size: viewerSize, imagesDir, folderVersion });
  const [busy, setBusy] = useState(false);
  const [editError, setEditError] = useState<AppError | undefined>(undefined);
  // Answers for another image or an older version are not this one's.
  const state = labels.data?.imageId === image.id ? labels.data : undefined;
  const shown = detail.data?.id === image.id ? detail.data : undefined;

  const change = (work: () => Promise<unknown>): void => {
    if (busy) return;
    setBusy(true);
    setEditError(undefined);
    work().then(
      () => {
        setBusy(false);
        onLabelsChanged();
      },
      (error: unknown) => {
        setBusy(false);
        setEditError(AppError.from(error));
      },
    );
  };
  const toggle = (category: string): void => {
    const current = state?.labels.find((l) => l.category === category);
    if (current === undefined) return;
    const edit = current.present ? { remove: [category] } : { add: [category] };
    change(() => api.labels.set({ fileId, imageRefs: [image.id], client, ...edit }));
  };
  const review = (): void => {
    if (state === undefined) return;
    change(() => api.labels.review({ fileId, imageIds: [image.id], reviewed: !state.reviewed, client }));
  };
  const undo = (): void => change(() => api.labels.undo({ fileId, client }));
  const redo = (): void => change(() => api.labels.redo({ fileId, client }));

  const onKeyDown = (event: KeyboardEvent): void => {
    const target = event.target as HTMLElement;
    if (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA') return;
    const command = event.ctrlKey || event.metaKey;
    const key = event.key.toLowerCase();
    if (command && key === 'z') {
      event.preventDefault();
      if (event.shiftKey) redo();
      else undo();
    } else if (command && key === 'y') {
      event.preventDefault();
      redo();
    } else if (command || event.altKey) {
      return;
    } else if (/^[0-9]$/.test(event.key)) {
      const index = event.key === '0' ? 9 : Number(event.key) - 1;
      const category = categories[index];
      if (category !== undefined) {
        event.preventDefault();
        toggle(category);
      }
    } else if (event.key === 'ArrowRight' && onStep !== null) {
      event.preventDefault();
      onStep(1);
    } else if (event.key === 'ArrowLeft' && onStep !== null) {
      event.preventDefault();
      onStep(-1);
    } else if (key === 'r') {
      event.preventDefault();
      review();
    }
  };

  // Boxes of a category whose label is absent now (removed by an edit) are not drawn.
  const drawn = useMemo((): ImageDetail | undefined => {
    if (shown === undefined) return undefined;
    const absent = new Set(shown.edits.filter((e) => !e.present).map((e) => e.category));
    return absent.size === 0 ? shown : { ...shown, boxes: shown.boxes.filter((b) => !absent.has(b.category)) };
  }, [shown]);

  return (
    <Dialog
      open
      onClose={onClose}
      maxWidth="xl"
      aria-labelledby="image-dialog-title"
      data-testid="image-dialog"
      data-image-id={image.id}
      onKeyDown={onKeyDown}
    >
      <DialogTitle id="image-dialog-title" sx={{ pr: 6 }}>
        {image.fileName}
        <Typography component="span" variant="body2" color="text.secondary" sx={{ ml: 1 }}>
          {image.width} × {image.height} px · id {image.id}
          {position !== null && ` · ${position.index + 1} of ${position.total.toLocaleString('en-US')}`}
        </Typography>
        <IconButton aria-label="Close" onClick={onClose} sx={{ position: 'absolute', right: 8, top: 8 }} data-testid="image-dialog-close">
          <CloseIcon />
        </IconButton>
      </DialogTitle>
      <DialogContent>
        <Box sx={{ height: 4, mb: 1 }}>
          {(detail.loading || labels.loading || busy) && <LinearProgress aria-label="Loading image details" />}
        </Box>
        {detail.error !== undefined && <ErrorAlert error={detail.error} sx={{ mb: 1 }} data-testid="image-dialog-error" />}
        {labels.error !== undefined && <ErrorAlert error={labels.error} sx={{ mb: 1 }} data-testid="image-dialog-error" />}
        {editError !== undefined && <ErrorAlert error={editError} sx={{ mb: 1 }} data-testid="label-edit-error" />}
        <Stack spacing={1.5}>
          <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.75, alignItems: 'center' }} data-testid="image-dialog-labels">
            <Typography variant="body2" sx={{ mr: 0.5 }}>
              Labels:
            </Typography>
            {categories.length === 0 && (
              <Typography variant="body2" color="text.secondary">
                pick categories to label them here
              </Typography>
            )}
            {categories.map((category, index) => {
              const label = state?.labels.find((l) => l.category === category);
              const present = label?.present ?? image.labels.includes(category);
              const edited = label !== undefined && label.present !== label.imported;
              const digit = digitOf(index);
              return (
                <Chip
                  key={category}
                  label={`${digit === null ? '' : `${digit} · `}${category}${edited ? ' (edited)' : ''}`}
                  size="small"
                  variant={present ? 'filled' : 'outlined'}
                  onClick={() => toggle(category)}
                  disabled={state === undefined || busy}
                  aria-pressed={present}
                  title={`${present ? 'Present' : 'Absent'}${edited ? ` (imported ${label.imported ? 'present' : 'absent'})` : ''}; click${digit === null ? '' : ` or press ${digit}`} to ${present ? 'remove' : 'add'} it`}
                  data-testid="label-toggle"
                  data-category={category}
                  data-present={present ? 'true' : 'false'}
                  data-edited={edited ? 'true' : 'false'}
                  sx={
                    present
                      ? { bgcolor: categoryColor(index), color: 'white', '&:hover': { bgcolor: categoryColor(index), opacity: 0.85 } }
                      : { borderColor: categoryColor(index), color: 'text.secondary', textDecoration: 'line-through' }
                  }
                />
              );
            })}
          </Box>
          <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1 }}>
            <Button
              size="small"
              variant={state?.reviewed === true ? 'contained' : 'outlined'}
              color="success"
              startIcon={state?.reviewed === true ? <CheckIcon /> : undefined}
              onClick={review}
              disabled={state === undefined || busy}
              data-testid="image-reviewed"
              data-reviewed={state?.reviewed === true ? 'true' : 'false'}
            >
              {state?.reviewed === true ? 'Reviewed' : 'Mark reviewed (R)'}
            </Button>
            <Button size="small" onClick={undo} disabled={busy || state?.undo?.undo == null} data-testid="label-undo">
              Undo
            </Button>
            <Button size="small" onClick={redo} disabled={busy || state?.undo?.redo == null} data-testid="label-redo">
              Redo
            </Button>
            {onStep !== null && (
              <>
                <Button size="small" onClick={() => onStep(-1)} disabled={position === null || position.index === 0}>
                  Previous (←)
                </Button>
                <Button size="small" onClick={() => onStep(1)} disabled={position === null || position.index + 1 >= position.total}>
                  Next (→)
                </Button>
              </>
            )}
            <Typography variant="caption" color="text.secondary">
              Digits toggle the labels; Ctrl+Z undoes this window’s last edit.
            </Typography>
          </Stack>
          {drawn !== undefined && (
            <>
              <Box sx={{ textAlign: 'center' }}>
                <AnnotatedImage detail={drawn} image={picture} selected={categories} maxHeight="62vh" />
              </Box>
              <BoxLegend detail={drawn} selected={categories} />
            </>
          )}
          {state !== undefined && <EditHistory history={state.history} />}
        </Stack>
      </DialogContent>
    </Dialog>
  );
}

/** The image's label edits, newest first. */
function EditHistory({ history }: { history: readonly EditRecordInfo[] }): ReactNode {
  if (history.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary" data-testid="image-history-empty">
        No label of this image has been edited; its labels are those of the annotation file.
      </Typography>
    );
  }
  return (
    <Box component="section" aria-label="Label history" data-testid="image-history">
      <Typography variant="subtitle2" component="h3">
        History
      </Typography>
      <Box component="ol" sx={{ m: 0, pl: 2.5 }}>
        {history.map((h) => (
          <Typography
            component="li"
            variant="body2"
            key={h.seq}
            data-undone={h.undone ? 'true' : 'false'}
            sx={{ textDecoration: h.undone || h.stale ? 'line-through' : 'none', color: h.undone ? 'text.secondary' : 'text.primary' }}
          >
            {h.present ? 'Added' : 'Removed'} <strong>{h.category}</strong>
            {h.source === 'suspect' ? ' (a run’s suspect, accepted)' : ''} · {new Date(h.createdAt).toLocaleString('en-GB')} · {h.client}
            {h.note !== null && h.source !== 'suspect' ? ` · “${h.note}”` : ''}
            {h.undone ? ' · undone' : ''}
          </Typography>
        ))}
      </Box>
    </Box>
  );
}

function BoxLegend({ detail, selected }: { detail: ImageDetail; selected: readonly string[] }): ReactNode {
  const entries = useMemo(() => {
    const counts = new Map<string, number>();
    for (const b of detail.boxes) counts.set(b.category, (counts.get(b.category) ?? 0) + 1);
    return [...counts.entries()]
      .map(([category, count]) => ({ category, count, index: selected.indexOf(category) }))
      .sort((a, b) => (a.index < 0 ? 1e9 : a.index) - (b.index < 0 ? 1e9 : b.index) || a.category.localeCompare(b.category));
  }, [detail, selected]);
  const crowd = detail.boxes.some((b) => b.iscrowd);

  if (entries.length === 0) {
    return (
      <Typography variant="body2" color="text.secondary">
        This image has no annotated boxes{detail.edits.length > 0 ? ' of a label it still has' : ''}.
      </Typography>
    );
  }
  return (
    <Box
      component="ul"
      aria-label="Legend"
      data-testid="box-legend"
      sx={{ display: 'flex', flexWrap: 'wrap', gap: 2, m: 0, p: 0, listStyle: 'none' }}
    >
      {entries.map(({ category, count, index }) => (
        <Box component="li" key={category} sx={{ display: 'flex', alignItems: 'center', gap: 0.75 }} data-category={category}>
          <Box
            sx={{
              width: 14,
              height: 14,
              border: index >= 0 ? 3 : 1,
              borderColor: index >= 0 ? categoryColor(index) : unselectedColor,
              borderRadius: 0.5,
            }}
          />
          <Typography variant="body2" sx={{ fontWeight: index >= 0 ? 600 : 400 }} color={index >= 0 ? 'text.primary' : 'text.secondary'}>
            {category} × {count}
          </Typography>
        </Box>
      ))}
      <Typography component="li" variant="caption" color="text.secondary" sx={{ alignSelf: 'center' }}>
        Bold: selected classes; grey: other categories{crowd ? '; dashed: crowd regions' : ''}; a removed label’s boxes are hidden.
      </Typography>
    </Box>
  );
}
