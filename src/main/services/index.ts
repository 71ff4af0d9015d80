import type { AppInfo } from '../../shared/contract/app';
import type { ApiHandlers } from '../../shared/contract';
import { openCache, type Db } from '../db/connection';
import { RunsStore } from '../db/runs-store';
import { AppService, type PathPicker } from './app-service';
import { CocoService } from './coco-service';
import { DatasetService } from './dataset-service';
import { EvaluationService } from './evaluation-service';
import { PredictionService } from './prediction-service';
import { ReportService, type PdfPrinter } from './report-service';
import { RunsService } from './runs-service';
import { SettingsStore } from './settings-store';
import { TrainingService } from './training-service';
import { join } from 'node:path';
import { logLine, openProcessLog } from '../files/log-file';
import { pruneFolder } from '../files/prune-folder';
import { OutputsStore } from '../db/outputs-store';
import { defaultRoots, fullAccess, guardPaths, rootedAccess } from './path-access';
import { JobRegistry, JobsService, type JobContext } from './job-registry';
import { LabelsService } from './labels-service';
import { contract, type MethodSpec } from '../../shared/contract';
import { parseInput } from '../../shared/rpc/server';
import type { EngineSpawner } from '../engine';

/** How long, and how much, sent images are kept in `uploads/`: 30 days, at most 2 GB. */
export const uploadsLimits = { maxAgeMs: 30 * 24 * 3600 * 1000, maxBytes: 2 * 1024 ** 3 };

export interface Services {
  handlers: ApiHandlers;
  db: Db;
  /** The run records: the only code that reads and writes the runs table. */
  runs: RunsStore;
  /** The long work of this process; it outlives the calls (and windows, and tabs) that started it. */
  jobs: JobRegistry;
  dataDir: string;
  close(): void;
}

/** The composition root shared by the desktop app, `mlw` and `mlw serve`. */
export function createServices(options: {
  dataDir: string;
  host: AppInfo['host'];
  pickPath?: PathPicker;
  /** How the engine process is started (Electron passes utilityProcess). */
  spawnEngine?: EngineSpawner;
  /** Prints an HTML report to PDF (the desktop app's printToPDF). */
  printPdf?: PdfPrinter;
  /** This process's log in the data folder, `logs/<logName>.log` (desktop, serve, cli); none in tests. */
  logName?: string;
  /**
   * `mlw serve`: the folders its calls may read and write ('default': see defaultRoots); the data
   * folder is always one. Absent: full access (the desktop app and the command line, one local user).
   */
  roots?: readonly string[] | 'default';
}): Services {
  const db = openCache(options.dataDir);
  if (options.logName !== undefined) openProcessLog(options.dataDir, options.logName);
  if (options.host !== 'test') {
    // Images sent for prediction are kept a while (a reloaded Predict workspace names them by path), not for ever.
    void pruneFolder(join(options.dataDir, 'uploads'), uploadsLimits).then(({ removed, bytes }) => {
      if (removed > 0) logLine(`uploads: removed ${removed} old file(s), ${bytes} bytes`);
    });
  }
  const settings = new SettingsStore(options.dataDir);
  const dataset = new DatasetService({ dataDir: options.dataDir, db, settings });
  const spawn = options.spawnEngine ? { spawnEngine: options.spawnEngine } : {};
  const jobs = new JobRegistry();
  const runs = new RunsStore(db);
  const evaluation = new EvaluationService({ db, runs, dataDir: options.dataDir, dataset, ...spawn });
  const outputs = new OutputsStore(db);
  const policy =
    options.roots === undefined
      ? fullAccess(outputs)
      : rootedAccess({
          outputs,
          roots: options.roots === 'default' ? defaultRoots(options.dataDir, db) : () => [options.dataDir, ...(options.roots as string[])],
        });
  const prediction = new PredictionService({ db, runs, dataDir: options.dataDir, evaluation, settings, ...spawn });
  const handlers: ApiHandlers = guardPaths(
    {
      app: new AppService(options.host, options.dataDir, settings, options.pickPath),
      dataset,
      training: new TrainingService({
        db,
        runs,
        dataDir: options.dataDir,
        dataset,
        ...(options.spawnEngine ? { spawnEngine: options.spawnEngine } : {}),
      }),
      evaluation,
      prediction,
      reports: new ReportService({
        db,
        runs,
        dataDir: options.dataDir,
        evaluation,
        gallery: (input, context) => handlers.prediction.gallery(input, context),
        ...spawn,
        ...(options.printPdf ? { printPdf: options.printPdf } : {}),
      }),
      runs: new RunsService({ runs, evaluation }),
      coco: new CocoService({ db, dataset }),
      // Grad-CAM of a validation image whose path the service found itself, so not checked against --root.
      labels: new LabelsService({
        db,
        runs,
        evaluation,
        gradcam: (input, context) => prediction.gradcam({ ...input, calibrated: false }, context),
      }),
      jobs: new JobsService(jobs, (method, input) => {
        const [service, name] = method.split('.') as [keyof ApiHandlers, string];
        const spec = contract[service][name as keyof (typeof contract)[typeof service]] as MethodSpec;
        const parsed = parseInput(method, spec, input);
        const handler = (handlers[service] as unknown as Record<string, (input: unknown, context: JobContext) => Promise<unknown>>)[name]!;
        return (context) => handler.call(handlers[service], parsed, context);
      }),
    },
    policy,
  );
  return { handlers, db, runs, jobs, dataDir: options.dataDir, close: () => db.close() };
}
