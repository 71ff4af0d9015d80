import Box from '@mui/material/Box';
import Chip from '@mui/material/Chip';
import Dialog from '@mui/material/Dialog';
import DialogContent from '@mui/material/DialogContent';
import DialogTitle from '@mui/material/DialogTitle';
import IconButton from '@mui/material/IconButton';
import LinearProgress from '@mui/material/LinearProgress';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useMemo, type ReactNode } from 'react';
import type { ImageDetail, ImageSummary } from '../../../../shared/contract/dataset';
import { ErrorAlert } from '../../components/error-alert';
import { CloseIcon } from '../../components/icons';
import { useApi } from '../../rpc/api-context';
import { useRequest } from '../../rpc/use-request';
import { AnnotatedImage } from '../../components/images/annotated-image';
import { categoryColor, unselectedColor } from '../../components/category-colors';
import { useThumbnail } from '../../components/images/use-thumbnail';

const viewerSize = 1024;

/** One image large, with every COCO box drawn over it and a legend of the categories present. */
export function ImageDialog({
  fileId,
  imagesDir,
  folderVersion,
  image,
  categories,
  onClose,
}: {
  fileId: number;
  imagesDir: string | null;
  /** Changes when the images folder was found changed (see ThumbnailRequest). */
  folderVersion: number;
  image: ImageSummary;
  categories: readonly string[];
  onClose: () => void;
}): ReactNode {
  const api = useApi();
  const detail = useRequest(JSON.stringify({ fileId, imageId: image.id, categories }), (signal) =>
    api.dataset.image({ fileId, imageId: image.id, categories: [...categories] }, { signal }),
  );
  const picture = useThumbnail({ fileId, imageId: image.id, size: viewerSize, imagesDir, folderVersion });

  return (
    <Dialog open onClose={onClose} maxWidth="xl" aria-labelledby="image-dialog-title" data-testid="image-dialog" data-image-id={image.id}>
      <DialogTitle id="image-dialog-title" sx={{ pr: 6 }}>
        {image.fileName}
        <Typography component="span" variant="body2" color="text.secondary" sx={{ ml: 1 }}>
          {image.width} × {image.height} px · id {image.id}
        </Typography>
        <IconButton aria-label="Close" onClick={onClose} sx={{ position: 'absolute', right: 8, top: 8 }} data-testid="image-dialog-close">
          <CloseIcon />
        </IconButton>
      </DialogTitle>
      <DialogContent>
        {detail.loading && <LinearProgress aria-label="Loading image details" sx={{ mb: 1 }} />}
        {detail.error !== undefined && <ErrorAlert error={detail.error} sx={{ mb: 1 }} data-testid="image-dialog-error" />}
        <Stack spacing={1.5}>
          <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.5, alignItems: 'center' }} data-testid="image-dialog-labels">
            <Typography variant="body2" sx={{ mr: 0.5 }}>
              Labels:
            </Typography>
            {image.labels.length === 0 && (
              <Typography variant="body2" color="text.secondary">
                none of the selected classes
              </Typography>
            )}
            {image.labels.map((label) => (
              <Chip key={label} label={label} size="small" sx={{ bgcolor: categoryColor(categories.indexOf(label)), color: 'white' }} />
            ))}
          </Box>
          {detail.data !== undefined && (
            <>
              <Box sx={{ textAlign: 'center' }}>
                <AnnotatedImage detail={detail.data} image={picture} selected={categories} maxHeight="70vh" />
              </Box>
              <BoxLegend detail={detail.data} selected={categories} />
            </>
          )}
        </Stack>
      </DialogContent>
    </Dialog>
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
        This image has no annotated boxes.
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
        Bold: selected classes; grey: other categories{crowd ? '; dashed: crowd regions' : ''}.
      </Typography>
    </Box>
  );
}
