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
} as const;
