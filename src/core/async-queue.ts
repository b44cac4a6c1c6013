/**
 * A single-consumer async queue: producers push without waiting, the consumer iterates.
 * It is how callback-shaped sources (SDK retry hooks, concurrent tools, merged runs) become one ordered stream.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private waiter: (() => void) | undefined;
  private closed = false;
  private failure: { error: unknown } | undefined;

  push(item: T): void {
    if (this.closed) return;
    this.items.push(item);
    this.wake();
  }

  /** Ends iteration once the buffered items are drained. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  /** Ends iteration with an error after the buffered items are drained. */
  fail(error: unknown): void {
    this.failure = { error };
    this.close();
  }

  get size(): number {
    return this.items.length;
  }

  /** Resolves when an item is available or the queue is closed (without consuming anything). */
  async ready(): Promise<void> {
    if (this.items.length > 0 || this.closed) return;
    await new Promise<void>((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Takes every buffered item at once. */
  drain(): T[] {
    return this.items.splice(0, this.items.length);
  }

  get done(): boolean {
    return this.closed && this.items.length === 0;
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.items.length > 0) {
        yield this.items.shift() as T;
        continue;
      }
      if (this.closed) {
        if (this.failure) throw this.failure.error;
        return;
      }
      await this.ready();
    }
  }
}
