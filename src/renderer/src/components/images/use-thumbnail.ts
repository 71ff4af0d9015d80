import { useEffect, useState } from 'react';
import { AppError } from '../../../../shared/contract/errors';
import { useApi } from '../../rpc/api-context';
import { thumbnailCache, type ThumbnailRequest, type ThumbnailState } from './thumbnail-cache';

/** A thumbnail as a data: URL, fetched while the component is mounted (cancelled when it unmounts). */
export function useThumbnail(request: ThumbnailRequest | null): ThumbnailState {
  const api = useApi();
  const key = request === null ? null : thumbnailCache.key(request);
  const [settled, setSettled] = useState<{ key: string; state: ThumbnailState } | null>(null);
  const cached = key === null ? undefined : thumbnailCache.peek(key);
  const fileId = request?.fileId;
  const imageId = request?.imageId;
  const size = request?.size;
  const imagesDir = request?.imagesDir;
  const folderVersion = request === null ? undefined : (request.folderVersion ?? 0);

  useEffect(() => {
    if (
      key === null ||
      fileId === undefined ||
      imageId === undefined ||
      size === undefined ||
      imagesDir === undefined ||
      folderVersion === undefined
    ) {
      return;
    }
    const controller = new AbortController();
    thumbnailCache.fetch(api, { fileId, imageId, size, imagesDir, folderVersion }, controller.signal).then(
      (state) => {
        if (!controller.signal.aborted) setSettled({ key, state });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        setSettled({ key, state: { status: 'error', message: AppError.from(error).message } });
      },
    );
    return () => controller.abort();
  }, [api, key, fileId, imageId, size, imagesDir, folderVersion]);

  if (cached !== undefined) return cached;
  if (settled !== null && settled.key === key) return settled.state;
  return { status: 'loading' };
}
