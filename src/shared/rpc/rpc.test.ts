import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { method, type HandlerContext, type Progress, type ServiceHandlers } from '../contract/define';
import { AppError } from '../contract/errors';
import { createClient } from './client';
import { createInMemoryPair } from './in-memory';
import type { Protocol, RpcMessage } from './protocol';
import { serveContract } from './server';
import { rejection } from '../../../test/support/rejection';

const testContract = {
  math: {
    add: method({ summary: 'Add two numbers.', input: z.object({ a: z.number(), b: z.number().int() }), output: z.number() }),
    fail: method({ summary: 'Throw.', input: z.object({ kind: z.enum(['app', 'plain', 'string']) }), output: z.null() }),
    count: method({
      summary: 'Report progress up to n.',
      input: z.object({ to: z.number().int().min(1) }),
      output: z.number(),
      progress: true,
    }),
    block: method({ summary: 'Run until cancelled.', input: z.object({}), output: z.null(), progress: true }),
  },
} as const;

/** The same contract with a method and a service the server does not have. */
const callerContract = {
  math: { ...testContract.math, missing: method({ summary: 'Not served.', input: z.object({}), output: z.null() }) },
  other: { ping: method({ summary: 'Not served.', input: z.object({}), output: z.null() }) },
} as const;

interface Harness {
  client: ReturnType<typeof createClient<typeof testContract>>;
  serverSide: Protocol;
  clientSide: Protocol;
  /** Every message the server sent back. */
  replies: RpcMessage[];
  /** The context of the latest `block` call and a promise of its signal's abort. */
  blocked: { context: HandlerContext; aborted: Promise<void> }[];
  /** Inputs the `add` handler was run with. */
  added: { a: number; b: number }[];
  /** What the server reported as internal errors (bugs), with the errors themselves. */
  internal: { method: string; error: unknown }[];
  stop: () => void;
}

const harnesses: Harness[] = [];
afterEach(() => {
  for (const h of harnesses.splice(0)) {
    h.client.dispose();
    h.stop();
  }
});

function nextTick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function setup(wrapClientSide: (p: Protocol) => Protocol = (p) => p): Harness {
  const [serverSide, rawClientSide] = createInMemoryPair();
  const clientSide = wrapClientSide(rawClientSide);
  const blocked: Harness['blocked'] = [];
  const added: Harness['added'] = [];
  const handlers: ServiceHandlers<typeof testContract.math> = {
    add: async ({ a, b }) => {
      added.push({ a, b });
      return a + b;
    },
    fail: async ({ kind }) => {
      if (kind === 'app') throw new AppError('NOT_FOUND', 'There is no such thing.', { thing: 'widget', tried: [1, 2] });
      if (kind === 'plain') throw new TypeError('boom in handler');
      throw 'a bare string';
    },
    count: async ({ to }, context) => {
      for (let i = 1; i <= to; i++) {
        context.progress({ phase: 'Counting', done: i, total: to, unit: 'items' });
        await nextTick();
      }
      return to;
    },
    block: (_input, context) =>
      new Promise((_resolve, reject) => {
        let onAborted = (): void => undefined;
        const aborted = new Promise<void>((resolve) => (onAborted = resolve));
        blocked.push({ context, aborted });
        context.progress({ phase: 'Started', done: 0, total: 0 });
        context.signal.addEventListener('abort', () => {
          onAborted();
          reject(new AppError('CANCELLED', 'The operation was cancelled.'));
        });
      }),
  };
  const internal: Harness['internal'] = [];
  const stop = serveContract(
    serverSide,
    testContract,
    { math: handlers },
    { onInternalError: (method, error) => internal.push({ method, error }) },
  );
  const replies: RpcMessage[] = [];
  rawClientSide.onMessage((m) => replies.push(m as RpcMessage));
  const client = createClient(clientSide, testContract);
  const h = { client, serverSide, clientSide, replies, blocked, added, internal, stop };
  harnesses.push(h);
  return h;
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await nextTick();
  expect(condition()).toBe(true);
}

