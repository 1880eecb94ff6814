// Retry policy for the pipeline. Why a small loop and not undici's RetryHandler / interceptors.retry
// (node_modules/undici/lib/handler/retry-handler.js, read for 7.30):
//  - it swallows the body of every retried answer (`onResponseData` returns early while `this.error` is set),
//    so a 429/503 attempt could not be recorded as its own Exchange with its response visible;
//  - with `throwOnError: true` (its default) an exhausted retry throws instead of handing back the last
//    429/503, but send() must return non-2xx answers; with `throwOnError: false` the body of the final
//    answer is only delivered when the retry callback declines;
//  - a Retry-After above `maxTimeout` is silently shortened to `maxTimeout`; we must instead fail with a
//    message saying how long the gateway asked to wait;
//  - a resumed body adds `range`/`if-match` headers of its own, which would change what goes on the wire
//    behind the pipeline's back, and its own timer is not cancellable by our AbortSignal.
// Each attempt also needs a fresh location decision, a fresh OAuth token and its own timeout; so the loop
// lives in pipeline.ts and the decisions (what is retryable, how long to wait) live here, tested on their own.
import { systemClock, type Clock } from '../clock';
import type { Operation } from '../trace';
import type { WaitNotice } from './types';

export const RETRY_STATUSES: readonly number[] = [429, 502, 503, 504];
/** Error codes of a dropped connection; a refused connection or an unknown host is not retried. */
export const RETRY_ERROR_CODES: readonly string[] = [
  'ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED',
  'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT',
];

export const BACKOFF_BASE_MS = 250;
export const BACKOFF_MAX_MS = 8_000;

export function isReadMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

/**
 * Retry-After in ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3). Undefined when absent or unreadable;
 * a date in the past is 0.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

/** Exponential backoff with full jitter in [50%, 100%] of the step: 250, 500, 1000 … capped. */
export function backoffMs(retry: number, random: () => number = Math.random): number {
  const step = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, retry - 1));
  return Math.round(step * (0.5 + random() * 0.5));
}

export function formatWait(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  return s < 600 ? `${s} s` : `${Math.round(s / 60)} min`;
}

/** `waiting 26 s (429 Retry-After)`, `waiting 1 min 05 s (503)`: the countdown of a wait before a retry. */
export function countdownText(msLeft: number, reason: string): string {
  const s = Math.max(0, Math.ceil(msLeft / 1000));
  const time = s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `waiting ${time} (${reason})`;
}

/**
 * A wait announced to whoever shows it (`onWait`: a countdown, a log line), then slept: it ends after `ms`, or
 * as soon as `signal` aborts or the notice's `cancel()` is called (both reject with ScimxError('cancelled')).
 * The one way the pipeline's retries and the membership re-applies wait.
 */
export function announcedSleep(
  onWait: ((notice: WaitNotice) => void) | undefined, wait: { operation: Operation; ms: number; reason: string; signal?: AbortSignal },
  clock: Clock = systemClock,
): Promise<void> {
  const stop = new AbortController();
  const signal = wait.signal ? AbortSignal.any([wait.signal, stop.signal]) : stop.signal;
  onWait?.({ operation: wait.operation, ms: wait.ms, until: clock.now() + wait.ms, reason: wait.reason, signal: wait.signal, cancel: () => stop.abort() });
  return clock.sleep(wait.ms, signal);
}

/** Calls `render` with the countdown text now and every second until the wait is over (or its request's
 * signal aborts); `done` runs once at the end, and the returned function ends it early (and runs `done`). */
export function countDown(n: WaitNotice, render: (text: string) => void, done?: () => void, clock: Clock = systemClock): () => void {
  let finished = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  const stop = (): void => {
    if (finished) return;
    finished = true;
    if (timer) clearInterval(timer);
    done?.();
  };
  const tick = (): void => {
    const left = n.until - clock.now();
    if (left <= 0 || n.signal?.aborted) stop();
    else render(countdownText(left, n.reason));
  };
  tick();
  if (!finished) {
    timer = setInterval(tick, 1000);
    timer.unref?.();
  }
  return stop;
}

/** Waits `ms` of real time, or rejects with ScimxError('cancelled') as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return systemClock.sleep(ms, signal);
}
