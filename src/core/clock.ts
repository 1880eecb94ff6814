// Time, as a port: what the retries (429 Retry-After, backoffs), the membership re-applies and their countdowns
// read and wait on. The product always runs on `systemClock`; tests hand a fake one through the options objects
// (PipelineOptions, ScimClientOptions, CliIo, SandboxOptions) so that a wait the code decides on is recorded and
// checked instead of slept. A socket's own timeout (profile.timeoutMs) is not a wait: it stays on real time.
import { ScimxError } from './errors';

export interface Clock {
  /** Epoch ms, like Date.now(). */
  now(): number;
  /** Waits `ms`, or rejects with ScimxError('cancelled') as soon as `signal` aborts (at once if it already has). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function cancelled(): ScimxError {
  return new ScimxError('cancelled', 'Cancelled while waiting to retry.');
}

/** Real time: Date.now() and a setTimeout that the signal cancels. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(cancelled());
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(cancelled());
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
});
