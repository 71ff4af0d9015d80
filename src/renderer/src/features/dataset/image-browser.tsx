import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import MenuItem from '@mui/material/MenuItem';
import Paper from '@mui/material/Paper';
import Skeleton from '@mui/material/Skeleton';
import Stack from '@mui/material/Stack';
import TextField from '@mui/material/TextField';
import Typography from '@mui/material/Typography';
import { alpha } from '@mui/material/styles';
import { useVirtualizer } from '@tanstack/react-virtual';
import { memo, type ReactNode, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ImageSummary } from '../../../../shared/contract/dataset';
import { AppError } from '../../../../shared/contract/errors';
import { ErrorAlert } from '../../components/error-alert';
import { formatCount } from '../../components/format';
import { labelClientId } from '../../components/label-client';
import { useApi } from '../../rpc/api-context';
import { ImageDialog } from './image-dialog';
import { ImageTile } from '../../components/images/image-tile';
import { imagesFilter, useImagePages, type ReviewFilter } from './use-image-pages';
import { useBoxSelection } from './use-box-selection';

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
 * into view, a filter to one class and one to reviewed or edited images, a viewer with boxes and
 * label toggles on click, and a selection (check boxes, shift for a range, or a box dragged over the
 * tiles) whose labels can be changed together.
 */
