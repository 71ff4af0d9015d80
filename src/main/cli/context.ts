import { resolve } from 'node:path';
import type { Api } from '../../shared/contract';
import type { CallOptions } from '../../shared/contract/define';
import { AppError } from '../../shared/contract/errors';
import type { RunCalibration } from '../../shared/contract/calibration';
import type { Metrics } from '../../shared/domain/metrics';
import { defaultDataDir } from '../paths';
import { createServices, type Services } from '../services';
import { createLocalApi } from '../transport/local';
import { stderrProgress } from './progress';
import { connectToServer } from './server-connection';

// What every command module (commands/*.ts) shares: how a command reaches the API and prints its
// result, and the parsers and formatters of its arguments and output.

export interface GlobalOptions {
  json?: boolean;
  cache?: string;
  /** A running `mlw serve` to call instead of this process's own services. */
  server?: string;
}

export interface CliIo {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  /** Where the built renderer is, for `serve`. */
  rendererDir: string;
}

/** What `runCli` hands to each command module's `register`. */
export interface CliContext {
  io: CliIo;
  /** Aborted on the first Ctrl-C. */
  signal: AbortSignal;
  /**
   * Runs `body` against the API (this process's services, or `mlw serve` with --server) with
   * progress on stderr, then prints its value: one JSON document with --json, else `human(value)`.
   */
  withApi<T>(options: GlobalOptions, body: (api: Api, call: CallOptions) => Promise<T>, human: (value: T) => string): Promise<void>;
  /** A path for the services: as given to this process's own; absolute for a server, whose working folder is another. */
  servicePath(options: GlobalOptions, path: string): string;
  /** Services that this process serves itself (`mlw serve`); closed when the command ends. */
  ownServices(options: Parameters<typeof createServices>[0]): Services;
}

/** The context of one `runCli` call, and `close` to release the services it opened. */
export function createCliContext(io: CliIo, signal: AbortSignal): { context: CliContext; close(): void } {
  let services: Services | undefined;

  const withApi = async <T>(
    options: GlobalOptions,
    body: (api: Api, call: CallOptions) => Promise<T>,
    human: (value: T) => string,
  ): Promise<void> => {
    let api: Api & { dispose(): void };
    let server: string | null = null;
    if (options.server === undefined) {
      services ??= createServices({ dataDir: resolve(options.cache ?? defaultDataDir()), host: 'test', logName: 'cli' });
      api = createLocalApi(services.handlers);
    } else {
      const remote = await connectToServer(options.server);
      server = remote.host;
      api = remote;
    }
    const progress = stderrProgress(io.stderr);
    try {
      const value = await body(api, { signal, onProgress: progress.report });
      progress.done();
      io.stdout.write(options.json ? `${JSON.stringify(value, null, 2)}\n` : `${human(value)}\n`);
    } catch (error) {
      const appError = AppError.from(error);
      if (server !== null && appError.code === 'TRANSPORT_CLOSED') {
        throw new AppError('TRANSPORT_CLOSED', `The connection to "mlw serve" at ${server} was lost; check that it is still running.`);
      }
      throw error;
    } finally {
      progress.done();
      api.dispose();
    }
  };

  const context: CliContext = {
    io,
    signal,
    withApi,
    servicePath: (options, path) => (options.server === undefined ? path : resolve(path)),
    ownServices: (options) => (services = createServices(options)),
  };
  return { context, close: () => services?.close() };
}

export function parseList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new AppError('INVALID_INPUT', `"${value}" is not a whole number.`);
  return n;
}

export function parseFloatOption(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new AppError('INVALID_INPUT', `"${value}" is not a positive number.`);
  return n;
}

export function parseUnit(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1)
    throw new AppError('INVALID_INPUT', `"${value}" is not a threshold between 0 and 1.`);
  return n;
}

export function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new AppError('INVALID_INPUT', `"${value}" is not a port number (0 to 65535).`);
  return port;
}

/** The headline figures, then one line per class. */
export function formatMetrics(m: Metrics): string {
  const f = (v: number | null): string => (v === null ? '—' : v.toFixed(4));
  return [
    `At threshold ${m.threshold}: micro F1 ${f(m.microF1)}, Jaccard (per class, as the example) ${f(m.jaccard)}, precision ${f(m.precision)}, recall ${f(m.recall)}`,
    `macro F1 ${f(m.macroF1)}, per-image Jaccard ${f(m.sampleJaccard)}, mAP ${f(m.mAP)}`,
    table(
      ['class', 'AP', 'precision', 'recall', 'F1', 'TP', 'FP', 'FN', 'TN'],
      m.perClass.map((c) => [c.class, f(c.ap), f(c.precision), f(c.recall), f(c.f1), c.tp, c.fp, c.fn, c.tn]),
    ),
  ].join('\n');
}

/** The calibration lines of `mlw evaluate`: ECE and the example's loss, the temperature applied, the run's held-out figures. */
export function formatCalibration(r: {
  ece: number | null;
  validationLoss: number | null;
  eceByClass: (number | null)[];
  perClass: { class: string }[];
  temperature: number | null;
  calibration: RunCalibration | null;
}): string {
  const f = (v: number | null): string => (v === null ? '—' : v.toFixed(4));
  const scaled = r.temperature === null ? '' : ` (scores scaled by temperature ${r.temperature.toFixed(4)})`;
  const lines = [
    `Expected calibration error (15 bins) ${f(r.ece)}, validation loss (the example's) ${f(r.validationLoss)}${scaled}`,
    `ECE per class: ${r.perClass.map((c, j) => `${c.class} ${f(r.eceByClass[j] ?? null)}`).join(', ')}`,
  ];
  const c = r.calibration;
  if (c !== null) {
    lines.push(
      `Temperature scaling: T ${c.temperature.toFixed(4)}, fitted on ${c.heldOutImages} held-out training images: ECE ${f(c.before.ece)} → ${f(c.after.ece)}, loss ${f(c.before.loss)} → ${f(c.after.loss)}${r.temperature === null ? ' (apply it with --calibrated)' : ''}`,
    );
  }
  return lines.join('\n');
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (typeof rows[0]?.[i] === 'number' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
