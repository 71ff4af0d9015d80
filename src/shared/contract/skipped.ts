import { z } from 'zod';
import { AppError } from './errors';

/** Why an image was left out: no file, a damaged file (see ImageDamage), or one that is not an image at all. */
export const skipKinds = ['missing', 'damaged', 'unreadable'] as const;
export type SkipKind = (typeof skipKinds)[number];

/** An image a long call left out, with the sentence that says why. */
export const skippedImage = z.object({
  path: z.string(),
  reason: z.string(),
  // Records written before kinds were told apart read as 'unreadable'.
  kind: z.enum(skipKinds).default('unreadable'),
});
export type SkippedImage = z.infer<typeof skippedImage>;

/** "2 missing, 1 damaged": the counts of each kind, for a summary line. */
export function skippedCounts(skipped: readonly { kind?: SkipKind }[]): string {
  return skipKinds
    .map((kind) => [kind, skipped.filter((s) => (s.kind ?? 'unreadable') === kind).length] as const)
    .filter(([, count]) => count > 0)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
}

/** Why an image could not be used, from the decoder's error (a damaged file carries `details.damaged`). */
export function skipKindOf(error: unknown): SkipKind {
  const appError = error instanceof AppError ? error : null;
  if (appError?.code === 'NOT_FOUND') return 'missing';
  return appError?.details?.['damaged'] === true ? 'damaged' : 'unreadable';
}
