import Box from '@mui/material/Box';
import ButtonBase from '@mui/material/ButtonBase';
import Chip from '@mui/material/Chip';
import Skeleton from '@mui/material/Skeleton';
import Typography from '@mui/material/Typography';
import { memo, type MouseEvent, type ReactNode } from 'react';
import type { ImageSummary } from '../../../../shared/contract/dataset';
import { categoryColor } from '../category-colors';
import type { ThumbnailState } from './thumbnail-cache';
import { useThumbnail } from './use-thumbnail';

// Tiles are up to ~370 CSS px wide: 384 px keeps them sharp, twice that on HiDPI screens. Two fixed
// sizes keep the thumbnail cache on disk small and shared.
export const thumbnailSize = typeof window !== 'undefined' && window.devicePixelRatio > 1 ? 768 : 384;

/** Shows a thumbnail, or a grey tile saying why there is none. */
export function ThumbnailImage({ state, alt, height }: { state: ThumbnailState; alt: string; height: number }): ReactNode {
  if (state.status === 'loading') return <Skeleton variant="rectangular" height={height} width="100%" sx={{ flexShrink: 0 }} />;
  if (state.status === 'ready') {
    return (
      <Box
        component="img"
        src={state.url}
        alt={alt}
        sx={{ display: 'block', width: '100%', height, flexShrink: 0, objectFit: 'contain', bgcolor: 'grey.100' }}
        draggable={false}
      />
    );
  }
  const missing = state.status === 'missing';
  return (
    <Box
      title={state.message}
      data-testid={missing ? 'thumbnail-missing' : 'thumbnail-error'}
      sx={{
        height,
        flexShrink: 0,
        width: '100%',
        bgcolor: 'grey.300',
        color: 'text.secondary',
        display: 'flex',
        alignItems: 'center',
        justifyContent: 'center',
        textAlign: 'center',
        px: 1,
      }}
    >
      <Typography variant="body2">{missing ? 'missing' : 'cannot show'}</Typography>
    </Box>
  );
}

/**
 * One image of the grid: thumbnail, file name and its labels among the selected classes, with an
 * "edited" badge when label edits changed its labels and a mark when it was reviewed. With
 * `onSelect`, a check box in its corner selects it (shift: a range).
 */
export const ImageTile = memo(function ImageTile({
  fileId,
  imagesDir,
  folderVersion,
  image,
  classes,
  imageHeight,
  onOpen,
  selected,
  onSelect,
}: {
  fileId: number;
  imagesDir: string | null;
  /** Changes when the images folder was found changed (see ThumbnailRequest). */
  folderVersion: number;
  image: ImageSummary;
  classes: readonly string[];
  imageHeight: number;
  onOpen: (image: ImageSummary) => void;
  selected?: boolean;
  /** Toggles the image in a selection; `range`: from the last one toggled (shift-click). */
  onSelect?: (image: ImageSummary, range: boolean) => void;
}): ReactNode {
  const thumbnail = useThumbnail({ fileId, imageId: image.id, size: thumbnailSize, imagesDir, folderVersion });
  const tile = (
    <ButtonBase
      onClick={() => onOpen(image)}
      focusRipple
      aria-label={`Open ${image.fileName}: ${image.labels.join(', ')}`}
      data-testid="image-tile"
      data-image-id={image.id}
      data-file-name={image.fileName}
      data-thumbnail={thumbnail.status}
      data-edited={image.edited === true ? 'true' : 'false'}
      data-reviewed={image.reviewed === true ? 'true' : 'false'}
      data-selected={selected === true ? 'true' : 'false'}
      sx={{
        display: 'flex',
        flexDirection: 'column',
        alignItems: 'stretch',
        justifyContent: 'flex-start',
        width: '100%',
        height: '100%',
        textAlign: 'left',
        border: selected === true ? 2 : 1,
        borderColor: selected === true ? 'primary.main' : 'divider',
        borderRadius: 1,
        overflow: 'hidden',
        bgcolor: 'background.paper',
      }}
    >
      <ThumbnailImage state={thumbnail} alt={image.fileName} height={imageHeight} />
      <Box sx={{ p: 0.5, minHeight: 0, overflow: 'hidden' }}>
        <Typography variant="caption" color="text.secondary" noWrap component="div" title={image.fileName}>
          {image.fileName}
        </Typography>
        <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.5 }}>
          {image.labels.map((label) => (
            <Chip
              key={label}
              label={label}
              size="small"
              variant="outlined"
              sx={{ height: 18, fontSize: 11, borderColor: categoryColor(classes.indexOf(label)), '& .MuiChip-label': { px: 0.75 } }}
            />
          ))}
        </Box>
      </Box>
    </ButtonBase>
  );
  const badges = image.edited === true || image.reviewed === true;
  if (onSelect === undefined && !badges) return tile;
  return (
    <Box sx={{ position: 'relative', width: '100%', height: '100%', '&:hover .tile-select, & .tile-select.on': { opacity: 1 } }}>
      {tile}
      {badges && (
        <Box sx={{ position: 'absolute', top: 4, right: 4, display: 'flex', gap: 0.5, pointerEvents: 'none' }}>
          {image.edited === true && (
            <Chip label="edited" size="small" color="warning" data-testid="tile-edited" sx={{ height: 18, fontSize: 11 }} />
          )}
          {image.reviewed === true && (
            <Chip label="reviewed" size="small" color="success" data-testid="tile-reviewed" sx={{ height: 18, fontSize: 11 }} />
          )}
        </Box>
      )}
      {onSelect !== undefined && (
        <Box
          component="input"
          type="checkbox"
          className={selected === true ? 'tile-select on' : 'tile-select'}
          checked={selected === true}
          aria-label={`Select ${image.fileName}`}
          data-testid="tile-select"
          onChange={() => undefined}
          onClick={(event: MouseEvent<HTMLInputElement>) => {
            event.stopPropagation();
            onSelect(image, event.shiftKey);
          }}
          sx={{ position: 'absolute', top: 6, left: 6, width: 18, height: 18, m: 0, cursor: 'pointer', opacity: 0.35 }}
        />
      )}
    </Box>
  );
});