export const ImageBrowser = memo(function ImageBrowser({
  fileId,
  imagesDir,
  folderVersion,
  categories,
  labelsVersion,
  onLabelsChanged,
}: {
  fileId: number;
  imagesDir: string | null;
  /** Changes when the images folder was found changed: thumbnails shown as missing are asked for again. */
  folderVersion: number;
  categories: readonly string[];
  /** Changes after every label edit: the pages are asked for again. */
  labelsVersion: number;
  onLabelsChanged: () => void;
}): ReactNode {
  const api = useApi();
  const [filter, setFilter] = useState(allClasses);
  const [review, setReview] = useState<ReviewFilter>('all');
  const filterCategory = filter !== allClasses && categories.includes(filter) ? filter : undefined;
  const [scroller, setScroller] = useState<HTMLDivElement | null>(null);
  const scrollerRef = useRef<HTMLDivElement | null>(null);
  const attachScroller = useCallback((element: HTMLDivElement | null) => {
    scrollerRef.current = element;
    setScroller(element);
  }, []);
  const width = useElementWidth(scroller);
  const columns = Math.max(1, Math.floor((width + gap) / (minTileWidth + gap)));
  const [open, setOpen] = useState<{ index: number; image: ImageSummary } | null>(null);

  const query = useMemo(() => ({ fileId, categories, filterCategory, review }), [fileId, categories, filterCategory, review]);
  const [visible, setVisible] = useState({ first: 0, last: pageSize - 1 });
  const pages = useImagePages(query, visible, pageSize, labelsVersion);
  const total = pages.total ?? 0;
  const selection = useSelection(query);

  /** The image at a position of the current query: from the pages at hand, or asked for. */
  const imageAt = useCallback(
    async (index: number): Promise<ImageSummary | undefined> =>
      pages.at(index) ??
      (
        await api.dataset.images({
          fileId,
          categories: [...categories],
          filterCategory,
          ...imagesFilter(review),
          offset: index,
          limit: 1,
        })
      ).items[0],
    [api, pages, fileId, categories, filterCategory, review],
  );
  const step = useCallback(
    (delta: 1 | -1) => {
      if (open === null) return;
      const index = open.index + delta;
      if (index < 0 || index >= total) return;
      imageAt(index).then(
        (image) => {
          if (image !== undefined) setOpen({ index, image });
        },
        () => undefined,
      );
    },
    [open, total, imageAt],
  );
  const onOpen = useCallback((image: ImageSummary, index: number) => setOpen({ index, image }), []);
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

  // Box selection: the selection when the drag started, and the touched tiles added to it (or, with
  // Ctrl/Cmd, toggled in it). While dragging only the images at hand count; the release asks for the rest.
  const [content, setContent] = useState<HTMLDivElement | null>(null);
  const boxBase = useRef<ReadonlySet<number>>(new Set());
  const boxRun = useRef(0);
  const geometry = useMemo(
    () => ({ columns, tileWidth, tileHeight: rowHeight - gap, columnGap: gap, rowPitch: rowHeight, total }),
    [columns, tileWidth, total],
  );
  const combine = (images: readonly (ImageSummary | undefined)[], toggle: boolean): ReadonlySet<number> => {
    const ids = new Set(boxBase.current);
    for (const image of images) {
      if (image === undefined) continue;
      if (toggle && boxBase.current.has(image.id)) ids.delete(image.id);
      else ids.add(image.id);
    }
    return ids;
  };
  const boxSelection = useBoxSelection({
    scroller,
    content,
    geometry,
    onStart: () => {
      boxBase.current = selection.ids;
      boxRun.current += 1;
    },
    onBox: (indices, toggle, final) => {
      if (!final) {
        selection.replace(
          combine(
            indices.map((index) => pages.at(index)),
            toggle,
          ),
        );
        return;
      }
      const run = boxRun.current;
      void Promise.all(indices.map((index) => imageAt(index).catch(() => undefined))).then((images) => {
        if (run === boxRun.current) selection.replace(combine(images, toggle));
      });
    },
  });

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
        <TextField
          select
          size="small"
          label="Review"
          value={review}
          onChange={(event) => setReview(event.target.value as ReviewFilter)}
          sx={{ minWidth: 170 }}
          slotProps={{ inputLabel: { shrink: true }, htmlInput: { 'data-testid': 'review-filter' } }}
        >
          <MenuItem value="all">All images</MenuItem>
          <MenuItem value="reviewed">Reviewed</MenuItem>
          <MenuItem value="unreviewed">Not reviewed</MenuItem>
          <MenuItem value="edited">Labels edited</MenuItem>
        </TextField>
        <Typography variant="body2" color="text.secondary" data-testid="image-count">
          {pages.total === null
            ? pages.error === undefined
              ? 'Loading…'
              : ''
            : `${formatCount(pages.total)} image${pages.total === 1 ? '' : 's'}${filterCategory === undefined ? '' : ` with ${filterCategory}`}`}
        </Typography>
      </Stack>
      <SelectionBar
        fileId={fileId}
        categories={categories}
        selected={selection.ids}
        onClear={selection.clear}
        onLabelsChanged={onLabelsChanged}
      />
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
        <Typography color="text.secondary" sx={{ py: 2 }} data-testid="images-empty">
          {categories.length === 0
            ? 'Pick categories to browse their images.'
            : review === 'reviewed'
              ? 'No image of this selection has been marked reviewed yet: open one and press R.'
              : review === 'edited'
                ? 'No label of an image of this selection has been edited.'
                : review === 'unreviewed'
                  ? 'Every image of this selection has been reviewed.'
                  : 'No images in this selection.'}
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
        onPointerDown={boxSelection.onPointerDown}
        onClickCapture={boxSelection.onClickCapture}
      >
        <Box ref={setContent} sx={{ height: virtualizer.getTotalSize(), position: 'relative', width: '100%' }}>
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
                        <IndexedTile
                          fileId={fileId}
                          imagesDir={imagesDir}
                          folderVersion={folderVersion}
                          image={image}
                          classes={pages.categories}
                          imageHeight={imageHeight}
                          index={index}
                          onOpenAt={onOpen}
                          selected={selection.ids.has(image.id)}
                          onSelectAt={(picked, range) => selection.toggle(picked, index, range, imageAt)}
                        />
                      )}
                    </Box>
                  );
                })}
              </Box>
            ))}
          {boxSelection.box !== null && (
            <Box
              data-testid="selection-box"
              aria-hidden
              sx={{
                position: 'absolute',
                left: boxSelection.box.left,
                top: boxSelection.box.top,
                width: boxSelection.box.right - boxSelection.box.left,
                height: boxSelection.box.bottom - boxSelection.box.top,
                border: 1,
                borderColor: 'primary.main',
                bgcolor: (theme) => alpha(theme.palette.primary.main, 0.15),
                pointerEvents: 'none',
                zIndex: 2,
              }}
            />
          )}
        </Box>
      </Box>
      {open !== null && (
        <ImageDialog
          fileId={fileId}
          imagesDir={imagesDir}
          folderVersion={folderVersion}
          image={open.image}
          categories={categories}
          labelsVersion={labelsVersion}
          onLabelsChanged={onLabelsChanged}
          position={pages.total === null ? null : { index: open.index, total: pages.total }}
          onStep={step}
          onClose={() => setOpen(null)}
        />
      )}
    </Paper>
  );
});

/** An ImageTile that knows its position in the grid, for opening and range selection. */
function IndexedTile({
  index,
  onOpenAt,
  onSelectAt,
  ...tile
}: Omit<Parameters<typeof ImageTile>[0], 'onOpen' | 'onSelect'> & {
  index: number;
  onOpenAt: (image: ImageSummary, index: number) => void;
  onSelectAt: (image: ImageSummary, range: boolean) => void;
}): ReactNode {
  const onOpen = useCallback((image: ImageSummary) => onOpenAt(image, index), [onOpenAt, index]);
  return <ImageTile {...tile} onOpen={onOpen} onSelect={onSelectAt} />;
}

