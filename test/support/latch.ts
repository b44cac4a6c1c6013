/**
 * A counter of events that each waiter consumes once. Tests often trigger the
 * event before they get around to awaiting it (abort, then wait), so an event
 * with no waiter is banked instead of lost.
 */
export class EventLatch {
  private banked = 0;
  private readonly waiters: Array<() => void> = [];

  fire(): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter();
    else this.banked++;
  }

  wait(): Promise<void> {
    if (this.banked > 0) {
      this.banked--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
