import { useEffect, useRef, useState } from 'react';
import type { ImageSummary } from '../../../../shared/contract/dataset';
import { AppError } from '../../../../shared/contract/errors';
import { useApi } from '../../rpc/api-context';

/** Which images beyond the subset and class: those marked reviewed, those not, or those whose labels were edited. */
export type ReviewFilter = 'all' | 'reviewed' | 'unreviewed' | 'edited';

export interface ImagesQuery {
  fileId: number;
  categories: readonly string[];
  filterCategory: string | undefined;
  review: ReviewFilter;
}

export interface ImagePages {
  /** Number of images of the query; null until the first page arrives. */
  total: number | null;
  /**
   * True while the pages shown are the previous query's, kept on screen until the new query's first
   * page arrives (tens of milliseconds) so that a selection change does not blank the grid.
   */
  stale: boolean;
  /** The categories of the pages shown (the previous query's while `stale`): the labels' colours follow them. */
  categories: readonly string[];
  /** The image at a position, or undefined while its page is loading. */
  at: (index: number) => ImageSummary | undefined;
  error: AppError | undefined;
  retry: () => void;
}

interface Loaded {
  key: string;
  categories: readonly string[];
  total: number | null;
  pages: ReadonlyMap<number, readonly ImageSummary[]>;
  error: AppError | undefined;
}

/**
 * Pages of `dataset.images`, fetched as the visible range [first, last] needs them. A new query
 * (or retry, or a new `labelsVersion` after a label edit) drops every page and cancels requests
 * still running for the old one; the old pages stay on screen (`stale`) until the new query's first
 * page arrives.
 */
export function useImagePages(
  query: ImagesQuery,
  visible: { first: number; last: number },
  pageSize: number,
  labelsVersion = 0,
): ImagePages {
  const api = useApi();
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify({ ...query, generation, pageSize, labelsVersion });
  const [loaded, setLoaded] = useState<Loaded>({ key, categories: query.categories, total: null, pages: new Map(), error: undefined });
  const current: Loaded =
    loaded.key === key ? loaded : { key, categories: query.categories, total: null, pages: new Map(), error: undefined };
  const session = useRef<{ key: string; controller: AbortController; requested: Set<number> } | null>(null);

  useEffect(() => {
    const own = { key, controller: new AbortController(), requested: new Set<number>() };
    session.current = own;
    return () => {
      own.controller.abort();
      if (session.current === own) session.current = null;
    };
  }, [key]);

  const { fileId, categories, filterCategory, review } = query;
  const { total } = current;
  const firstPage = Math.floor(Math.max(0, visible.first) / pageSize);
  const lastIndex = total === null ? 0 : Math.min(visible.last, total - 1);
  const lastPage = Math.max(firstPage, Math.floor(Math.max(0, lastIndex) / pageSize));

  useEffect(() => {
    const own = session.current;
    if (own === null || own.key !== key) return;
    if (total === 0) return;
    for (let page = firstPage; page <= lastPage; page++) {
      // Requested once per session: a failed page waits for retry() instead of looping.
      if (own.requested.has(page)) continue;
      own.requested.add(page);
      api.dataset
        .images(
          { fileId, categories: [...categories], filterCategory, ...imagesFilter(review), offset: page * pageSize, limit: pageSize },
          { signal: own.controller.signal },
        )
        .then(
          (result) => {
            if (own.controller.signal.aborted) return;
            setLoaded((previous) => {
              const base =
                previous.key === own.key ? previous : { key: own.key, categories, total: null, pages: new Map(), error: undefined };
              const pages = new Map(base.pages);
              pages.set(page, result.items);
              return { ...base, total: result.total, pages };
            });
          },
          (error: unknown) => {
            if (own.controller.signal.aborted) return;
            setLoaded((previous) => {
              const base =
                previous.key === own.key ? previous : { key: own.key, categories, total: null, pages: new Map(), error: undefined };
              return { ...base, error: AppError.from(error) };
            });
          },
        );
    }
  }, [api, key, fileId, categories, filterCategory, review, pageSize, firstPage, lastPage, total]);

  const stale = current.total === null && current.error === undefined && loaded.key !== key && loaded.total !== null;
  const shown = stale ? loaded : current;
  return {
    total: shown.total,
    stale,
    categories: shown.categories,
    at: (index) => shown.pages.get(Math.floor(index / pageSize))?.[index % pageSize],
    error: current.error,
    retry: () => setGeneration((g) => g + 1),
  };
}

/** The `dataset.images` fields of a review filter. */
export function imagesFilter(review: ReviewFilter): { reviewed?: 'reviewed' | 'unreviewed'; edited?: boolean } {
  if (review === 'reviewed' || review === 'unreviewed') return { reviewed: review };
  return review === 'edited' ? { edited: true } : {};
}