describe('RPC over an in-memory pair', () => {
  it('a call returns its result', async () => {
    const { client } = setup();
    await expect(client.math.add({ a: 2.5, b: 4 })).resolves.toBe(6.5);
  });

  it('concurrent calls each get their own result', async () => {
    const { client } = setup();
    const results = await Promise.all([1, 2, 3, 4, 5].map((n) => client.math.add({ a: n, b: 10 })));
    expect(results).toEqual([11, 12, 13, 14, 15]);
  });

  it('invalid input gives INVALID_INPUT naming the field, and the handler is not run', async () => {
    const { client, added } = setup();
    const error = await rejection(client.math.add({ a: 1, b: 1.5 }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toContain('math.add');
    expect(error.message).toContain('at b');
    expect(error.details?.issues).toEqual([expect.objectContaining({ path: ['b'] })]);

    // A wrong type (bypassing the client's static types, as a remote caller could).
    const wrongType = await rejection((client.math.add as (input: unknown) => Promise<unknown>)({ a: 'one', b: 2 }));
    expect(wrongType.code).toBe('INVALID_INPUT');
    expect(wrongType.message).toMatch(/at a:/);
    expect(added).toEqual([]);
  });

  it('an unknown method or service gives NOT_FOUND', async () => {
    const { clientSide } = setup();
    const caller = createClient(clientSide, callerContract);
    try {
      const error = await rejection(caller.math.missing({}));
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toContain('"math.missing"');
      const other = await rejection(caller.other.ping({}));
      expect(other.code).toBe('NOT_FOUND');
      expect(other.message).toContain('"other.ping"');
      // The served methods still work through the same client.
      await expect(caller.math.add({ a: 1, b: 2 })).resolves.toBe(3);
    } finally {
      caller.dispose();
    }
  });

  it("a handler's AppError arrives as {code, message, details}", async () => {
    const { client, replies } = setup();
    const error = await rejection(client.math.fail({ kind: 'app' }));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe('There is no such thing.');
    expect(error.details).toEqual({ thing: 'widget', tried: [1, 2] });
    const wire = replies.find((m) => m.type === 'error');
    expect(wire).toEqual({
      type: 'error',
      id: expect.any(Number),
      error: { code: 'NOT_FOUND', message: 'There is no such thing.', details: { thing: 'widget', tried: [1, 2] } },
    });
  });

  it('a non-AppError throw arrives as INTERNAL without a stack', async () => {
    const { client, replies } = setup();
    const error = await rejection(client.math.fail({ kind: 'plain' }));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toContain('boom in handler');
    expect(error.details).toBeUndefined();
    const wire = replies.find((m) => m.type === 'error');
    expect(wire).toBeDefined();
    // Only code and message cross the wire: no stack, no file paths of the server.
    expect(Object.keys((wire as Extract<RpcMessage, { type: 'error' }>).error).sort()).toEqual(['code', 'message']);
    expect(JSON.stringify(wire)).not.toMatch(/stack|rpc\.test|\n\s+at /);

    const bare = await rejection(client.math.fail({ kind: 'string' }));
    expect(bare.code).toBe('INTERNAL');
    expect(bare.message).toContain('a bare string');

    // The server side keeps what the wire does not: the error itself, stack included, for its log.
    const { internal } = harnesses.at(-1)!;
    expect(internal.map((i) => i.method)).toEqual(['math.fail', 'math.fail']);
    expect((internal[0]!.error as Error).stack).toMatch(/boom in handler\n\s+at /);
    await rejection(client.math.fail({ kind: 'app' }));
    expect(internal).toHaveLength(2);
  });

  it('progress events reach onProgress in order, before the result', async () => {
    const { client } = setup();
    const events: (Progress | 'result')[] = [];
    const result = await client.math.count({ to: 5 }, { onProgress: (p) => events.push(p) }).then((r) => {
      events.push('result');
      return r;
    });
    expect(result).toBe(5);
    expect(events).toEqual([...[1, 2, 3, 4, 5].map((done) => ({ phase: 'Counting', done, total: 5, unit: 'items' })), 'result']);
  });

  it("progress of one call does not reach another call's onProgress", async () => {
    const { client } = setup();
    const a: number[] = [];
    const b: number[] = [];
    await Promise.all([
      client.math.count({ to: 3 }, { onProgress: (p) => a.push(p.done) }),
      client.math.count({ to: 2 }, { onProgress: (p) => b.push(p.done) }),
    ]);
    expect(a).toEqual([1, 2, 3]);
    expect(b).toEqual([1, 2]);
  });

  it("aborting the caller's signal rejects with CANCELLED and aborts the handler's signal", async () => {
    const { client, blocked } = setup();
    const controller = new AbortController();
    const started: Progress[] = [];
    const call = client.math.block({}, { signal: controller.signal, onProgress: (p) => started.push(p) });
    await until(() => blocked.length === 1 && started.length === 1);
    expect(blocked[0]!.context.signal.aborted).toBe(false);
    controller.abort();
    const error = await rejection(call);
    expect(error.code).toBe('CANCELLED');
    await blocked[0]!.aborted;
    expect(blocked[0]!.context.signal.aborted).toBe(true);
  });

  it('a cancel that reaches the server after the work finished settles with the result, not CANCELLED', async () => {
    const h = setup();
    const controller = new AbortController();
    // The handler ignores its signal, as synchronous work that already committed would.
    const call = h.client.math.count({ to: 3 }, { signal: controller.signal, onProgress: () => controller.abort() });
    await expect(call).resolves.toBe(3);
  });

  it('a call whose signal is already aborted is rejected with CANCELLED without reaching the server', async () => {
    const { client, blocked } = setup();
    const error = await rejection(client.math.block({}, { signal: AbortSignal.abort() }));
    expect(error.code).toBe('CANCELLED');
    await nextTick();
    expect(blocked).toHaveLength(0);
  });

  it('a closed transport rejects pending calls with TRANSPORT_CLOSED', async () => {
    const closeListeners = new Set<() => void>();
    const { client, blocked } = setup((p) => ({
      send: (m) => p.send(m),
      onMessage: (l) => p.onMessage(l),
      onClose: (l) => {
        closeListeners.add(l);
        return () => closeListeners.delete(l);
      },
    }));
    expect(closeListeners.size).toBe(1);
    const first = client.math.block({});
    const second = client.math.block({});
    await until(() => blocked.length === 2);
    for (const listener of closeListeners) listener();
    const errors = await Promise.all([rejection(first), rejection(second)]);
    expect(errors.map((e) => e.code)).toEqual(['TRANSPORT_CLOSED', 'TRANSPORT_CLOSED']);
    expect(errors[0]!.message).toMatch(/connection .* was lost/);
  });

  it('disposing the client rejects pending calls with TRANSPORT_CLOSED', async () => {
    const { client, blocked } = setup();
    const call = client.math.block({});
    await until(() => blocked.length === 1);
    client.dispose();
    expect((await rejection(call)).code).toBe('TRANSPORT_CLOSED');
  });

  it('stopping the server aborts the signals of the calls it is running', async () => {
    const { client, blocked, stop } = setup();
    void client.math.block({}).catch(() => undefined);
    await until(() => blocked.length === 1);
    stop();
    await blocked[0]!.aborted;
    expect(blocked[0]!.context.signal.aborted).toBe(true);
  });
});
