import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Skeleton from '@mui/material/Skeleton';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { ImageSummary } from '../../../../shared/contract/dataset';
import { ErrorAlert } from '../../components/error-alert';
import { formatCount } from '../../components/format';
import { ImageDialog } from './image-dialog';
import { ImageTile } from '../../components/images/image-tile';
import { useImagePages } from './use-image-pages';

const minTileWidth = 180;
const gap = 8;
const imageHeight = 150;
/** Thumbnail, file name and up to two lines of label chips. */
const rowHeight = imageHeight + 74 + gap;
const pageSize = 60;
const allClasses = '';

/** Width of an element, kept up to date as it resizes. */
function useElementWidth(element: HTMLElement | null): number {
  const [width, setWidth] = useState(0);
  useEffect(() => {
    if (element === null) return;
    const observer = new ResizeObserver((entries) => {
      const entry = entries[0];
      if (entry !== undefined) setWidth(entry.contentRect.width);
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [element]);
  return width;
}

/**
 * The subset's images as a virtualised grid: as many columns as fit, pages fetched as rows scroll
 * into view, a filter to one class, and a viewer with boxes on click.
 */
export function ImageBrowser({
  fileId,
  imagesDir,
  folderVersion,
  categories,
}: {
  fileId: number;
  imagesDir: string | null;
  /** Changes when the images folder was found changed: thumbnails shown as missing are asked for again. */
  folderVersion: number;
  categories: readonly string[];
}): ReactNode {
  const [filter, setFilter] = useState(allClasses);
  const filterCategory = filter !== allClasses && categories.includes(filter) ? filter : undefined;
  const [scroller, setScroller] = useState<HTMLDivElement | null>(null);
  const scrollerRef = useRef<HTMLDivElement | null>(null);
  const attachScroller = useCallback((element: HTMLDivElement | null) => {
    scrollerRef.current = element;
    setScroller(element);
  }, []);
  const width = useElementWidth(scroller);
  const columns = Math.max(1, Math.floor((width + gap) / (minTileWidth + gap)));
  const [open, setOpen] = useState<ImageSummary | null>(null);

  const query = useMemo(() => ({ fileId, categories, filterCategory }), [fileId, categories, filterCategory]);
  const [visible, setVisible] = useState({ first: 0, last: pageSize - 1 });
  const pages = useImagePages(query, visible, pageSize);
  const total = pages.total ?? 0;
  const rowCount = Math.ceil(total / columns);

  // The app does not run the React Compiler; the lint only says it would skip this component.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: rowCount,
    getScrollElement: () => scrollerRef.current,
    estimateSize: () => rowHeight,
    overscan: 3,
  });
  const rows = virtualizer.getVirtualItems();
  const firstRow = rows[0]?.index ?? 0;
  const lastRow = rows[rows.length - 1]?.index ?? 0;

  useEffect(() => {
    const next = { first: firstRow * columns, last: (lastRow + 1) * columns - 1 };
    setVisible((previous) => (previous.first === next.first && previous.last === next.last ? previous : next));
  }, [firstRow, lastRow, columns]);

  // A new subset or filter starts at the top.
  useEffect(() => {
    scrollerRef.current?.scrollTo({ top: 0 });
  }, [query]);

  const tileWidth = (width - gap * (columns - 1)) / columns;

  return (
    <Paper
      sx={{ p: 2 }}
      component="section"
      aria-labelledby="images-heading"
      data-testid="image-browser"
      data-total={pages.stale ? '' : (pages.total ?? '')}
      data-stale={pages.stale}
    >
      <Stack direction="row" spacing={2} sx={{ alignItems: 'center', mb: 2, flexWrap: 'wrap', rowGap: 1 }}>
        <Typography variant="h6" id="images-heading">
          Images
        </Typography>
        <TextField
          select
          size="small"
          label="Show"
          value={filterCategory ?? allClasses}
          onChange={(event) => setFilter(event.target.value)}
          sx={{ minWidth: 200 }}
          slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'image-filter' } }}
        >
          <MenuItem value={allClasses}>All classes</MenuItem>
          {categories.map((name) => (
            <MenuItem key={name} value={name}>
              {name}
            </MenuItem>
          ))}
        </TextField>
        <Typography variant="body2" color="text.secondary" data-testid="image-count">
          {pages.total === null
            ? pages.error === undefined
              ? 'Loading…'
              : ''
            : `${formatCount(pages.total)} image${pages.total === 1 ? '' : 's'}${filterCategory === undefined ? '' : ` with ${filterCategory}`}`}
        </Typography>
      </Stack>
      {pages.error !== undefined && (
        <ErrorAlert
          error={pages.error}
          data-testid="images-error"
          sx={{ mb: 2 }}
          action={
            <Button color="inherit" size="small" onClick={pages.retry}>
              Retry
            </Button>
          }
        />
      )}
      {pages.total === 0 && (
        <Typography color="text.secondary" sx={{ py: 2 }}>
          {categories.length === 0 ? 'Pick categories to browse their images.' : 'No images in this selection.'}
        </Typography>
      )}
      <Box
        ref={attachScroller}
        sx={{
          height: 'min(70vh, 720px)',
          overflowY: 'auto',
          position: 'relative',
          display: pages.total === 0 ? 'none' : 'block',
          opacity: pages.stale ? 0.6 : 1,
          transition: 'opacity 150ms',
        }}
        aria-busy={pages.stale}
        role="list"
        aria-label="Images of the subset"
        tabIndex={0}
      >
        <Box sx={{ height: virtualizer.getTotalSize(), position: 'relative', width: '100%' }}>
          {width > 0 &&
            rows.map((row) => (
              <Box
                key={row.key}
                sx={{
                  position: 'absolute',
                  top: 0,
                  left: 0,
                  width: '100%',
                  height: rowHeight - gap,
                  transform: `translateY(${row.start}px)`,
                  display: 'grid',
                  gridTemplateColumns: `repeat(${columns}, ${tileWidth}px)`,
                  columnGap: `${gap}px`,
                }}
              >
                {Array.from({ length: columns }, (_, column) => {
                  const index = row.index * columns + column;
                  if (index >= total) return null;
                  const image = pages.at(index);
                  return (
                    <Box key={column} role="listitem" sx={{ minWidth: 0 }}>
                      {image === undefined ? (
                        <Skeleton variant="rectangular" height={rowHeight - gap} sx={{ borderRadius: 1 }} />
                      ) : (
                        <ImageTile
                          fileId={fileId}
                          imagesDir={imagesDir}
                          folderVersion={folderVersion}
                          image={image}
                          classes={pages.categories}
                          imageHeight={imageHeight}
                          onOpen={setOpen}
                        />
                      )}
                    </Box>
                  );
                })}
              </Box>
            ))}
        </Box>
      </Box>
      {open !== null && (
        <ImageDialog
          fileId={fileId}
          imagesDir={imagesDir}
          folderVersion={folderVersion}
          image={open}
          categories={categories}
          onClose={() => setOpen(null)}
        />
      )}
    </Paper>
  );
}
