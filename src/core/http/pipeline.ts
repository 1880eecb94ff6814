// The one request pipeline: every request of every method, to every URL (followed locations, next pages,
// retries, redirect hops), goes through send(). It adds the gateway key, the profile's extra headers, auth,
// Accept/Content-Type and User-Agent; it applies the location policy so credentials only go to the
// profile's own origin; it records each wire attempt as an Exchange from undici's diagnostics channels
// (./wire.ts), masked (./mask.ts).
import type { Dispatcher } from 'undici';
import { systemClock, type Clock } from '../clock';
import { ScimxError, HttpStatusError, isScimxError } from '../errors';
import { DEFAULTS, profileOrigin, profileSecrets, type Profile } from '../profile';
import type { Exchange, ExchangeResponse, HeaderList, LocationRewrite, Operation, Trace } from '../trace';
import { basicAuthorization, parseTokenAnswer, TokenCache, tokenRequest } from './auth';
import { createDispatcher } from './dispatcher';
import { appendQuery, decideLocation, dropQueryParams, joinBase, resolveServerUrl } from './locations';
import { Masker } from './mask';
import {
  announcedSleep, backoffMs, formatWait, isReadMethod, parseRetryAfter, RETRY_ERROR_CODES, RETRY_STATUSES,
} from './retry';
import type { HttpMethod, HttpResponse, PipelineStats, RequestSpec, WaitNotice } from './types';
import { recordAttempt, WireRecord } from './wire';

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
  /** Most connections per origin on the pipeline's own Agent; default unlimited. */
  connections?: number;
  /** What the waits between attempts read and sleep on; default the system clock (tests pass a fake one). */
  clock?: Clock;
}

export const DEFAULT_USER_AGENT = 'scim-explorer/0.1.0 (+core)';
export const MAX_REDIRECTS = 5;
/** On every https exchange of a profile with `tls.insecure: true`: the trace says the server was not verified. */
export const INSECURE_WARNING = 'TLS verification off (tls.insecure): the server certificate was not checked.';
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
/** Methods for which undici writes `content-length: 0` when there is no body. */
const EXPECTS_PAYLOAD = new Set(['POST', 'PUT', 'PATCH']);
/** Header names the pipeline owns; per-request headers cannot set them. */
const HOP_HEADERS = ['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer', 'proxy-authorization', 'proxy-connection'];

interface Hop {
  method: HttpMethod;
  url: string;
  credentials: boolean;
  body?: Buffer;
  location?: LocationRewrite;
  warnings: string[];
  redirectOf?: string;
}

interface AttemptResult {
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

interface AttemptInput {
  operation: Operation;
  method: HttpMethod;
  url: string;
  headers: HeaderList;
  body?: Buffer;
  signal?: AbortSignal;
  init: Pick<Exchange, 'attempt' | 'retryOf' | 'redirectOf' | 'location'> & { warnings: string[]; waited?: number };
}

export class Pipeline {
  readonly profile: Profile;
  readonly stats: PipelineStats = { requests: 0, bytesSent: 0, bytesReceived: 0 };
  private readonly masker: Masker;
  private readonly origin: string;
  private dispatcherInstance: Dispatcher | undefined;
  private readonly tokens = new TokenCache(() => this.clock.now());
  private closed = false;

  /** The clock of every wait (the pipeline's retries and the membership re-applies). */
  get clock(): Clock {
    return this.options.clock ?? systemClock;
  }

  /** Longest Retry-After honoured (every path: the pipeline's retries and the membership re-applies). */
  get maxRetryAfterMs(): number {
    return this.options.maxRetryAfterMs ?? 60_000;
  }

  constructor(profile: Profile, readonly options: PipelineOptions) {
    this.profile = profile;
    this.origin = profileOrigin(profile);
    this.masker = new Masker(profileSecrets(profile), [...profile.secretHeaders, profile.gateway.header], profile.gateway.query);
  }

  /** Masks free text (an error message, a body) with this profile's secrets. */
  mask(text: string): string {
    return this.masker.text(text);
  }

  /** Masks a URL: the key query parameter and every known secret. */
  maskUrl(url: string): string {
    return this.masker.url(url);
  }

  private get maxResponseBytes(): number {
    return (this.profile.maxResponseMB ?? DEFAULTS.maxResponseMB) * 1024 * 1024;
  }

  private get dispatcher(): Dispatcher {
    if (this.closed) throw new ScimxError('cancelled', 'The connection pipeline was closed.');
    if (!this.dispatcherInstance) this.dispatcherInstance = createDispatcher(this.profile, { connections: this.options.connections });
    return this.dispatcherInstance;
  }

