import { useApi } from '../../rpc/api-context';
import { useRequest } from '../../rpc/use-request';
import type { NewImage } from './new-images';

/**
 * What to show for an image: the sent file's own object URL, or, for a path on the service's machine,
 * a JPEG preview the service makes (null while it loads or when it cannot read the file).
 */
export function usePreviewUrl(image: NewImage): string | null {
  const api = useApi();
  const path = 'path' in image.input && image.previewUrl === null ? image.input.path : null;
  const preview = useRequest(path === null ? null : `prediction.preview:${path}`, (signal) =>
    api.prediction.preview({ path: path!, size: 512 }, { signal }),
  );
  return image.previewUrl ?? preview.data?.url ?? null;
}
