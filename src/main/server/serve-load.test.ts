import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { insertRunWithScores } from '../../../test/fixtures/run-fixture';
import { contract } from '../../shared/contract';
import { createClient } from '../../shared/rpc/client';
import type { Protocol, RpcMessage } from '../../shared/rpc/protocol';
import { createServices, type Services } from '../services';
import { startServer, type RunningServer } from './serve';

/**
 * Load on `mlw serve` (issue 14, part 7): 50 WebSocket clients at once call dataset.stats and
 * runs.list for a bounded time on the loopback address, while other clients send garbage (invalid
 * JSON and UTF-8, messages of the wrong shape, unknown methods, frames over the 16 MiB limit) and
 * disconnect in the middle of calls. Every well-formed call must get the right answer, and the
 * server must still answer a new client at the end. MLW_LOAD_SECONDS sets the time (default 5).
 */

const seconds = Number(process.env.MLW_LOAD_SECONDS ?? 5);
const clientCount = 50;
const garbageClients = 4;

// ---- a generated COCO file, and its statistics worked out here -------------------------------

const categoryNames = ['person', 'bicycle', 'car', 'dog', 'cat', 'chair'];
const imageCount = 400;

/** Image k has id 10 + 3k and (37k mod 5) annotations, the j-th of category ((13k + 7j) mod 6) + 1. */
function generatedCoco(): { json: string; labels: Map<number, Set<string>> } {
  const images = [];
  const annotations = [];
  const labels = new Map<number, Set<string>>();
  let annotationId = 1;
  for (let k = 0; k < imageCount; k++) {
    const id = 10 + 3 * k;
    images.push({ id, file_name: `${String(id).padStart(12, '0')}.jpg`, width: 640, height: 480, license: 1 });
    labels.set(id, new Set());
    for (let j = 0; j < (37 * k) % 5; j++) {
      const category = ((13 * k + 7 * j) % 6) + 1;
      annotations.push({
        id: annotationId++,
        image_id: id,
        category_id: category,
        bbox: [1, 2, 30, 40],
        area: 1200,
        iscrowd: 0,
        segmentation: [],
      });
      labels.get(id)!.add(categoryNames[category - 1]!);
    }
  }
  const categories = categoryNames.map((name, i) => ({ id: i + 1, name, supercategory: 'thing' }));
  return { json: JSON.stringify({ info: {}, licenses: [], images, annotations, categories }), labels };
}

interface Stats {
  images: number;
  perClass: Record<string, number>;
  labelsPerImage: { histogram: Record<string, number>; mean: number };
}

/** dataset.stats for `selected`, from the generated labels: images with any of them, images per class, labels per image. */
function expectedStats(labels: Map<number, Set<string>>, selected: string[]): Stats {
  const perClass = Object.fromEntries(selected.map((name) => [name, 0]));
  const histogram: Record<string, number> = {};
  let images = 0;
  let labelSum = 0;
  for (const present of labels.values()) {
    const count = selected.filter((name) => present.has(name)).length;
    if (count === 0) continue;
    images++;
    labelSum += count;
    histogram[String(count)] = (histogram[String(count)] ?? 0) + 1;
    for (const name of selected) if (present.has(name)) perClass[name]!++;
  }
  return { images, perClass, labelsPerImage: { histogram, mean: labelSum / images } };
}

const subsets = [['person'], ['dog', 'cat'], ['car', 'chair', 'bicycle'], categoryNames];

/** The runs recorded before the test, newest first as runs.list gives them. */
const runs = [
  { runId: 'load-c', name: 'load run C', status: 'cancelled' as const, createdAt: '2024-03-03T10:00:00.000Z' },
  { runId: 'load-b', name: 'load run B', status: 'failed' as const, createdAt: '2024-03-02T10:00:00.000Z' },
  { runId: 'load-a', name: 'load run A', status: 'completed' as const, createdAt: '2024-03-01T10:00:00.000Z' },
];

// ---- the server ------------------------------------------------------------------------------