  /** Sends one logical request (retries and redirects included). Non-2xx answers do not throw;
   * network errors, timeouts, cancellation and location-policy refusals throw ScimxError. */
  async send(operation: Operation, spec: RequestSpec): Promise<HttpResponse> {
    if (spec.signal?.aborted) throw new ScimxError('cancelled', 'Cancelled.');
    const first = this.firstHop(spec);
    const visited = new Set<string>();
    let hop = first;
    let redirects = 0;
    let bytesSent = 0;
    let bytesReceived = 0;
    for (;;) {
      visited.add(`${hop.method} ${hop.url}`);
      const r = await this.sendWithRetries(operation, spec, hop);
      bytesSent += r.bytesSent;
      bytesReceived += r.bytesReceived;
      const status = r.status ?? 0;
      const location = r.headers?.location;
      if (REDIRECT_STATUSES.has(status) && location) {
        redirects += 1;
        const next = this.redirectHop(hop, status, location, r.exchange);
        if (redirects > MAX_REDIRECTS) {
          throw this.failOn(r.exchange, new ScimxError('location', `Stopped after ${MAX_REDIRECTS} redirects at ${this.maskUrl(next.url)}.`));
        }
        if (visited.has(`${next.method} ${next.url}`)) {
          throw this.failOn(r.exchange, new ScimxError('location', `Redirect loop: ${this.maskUrl(hop.url)} redirects back to ${this.maskUrl(next.url)}.`));
        }
        hop = next;
        continue;
      }
      const text = r.text ?? (r.body ?? Buffer.alloc(0)).toString('utf8');
      const headers = r.headers ?? {};
      if (r.tooDeep !== undefined) throw this.failOn(r.exchange, tooDeepError(`${hop.method} ${this.maskUrl(hop.url)}`, status, r.tooDeep));
      const json = r.parsed !== undefined && isJsonContentType(headers['content-type']) ? r.parsed : parseJsonBody(headers['content-type'], text);
      return {
        status,
        headers,
        text,
        json,
        url: r.exchange.request.url,
        exchange: r.exchange,
        bytesSent,
        bytesReceived,
      };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const d = this.dispatcherInstance;
    this.dispatcherInstance = undefined;
    if (d) await d.close();
  }

  // ---- URLs and headers -------------------------------------------------------------------------

  private firstHop(spec: RequestSpec): Hop {
    const base = this.profile.baseUrl;
    const isAbsolute = /^[a-z][a-z0-9+.-]*:/i.test(spec.url);
    let url = isAbsolute ? spec.url : spec.fromServer ? resolveServerUrl(base, spec.url) : joinBase(base, spec.url);
    const pairs: Array<[string, string]> = [];
    for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) pairs.push([k, String(v)]);
    url = appendQuery(url, pairs);
    const decision = decideLocation(base, this.profile.locations, url, {
      dropQuery: [this.profile.gateway.query],
      mask: (s) => this.maskUrl(s),
      what: spec.fromServer ? 'server-provided URL' : 'URL',
    });
    return {
      method: spec.method,
      url: decision.url,
      credentials: decision.credentials,
      body: encodeBody(spec.body),
      location: decision.location,
      warnings: decision.warning ? [decision.warning] : [],
    };
  }

  private redirectHop(prev: Hop, status: number, location: string, from: Exchange): Hop {
    let target: string;
    try {
      target = new URL(location, prev.url).toString(); // RFC 9110 §10.2.2: relative to the request's URL
    } catch {
      throw this.failOn(from, new ScimxError('location', `The redirect to "${this.mask(location)}" is not a valid URL.`));
    }
    let decision;
    try {
      decision = decideLocation(this.profile.baseUrl, this.profile.locations, target, {
        dropQuery: [this.profile.gateway.query],
        mask: (s) => this.maskUrl(s),
        what: 'redirect',
      });
    } catch (e) {
      throw this.failOn(from, e instanceof ScimxError ? e : new ScimxError('location', String(e)));
    }
    // 303 turns anything but HEAD into GET; 301/302 turn POST into GET (as browsers and fetch do).
    const toGet = (status === 303 && prev.method !== 'HEAD') || ((status === 301 || status === 302) && prev.method === 'POST');
    return {
      method: toGet ? 'GET' : prev.method,
      url: decision.url,
      credentials: decision.credentials,
      body: toGet ? undefined : prev.body,
      location: decision.location,
      warnings: decision.warning ? [decision.warning] : [],
      redirectOf: from.id,
    };
  }

