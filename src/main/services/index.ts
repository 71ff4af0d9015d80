import type { AppInfo } from '../../shared/contract/app';
import type { ApiHandlers } from '../../shared/contract';
import { openCache, type Db } from '../db/connection';
import { AppService, type PathPicker } from './app-service';
import { DatasetService } from './dataset-service';
import { SettingsStore } from './settings-store';

export interface Services {
  handlers: ApiHandlers;
  db: Db;
  dataDir: string;
  close(): void;
}

/** The composition root shared by the desktop app, `mlw` and `mlw serve`. */
export function createServices(options: { dataDir: string; host: AppInfo['host']; pickPath?: PathPicker }): Services {
  const db = openCache(options.dataDir);
  const settings = new SettingsStore(options.dataDir);
  const handlers: ApiHandlers = {
    app: new AppService(options.host, options.dataDir, options.pickPath),
    dataset: new DatasetService({ dataDir: options.dataDir, db, settings }),
  };
  return { handlers, db, dataDir: options.dataDir, close: () => db.close() };
}
