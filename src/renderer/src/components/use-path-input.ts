import { useCallback, useRef, useState } from 'react';
import { AppError } from '../../../shared/contract/errors';
import { useApi } from '../rpc/api-context';

/**
 * `annotations`: a file checked as COCO annotations (its first bytes looked at); `weights`: a folder or
 * an .h5 file holding a backbone's weights (picked as a folder; an .h5 path can be typed).
 */
export type PathKind = 'file' | 'annotations' | 'directory' | 'weights';

export interface PathCheck {
  /** The text that was checked; a check of other text is stale and not shown. */
  path: string;
  ok: boolean;
  resolved: string;
  message: string;
}

export interface PathInput {
  kind: PathKind;
  value: string;
  setValue: (value: string) => void;
  /** The service's verdict on the current value, once checked. */
  check: PathCheck | null;
  checking: boolean;
  checkError: AppError | undefined;
  /** Ask the service whether the path is a readable file or folder (on blur, after a pick). */
  validate: (path?: string) => void;
}

/** A path typed or picked by the user, checked on the machine that runs the services. */
export function usePathInput(kind: PathKind, initial = ''): PathInput {
  const api = useApi();
  const [value, setValue] = useState(initial);
  const [check, setCheck] = useState<PathCheck | null>(null);
  const [checkingPath, setCheckingPath] = useState<string | null>(null);
  const [checkError, setCheckError] = useState<AppError | undefined>(undefined);
  const running = useRef<AbortController | null>(null);

  const validate = useCallback(
    (path: string = value) => {
      running.current?.abort();
      if (path.trim() === '') {
        setCheck(null);
        setCheckingPath(null);
        return;
      }
      const controller = new AbortController();
      running.current = controller;
      setCheckingPath(path);
      setCheckError(undefined);
      api.dataset.checkPath({ path, kind }, { signal: controller.signal }).then(
        (result) => {
          if (controller.signal.aborted) return;
          setCheck({ path, ...result });
          setCheckingPath(null);
        },
        (error: unknown) => {
          if (controller.signal.aborted) return;
          setCheck(null);
          setCheckError(AppError.from(error));
          setCheckingPath(null);
        },
      );
    },
    [api, kind, value],
  );

  return {
    kind,
    value,
    setValue,
    check: check !== null && check.path === value ? check : null,
    checking: checkingPath !== null && checkingPath === value,
    checkError,
    validate,
  };
}
