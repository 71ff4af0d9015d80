/** Messages between the fuzz runner (the test) and the process that feeds inputs to a reader. */

/** What became of one input, as the reader's own process saw it. */
export type Outcome =
  /** The reader took it (and whatever checks the target makes of an accepted input held). */
  | { kind: 'accepted' }
  /** The reader refused it with an AppError whose message is a sentence, and nothing changed. */
  | { kind: 'rejected'; code: string; message: string }
  /** Anything else: a raw error, a message that is no sentence, a changed cache, a wrong answer. */
  | { kind: 'failed'; problem: string };

export type ToChild = { type: 'run'; index: number };

export type FromChild =
  | { type: 'ready'; seeds: number }
  | { type: 'setupFailed'; message: string }
  /** Sent before the reader runs, so a hang or crash can be told with what it was given. */
  | { type: 'start'; index: number; description: string; inputPath: string }
  /**
   * `tags`: facts worth counting (a lenient acceptance, the two-thread import, a known issue);
   * `example`: what to show of this input under its first tag when it is the first one counted.
   */
  | { type: 'done'; index: number; outcome: Outcome; tags: string[]; example?: string };

/** How a target is started: `fuzz-child.ts <target> <group> <seed> <workDir>`. */
export type TargetName = 'coco' | 'layers-folder' | 'keras-h5' | 'jpeg' | 'selftest';