  /** The URL with the key in the query (or without it), per sendAs and whether credentials may go. */
  private urlFor(hop: Hop): string {
    const g = this.profile.gateway;
    const u = new URL(hop.url);
    let url = `${u.origin}${u.pathname}${dropQueryParams(u.search, [g.query])}`;
    if (hop.credentials && g.subscriptionKey && (g.sendAs === 'query' || g.sendAs === 'both')) {
      url = appendQuery(url, [[g.query, g.subscriptionKey]]);
    }
    return url;
  }

  private async headersFor(operation: Operation, spec: RequestSpec, hop: Hop, warnings: string[]): Promise<HeaderList> {
    const p = this.profile;
    const g = p.gateway;
    const out: HeaderList = [];
    if (hop.credentials && g.subscriptionKey && (g.sendAs === 'header' || g.sendAs === 'both')) {
      out.push([g.header, g.subscriptionKey]);
    }
    for (const [name, value] of Object.entries(p.headers)) {
      if (!hop.credentials && this.masker.isSecretHeader(name)) continue;
      out.push([name, value]);
    }
    if (hop.credentials) {
      const a = p.auth;
      if (a.type === 'basic') out.push(['Authorization', basicAuthorization(a.username, a.password)]);
      else if (a.type === 'bearer') out.push(['Authorization', `Bearer ${a.token}`]);
      else if (a.type === 'oauth2') out.push(['Authorization', `Bearer ${await this.oauthToken(operation, spec.signal)}`]);
    }
    out.push(['Accept', 'application/scim+json, application/json']);
    if (hop.body) out.push(['Content-Type', 'application/scim+json']);
    out.push(['User-Agent', this.options.userAgent ?? DEFAULT_USER_AGENT]);

    const owned = new Set<string>([...out.map(([n]) => n.toLowerCase()), ...HOP_HEADERS,
      g.header.toLowerCase(), 'authorization', 'accept', 'content-type', 'user-agent',
      ...Object.keys(p.headers).map((n) => n.toLowerCase())]);
    for (const [name, value] of Object.entries(spec.headers ?? {})) {
      if (owned.has(name.toLowerCase())) {
        warnings.push(`Per-request header ${name} was ignored: the pipeline sets it.`);
        continue;
      }
      out.push([name, value]);
    }
    return out;
  }

  // ---- OAuth ------------------------------------------------------------------------------------

  private async oauthToken(operation: Operation, signal?: AbortSignal): Promise<string> {
    const a = this.profile.auth;
    if (a.type !== 'oauth2') throw new Error('not oauth2');
    return this.tokens.get(async () => {
      const req = tokenRequest(a);
      let tokenUrl: URL;
      try {
        tokenUrl = new URL(req.url);
      } catch {
        throw new ScimxError('config', `Profile "${this.profile.name}": auth.tokenUrl "${req.url}" is not a valid URL.`);
      }
      // Only the client credentials go to the token endpoint; the gateway key and the extra headers too when
      // (and only when) the token endpoint is on the profile's own origin.
      const own = tokenUrl.origin === this.origin;
      const g = this.profile.gateway;
      const headers: HeaderList = [];
      let url = req.url;
      if (own) {
        if (g.subscriptionKey && (g.sendAs === 'header' || g.sendAs === 'both')) headers.push([g.header, g.subscriptionKey]);
        for (const [n, v] of Object.entries(this.profile.headers)) headers.push([n, v]);
        url = `${tokenUrl.origin}${tokenUrl.pathname}${dropQueryParams(tokenUrl.search, [g.query])}`;
        if (g.subscriptionKey && (g.sendAs === 'query' || g.sendAs === 'both')) url = appendQuery(url, [[g.query, g.subscriptionKey]]);
      }
      headers.push(['Accept', 'application/json']);
      headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
      headers.push(['User-Agent', this.options.userAgent ?? DEFAULT_USER_AGENT]);
      const r = await this.attempt({
        operation, method: 'POST', url, headers, body: Buffer.from(req.body), signal,
        init: { attempt: 1, warnings: ['OAuth 2.0 client-credentials token request.'] },
      });
      this.account(r);
      if (r.error) throw r.error;
      if (r.tooDeep !== undefined) throw this.failOn(r.exchange, tooDeepError(`POST ${this.maskUrl(req.url)}`, r.status ?? 0, r.tooDeep));
      const text = (r.body ?? Buffer.alloc(0)).toString('utf8');
      const answer = { status: r.status ?? 0, text, json: parseJsonBody(r.headers?.['content-type'] ?? 'application/json', text) };
      try {
        const t = parseTokenAnswer(answer, this.maskUrl(req.url), (s) => this.mask(s));
        this.masker.addSecret(t.token);
        return t;
      } catch (e) {
        throw this.failOn(r.exchange, e instanceof ScimxError ? e : new ScimxError('http', String(e)));
      }
    });
  }

