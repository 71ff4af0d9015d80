import Box from '@mui/material/Box';
import ButtonBase from '@mui/material/ButtonBase';
import Typography from '@mui/material/Typography';
import { memo, type ReactNode } from 'react';
import { thumbnailSize, ThumbnailImage } from '../../components/images/image-tile';
import { useThumbnail } from '../../components/images/use-thumbnail';
import { formatScore } from '../../components/format-metric';

const imageHeight = 128;

/** One image of an error gallery: its thumbnail (or its name when the annotation file is gone) and the class's score. */
export const ScoreTile = memo(function ScoreTile({
  row,
  fileId,
  imageId,
  fileName,
  imagesDir,
  score,
  testId,
  onOpen,
}: {
  row: number;
  fileId: number | null;
  imageId: number;
  fileName: string;
  imagesDir: string;
  score: number;
  testId: string;
  onOpen: (row: number) => void;
}): ReactNode {
  const name = fileName === '' ? `image ${imageId}` : fileName;
  return (
    <ButtonBase
      onClick={() => onOpen(row)}
      focusRipple
      aria-label={`Open ${name}: score ${formatScore(score)}`}
      data-testid={testId}
      data-row={row}
      data-image-id={imageId}
      data-score={score}
      sx={{
        display: 'flex',
        flexDirection: 'column',
        alignItems: 'stretch',
        justifyContent: 'flex-start',
        width: '100%',
        textAlign: 'left',
        border: 1,
        borderColor: 'divider',
        borderRadius: 1,
        overflow: 'hidden',
        bgcolor: 'background.paper',
      }}
    >
      {fileId === null ? (
        <Box
          sx={{
            height: imageHeight,
            bgcolor: 'grey.200',
            color: 'text.secondary',
            display: 'flex',
            alignItems: 'center',
            justifyContent: 'center',
            textAlign: 'center',
            px: 1,
          }}
        >
          <Typography variant="body2">{name}</Typography>
        </Box>
      ) : (
        <Thumbnail fileId={fileId} imageId={imageId} imagesDir={imagesDir} alt={name} />
      )}
      <Box sx={{ px: 0.75, py: 0.5, display: 'flex', gap: 1, alignItems: 'baseline' }}>
        <Typography variant="caption" color="text.secondary" noWrap title={name} sx={{ flex: 1, minWidth: 0 }}>
          {name}
        </Typography>
        <Typography variant="body2" sx={{ fontVariantNumeric: 'tabular-nums', fontWeight: 600 }}>
          {formatScore(score)}
        </Typography>
      </Box>
    </ButtonBase>
  );
});

function Thumbnail({ fileId, imageId, imagesDir, alt }: { fileId: number; imageId: number; imagesDir: string; alt: string }): ReactNode {
  const state = useThumbnail({ fileId, imageId, size: thumbnailSize, imagesDir });
  return <ThumbnailImage state={state} alt={alt} height={imageHeight} />;
}
