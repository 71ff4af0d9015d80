import { z } from 'zod';
import { method } from './define';

export const appInfo = z.object({
  version: z.string(),
  /** Where the renderer runs: the desktop app or a browser against `mlw serve`. */
  host: z.enum(['electron', 'serve', 'test']),
  dataDir: z.string(),
  /** Whether `app.pickPath` opens a native dialog (desktop only). */
  canPickPaths: z.boolean(),
});
export type AppInfo = z.infer<typeof appInfo>;

/** Choices the user makes once for every workspace (kept in settings.json beside the cache). */
export const preferences = z.object({
  /**
   * An image whose file is damaged (corrupt data, cut short) in Predict: scored as the decoder could
   * make it, with a warning on its card ('warn'), or refused ('refuse'). Training always leaves them out.
   */
  damagedImages: z.enum(['warn', 'refuse']),
});
export type Preferences = z.infer<typeof preferences>;

/** Something the user is told once, such as a damaged settings file that was set aside. */
export const notice = z.object({ severity: z.enum(['info', 'warning']), message: z.string() });
export type Notice = z.infer<typeof notice>;

export const appContract = {
  info: method({ summary: 'Version, host and data folder.', input: z.object({}), output: appInfo }),
  pickPath: method({
    summary: 'Open a native file or folder dialog (desktop only); null when the user cancels.',
    input: z.object({
      kind: z.enum(['file', 'directory']),
      title: z.string(),
      filters: z.array(z.object({ name: z.string(), extensions: z.array(z.string()) })).optional(),
    }),
    output: z.string().nullable(),
  }),
  preferences: method({ summary: "The user's preferences.", input: z.object({}), output: preferences }),
  setPreferences: method({ summary: 'Change some preferences; returns them all.', input: preferences.partial(), output: preferences }),
  notices: method({
    summary: 'What the user should be told once (a damaged settings file that was set aside); each notice is given to one caller, once.',
    input: z.object({}),
    output: z.array(notice),
  }),
} as const;
