// OAuth 2.0 client credentials: the token request (one attempt through the pipeline, recorded like any other), and
// the token cached until shortly before it expires. Only OAuth profiles need it: the extension loads it on the first
// OAuth request (dist/oauth.js, scripts/build.mjs LAZY). Basic and bearer are ./interceptors/auth.ts.
import { ScimxError } from '../errors';
import { profileOrigin, type AuthConfig } from '../profile';
import type { HeaderList, Operation } from '../trace';
import { parseJsonBody, tooDeepError } from './body';
import type { PipelineContext } from './chain';
import { placeKey } from './gateway-key';

/** A cached token is replaced this long before it expires (or at 90% of its life when that is shorter). */
export const TOKEN_EXPIRY_MARGIN_MS = 60_000;

export interface TokenRequest {
  url: string;
  /** application/x-www-form-urlencoded body (client_secret_post). */
  body: string;
}

export interface TokenAnswer {
  status: number;
  text: string;
  json: unknown;
}

/** The client-credentials token request: only the client's own credentials go in it. */
export function tokenRequest(auth: Extract<AuthConfig, { type: 'oauth2' }>): TokenRequest {
  const form = new URLSearchParams({ grant_type: 'client_credentials', client_id: auth.clientId, client_secret: auth.clientSecret });
  if (auth.scope) form.set('scope', auth.scope);
  if (auth.audience) form.set('audience', auth.audience);
  return { url: auth.tokenUrl, body: form.toString() };
}

/** Reads a token endpoint answer; throws a one-line ScimxError when it holds no token. */
export function parseTokenAnswer(answer: TokenAnswer, tokenUrl: string, mask: (s: string) => string): { token: string; expiresInMs: number } {
  const j = answer.json as { access_token?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } | undefined;
  if (answer.status < 200 || answer.status >= 300 || !j || typeof j.access_token !== 'string' || !j.access_token) {
    const why = j && typeof j.error === 'string'
      ? `${j.error}${typeof j.error_description === 'string' ? `: ${j.error_description}` : ''}`
      : `HTTP ${answer.status}${answer.json === undefined ? ' (not JSON)' : ''}`;
    throw new ScimxError('http', mask(`OAuth token request to ${tokenUrl} failed: ${why}`), {
      hint: 'Check the profile\'s auth.tokenUrl, clientId and clientSecret.',
    });
  }
  const secs = typeof j.expires_in === 'number' ? j.expires_in : Number(j.expires_in);
  return { token: j.access_token, expiresInMs: Number.isFinite(secs) && secs > 0 ? secs * 1000 : 3600_000 };
}

/** One cached token per pipeline; concurrent callers share one token request. */
export class TokenCache {
  private token: string | undefined;
  private expiresAt = 0;
  private pending: Promise<string> | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  async get(fetch: () => Promise<{ token: string; expiresInMs: number }>): Promise<string> {
    if (this.token && this.now() < this.expiresAt) return this.token;
    if (!this.pending) {
      this.pending = (async () => {
        try {
          const t = await fetch();
          const margin = Math.min(TOKEN_EXPIRY_MARGIN_MS, t.expiresInMs / 10);
          this.token = t.token;
          this.expiresAt = this.now() + t.expiresInMs - margin;
          return t.token;
        } finally {
          this.pending = undefined;
        }
      })();
    }
    return this.pending;
  }

  /** Forgets the token (e.g. after a 401), so the next request fetches a new one. */
  invalidate(): void {
    this.token = undefined;
    this.expiresAt = 0;
  }
}

/** A pipeline's OAuth tokens: one cached token, fetched with the profile's client credentials. */
export interface OAuthTokens {
  get(operation: Operation, signal?: AbortSignal): Promise<string>;
  /** Forgets the token (after a 401), so the next request fetches a new one. */
  invalidate(): void;
}

export function oauthTokens(ctx: PipelineContext): OAuthTokens {
  const cache = new TokenCache(() => ctx.settings.clock.now());
  return { get: (operation, signal) => cache.get(() => fetchToken(ctx, operation, signal)), invalidate: () => cache.invalidate() };
}

/** The client-credentials token request: one attempt, recorded like any other, never retried. */
async function fetchToken(ctx: PipelineContext, operation: Operation, signal?: AbortSignal): Promise<{ token: string; expiresInMs: number }> {
  const { profile, masker } = ctx;
  const a = profile.auth;
  if (a.type !== 'oauth2') throw new Error('not oauth2');
  const req = tokenRequest(a);
  let tokenUrl: URL;
  try {
    tokenUrl = new URL(req.url);
  } catch {
    throw new ScimxError('config', `Profile "${profile.name}": auth.tokenUrl "${req.url}" is not a valid URL.`);
  }
  // Only the client credentials go to the token endpoint; the gateway key and the extra headers too when
  // (and only when) the token endpoint is on the profile's own origin.
  const own = tokenUrl.origin === profileOrigin(profile);
  const headers: HeaderList = [];
  let url = req.url;
  if (own) {
    const keyed = placeKey(profile.gateway, req.url, true);
    if (keyed.header) headers.push(keyed.header);
    for (const [n, v] of Object.entries(profile.headers)) headers.push([n, v]);
    url = keyed.url;
  }
  headers.push(['Accept', 'application/json']);
  headers.push(['Content-Type', 'application/x-www-form-urlencoded']);
  headers.push(['User-Agent', ctx.settings.userAgent]);
  const r = await ctx.attempt({
    operation, method: 'POST', url, headers, body: Buffer.from(req.body), signal,
    init: { attempt: 1, warnings: ['OAuth 2.0 client-credentials token request.'] },
  });
  if (r.error) throw r.error;
  if (r.tooDeep !== undefined) throw ctx.recorder.failOn(r.exchange, tooDeepError(`POST ${masker.url(req.url)}`, r.status ?? 0, r.tooDeep));
  const text = (r.body ?? Buffer.alloc(0)).toString('utf8');
  const answer = { status: r.status ?? 0, text, json: parseJsonBody(r.headers?.['content-type'] ?? 'application/json', text) };
  try {
    const t = parseTokenAnswer(answer, masker.url(req.url), (s) => masker.text(s));
    masker.addSecret(t.token);
    return t;
  } catch (e) {
    throw ctx.recorder.failOn(r.exchange, e instanceof ScimxError ? e : new ScimxError('http', String(e)));
  }
}
