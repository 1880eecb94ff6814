// The pipeline's options, and their defaults in one object.
import { systemClock, type Clock } from '../clock';
import type { TraceSink } from './recorder';
import type { WaitNotice } from './types';

export interface PipelineOptions {
  /** Where exchanges are recorded (a Trace). */
  trace: TraceSink;
  /** Default `scim-explorer/<version> (+core)`. */
  userAgent?: string;
  /** Called before each wait (429 Retry-After, backoff), so a UI can show a countdown. */
  onWait?: (notice: WaitNotice) => void;
  /** Attempts after the first, for retryable requests. Default 3. */
  maxRetries?: number;
  /** Longest Retry-After honoured; longer waits fail with a clear message. Default 60 000 ms. */
  maxRetryAfterMs?: number;
  /** Most connections per origin on the pipeline's own Agent; default unlimited. */
  connections?: number;
  /** What the waits between attempts read and sleep on; default the system clock (tests pass a fake one). */
  clock?: Clock;
}

/** Every default of the pipeline. The profile brings its own (timeoutMs, maxResponseMB: ../profile.ts). */
export const PIPELINE_DEFAULTS = {
  userAgent: 'scim-explorer/0.1.0 (+core)',
  maxRetries: 3,
  maxRetryAfterMs: 60_000,
  /** Redirect hops followed for one request. */
  maxRedirects: 5,
  clock: systemClock,
} as const;

/** The options with their defaults applied: what the pipeline's steps read. */
export interface PipelineSettings {
  trace: TraceSink;
  userAgent: string;
  onWait?: (notice: WaitNotice) => void;
  maxRetries: number;
  maxRetryAfterMs: number;
  maxRedirects: number;
  connections?: number;
  clock: Clock;
}

export function pipelineSettings(o: PipelineOptions): PipelineSettings {
  return {
    trace: o.trace,
    userAgent: o.userAgent ?? PIPELINE_DEFAULTS.userAgent,
    onWait: o.onWait,
    maxRetries: o.maxRetries ?? PIPELINE_DEFAULTS.maxRetries,
    maxRetryAfterMs: o.maxRetryAfterMs ?? PIPELINE_DEFAULTS.maxRetryAfterMs,
    maxRedirects: PIPELINE_DEFAULTS.maxRedirects,
    connections: o.connections,
    clock: o.clock ?? PIPELINE_DEFAULTS.clock,
  };
}
