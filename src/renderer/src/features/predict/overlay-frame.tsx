import Box from '@mui/material/Box';
import type { ReactNode } from 'react';

/**
 * An image at its own aspect ratio, at most `height` tall and as wide as its tile allows, with an
 * optional marker at a point given in the image's own pixels (the Grad-CAM peak).
 */
export function OverlayFrame({
  url,
  alt,
  width,
  height,
  maxHeight,
  peak,
  children,
}: {
  url: string | null;
  alt: string;
  /** The image's own size (the peak is in its pixels). */
  width: number;
  height: number;
  maxHeight: number;
  peak?: readonly [number, number];
  /** Shown instead of the image when there is no URL. */
  children?: ReactNode;
}): ReactNode {
  const ratio = width > 0 && height > 0 ? width / height : 4 / 3;
  return (
    <Box
      sx={{
        position: 'relative',
        width: `min(100%, ${(maxHeight * ratio).toFixed(1)}px)`,
        aspectRatio: `${ratio}`,
        mx: 'auto',
        bgcolor: 'grey.200',
        overflow: 'hidden',
      }}
    >
      {url !== null ? (
        <Box component="img" src={url} alt={alt} draggable={false} sx={{ display: 'block', width: '100%', height: '100%' }} />
      ) : (
        children
      )}
      {peak !== undefined && (
        <Box
          data-testid="gradcam-peak"
          data-x={peak[0]}
          data-y={peak[1]}
          title={`Peak at (${peak[0].toFixed(0)}, ${peak[1].toFixed(0)})`}
          sx={{
            position: 'absolute',
            left: `${(peak[0] / width) * 100}%`,
            top: `${(peak[1] / height) * 100}%`,
            width: 18,
            height: 18,
            transform: 'translate(-50%, -50%)',
            borderRadius: '50%',
            border: '2px solid #fff',
            boxShadow: '0 0 0 1.5px rgba(0,0,0,0.85)',
            pointerEvents: 'none',
            '&::before, &::after': { content: '""', position: 'absolute', bgcolor: '#fff', boxShadow: '0 0 0 1px rgba(0,0,0,0.6)' },
            '&::before': { left: '50%', top: -9, bottom: -9, width: 2, ml: '-1px' },
            '&::after': { top: '50%', left: -9, right: -9, height: 2, mt: '-1px' },
          }}
        />
      )}
    </Box>
  );
}
