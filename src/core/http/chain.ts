// How the pipeline's interceptors fit together, the way undici composes its own (undici's
// `dispatcher.compose(...interceptors)`, lib/interceptor/*.js): an interceptor takes the dispatch built so far
// and returns a dispatch that wraps it. `compose(send, a, b, c)` gives c(b(a(send))): the last one given is
// the outermost, the one a request meets first.
import type { ScimxError } from '../errors';
import type { Profile } from '../profile';
import type { Exchange, HeaderList, LocationRewrite, Operation } from '../trace';
import type { Masker } from './mask';
import type { PipelineSettings } from './options';
import type { ExchangeRecorder } from './recorder';
import type { HttpMethod, RequestSpec } from './types';

/** One URL a logical request goes to: the first, then one per redirect followed. */
export interface Hop {
  method: HttpMethod;
  url: string;
  /** Credentials (gateway key, auth, secret headers) may go: the URL is on the profile's own origin. */
  credentials: boolean;
  body?: Buffer;
  location?: LocationRewrite;
  warnings: string[];
  redirectOf?: string;
}

/** A request as it passes through the interceptors; each passes it on with its own part filled in. */
export interface PipelineRequest {
  operation: Operation;
  spec: RequestSpec;
  hop: Hop;
  /** Set by the retry interceptor: 1 for the first try. */
  attempt: number;
  retryOf?: string;
  waited?: number;
  /** Set by the auth interceptor: the Authorization value, when credentials may go. */
  authorization?: string;
}

/** One attempt as handed to the wire: URL and headers final. */
export interface AttemptInput {
  operation: Operation;
  method: HttpMethod;
  url: string;
  headers: HeaderList;
  body?: Buffer;
  signal?: AbortSignal;
  init: Pick<Exchange, 'attempt' | 'retryOf' | 'redirectOf' | 'location'> & { warnings: string[]; waited?: number };
}

export interface AttemptResult {
  exchange: Exchange;
  status?: number;
  headers?: Record<string, string>;
  body?: Buffer;
  error?: ScimxError;
  /** The request head reached the socket (an error after that leaves a write's outcome unknown). */
  sent: boolean;
  bytesSent: number;
  bytesReceived: number;
  /** The body decoded, and parsed when it looks like a JSON object: done once per answer (a 500 KB page was
   * decoded twice and parsed twice, bench/list.ts). */
  text?: string;
  parsed?: unknown;
  /** The body is JSON nested deeper than MAX_JSON_DEPTH: where the limit was crossed (not parsed). */
  tooDeep?: number;
}

/** What a dispatch gives back: the last attempt, with the hop it was for. Interceptors that make several
 * attempts (retries, redirects) give back the last one with the bytes of all of them. */
export interface DispatchResult extends AttemptResult {
  hop: Hop;
}

export type Dispatch = (req: PipelineRequest) => Promise<DispatchResult>;
export type Interceptor = (next: Dispatch) => Dispatch;

/** `send` wrapped by each interceptor in turn: the last one is the outermost. */
export function compose(send: Dispatch, ...interceptors: Interceptor[]): Dispatch {
  let dispatch = send;
  for (const intercept of interceptors) dispatch = intercept(dispatch);
  return dispatch;
}

/** What the interceptors share: the profile, the masker, the settings, the recorder and the wire. */
export interface PipelineContext {
  profile: Profile;
  masker: Masker;
  settings: PipelineSettings;
  recorder: ExchangeRecorder;
  /** One wire attempt, counted in the pipeline's stats. */
  attempt(input: AttemptInput): Promise<AttemptResult>;
}