/** The images ticked in the grid (by id), and the position of the last one ticked, for shift-click ranges. */
function useSelection(query: unknown): {
  ids: ReadonlySet<number>;
  toggle: (image: ImageSummary, index: number, range: boolean, imageAt: (index: number) => Promise<ImageSummary | undefined>) => void;
  clear: () => void;
  /** Makes `ids` the selection (a box drawn over the grid); the shift-click anchor stays. */
  replace: (ids: ReadonlySet<number>) => void;
} {
  const [state, setState] = useState<{ key: string; ids: ReadonlySet<number>; anchor: number | null }>({
    key: '',
    ids: new Set(),
    anchor: null,
  });
  // A new subset or filter starts with nothing selected.
  const key = JSON.stringify(query);
  const current = state.key === key ? state : { key, ids: new Set<number>(), anchor: null };
  const toggle = (
    image: ImageSummary,
    index: number,
    range: boolean,
    imageAt: (index: number) => Promise<ImageSummary | undefined>,
  ): void => {
    const anchor = current.anchor;
    if (!range || anchor === null) {
      const ids = new Set(current.ids);
      if (ids.has(image.id)) ids.delete(image.id);
      else ids.add(image.id);
      setState({ key, ids, anchor: index });
      return;
    }
    // Shift: every image from the last one ticked to this one is selected.
    const from = Math.min(anchor, index);
    const to = Math.max(anchor, index);
    void Promise.all(Array.from({ length: to - from + 1 }, (_, k) => imageAt(from + k).catch(() => undefined))).then((images) => {
      setState((previous) => {
        const ids = new Set(previous.key === key ? previous.ids : []);
        for (const picked of images) if (picked !== undefined) ids.add(picked.id);
        return { key, ids, anchor: index };
      });
    });
  };
  return {
    ids: current.ids,
    toggle,
    clear: () => setState({ key, ids: new Set(), anchor: null }),
    replace: (ids) => setState((previous) => ({ key, ids, anchor: previous.key === key ? previous.anchor : null })),
  };
}

/** What can be done to the selected images together: add or remove one label, mark them reviewed. */
function SelectionBar({
  fileId,
  categories,
  selected,
  onClear,
  onLabelsChanged,
}: {
  fileId: number;
  categories: readonly string[];
  selected: ReadonlySet<number>;
  onClear: () => void;
  onLabelsChanged: () => void;
}): ReactNode {
  const api = useApi();
  const [category, setCategory] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<AppError | undefined>(undefined);
  const [done, setDone] = useState<string | null>(null);
  if (selected.size === 0) {
    return (
      <Typography variant="caption" color="text.secondary" component="p" sx={{ mb: 1 }}>
        Tick images (shift-click for a range) or drag a box over them (Ctrl/Cmd toggles) to change a label of all of them at once.
      </Typography>
    );
  }
  const chosen = categories.includes(category) ? category : (categories[0] ?? '');
  const run = (work: () => Promise<string>): void => {
    setBusy(true);
    setError(undefined);
    work().then(
      (message) => {
        setBusy(false);
        setDone(message);
        onLabelsChanged();
      },
      (caught: unknown) => {
        setBusy(false);
        setError(AppError.from(caught));
      },
    );
  };
  const imageRefs = [...selected];
  const client = labelClientId();
  const count = `${formatCount(selected.size)} image${selected.size === 1 ? '' : 's'}`;
  return (
    <Box sx={{ mb: 1.5 }} data-testid="selection-bar" data-selected={selected.size}>
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center', flexWrap: 'wrap', rowGap: 1 }}>
        <Typography variant="body2" sx={{ fontWeight: 600 }}>
          {count} selected
        </Typography>
        <TextField
          select
          size="small"
          label="Label"
          value={chosen}
          onChange={(event) => setCategory(event.target.value)}
          sx={{ minWidth: 160 }}
          slotProps={{ htmlInput: { 'data-testid': 'selection-label' } }}
        >
          {categories.map((name) => (
            <MenuItem key={name} value={name}>
              {name}
            </MenuItem>
          ))}
        </TextField>
        <Button
          size="small"
          variant="outlined"
          disabled={busy || chosen === ''}
          data-testid="selection-add"
          onClick={() =>
            run(async () => {
              const r = await api.labels.set({ fileId, imageRefs, add: [chosen], client });
              return `Added ${chosen} to ${count} (${r.changed} changed).`;
            })
          }
        >
          Add to all
        </Button>
        <Button
          size="small"
          variant="outlined"
          disabled={busy || chosen === ''}
          data-testid="selection-remove"
          onClick={() =>
            run(async () => {
              const r = await api.labels.set({ fileId, imageRefs, remove: [chosen], client });
              return `Removed ${chosen} from ${count} (${r.changed} changed).`;
            })
          }
        >
          Remove from all
        </Button>
        <Button
          size="small"
          disabled={busy}
          data-testid="selection-reviewed"
          onClick={() =>
            run(async () => {
              await api.labels.review({ fileId, imageIds: imageRefs, reviewed: true, client });
              return `Marked ${count} reviewed.`;
            })
          }
        >
          Mark reviewed
        </Button>
        <Button size="small" disabled={busy} onClick={onClear} data-testid="selection-clear">
          Clear selection
        </Button>
      </Stack>
      {done !== null && (
        <Typography variant="body2" color="text.secondary" sx={{ mt: 0.5 }} data-testid="selection-done">
          {done} One undo in the image viewer takes it back.
        </Typography>
      )}
      {error !== undefined && <ErrorAlert error={error} sx={{ mt: 1 }} />}
    </Box>
  );
}
