import Alert from '@mui/material/Alert';
import Snackbar from '@mui/material/Snackbar';
import { useEffect, useState, type ReactNode } from 'react';
import type { Notice } from '../../../shared/contract/app';
import { useApi } from '../rpc/api-context';

/** What the service has to tell the user once (a damaged settings file set aside), shown until dismissed. */
export function Notices(): ReactNode {
  const api = useApi();
  const [notices, setNotices] = useState<Notice[]>([]);
  useEffect(() => {
    const controller = new AbortController();
    api.app.notices({}, { signal: controller.signal }).then(setNotices, () => undefined);
    return () => controller.abort();
  }, [api]);
  const current = notices[0];
  return (
    <Snackbar open={current !== undefined} anchorOrigin={{ vertical: 'bottom', horizontal: 'center' }}>
      {current === undefined ? undefined : (
        <Alert severity={current.severity} onClose={() => setNotices((all) => all.slice(1))} data-testid="notice" variant="filled">
          {current.message}
        </Alert>
      )}
    </Snackbar>
  );
}
