// The tail of a large import, read on its own thread (see tail-parse.ts): parses the file from the
// offset it is given and sends its records back without copying the typed arrays.
import { parentPort, workerData } from 'node:worker_threads';
import { parseTail, type TailMessage } from './tail-parse';

const port = parentPort;
if (port === null) throw new Error('tail-parse.worker.ts runs as a worker thread of an import.');
const { path, from } = workerData as { path: string; from: number };
parseTail(path, from, (message: TailMessage) => {
  const transfer =
    message.type === 'done' ? [message.part.annotationImages.buffer, message.part.records.buffer, message.part.imageLabels.buffer] : [];
  port.postMessage(message, transfer as ArrayBuffer[]);
});
