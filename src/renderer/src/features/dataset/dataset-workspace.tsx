import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import CircularProgress from '@mui/material/CircularProgress';
import Paper from '@mui/material/Paper';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useCallback, useDeferredValue, useLayoutEffect, useMemo, useRef, useState, type CSSProperties, type ReactNode } from 'react';
import type { CocoDownloadResult } from '../../../../shared/contract/coco';
import type { ImportedFile, IngestResult } from '../../../../shared/contract/dataset';
import { ErrorAlert } from '../../components/error-alert';
import { useApi } from '../../rpc/api-context';
import { useRequest } from '../../rpc/use-request';
import { CategoryPicker } from './category-picker';
import { GetCocoPanel } from './get-coco-panel';
import { ImageBrowser } from './image-browser';
import { ImagesDirDialog } from './images-dir-dialog';
import { ImportPanel } from './import-panel';
import { ImportedFileSelector } from './imported-file-selector';
import { LabelsPanel } from './labels-panel';
import { MissingImagesPanel } from './missing-images-panel';
import { forgetPrefetchedStats, prefetchSubsetStats, SubsetStatsPanel } from './subset-stats-panel';
import { useDatasetSelection } from './use-dataset-selection';

/**
 * The Dataset workspace: import COCO annotations, choose the file and the category subset (saved
 * between sessions), and see the subset's class balance, labels per image, image files and images.
 */
export function DatasetWorkspace(): ReactNode {
  const api = useApi();
  const files = useRequest('dataset.files', (signal) => api.dataset.files({}, { signal }));
  const { selection, loaded, loadError, saveError, update } = useDatasetSelection();
  const [imagesDirOpen, setImagesDirOpen] = useState(false);

  const list = files.data;
  const file: ImportedFile | undefined = list?.find((f) => f.fileId === selection.fileId) ?? list?.[0];

  const shownFileId = file?.fileId;
  // Stable, so the (memoised) category picker renders only when its categories or selection change.
  const onPickCategories = useCallback(
    (categories: string[]) => {
      if (shownFileId === undefined) return;
      prefetchSubsetStats(api, shownFileId, categories);
      update({ fileId: shownFileId, categories });
    },
    [api, shownFileId, update],
  );

  // The panels above the subset are memoised: callbacks that read the selection through a ref stay
  // the same across selection changes, so a click in the picker does not render them again.
  const categoriesNow = useRef(selection.categories);
  useLayoutEffect(() => {
    categoriesNow.current = selection.categories;
  }, [selection.categories]);
  const reloadFiles = files.reload;
  const onImported = useCallback(
    (result: IngestResult) => {
      reloadFiles();
      update({ fileId: result.fileId, categories: categoriesNow.current });
    },
    [reloadFiles, update],
  );
  const onSelectFile = useCallback((fileId: number) => update({ fileId, categories: categoriesNow.current }), [update]);
  const openImagesDir = useCallback(() => setImagesDirOpen(true), []);

  // A download imports its split: show it, with the categories it fetched (all: the selection as it was),
  // and look at its images folder again (it was shown, empty, while the images were on their way).
  const [downloads, setDownloads] = useState(0);
  const onDownloaded = useCallback(
    (result: CocoDownloadResult) => {
      setDownloads((n) => n + 1);
      reloadFiles();
      update({ fileId: result.fileId, categories: result.categories.length > 0 ? result.categories : categoriesNow.current });
    },
    [reloadFiles, update],
  );

  return (
    <Stack spacing={3} data-testid="dataset-workspace">
      <GetCocoPanel openAtFirst={list !== undefined && list.length === 0} onDownloaded={onDownloaded} />
      <ImportPanel onImported={onImported} />
      <Paper sx={{ p: 2 }} component="section" aria-labelledby="subset-heading">
        <Typography variant="h6" id="subset-heading" gutterBottom>
          Subset
        </Typography>
        {files.error !== undefined && (
          <ErrorAlert
            error={files.error}
            data-testid="files-error"
            action={
              <Button color="inherit" size="small" onClick={files.reload}>
                Retry
              </Button>
            }
          />
        )}
        {loadError !== undefined && <ErrorAlert error={loadError} sx={{ mb: 2 }} />}
        {saveError !== undefined && <ErrorAlert error={saveError} sx={{ mb: 2 }} data-testid="selection-save-error" />}
        {(list === undefined || !loaded) && files.error === undefined && (
          <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }} role="status">
            <CircularProgress size={18} />
            <Typography color="text.secondary">Loading imported files…</Typography>
          </Stack>
        )}
        {list !== undefined && loaded && file === undefined && (
          <Typography color="text.secondary" data-testid="no-files">
            No annotation file has been imported yet. Get COCO 2017 or import a file above.
          </Typography>
        )}
        {loaded && list !== undefined && file !== undefined && (
          <ImportedFileSelector files={list} file={file} onSelect={onSelectFile} onChangeImagesDir={openImagesDir} />
        )}
      </Paper>
      {loaded && file !== undefined && (
        <FileSubset
          key={`${file.fileId}:${downloads}`}
          file={file}
          files={list ?? []}
          selected={selection.categories}
          onChange={onPickCategories}
          onSetImagesDir={openImagesDir}
        />
      )}
      {imagesDirOpen && file !== undefined && (
        <ImagesDirDialog
          file={file}
          onClose={() => setImagesDirOpen(false)}
          onSaved={() => {
            setImagesDirOpen(false);
            files.reload();
          }}
        />
      )}
    </Stack>
  );
}

