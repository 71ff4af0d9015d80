// Starts tail-parse.worker.ts through tsx, for the TypeScript sources (development and tests): a
// worker thread does not inherit tsx's loader, so it registers it before loading the worker.
// Bundles start their own tail-parse-worker file instead (see tail-parse.ts).
import { register } from 'tsx/esm/api';

register();
await import('./tail-parse.worker.ts');
