/**
 * How an idle worker learns that work was queued: a NOTIFY on the listening
 * connection, or its fallback poll. A notification can arrive while the worker
 * is not waiting (inside a claim that found nothing, or while it looks for an
 * artifact to compute); it is remembered, so the wait that follows returns at
 * once instead of sleeping through a whole poll interval with work queued.
 */
export class Wakeup {
  private signalled = false;
  private release: (() => void) | null = null;

  /** Work may be waiting (a notification, or a stop request). */
  signal(): void {
    this.signalled = true;
    this.release?.();
  }

  /** Called before each claim: what the claim will see needs no wake-up of its own. */
  clear(): void {
    this.signalled = false;
  }

  /** Resolves on a signal given since the last clear(), or after `ms`. */
  wait(ms: number): Promise<void> {
    if (this.signalled) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.release = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.release = done;
    });
  }
}
