// A decode worker thread (see decode-pool.ts): decodes what its pool asks, one request after the
// other, and sends the pixels back without copying them.
import { parentPort } from 'node:worker_threads';
import { AppError } from '../../../shared/contract/errors';
import type { DecodeReply, DecodeRequest } from './decode-pool';
import { decodeSquare } from './preprocess';

const port = parentPort;
if (port === null) throw new Error('decode.worker.ts runs as a worker thread of a DecodePool.');

port.on('message', async ({ id, ...request }: DecodeRequest & { id: number }) => {
  let reply: DecodeReply;
  try {
    reply = { id, ...(await decodeSquare(request.path, request.size, request.angle, request.flip)) };
  } catch (error) {
    const known = error instanceof AppError;
    reply = {
      id,
      error: {
        code: known ? error.code : 'INTERNAL',
        message: error instanceof Error ? error.message : String(error),
        ...(known && error.details !== undefined ? { details: error.details } : {}),
      },
    };
  }
  port.postMessage(reply, 'rgb' in reply ? [reply.rgb.buffer as ArrayBuffer] : []);
});
