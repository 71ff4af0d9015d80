import type { appContract, AppInfo } from '../../shared/contract/app';
import type { ServiceHandlers } from '../../shared/contract/define';
import { AppError } from '../../shared/contract/errors';
import { appVersion } from '../version';
import type { SettingsStore } from './settings-store';

type AppHandlers = ServiceHandlers<typeof appContract>;
export type PathPicker = AppHandlers['pickPath'];

/** Facts about this host; `pickPath` is given only by the desktop app, which has native dialogs. */
export class AppService implements AppHandlers {
  constructor(
    private readonly host: AppInfo['host'],
    private readonly dataDir: string,
    private readonly settings: SettingsStore,
    private readonly picker?: PathPicker,
  ) {}

  info: AppHandlers['info'] = async () => ({
    version: appVersion,
    host: this.host,
    dataDir: this.dataDir,
    canPickPaths: this.picker !== undefined,
  });

  pickPath: AppHandlers['pickPath'] = async (input, context) => {
    if (this.picker === undefined) {
      throw new AppError('UNSUPPORTED', 'There is no file dialog in the browser form; type the path on the server instead.');
    }
    return this.picker(input, context);
  };

  preferences: AppHandlers['preferences'] = async () => (await this.settings.read()).preferences;

  setPreferences: AppHandlers['setPreferences'] = async (change) =>
    (await this.settings.update((settings) => ({ ...settings, preferences: { ...settings.preferences, ...change } }))).preferences;

  notices: AppHandlers['notices'] = () => this.settings.takeNotices();
}
