import Box from '@mui/material/Box';
import Skeleton from '@mui/material/Skeleton';
import Typography from '@mui/material/Typography';
import type { ReactNode } from 'react';
import type { ImageDetail } from '../../../../shared/contract/dataset';
import { categoryColor, unselectedColor } from '../category-colors';
import type { ThumbnailState } from './thumbnail-cache';

type CocoBox = ImageDetail['boxes'][number];

/**
 * An image with its COCO boxes as an SVG overlay. The overlay's viewBox is the original image's
 * pixel size, so boxes (given in original pixels) scale with whatever size the image is shown at.
 * Boxes of selected classes are drawn in their class colour on top; others thin and grey.
 */
export function AnnotatedImage({
  detail,
  image,
  selected,
  maxHeight,
}: {
  detail: ImageDetail;
  image: ThumbnailState;
  selected: readonly string[];
  maxHeight: string;
}): ReactNode {
  const { width, height } = detail;
  const isSelected = (b: CocoBox): boolean => selected.includes(b.category);
  // Unselected first, so the selected boxes and their names are on top.
  const ordered = [...detail.boxes].sort((a, b) => Number(isSelected(a)) - Number(isSelected(b)));
  const fontSize = Math.max(10, Math.round(Math.max(width, height) / 45));

  return (
    <Box sx={{ position: 'relative', display: 'inline-block', maxWidth: '100%', lineHeight: 0 }} data-testid="annotated-image">
      {image.status === 'ready' ? (
        <Box
          component="img"
          src={image.url}
          alt={`${detail.fileName}: ${detail.labels.join(', ')}`}
          sx={{ display: 'block', maxWidth: '100%', maxHeight, width: 'auto', height: 'auto' }}
        />
      ) : (
        <Box
          sx={{
            width: `min(100%, ${width}px, calc(${maxHeight} * ${width / height}))`,
            aspectRatio: `${width} / ${height}`,
            bgcolor: 'grey.300',
            display: 'flex',
            alignItems: 'center',
            justifyContent: 'center',
            lineHeight: 1.5,
          }}
          style={{ minWidth: 320 }}
          data-testid={image.status === 'missing' ? 'image-missing' : undefined}
        >
          {image.status === 'loading' ? (
            <Skeleton variant="rectangular" sx={{ position: 'absolute', inset: 0, height: '100%' }} />
          ) : (
            <Typography color="text.secondary" sx={{ p: 2, textAlign: 'center' }}>
              {image.message}
            </Typography>
          )}
        </Box>
      )}
      <svg
        viewBox={`0 0 ${width} ${height}`}
        preserveAspectRatio="none"
        style={{ position: 'absolute', inset: 0, width: '100%', height: '100%', overflow: 'visible', pointerEvents: 'none' }}
        data-testid="image-boxes"
        data-box-count={detail.boxes.length}
        aria-label={`${detail.boxes.length} annotated boxes`}
        role="img"
      >
        {ordered.map((b) => {
          const on = isSelected(b);
          const color = on ? categoryColor(selected.indexOf(b.category)) : unselectedColor;
          const [x, y, w, h] = b.bbox;
          return (
            <g key={b.annotationId} data-category={b.category} data-selected={on ? 'true' : 'false'}>
              <rect
                x={x}
                y={y}
                width={w}
                height={h}
                fill={on ? color : 'none'}
                fillOpacity={on ? 0.08 : 0}
                stroke={color}
                strokeWidth={on ? 3 : 1}
                strokeDasharray={b.iscrowd ? '6 4' : undefined}
                vectorEffect="non-scaling-stroke"
                opacity={on ? 1 : 0.8}
              />
              {on && (
                <text
                  x={x + 2}
                  y={Math.max(fontSize, y - 3)}
                  fontSize={fontSize}
                  fill={color}
                  stroke="white"
                  strokeWidth={fontSize / 5}
                  paintOrder="stroke"
                  fontFamily="system-ui, sans-serif"
                  fontWeight={600}
                >
                  {b.iscrowd ? `${b.category} (crowd)` : b.category}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </Box>
  );
}