  // ---- retries ----------------------------------------------------------------------------------

  private async sendWithRetries(operation: Operation, spec: RequestSpec, hop: Hop): Promise<AttemptResult> {
    const retryable = spec.retry ?? isReadMethod(hop.method);
    const maxRetries = this.options.maxRetries ?? 3;
    const maxRetryAfter = this.maxRetryAfterMs;
    let attempt = 1;
    let retryOf: string | undefined;
    let waited: number | undefined;
    let sentTotal = 0;
    let receivedTotal = 0;
    for (;;) {
      const warnings = [...hop.warnings];
      const url = this.urlFor(hop);
      const headers = await this.headersFor(operation, spec, hop, warnings);
      const r = await this.attempt({
        operation, method: hop.method, url, headers, body: hop.body, signal: spec.signal,
        init: { attempt, retryOf, redirectOf: hop.redirectOf, location: hop.location, warnings, waited },
      });
      this.account(r);
      sentTotal += r.bytesSent;
      receivedTotal += r.bytesReceived;
      const total = (): AttemptResult => ({ ...r, bytesSent: sentTotal, bytesReceived: receivedTotal });

      if (r.status === 401 && this.profile.auth.type === 'oauth2' && hop.credentials) this.tokens.invalidate();

      if (r.error?.code === 'cancelled') throw r.error;
      const canRetry = retryable && attempt <= maxRetries;
      let waitMs: number;
      let reason: string;
      if (r.error) {
        const transient = r.error.code === 'timeout' || (r.error.code === 'network' && isTransient(r.error));
        if (!canRetry || !transient) throw this.finalError(hop, r);
        waitMs = backoffMs(attempt);
        reason = r.error.code === 'timeout' ? 'timeout' : 'connection dropped';
      } else {
        const status = r.status ?? 0;
        if (!RETRY_STATUSES.includes(status) || !canRetry) return total();
        const ra = parseRetryAfter(r.headers?.['retry-after'], this.clock.now());
        if (ra !== undefined && ra > maxRetryAfter) {
          const who = r.exchange.response?.answeredBy === 'backend' ? 'The server' : 'The gateway';
          throw this.failOn(r.exchange, new HttpStatusError('http', status,
            `${who} answered ${status} to ${hop.method} ${this.maskUrl(hop.url)} and asked to wait ${formatWait(ra)} (Retry-After: ${r.headers?.['retry-after'] ?? ''}), longer than the ${formatWait(maxRetryAfter)} limit; try again later.`,
            { hint: 'Wait and try again, or raise the rate limit or quota on the gateway.' }));
        }
        waitMs = ra ?? backoffMs(attempt);
        reason = `${status}${ra !== undefined ? ' Retry-After' : ''}`;
      }
      // Whoever shows the wait may cancel it (a countdown's Cancel button): the request then fails as cancelled.
      this.options.trace.updateOperation(operation, { progress: `waiting ${formatWait(waitMs)} (${reason})` });
      try {
        await announcedSleep(this.options.onWait, { operation, ms: waitMs, reason, signal: spec.signal }, this.clock);
      } finally {
        this.options.trace.updateOperation(operation, { progress: undefined });
      }
      retryOf = r.exchange.id;
      waited = waitMs;
      attempt += 1;
    }
  }

  private finalError(hop: Hop, r: AttemptResult): ScimxError {
    const e = r.error ?? new ScimxError('network', 'Unknown failure.');
    if (!isReadMethod(hop.method) && r.sent && (e.code === 'network' || e.code === 'timeout')) {
      const msg = `${e.message} The ${hop.method} reached the server but no answer came back: its outcome is unknown (it may have been applied). Re-read before trying again.`;
      return this.failOn(r.exchange, new ScimxError(e.code, msg, { cause: e.cause, hint: 'Re-read the resource to see whether the change was applied.' }));
    }
    return this.failOn(r.exchange, e);
  }

  private account(r: AttemptResult): void {
    this.stats.requests += 1;
    this.stats.bytesSent += r.bytesSent;
    this.stats.bytesReceived += r.bytesReceived;
  }

  /** Records an error on an exchange and returns it with exchangeId set (masked message). */
  private failOn(ex: Exchange, e: ScimxError): ScimxError {
    const message = this.mask(e.message);
    const out = Object.assign(e, { message, exchangeId: ex.id });
    if (out.stack) out.stack = this.mask(out.stack);
    ex.error = { code: out.code, message };
    if (ex.state === 'pending') ex.state = 'failed';
    this.options.trace.touchExchange(ex);
    return out;
  }

