import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { preferences, type Notice } from '../../shared/contract/app';
import { referenceExampleCategories } from '../../shared/domain/presets';
import { writeFileAtomic } from '../files/atomic-file';
import { logLine } from '../files/log-file';

const settingsSchema = z.object({
  selection: z
    .object({ fileId: z.number().int().positive().nullable(), categories: z.array(z.string()) })
    // Until the user chooses, the reference example's 12 categories (those a file lacks are shown as absent).
    .default({ fileId: null, categories: [...referenceExampleCategories] }),
  preferences: preferences.default({ damagedImages: 'warn' }),
});
export type Settings = z.infer<typeof settingsSchema>;

/**
 * User choices that should survive a restart, in `settings.json` beside the cache. Kept out of
 * SQLite so that saving a choice never waits on a long import's write transaction.
 */
export class SettingsStore {
  private readonly path: string;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly notices: Notice[] = [];

  constructor(dataDir: string) {
    this.path = join(dataDir, 'settings.json');
  }

  async read(): Promise<Settings> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch {
      return settingsSchema.parse({}); // none yet
    }
    let parsed: ReturnType<typeof settingsSchema.safeParse> | null = null;
    try {
      parsed = settingsSchema.safeParse(JSON.parse(text));
    } catch {
      // not JSON
    }
    if (parsed?.success) return parsed.data;
    // A damaged settings file costs the user their last selection, not the app, and is kept for them to look at.
    const setAside = await rename(this.path, `${this.path}.bad`).then(
      () => true,
      () => false,
    );
    logLine(`${this.path} was damaged; it is kept as settings.json.bad and the defaults are used.`);
    if (setAside) {
      this.notices.push({
        severity: 'warning',
        message: `Your settings file was damaged, so your saved category selection and preferences were reset. The damaged file is kept as ${this.path}.bad.`,
      });
    }
    return settingsSchema.parse({});
  }

  /** What the user has not been told yet (read() fills it); each notice is handed out once. */
  async takeNotices(): Promise<Notice[]> {
    await this.read();
    return this.notices.splice(0);
  }

  update(change: (settings: Settings) => Settings): Promise<Settings> {
    const next = this.chain.then(async () => {
      const updated = change(await this.read());
      await writeFileAtomic(this.path, `${JSON.stringify(updated, null, 2)}\n`);
      return updated;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}
