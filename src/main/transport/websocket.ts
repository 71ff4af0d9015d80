import type { WebSocket } from 'ws';
import type { Protocol, RpcMessage } from '../../shared/rpc/protocol';

/** A Protocol over one WebSocket connection: one JSON text frame per message. */
export function webSocketProtocol(socket: WebSocket): Protocol {
  return {
    send(message: RpcMessage) {
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(message));
    },
    onMessage(listener) {
      const handler = (data: Buffer, isBinary: boolean): void => {
        if (isBinary) return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(data.toString('utf8'));
        } catch {
          return; // Not ours: the RPC layer ignores anything that is not a message.
        }
        listener(parsed);
      };
      socket.on('message', handler);
      return () => socket.off('message', handler);
    },
    onClose(listener) {
      socket.on('close', listener);
      return () => socket.off('close', listener);
    },
  };
}
