// Authentication headers: basic, bearer, and OAuth 2.0 client credentials with the token cached until
// shortly before it expires.
import { ScimxError } from '../errors';
import type { AuthConfig } from '../profile';

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

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
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