  // ---- one wire attempt -------------------------------------------------------------------------

  private async attempt(input: AttemptInput): Promise<AttemptResult> {
    const { operation, method, url, headers, body, signal } = input;
    const trace = this.options.trace;
    const u = new URL(url);
    const path = `${u.pathname}${u.search}`;
    const handedHeaders: HeaderList = headers.map(([n, v]) => [n, v]);
    const start = Date.now();
    const exchange = trace.addExchange(operation, {
      state: 'pending',
      request: {
        method,
        url: this.maskUrl(url),
        line: this.masker.requestLine(`${method} ${path} HTTP/1.1`),
        headers: this.masker.headers(handedHeaders),
        wire: false,
        ...(body ? { body: capText(this.mask(maskWindow(body.toString('utf8'), trace.bodyCap)), trace.bodyCap) } : {}),
        bodySize: body?.length ?? 0,
      },
      timings: { start, ...(input.init.waited !== undefined ? { waited: input.init.waited } : {}) },
      attempt: input.init.attempt,
      ...(input.init.retryOf ? { retryOf: input.init.retryOf } : {}),
      ...(input.init.redirectOf ? { redirectOf: input.init.redirectOf } : {}),
      ...(input.init.location ? { location: input.init.location } : {}),
      keySentAs: this.keySentAs(handedHeaders, path),
      warnings: [...input.init.warnings, ...(u.protocol === 'https:' && this.profile.tls.insecure ? [INSECURE_WARNING] : [])].map((w) => this.mask(w)),
    });

    const controller = new AbortController();
    const timeoutMs = this.profile.timeoutMs;
    let why: 'timeout' | 'cancelled' | undefined;
    const timer = setTimeout(() => {
      why = 'timeout';
      controller.abort(new Error('timeout'));
    }, timeoutMs);
    const onAbort = (): void => {
      why ??= 'cancelled';
      controller.abort(new Error('cancelled'));
    };
    if (signal?.aborted) onAbort();
    else signal?.addEventListener('abort', onAbort, { once: true });

    const rec = new WireRecord();
    const flat: string[] = [];
    for (const [n, v] of headers) flat.push(n, v);
    let status: number | undefined;
    let resHeaders: Record<string, string> | undefined;
    let resBody: Buffer | undefined;
    let error: ScimxError | undefined;
    try {
      const res = await recordAttempt(rec, () => this.dispatcher.request({
        origin: u.origin, path, method, headers: flat, body: body ?? null, signal: controller.signal,
      }));
      status = res.statusCode;
      resHeaders = flattenHeaders(res.headers);
      resBody = await readCapped(res.body, Number(resHeaders['content-length'] ?? NaN), this.maxResponseBytes, () => `${method} ${this.maskUrl(url)}`);
    } catch (e) {
      error = this.classify(e, why, method, url, timeoutMs);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    }

    // ---- fill the exchange from what went on the wire ----
    const end = Date.now();
    const req = exchange.request;
    let bytesSent = 0;
    if (rec.head !== undefined && rec.headers && rec.line !== undefined) {
      const wireHeaders: HeaderList = rec.headers.map(([n, v]) => [n, v]);
      // undici writes content-length right after the head it publishes: add it as it will have been written.
      const len = body?.length ?? 0;
      let lengthLine = '';
      if (len > 0 || EXPECTS_PAYLOAD.has(method)) {
        wireHeaders.push(['content-length', String(len)]);
        req.computedHeaders = [wireHeaders.length - 1];
        lengthLine = `content-length: ${len}\r\n`;
      }
      req.line = this.masker.requestLine(rec.line);
      req.headers = this.masker.headers(wireHeaders, (i, raw) => trace.setRevealable(exchange.id, i, raw));
      req.wire = true;
      exchange.keySentAs = this.keySentAs(wireHeaders, rec.line.split(' ')[1] ?? '');
      exchange.timings.sent = (rec.sentAt ?? end) - start;
      bytesSent = Buffer.byteLength(rec.head, 'latin1') + Buffer.byteLength(lengthLine, 'latin1') + 2 + len;
    } else {
      this.masker.headers(handedHeaders, (i, raw) => trace.setRevealable(exchange.id, i, raw));
    }

    let bytesReceived = 0;
    let text: string | undefined;
    let parsed: unknown;
    let tooDeep: number | undefined;
    if (status !== undefined) {
      const raw: HeaderList = rec.responseHeaders ?? Object.entries(resHeaders ?? {});
      text = (resBody ?? Buffer.alloc(0)).toString('utf8');
      tooDeep = jsonTooDeep(text);
      parsed = tooDeep === undefined ? parseJsonObject(text) : undefined;
      const who = whoAnswered(raw, text, { json: parsed });
      const response: ExchangeResponse = {
        status,
        statusText: this.mask(rec.statusText ?? ''),
        headers: this.masker.headers(raw),
        bodySize: resBody?.length ?? 0,
        truncated: text.length > trace.bodyCap,
        answeredBy: who.by,
        answeredWhy: who.why,
      };
      if (text.length) response.body = capText(this.mask(maskWindow(text, trace.bodyCap)), trace.bodyCap);
      exchange.response = response;
      exchange.timings.headers = (rec.headersAt ?? end) - start;
      const head = `HTTP/1.1 ${status} ${rec.statusText ?? ''}\r\n${raw.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`;
      const computed = Buffer.byteLength(head, 'latin1') + (resBody?.length ?? 0);
      bytesReceived = rec.bytesRead !== undefined && rec.bytesRead >= computed ? rec.bytesRead : computed;
    } else if (rec.bytesRead) {
      bytesReceived = rec.bytesRead;
    }
    exchange.timings.end = end - start;
    if (error) {
      exchange.state = 'failed';
      exchange.error = { code: error.code, message: error.message };
    } else {
      exchange.state = 'done';
    }
    trace.touchExchange(exchange);
    if (error) error = Object.assign(error, { exchangeId: exchange.id }) as ScimxError;
    return {
      exchange, status, headers: resHeaders, body: resBody, error,
      sent: rec.head !== undefined, bytesSent, bytesReceived, text, parsed, tooDeep,
    };
  }