let dir: string;
let services: Services;
let server: RunningServer;
let fileId: number;
let expected: Stats[];
/** runs.list's first answer, checked against the runs above; every later answer must equal it. */
let runsAnswer: unknown;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mlw-serve-load-'));
  mkdirSync(join(dir, 'renderer'), { recursive: true });
  writeFileSync(join(dir, 'renderer', 'index.html'), '<!doctype html><title>Multilabel Workbench</title>');
  const { json, labels } = generatedCoco();
  writeFileSync(join(dir, 'instances.json'), json);
  expected = subsets.map((subset) => expectedStats(labels, subset));
  services = createServices({ dataDir: join(dir, 'data'), host: 'test' });
  const imported = await services.handlers.dataset.ingest(
    { path: join(dir, 'instances.json') },
    { signal: new AbortController().signal, progress: () => undefined },
  );
  fileId = imported.fileId;
  for (const run of runs) {
    insertRunWithScores(services.db, {
      ...run,
      classes: ['person', 'dog'],
      imageIds: [10, 13, 16, 19],
      labels: [
        [1, 0],
        [0, 1],
        [1, 1],
        [0, 0],
      ],
      scores: [
        [0.9, 0.2],
        [0.1, 0.8],
        [0.7, 0.6],
        [0.3, 0.1],
      ],
    });
  }
  server = await startServer({ services, rendererDir: join(dir, 'renderer'), port: 0 });
});

afterAll(async () => {
  await server?.close();
  services?.close();
  rmSync(dir, { recursive: true, force: true });
});

// ---- clients ---------------------------------------------------------------------------------

