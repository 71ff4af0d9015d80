import type { Api } from '../../../../shared/contract';
import { AppError, cancelled } from '../../../../shared/contract/errors';

export type ThumbnailState =
  | { status: 'loading' }
  | { status: 'ready'; url: string; width: number; height: number }
  /** The image file is not in the images folder (or no folder is set): a grey "missing" tile. */
  | { status: 'missing'; message: string }
  | { status: 'error'; message: string };

export interface ThumbnailRequest {
  fileId: number;
  imageId: number;
  /** Longest side in pixels. */
  size: number;
  /** Part of the cache key: a new images folder can turn "missing" into an image. */
  imagesDir: string | null;
  /** Part of the cache key: how many times the folder was found changed, since a copied file can turn "missing" into an image too. */
  folderVersion?: number;
}

const maxEntries = 2000;
const maxConcurrent = 6;

/**
 * Thumbnails already fetched (data: URLs), least recently used dropped first, shared by every grid and
 * dialog of the window. Fetches are limited to a few at a time so a fast scroll does not flood the
 * service, and a fetch for a tile that scrolled away is cancelled before it starts.
 */
class ThumbnailCache {
  private readonly entries = new Map<string, ThumbnailState>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  key(request: ThumbnailRequest): string {
    return `${request.fileId}:${request.imageId}:${request.size}:${request.folderVersion ?? 0}:${request.imagesDir ?? ''}`;
  }

  /** The cached state, without fetching. */
  peek(key: string): ThumbnailState | undefined {
    return this.entries.get(key);
  }

  async fetch(api: Api, request: ThumbnailRequest, signal: AbortSignal): Promise<ThumbnailState> {
    const key = this.key(request);
    const hit = this.entries.get(key);
    if (hit !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    await this.acquire(signal);
    let state: ThumbnailState;
    try {
      const result = await api.dataset.thumbnail({ fileId: request.fileId, imageId: request.imageId, size: request.size }, { signal });
      state = { status: 'ready', url: `data:${result.mime};base64,${result.base64}`, width: result.width, height: result.height };
    } catch (error) {
      const appError = AppError.from(error);
      if (appError.code === 'CANCELLED') throw appError;
      state =
        appError.code === 'NOT_FOUND' ? { status: 'missing', message: appError.message } : { status: 'error', message: appError.message };
    } finally {
      this.release();
    }
    // Errors other than a missing file may be passing (a busy service): not cached, so a later view retries.
    if (state.status !== 'error') this.remember(key, state);
    return state;
  }

  private remember(key: string, state: ThumbnailState): void {
    this.entries.set(key, state);
    while (this.entries.size > maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
  }

  private acquire(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(cancelled());
    if (this.active < maxConcurrent) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const start = (): void => {
        signal.removeEventListener('abort', onAbort);
        this.active++;
        resolve();
      };
      const onAbort = (): void => {
        const index = this.waiting.indexOf(start);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(cancelled());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(start);
    });
  }

  private release(): void {
    this.active--;
    this.waiting.shift()?.();
  }
}

export const thumbnailCache = new ThumbnailCache();
