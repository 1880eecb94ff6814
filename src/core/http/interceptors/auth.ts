// Auth: the Authorization value of each attempt that may carry credentials (basic, bearer, or an OAuth 2.0
// client-credentials token, fetched and cached by ../auth.ts's TokenCache), and a token forgotten after a 401.
import { ScimxError } from '../../errors';
import { profileOrigin } from '../../profile';
import type { HeaderList, Operation } from '../../trace';
import { basicAuthorization, parseTokenAnswer, TokenCache, tokenRequest } from '../auth';
import { parseJsonBody, tooDeepError } from '../body';
import type { Interceptor, PipelineContext } from '../chain';
import { placeKey } from '../gateway-key';

export function auth(ctx: PipelineContext): Interceptor {
  const tokens = new TokenCache(() => ctx.settings.clock.now());
  const authorization = async (operation: Operation, signal?: AbortSignal): Promise<string | undefined> => {
    const a = ctx.profile.auth;
    if (a.type === 'basic') return basicAuthorization(a.username, a.password);
    if (a.type === 'bearer') return `Bearer ${a.token}`;
    if (a.type === 'oauth2') return `Bearer ${await tokens.get(() => fetchToken(ctx, operation, signal))}`;
    return undefined;
  };
  return (next) => async (req) => {
    const value = req.hop.credentials ? await authorization(req.operation, req.spec.signal) : undefined;
    const r = await next(value === undefined ? req : { ...req, authorization: value });
    if (r.status === 401 && ctx.profile.auth.type === 'oauth2' && req.hop.credentials) tokens.invalidate();
    return r;
  };
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
