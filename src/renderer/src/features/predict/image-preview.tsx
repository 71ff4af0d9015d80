import Box from '@mui/material/Box';
import Typography from '@mui/material/Typography';
import { useState, type ReactNode } from 'react';

/**
 * An image at its own aspect ratio within a box of fixed height (as `imshow` shows it), or a grey box
 * saying why it is not shown: the browser cannot decode it, or it is a path on the service's machine
 * (the service sends scores for those, not pixels).
 */
export function ImagePreview({
  url,
  alt,
  height,
  size,
}: {
  url: string | null;
  alt: string;
  height: number;
  /** The image's size when known, to shape the placeholder. */
  size?: { width: number; height: number };
}): ReactNode {
  // The URL the browser could not decode (a broken file): a grey box instead of a broken-image icon.
  const [failed, setFailed] = useState<string | null>(null);
  if (url !== null && failed !== url) {
    return (
      <Box
        component="img"
        src={url}
        alt={alt}
        draggable={false}
        onError={() => setFailed(url)}
        sx={{ display: 'block', width: '100%', height, objectFit: 'contain', bgcolor: 'grey.100' }}
      />
    );
  }
  const [line, detail] =
    url !== null
      ? ['Cannot be shown', 'this browser cannot decode it']
      : [
          'Not shown here',
          size === undefined ? 'a file on the service’s machine' : `${size.width} × ${size.height}, a file on the service’s machine`,
        ];
  return (
    <Box sx={{ height, bgcolor: 'grey.100', display: 'flex', alignItems: 'center', justifyContent: 'center' }}>
      <Box
        data-testid={url !== null ? 'preview-failed' : 'preview-unavailable'}
        sx={{
          height: '100%',
          maxWidth: '100%',
          aspectRatio: size === undefined || url !== null ? '4 / 3' : `${size.width} / ${size.height}`,
          bgcolor: 'grey.300',
          color: 'text.secondary',
          display: 'flex',
          flexDirection: 'column',
          alignItems: 'center',
          justifyContent: 'center',
          textAlign: 'center',
          px: 1,
        }}
      >
        <Typography variant="body2">{line}</Typography>
        <Typography variant="caption">{detail}</Typography>
      </Box>
    </Box>
  );
}
