// A fake clock for tests (src/core/clock.ts): a wait the code decides on (Retry-After, a backoff, a re-apply
// pause) is recorded and ends at once, while the clock moves forward by the time slept. It runs ahead of real
// time, never behind it: now() is the real time plus every wait slept so far, so that tests against real sockets
// (real latencies, real socket timeouts) keep a timeline in which a wait of N ms really separates what came
// before it from what comes after it.
import type { Clock } from '../../src/core/clock';
import { ScimxError } from '../../src/core/errors';

export interface Slept {
  /** What was asked for. */
  ms: number;
  /** now() when the wait began. */
  at: number;
  /** Cancelled before it ended (its signal aborted). */
  cancelled?: true;
}

export class TestClock implements Clock {
  /** Every wait asked for, in the order asked. */
  readonly sleeps: Slept[] = [];
  private ahead = 0;

  constructor(private readonly realNow: () => number = Date.now) {}

  now(): number {
    return this.realNow() + this.ahead;
  }

  /** Moves the clock forward without a wait (a token's lifetime running out, say); not recorded as a sleep. */
  advance(ms: number): void {
    this.ahead += Math.max(0, ms);
  }

  /** The ms of every wait asked for, in order. */
  get slept(): number[] {
    return this.sleeps.map((s) => s.ms);
  }

  /**
   * Ends on the next turn of the event loop, the clock then at least `ms` past the moment it began (waits that
   * overlap end together, as they would in real time); rejects with ScimxError('cancelled') when `signal` aborts
   * first, the clock then not moved by it.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const entry: Slept = { ms, at: this.now() };
    this.sleeps.push(entry);
    const until = entry.at + Math.max(0, ms);
    return new Promise((resolve, reject) => {
      const cancel = (): void => {
        entry.cancelled = true;
        reject(new ScimxError('cancelled', 'Cancelled while waiting to retry.'));
      };
      if (signal?.aborted) {
        cancel();
        return;
      }
      const onAbort = (): void => {
        clearImmediate(timer);
        cancel();
      };
      const timer = setImmediate(() => {
        signal?.removeEventListener('abort', onAbort);
        this.ahead += Math.max(0, until - this.now());
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