function open(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${server.port}/rpc?token=${server.token}`);
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
  });
}

function protocolOf(socket: WebSocket): Protocol {
  return {
    send: (message) => socket.send(JSON.stringify(message)),
    onMessage: (listener) => {
      const handler = (data: WebSocket.RawData): void => listener(JSON.parse(data.toString()));
      socket.on('message', handler);
      return () => socket.off('message', handler);
    },
    onClose: (listener) => {
      socket.on('close', listener);
      return () => socket.off('close', listener);
    },
  };
}

interface Tally {
  calls: number;
  slowest: { ms: number; method: string };
  /** Wrong answers and failed well-formed calls, the first few. */
  wrong: string[];
}

function record(tally: Tally, method: string, ms: number): void {
  tally.calls++;
  if (ms > tally.slowest.ms) tally.slowest = { ms, method };
}

/** A call's answer, or a failure when none comes within 10 s (a call the server dropped would otherwise hang the test). */
function answered<T>(call: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no answer within 10 s')), 10_000);
  });
  return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
}

/** One of the 50: calls dataset.stats (a subset in turn) and runs.list one after the other until `deadline`. */
async function loadClient(k: number, deadline: number, tally: Tally): Promise<number> {
  const socket = await open();
  const api = createClient(protocolOf(socket), contract);
  let made = 0;
  try {
    for (let n = k; performance.now() < deadline; n++) {
      const started = performance.now();
      try {
        if (n % 3 === 2) {
          const answer = await answered(api.runs.list({}));
          record(tally, 'runs.list', performance.now() - started);
          if (!isDeepStrictEqual(answer, runsAnswer)) tally.wrong.push(`client ${k}: runs.list answered differently`);
        } else {
          const s = n % subsets.length;
          const answer = await answered(api.dataset.stats({ fileId, categories: subsets[s]! }));
          record(tally, 'dataset.stats', performance.now() - started);
          if (!isDeepStrictEqual(answer, expected[s])) {
            tally.wrong.push(`client ${k}: dataset.stats(${subsets[s]!.join(', ')}) gave ${JSON.stringify(answer)}`);
          }
        }
      } catch (error) {
        tally.wrong.push(`client ${k}: a well-formed call failed: ${(error as Error).message}`);
      }
      made++;
    }
  } finally {
    api.dispose();
    socket.close();
  }
  return made;
}

/** Sends raw text on a socket and waits for the answer with `id` (or the socket's close). */
function rawCall(socket: WebSocket, text: string, id: number): Promise<RpcMessage | 'closed'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish('closed'), 10_000);
    const onMessage = (data: WebSocket.RawData): void => {
      const message = JSON.parse(data.toString()) as RpcMessage;
      if (message.id === id && (message.type === 'result' || message.type === 'error')) finish(message);
    };
    const onClose = (): void => finish('closed');
    function finish(result: RpcMessage | 'closed'): void {
      clearTimeout(timer);
      socket.off('message', onMessage);
      socket.off('close', onClose);
      resolve(result);
    }
    socket.on('message', onMessage);
    socket.on('close', onClose);
    socket.send(text);
  });
}

const garbageKinds = [
  'invalid JSON',
  'invalid UTF-8',
  'wrong shape',
  'unknown methods',
  'binary frame',
  'closed mid-call',
  'terminated mid-call',
  'half an upgrade request',
  'frame over 16 MiB',
] as const;
type GarbageKind = (typeof garbageKinds)[number];

/** A well-formed stats call on a socket that has just been sent garbage: it must still be answered right. */
async function stillAnswers(socket: WebSocket, tally: Tally, kind: GarbageKind): Promise<void> {
  const started = performance.now();
  const answer = await rawCall(
    socket,
    JSON.stringify({ type: 'call', id: 900, method: 'dataset.stats', input: { fileId, categories: subsets[1] } }),
    900,
  );
  record(tally, 'dataset.stats', performance.now() - started);
  if (answer === 'closed' || answer.type !== 'result' || !isDeepStrictEqual(answer.output, expected[1])) {
    tally.wrong.push(`after ${kind}: a well-formed call got ${JSON.stringify(answer).slice(0, 200)}`);
  }
}

/** One piece of garbage of `kind`, on a connection of its own; what the server must do with it is checked. */
async function sendGarbage(kind: GarbageKind, tally: Tally): Promise<void> {
  if (kind === 'half an upgrade request') {
    // A raw TCP connection that starts the WebSocket handshake and goes away.
    await new Promise<void>((resolve) => {
      const tcp = connectTcp(server.port, '127.0.0.1', () => {
        tcp.write(`GET /rpc?token=${server.token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgr`);
        tcp.destroy();
        resolve();
      });
      tcp.on('error', () => resolve());
    });
    return;
  }
  const socket = await open();
  socket.on('error', () => undefined);
  try {
    switch (kind) {
      case 'invalid JSON':
        for (const text of ['{"type":"call","id":1,', 'not json at all', '}}}', '\u0000\u0001', '{"type":"call","id":1e999999}'])
          socket.send(text);
        await stillAnswers(socket, tally, kind);
        break;
      case 'invalid UTF-8': {
        // A text frame that is not UTF-8: the server closes this connection (1007) and carries on.
        const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
        socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
        const code = await closed;
        // 1007 as ws closes it; 1006 when the server's terminate() beats the close frame out.
        if (code !== 1007 && code !== 1006) tally.wrong.push(`invalid UTF-8: the connection closed with ${code}, not 1007`);
        break;
      }
      case 'wrong shape': {
        for (const text of [
          '[]',
          'null',
          '42',
          '"call"',
          '{}',
          '{"type":"call","id":"1","method":"dataset.stats"}',
          '{"type":"call","id":2,"method":42}',
          '{"type":"cancel","id":12345}',
          '{"type":"result","id":1,"output":{}}',
          '{"type":"nonsense","id":3}',
        ]) {
          socket.send(text);
        }
        // A call whose input has the wrong shape is a call: it is answered, with INVALID_INPUT.
        for (const input of ['nope', { fileId: 'one', categories: ['dog'] }, { fileId, categories: [] }, null]) {
          const answer = await rawCall(socket, JSON.stringify({ type: 'call', id: 77, method: 'dataset.stats', input }), 77);
          if (answer === 'closed' || answer.type !== 'error' || answer.error.code !== 'INVALID_INPUT') {
            tally.wrong.push(`wrong shape: dataset.stats(${JSON.stringify(input)}) got ${JSON.stringify(answer).slice(0, 200)}`);
          }
        }
        await stillAnswers(socket, tally, kind);
        break;
      }
      case 'unknown methods':
        for (const method of [
          'nope.nothing',
          'dataset',
          '__proto__.polluted',
          'dataset.__proto__',
          'constructor.constructor',
          'dataset.toString',
          '',
        ]) {
          const answer = await rawCall(socket, JSON.stringify({ type: 'call', id: 5, method, input: {} }), 5);
          if (answer === 'closed' || answer.type !== 'error' || answer.error.code !== 'NOT_FOUND') {
            tally.wrong.push(`unknown method ${JSON.stringify(method)}: got ${JSON.stringify(answer).slice(0, 200)}`);
          }
        }
        await stillAnswers(socket, tally, kind);
        break;
      case 'binary frame':
        // Binary frames are not ours: ignored, even when they hold a call.
        socket.send(Buffer.from(JSON.stringify({ type: 'call', id: 900, method: 'runs.list', input: {} })), { binary: true });
        await stillAnswers(socket, tally, kind);
        break;
      case 'closed mid-call':
      case 'terminated mid-call':
        socket.send(JSON.stringify({ type: 'call', id: 1, method: 'dataset.stats', input: { fileId, categories: categoryNames } }));
        socket.send(JSON.stringify({ type: 'call', id: 2, method: 'runs.list', input: {} }));
        if (kind === 'closed mid-call') socket.close();
        else socket.terminate();
        break;
      case 'frame over 16 MiB': {
        const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
        socket.send(`{"type":"call","id":1,"method":"dataset.stats","input":{"x":"${'x'.repeat(17 * 1024 * 1024)}"}}`);
        const code = await closed;
        if (code !== 1009 && code !== 1006) tally.wrong.push(`frame over 16 MiB: the connection closed with ${code}, not 1009`);
        break;
      }
    }
  } finally {
    socket.terminate();
  }
}

/** Garbage of every kind in turn until `deadline`; frames over 16 MiB only now and then (each is 17 MB to build and send). */
async function garbageClient(k: number, deadline: number, tally: Tally, sent: Record<string, number>): Promise<void> {
  for (let n = k; performance.now() < deadline; n++) {
    let kind = garbageKinds[n % garbageKinds.length]!;
    if (kind === 'frame over 16 MiB' && (sent[kind] ?? 0) >= 4) kind = 'invalid JSON';
    await sendGarbage(kind, tally);
    sent[kind] = (sent[kind] ?? 0) + 1;
  }
}

describe('mlw serve under load', () => {
  it(
    `answers ${clientCount} clients calling dataset.stats and runs.list at once, and clients sending garbage, correctly for ${seconds} s, and stays up`,
    async () => {
      // runs.list's answer, checked against the recorded runs (newest first) before it is used as the reference.
      const first = await open();
      const firstApi = createClient(protocolOf(first), contract);
      const list = await firstApi.runs.list({});
      expect(list.map((r) => [r.runId, r.name, r.status, r.createdAt])).toEqual(runs.map((r) => [r.runId, r.name, r.status, r.createdAt]));
      expect(list.map((r) => [r.categories, r.images])).toEqual(runs.map(() => [['person', 'dog'], { train: 10, val: 4 }]));
      runsAnswer = list;
      firstApi.dispose();
      first.close();

      const tally: Tally = { calls: 0, slowest: { ms: 0, method: '' }, wrong: [] };
      const garbage: Record<string, number> = {};
      const started = performance.now();
      const deadline = started + seconds * 1000;
      const [made] = await Promise.all([
        Promise.all(Array.from({ length: clientCount }, (_, k) => loadClient(k, deadline, tally))),
        Promise.all(Array.from({ length: garbageClients }, (_, k) => garbageClient(k, deadline, tally, garbage))),
      ]);
      const elapsed = (performance.now() - started) / 1000;
      console.log(
        `serve load: ${clientCount} clients and ${garbageClients} garbage clients for ${elapsed.toFixed(1)} s on 127.0.0.1: ` +
          `${tally.calls} well-formed calls (${(tally.calls / elapsed).toFixed(0)} calls/s), ` +
          `slowest ${tally.slowest.ms.toFixed(1)} ms (${tally.slowest.method}), ${tally.wrong.length} wrong answers; garbage sent: ` +
          Object.entries(garbage)
            .map(([kind, n]) => `${kind} ${n}`)
            .join(', '),
      );

      expect(tally.wrong.slice(0, 10)).toEqual([]);
      expect(made.every((n) => n > 0)).toBe(true);
      // Every kind of garbage was sent at least once.
      expect(garbageKinds.filter((kind) => (garbage[kind] ?? 0) === 0)).toEqual([]);

      // The server is still up: a new client is answered, and so is a page request.
      const fresh = await open();
      const api = createClient(protocolOf(fresh), contract);
      expect((await api.app.info({})).host).toBe('test');
      expect(await api.dataset.stats({ fileId, categories: subsets[2]! })).toEqual(expected[2]);
      api.dispose();
      fresh.close();
      expect((await fetch(server.url)).status).toBe(200);
    },
    60_000 + seconds * 1000,
  );
});
