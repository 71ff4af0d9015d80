import { useCallback, useRef, useState } from 'react';
import { AppError } from '../../../../shared/contract/errors';
import { useApi } from '../../rpc/api-context';
import { useRequest } from '../../rpc/use-request';

export interface DatasetSelection {
  fileId: number | null;
  /** In the order the user chose them: the order of classes in charts and label matrices. */
  categories: string[];
}

export interface DatasetSelectionState {
  /** False until the saved selection has been read. */
  loaded: boolean;
  selection: DatasetSelection;
  loadError: AppError | undefined;
  saveError: AppError | undefined;
  update: (next: DatasetSelection) => void;
}

const empty: DatasetSelection = { fileId: null, categories: [] };

/**
 * The Dataset workspace's selection (annotation file and categories): read once from the service,
 * changed locally at once, and saved after every change. Saves run one after another so the last
 * change is the one that stays.
 */
export function useDatasetSelection(): DatasetSelectionState {
  const api = useApi();
  const saved = useRequest('dataset.getSelection', (signal) => api.dataset.getSelection({}, { signal }));
  const [local, setLocal] = useState<DatasetSelection | null>(null);
  const [saveError, setSaveError] = useState<AppError | undefined>(undefined);
  const queue = useRef<Promise<unknown>>(Promise.resolve());

  const update = useCallback(
    (next: DatasetSelection) => {
      setLocal(next);
      // A successful save changes nothing on screen (setting undefined again renders nothing), so a
      // selection change costs one render of the workspace, not two.
      queue.current = queue.current
        .then(() => api.dataset.setSelection({ fileId: next.fileId, categories: next.categories }))
        .then(
          () => setSaveError(undefined),
          (error: unknown) => setSaveError(AppError.from(error)),
        );
    },
    [api],
  );

  return {
    loaded: saved.data !== undefined || saved.error !== undefined,
    selection: local ?? saved.data ?? empty,
    loadError: saved.error,
    saveError,
    update,
  };
}
