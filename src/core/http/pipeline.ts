// The one request pipeline: every request of every method, to every URL (followed locations, next pages,
// retries, redirect hops), goes through send(). It adds the gateway key, the profile's extra headers, auth,
// Accept/Content-Type and User-Agent; it applies the location policy so credentials only go to the
// profile's own origin; it records each wire attempt as an Exchange from undici's diagnostics channels
// (./wire.ts), masked (./mask.ts).
//
// send() is a chain of small interceptors, composed as undici composes its own (./chain.ts). A request meets:
//   redirect (./interceptors/redirect.ts)  follows 3xx hops under the location policy
//   retry    (./interceptors/retry.ts)     waits and tries again (Retry-After, backoff)
//   auth     (./interceptors/auth.ts)      the Authorization value (OAuth token fetched and cached)
//   shape    (./shape.ts)                  URL and headers of the attempt; the gateway key is placed here only
//   attempt  (./attempt.ts)                one undici request: timeout, cancel, body read (./body.ts), failure
//                                          classified (./classify.ts), exchange recorded (./recorder.ts)
import type { Dispatcher } from 'undici';
import type { Clock } from '../clock';
import { ScimxError } from '../errors';
import { DEFAULTS, profileSecrets, type Profile } from '../profile';
import type { Operation } from '../trace';
import { isJsonContentType, parseJsonBody, tooDeepError } from './body';
import { compose, type AttemptInput, type AttemptResult, type Dispatch, type PipelineContext } from './chain';
import { createDispatcher } from './dispatcher';
import { wireAttempt } from './attempt';
import { auth } from './interceptors/auth';
import { redirect } from './interceptors/redirect';
import { retry } from './interceptors/retry';
import { Masker } from './mask';
import { PIPELINE_DEFAULTS, pipelineSettings, type PipelineOptions, type PipelineSettings } from './options';
import { ExchangeRecorder } from './recorder';
import { firstHop, shapeAttempt } from './shape';
import type { HttpResponse, Meter, RequestSpec } from './types';

export type { PipelineOptions } from './options';
export { INSECURE_WARNING } from './recorder';
export { isJsonContentType, jsonTooDeep, MAX_JSON_DEPTH, parseJsonBody } from './body';
export { answeredBy, whoAnswered, type WhoAnswered } from './who-answered';

export const DEFAULT_USER_AGENT = PIPELINE_DEFAULTS.userAgent;
export const MAX_REDIRECTS = PIPELINE_DEFAULTS.maxRedirects;

export class Pipeline {
  readonly profile: Profile;
  readonly stats: Meter = { requests: 0, bytesSent: 0, bytesReceived: 0 };
  private readonly masker: Masker;
  private readonly settings: PipelineSettings;
  private readonly recorder: ExchangeRecorder;
  private readonly dispatch: Dispatch;
  private dispatcherInstance: Dispatcher | undefined;
  private closed = false;

  /** The clock of every wait (the pipeline's retries and the membership re-applies). */
  get clock(): Clock {
    return this.settings.clock;
  }

  /** Longest Retry-After honoured (every path: the pipeline's retries and the membership re-applies). */
  get maxRetryAfterMs(): number {
    return this.settings.maxRetryAfterMs;
  }

  constructor(profile: Profile, readonly options: PipelineOptions) {
    this.profile = profile;
    this.settings = pipelineSettings(options);
    this.masker = new Masker(profileSecrets(profile), [...profile.secretHeaders, profile.gateway.header], profile.gateway.query);
    this.recorder = new ExchangeRecorder(options.trace, this.masker, profile.gateway, profile.tls.insecure);
    const ctx: PipelineContext = {
      profile, masker: this.masker, settings: this.settings, recorder: this.recorder,
      attempt: (input) => this.attempt(input),
    };
    const send: Dispatch = async (req) => ({ ...(await this.attempt(shapeAttempt(req, profile, this.masker, this.settings.userAgent))), hop: req.hop });
    // Innermost first (undici's order): a request meets redirect, then retry, then auth, then the wire.
    this.dispatch = compose(send, auth(ctx), retry(ctx), redirect(ctx));
  }

  /** Masks free text (an error message, a body) with this profile's secrets. */
  mask(text: string): string {
    return this.masker.text(text);
  }

  /** Masks a URL: the key query parameter and every known secret. */
  maskUrl(url: string): string {
    return this.masker.url(url);
  }

  /** Sends one logical request (retries and redirects included). Non-2xx answers do not throw;
   * network errors, timeouts, cancellation and location-policy refusals throw ScimxError. */
  async send(operation: Operation, spec: RequestSpec): Promise<HttpResponse> {
    if (spec.signal?.aborted) throw new ScimxError('cancelled', 'Cancelled.');
    const r = await this.dispatch({ operation, spec, hop: firstHop(this.profile, this.masker, spec), attempt: 1 });
    const { hop } = r;
    const status = r.status ?? 0;
    const text = r.text ?? (r.body ?? Buffer.alloc(0)).toString('utf8');
    const headers = r.headers ?? {};
    if (r.tooDeep !== undefined) throw this.recorder.failOn(r.exchange, tooDeepError(`${hop.method} ${this.maskUrl(hop.url)}`, status, r.tooDeep));
    const json = r.parsed !== undefined && isJsonContentType(headers['content-type']) ? r.parsed : parseJsonBody(headers['content-type'], text);
    return {
      status,
      headers,
      text,
      json,
      url: r.exchange.request.url,
      exchange: r.exchange,
      bytesSent: r.bytesSent,
      bytesReceived: r.bytesReceived,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const d = this.dispatcherInstance;
    this.dispatcherInstance = undefined;
    if (d) await d.close();
  }

  private get dispatcher(): Dispatcher {
    if (this.closed) throw new ScimxError('cancelled', 'The connection pipeline was closed.');
    if (!this.dispatcherInstance) this.dispatcherInstance = createDispatcher(this.profile, { connections: this.settings.connections });
    return this.dispatcherInstance;
  }

  /** One wire attempt, counted in `stats`. */
  private async attempt(input: AttemptInput): Promise<AttemptResult> {
    const r = await wireAttempt(input, {
      profile: this.profile, masker: this.masker, recorder: this.recorder,
      dispatcher: () => this.dispatcher,
      maxResponseBytes: (this.profile.maxResponseMB ?? DEFAULTS.maxResponseMB) * 1024 * 1024,
    });
    this.stats.requests += 1;
    this.stats.bytesSent += r.bytesSent;
    this.stats.bytesReceived += r.bytesReceived;
    return r;
  }
}
