// Starts decode.worker.ts through tsx, for the TypeScript sources (development and tests): a worker
// thread does not inherit tsx's loader, so it registers it before loading the worker. Bundles
// start their own decode-worker file instead (see decode-pool.ts).
import { register } from 'tsx/esm/api';

register();
await import('./decode.worker.ts');
