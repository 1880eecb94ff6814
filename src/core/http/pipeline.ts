// STUB: the pipeline helper replaces this file. The public surface below is the contract.
import type { Profile } from '../profile';
import type { Operation, Trace } from '../trace';
import type { HttpResponse, PipelineStats, RequestSpec, WaitNotice } from './types';

export interface PipelineOptions {
  trace: Trace;
  /** Default `scim-explorer/<version> (+core)`. */
  userAgent?: string;
  /** Called before each wait (429 Retry-After, backoff), so a UI can show a countdown. */
  onWait?: (notice: WaitNotice) => void;
  /** Attempts after the first, for retryable requests. Default 3. */
  maxRetries?: number;
  /** Longest Retry-After honoured; longer waits fail with a clear message. Default 60 000 ms. */
  maxRetryAfterMs?: number;
}

export class Pipeline {
  readonly profile: Profile;
  readonly stats: PipelineStats = { requests: 0, bytesSent: 0, bytesReceived: 0 };
  constructor(profile: Profile, readonly options: PipelineOptions) {
    this.profile = profile;
  }
  /** Sends one logical request (retries and redirects included). Non-2xx answers do not throw;
   * network errors, timeouts, cancellation and location-policy refusals throw ScimxError. */
  send(_operation: Operation, _spec: RequestSpec): Promise<HttpResponse> {
    throw new Error('not implemented');
  }
  async close(): Promise<void> {}
}