  private classify(e: unknown, why: 'timeout' | 'cancelled' | undefined, method: string, url: string, timeoutMs: number): ScimxError {
    const where = `${method} ${this.maskUrl(url)}`;
    if (why === 'timeout') {
      return new ScimxError('timeout', `No answer to ${where} within ${timeoutMs} ms.`, {
        cause: e, hint: 'Raise timeoutMs in the profile, or check that the server is up.',
      });
    }
    if (why === 'cancelled') return new ScimxError('cancelled', `Cancelled: ${where}.`, { cause: e });
    if (isScimxError(e)) return e;
    const code = errorCode(e);
    const text = e instanceof Error ? e.message : String(e);
    const friendly: Record<string, string> = {
      ECONNREFUSED: 'connection refused',
      ECONNRESET: 'connection reset by the server',
      ENOTFOUND: 'host not found',
      EAI_AGAIN: 'host name lookup failed',
      UND_ERR_SOCKET: 'connection closed by the server',
      UND_ERR_CLOSED: 'connection closed',
      EPIPE: 'connection closed while sending',
      CERT_HAS_EXPIRED: 'the server certificate has expired',
      DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed server certificate (set tls.caFile or tls.insecure)',
      SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain (set tls.caFile or tls.insecure)',
      UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'cannot verify the server certificate (set tls.caFile)',
      ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate does not match the host name',
    };
    const proxied = /Proxy response \((\d{3})\)/.exec(text);
    if (proxied && this.profile.proxy) {
      const status = Number(proxied[1]);
      const proxy = this.profile.proxy.replace(/\/\/[^@/]*@/, '//');
      const why = status === 407 ? '407 Proxy Authentication Required' : `${status}`;
      return new ScimxError('network', this.mask(`${where} failed: the proxy ${proxy} refused the tunnel (${why}).`), {
        cause: e,
        hint: status === 407
          ? 'Give the proxy its credentials: VS Code setting http.proxyAuthorization, or user:password in the proxy URL.'
          : 'Check that the proxy allows CONNECT to this host and port.',
      });
    }
    const desc = code && friendly[code] ? `${friendly[code]} (${code})` : code ? `${text} (${code})` : text;
    // A server that requires a client certificate (mTLS) closes the connection after the TLS handshake,
    // without an answer: the client only sees "other side closed". Say what it may mean.
    const mtls = new URL(url).protocol === 'https:' && !this.profile.tls.certFile && nothingRead(e)
      && (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE');
    if (mtls) {
      return new ScimxError('network', this.mask(`${where} failed: ${desc}, before any answer: the server may require a client certificate (mTLS), and this profile sends none.`), {
        cause: e, hint: 'If the API requires a client certificate, set tls.certFile and tls.keyFile (and tls.passphrase) in the profile.',
      });
    }
    return new ScimxError('network', this.mask(`${where} failed: ${desc}.`), { cause: e });
  }

  private keySentAs(headers: HeaderList, target: string): Exchange['keySentAs'] {
    const g = this.profile.gateway;
    const name = g.header.toLowerCase();
    const inHeader = headers.some(([n]) => n.toLowerCase() === name);
    const q = target.indexOf('?');
    const inQuery = q >= 0 && dropQueryParams(target.slice(q), [g.query]) !== normalizeSearch(target.slice(q));
    return inHeader && inQuery ? 'both' : inHeader ? 'header' : inQuery ? 'query' : 'none';
  }
}

function normalizeSearch(s: string): string {
  return dropQueryParams(s, []);
}

/** undici's socket errors carry the socket's counters: nothing read means no answer started. */
function nothingRead(e: unknown): boolean {
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const s = (cur as { socket?: { bytesRead?: unknown } }).socket;
    if (s && typeof s.bytesRead === 'number') return s.bytesRead === 0;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

function isTransient(e: ScimxError): boolean {
  return errorCodes(e.cause).some((c) => RETRY_ERROR_CODES.includes(c));
}

/** Error codes along the cause chain, outermost first. */
function errorCodes(e: unknown): string[] {
  const out: string[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 5 && cur && typeof cur === 'object'; i++) {
    const c = (cur as { code?: unknown }).code;
    if (typeof c === 'string') out.push(c);
    cur = (cur as { cause?: unknown }).cause;
  }
  return out;
}

/** The most telling code: a system one (ECONNRESET) before undici's wrapper (UND_ERR_SOCKET). */
function errorCode(e: unknown): string | undefined {
  const cs = errorCodes(e);
  return cs.find((c) => !c.startsWith('UND_ERR')) ?? cs[0];
}

/** Reads an answer body up to `limit` bytes; past it, stops reading (the connection is dropped) and fails
 * with a message saying how much was read, so a runaway answer cannot fill the memory. */
async function readCapped(body: Dispatcher.ResponseData['body'], declared: number, limit: number, what: () => string): Promise<Buffer> {
  const tooBig = (n: string): ScimxError => new ScimxError('response',
    `The answer to ${what()} is larger than ${formatMiB(limit)} (${n}); stopped reading it.`,
    { hint: 'Ask for fewer resources per page (count, attributes), or raise maxResponseMB in the profile.' });
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    if (declared > limit) throw tooBig(`${formatMiB(declared)} announced by content-length`);
    for await (const chunk of body) {
      const b = chunk as Buffer;
      total += b.length;
      if (total > limit) throw tooBig(`${formatMiB(total)} read${Number.isFinite(declared) ? ` of ${formatMiB(declared)} announced` : ''}`);
      chunks.push(b);
    }
  } catch (e) {
    body.destroy();
    throw e;
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
}

function formatMiB(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(n >= 10 * 1024 * 1024 ? 0 : 1)} MiB` : `${Math.ceil(n / 1024)} KiB`;
}

function encodeBody(body: unknown): Buffer | undefined {
  if (body === undefined) return undefined;
  if (Buffer.isBuffer(body)) return body.length ? body : undefined;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text.length ? Buffer.from(text, 'utf8') : undefined;
}

/** Only the part of a body the trace keeps is masked: the cap plus a margin wide enough that a secret or a
 * `"access_token": "…"` field straddling the cut is still seen whole (a 500 KB page was masked in full
 * before it was cut to 64 K, bench/list.ts). */
const MASK_MARGIN = 16 * 1024;
function maskWindow(text: string, cap: number): string {
  return text.length > cap + MASK_MARGIN ? text.slice(0, cap + MASK_MARGIN) : text;
}

function capText(text: string, cap: number): string {
  if (text.length <= cap) return text;
  // A copy, not a slice: V8's slice of a long string keeps the whole parent alive, so the trace would hold
  // every full body (bench/list.ts measured 51 MB kept for 6 MB of capped bodies). utf16le is lossless.
  return Buffer.from(text.slice(0, cap), 'utf16le').toString('utf16le');
}

function flattenHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

export function isJsonContentType(ct: string | undefined): boolean {
  if (!ct) return false;
  const t = (ct.split(';')[0] ?? '').trim().toLowerCase();
  return t === 'application/json' || t.endsWith('+json') || t === 'text/json';
}

/** Deepest JSON nesting read from a server: SCIM documents nest about 6 levels (a schema's sub-attributes);
 * deeper ones exhaust the stack of whatever walks them (JSON.stringify: "Maximum call stack size exceeded"). */
export const MAX_JSON_DEPTH = 100;

/** Where (character offset) a text that starts as JSON nests deeper than `limit`; undefined when it does not. */
export function jsonTooDeep(text: string, limit = MAX_JSON_DEPTH): number | undefined {
  if (text.length <= limit) return undefined;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > limit) return i;
    } else if (c === 0x7d || c === 0x5d) depth -= 1;
    else if (depth === 0 && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return undefined; // not JSON
  }
  return undefined;
}

function tooDeepError(what: string, status: number, offset: number): ScimxError {
  return new ScimxError('response',
    `The answer to ${what} (HTTP ${status}) is JSON nested more than ${MAX_JSON_DEPTH} levels deep (at character ${offset}): not a SCIM answer, so it was not read.`,
    { hint: 'Check what answers on the base URL (a SCIM resource nests a few levels); the trace holds the start of the body.' });
}

/** Parsed body when the content type is JSON; undefined when it is not, or when the JSON is invalid. */
export function parseJsonBody(contentType: string | undefined, text: string): unknown {
  if (!isJsonContentType(contentType) || !text.trim() || jsonTooDeep(text) !== undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The body parsed when it looks like a JSON object (`{…}`), else undefined. */
function parseJsonObject(text: string): unknown {
  if (!text.trim().startsWith('{')) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Who answered, and what that was read from. */
export interface WhoAnswered {
  by: ExchangeResponse['answeredBy'];
  why: string;
}

/**
 * Who answered, from the answer itself. The gateway: APIM's own errors are JSON with exactly `statusCode` and
 * `message`. The SCIM service behind it: SCIM JSON (`schemas`, or the SCIM content type), or what only the
 * service's own web framework writes and a gateway forwards as is: an `X-Powered-By` (or ASP.NET version)
 * header, Express's `Cannot GET /path` page or its error page, NestJS's `{statusCode, message, error}`. Anything
 * else is unknown, and `why` says so (an empty 404 may be the service or something in front of it).
 */
export function whoAnswered(headers: HeaderList | Record<string, string>, text: string, parsed?: { json: unknown }): WhoAnswered {
  const list: HeaderList = Array.isArray(headers) ? headers : Object.entries(headers);
  const header = (name: string): string | undefined => list.find(([k]) => k.toLowerCase() === name)?.[1];
  const contentType = header('content-type');
  const j = parsed ? parsed.json : parseJsonObject(text);
  if (j && typeof j === 'object' && !Array.isArray(j)) {
    const o = j as Record<string, unknown>;
    const keys = Object.keys(o);
    if (typeof o.statusCode === 'number' && typeof o.message === 'string' && !('schemas' in o)) {
      if (typeof o.error === 'string') return { by: 'backend', why: 'a web framework\'s error body {statusCode, message, error} (NestJS style), not APIM\'s' };
      return { by: 'gateway', why: keys.length === 2 ? "APIM's own error body {statusCode, message}" : `APIM's error shape {statusCode, message} (with ${keys.filter((k) => k !== 'statusCode' && k !== 'message').slice(0, 3).join(', ')})` };
    }
    if (Array.isArray(o.schemas)) return { by: 'backend', why: 'SCIM JSON (schemas)' };
  }
  if (contentType && /application\/scim\+json/i.test(contentType)) return { by: 'backend', why: 'the SCIM content type' };
  const poweredBy = header('x-powered-by') ?? (header('x-aspnet-version') !== undefined ? 'ASP.NET' : undefined);
  if (poweredBy !== undefined) return { by: 'backend', why: `X-Powered-By: ${poweredBy.slice(0, 40)} (written by the service's framework; the gateway forwarded it)` };
  const html = /^\s*(<!doctype html|<html|<head|<body)/i.test(text) || (!!contentType && /text\/html/i.test(contentType));
  if (html) {
    const cannot = /<pre>\s*Cannot (GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) [^<]{0,300}<\/pre>/i.exec(text);
    if (cannot) return { by: 'backend', why: `Express's "Cannot ${cannot[1]} …" page: the service's own router found no route` };
    if (/<title>Error<\/title>/i.test(text) && /<pre>[^<]{0,500}<\/pre>/i.test(text) && /default-src 'none'/i.test(header('content-security-policy') ?? '')) {
      return { by: 'backend', why: "Express's error page: the service's own framework answered" };
    }
    return { by: 'unknown', why: 'an HTML page with no sign of who wrote it (the gateway, something in front of it, or the service)' };
  }
  if (!text.trim()) return { by: 'unknown', why: 'an empty body: not APIM\'s own error body, but nothing says who answered' };
  return { by: 'unknown', why: 'neither APIM\'s error body nor SCIM JSON' };
}

/** Who answered (see whoAnswered), without the reason. */
export function answeredBy(contentType: string | undefined, text: string, parsed?: { json: unknown }): ExchangeResponse['answeredBy'] {
  return whoAnswered(contentType ? [['content-type', contentType]] : [], text, parsed).by;
}