/** Everything that depends on one file's categories: the picker, and the views of the chosen subset. */
function FileSubset({
  file,
  files,
  selected,
  onChange,
  onSetImagesDir,
}: {
  file: ImportedFile;
  files: readonly ImportedFile[];
  selected: readonly string[];
  onChange: (categories: string[]) => void;
  onSetImagesDir: () => void;
}): ReactNode {
  const api = useApi();
  const { fileId } = file;
  const [folderVersion, setFolderVersion] = useState(0);
  const onFolderChanged = useCallback(() => setFolderVersion((v) => v + 1), []);
  // Bumped by every label edit made here: the counts, statistics and images are asked for again.
  const [labelsVersion, setLabelsVersion] = useState(0);
  const onLabelsChanged = useCallback(() => {
    forgetPrefetchedStats();
    setLabelsVersion((v) => v + 1);
  }, []);
  const categories = useRequest(`dataset.categories:${fileId}:${labelsVersion}`, (signal) =>
    api.dataset.categories({ fileId }, { signal }),
  );
  // Keyed by the names, not the answer: counts that change with a label edit keep the subset (and the
  // image browser's place) as they are.
  const names = categories.data === undefined ? undefined : JSON.stringify(categories.data.map((c) => c.name));
  const known = useMemo(() => (names === undefined ? undefined : new Set(JSON.parse(names) as string[])), [names]);
  // A saved selection may name categories another file has and this one lacks: they are left out
  // here (and kept in the saved selection until the next change).
  const inFile = useMemo(() => (known === undefined ? undefined : selected.filter((name) => known.has(name))), [known, selected]);
  const absent = known === undefined ? [] : selected.filter((name) => !known.has(name));
  // The picker, the headline numbers and the charts follow a change at once; the image files check
  // and the grid follow it in a render React sets aside for the statistics' answer (at 80 classes
  // the grid's render alone took about as long as the charts').
  const deferred = useDeferredValue(inFile);
  // Shown at once when there was nothing before (no jump of the charts as the panels mount after them).
  const following = deferred === undefined || deferred.length === 0 ? inFile : deferred;
  // Dimmed while they show the previous selection, but only if that lasts (no flicker on a quick change).
  const behind = following !== inFile;
  // Inline, so that the change restyles this box alone, not the grid's tiles under a new class name.
  const followingStyle: CSSProperties = {
    opacity: behind ? 0.6 : 1,
    transition: behind ? 'opacity 150ms linear 250ms' : 'none',
  };

  if (categories.error !== undefined) {
    return (
      <ErrorAlert
        error={categories.error}
        action={
          <Button color="inherit" size="small" onClick={categories.reload}>
            Retry
          </Button>
        }
      />
    );
  }
  if (categories.data === undefined || inFile === undefined) {
    return (
      <Stack direction="row" spacing={1} sx={{ alignItems: 'center' }} role="status">
        <CircularProgress size={18} />
        <Typography color="text.secondary">Loading categories…</Typography>
      </Stack>
    );
  }
  return (
    <>
      <Paper sx={{ p: 2 }} component="section" aria-labelledby="categories-heading">
        <Typography variant="h6" id="categories-heading" gutterBottom>
          Categories
        </Typography>
        <CategoryPicker categories={categories.data} selected={inFile} onChange={onChange} />
        {absent.length > 0 && (
          <Alert severity="info" sx={{ mt: 1.5 }} data-testid="absent-categories">
            Not in this file, so left out: {absent.join(', ')}.
          </Alert>
        )}
      </Paper>
      {inFile.length === 0 ? (
        // Nothing to count, check or show: one sentence instead of the panels' refusals (and their last figures).
        <Alert severity="info" data-testid="no-categories">
          No category is selected. Pick categories above, or click “Reference example (12)”, to see the subset’s class balance, image files
          and images.
        </Alert>
      ) : (
        <>
          {following !== undefined && (
            <div style={followingStyle} data-testid="missing-images-follows" data-behind={behind}>
              <MissingImagesPanel file={file} categories={following} onSetImagesDir={onSetImagesDir} onFolderChanged={onFolderChanged} />
            </div>
          )}
          <SubsetStatsPanel fileId={fileId} categories={inFile} labelsVersion={labelsVersion} />
          <LabelsPanel file={file} files={files} labelsVersion={labelsVersion} onLabelsChanged={onLabelsChanged} />
          {following !== undefined && (
            <div style={followingStyle} data-testid="image-browser-follows" data-behind={behind}>
              <ImageBrowser
                fileId={fileId}
                imagesDir={file.imagesDir}
                folderVersion={folderVersion}
                categories={following}
                labelsVersion={labelsVersion}
                onLabelsChanged={onLabelsChanged}
              />
            </div>
          )}
        </>
      )}
    </>
  );
}
