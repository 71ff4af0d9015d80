import Alert from '@mui/material/Alert';
import Skeleton from '@mui/material/Skeleton';
import Tooltip from '@mui/material/Tooltip';
import type { ReactNode } from 'react';
import { ErrorAlert } from '../../components/error-alert';
import { useApi } from '../../rpc/api-context';
import { useRequest } from '../../rpc/use-request';
import { notInUseWords } from './engine-status-words';

const names: Record<string, string> = {
  'tensorflow-gpu': 'CUDA (tfjs-node-gpu)',
  tensorflow: 'native CPU (tfjs-node)',
  wasm: 'WebAssembly',
  cpu: 'JavaScript CPU',
};

/** Which backend trains, and why the better ones are not in use (the desktop form of `mlw doctor`). */
export function EngineStatusLine(): ReactNode {
  const api = useApi();
  const status = useRequest('training.status', (signal) => api.training.status({}, { signal }));
  if (status.error) return <ErrorAlert error={status.error} data-testid="engine-status-error" />;
  if (status.data === undefined) return <Skeleton variant="rounded" height={48} />;
  const s = status.data;
  const notInUse = notInUseWords(s.candidates);
  const native = s.backend === 'tensorflow' || s.backend === 'tensorflow-gpu';
  return (
    <Tooltip title={s.candidates.map((c) => `${c.name}: ${c.reason ?? 'in use'}`).join('\n')}>
      <Alert severity={native ? 'success' : 'info'} data-testid="engine-status" data-backend={s.backend}>
        <span data-testid="inference-status" data-runtime={s.inference.runtime}>
          Inference:{' '}
          <strong>
            {s.inference.runtime === 'onnxruntime'
              ? `ONNX Runtime (${s.inference.executionProviders.join(', ')}, ${s.inference.threads} thread${s.inference.threads === 1 ? '' : 's'})`
              : 'TensorFlow.js'}
          </strong>
          {s.inference.reason !== null && ` (${s.inference.reason})`}.
        </span>{' '}
        Training: <strong>{names[s.backend] ?? s.backend}</strong>, {s.threads} thread{s.threads === 1 ? '' : 's'}.
        {notInUse !== null && ` ${notInUse}`}
        {!native && ' The frozen-backbone mode suits this backend: features run on the inference runtime, only the new layer trains here.'}
      </Alert>
    </Tooltip>
  );
}
