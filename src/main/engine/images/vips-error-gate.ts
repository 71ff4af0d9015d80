/**
 * libvips keeps one error buffer and one queue of warnings for the whole process: a failing decode
 * appends its words, and sharp reads them and clears them. Two decodes that fail at once can
 * therefore swap their words, or one can take both and leave the other none (seen in CI: a
 * truncated JPEG reported with no words, and so in the wrong sentence). A gate orders them: libvips
 * decodes pass it together (`together`), and a decode repeated to get its words runs alone
 * (`alone`), after those under way and before any new one.
 *
 * One gate per thread: decode workers each have their own, so words are best effort across them.
 * Nothing the app says in its own words depends on them (see jpegEndsEarly).
 */
export class VipsErrorGate {
  private readonly running = new Set<Promise<unknown>>();
  /** The last exclusive run asked for; settled when no exclusive run is waiting or running. */
  private exclusive: Promise<unknown> = Promise.resolve();
  /** Exclusive runs waiting or running: while there are none, shared work starts at once. */
  private exclusiveCount = 0;

  /** Runs `work` alongside other shared runs, but never while an exclusive run waits or runs. */
  async together<T>(work: () => Promise<T>): Promise<T> {
    // An exclusive run asked for while this one waited comes first, too.
    while (this.exclusiveCount > 0) await this.exclusive;
    const run = work();
    this.running.add(run);
    try {
      return await run;
    } finally {
      this.running.delete(run);
    }
  }

  /** Runs `work` once the shared runs under way have settled, with none started until it ends. */
  alone<T>(work: () => Promise<T>): Promise<T> {
    this.exclusiveCount++;
    const run = this.exclusive.then(async () => {
      await Promise.allSettled([...this.running]);
      return work();
    });
    this.exclusive = run.then(
      () => this.exclusiveCount--,
      () => this.exclusiveCount--,
    );
    return run;
  }
}
