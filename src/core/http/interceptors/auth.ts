// Auth: the Authorization value of each attempt that may carry credentials (basic, bearer, or an OAuth 2.0
// client-credentials token, fetched and cached by ../auth.ts), and a token forgotten after a 401.
import type { Operation } from '../../trace';
import { oauthTokens, type OAuthTokens } from '../auth';
import type { Interceptor, PipelineContext } from '../chain';

export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export function auth(ctx: PipelineContext): Interceptor {
  /** Made on the first OAuth request (the extension loads ../auth.ts then: scripts/build.mjs LAZY). */
  let tokens: OAuthTokens | undefined;
  const authorization = async (operation: Operation, signal?: AbortSignal): Promise<string | undefined> => {
    const a = ctx.profile.auth;
    if (a.type === 'basic') return basicAuthorization(a.username, a.password);
    if (a.type === 'bearer') return `Bearer ${a.token}`;
    if (a.type === 'oauth2') return `Bearer ${await (tokens ??= oauthTokens(ctx)).get(operation, signal)}`;
    return undefined;
  };
  return (next) => async (req) => {
    const value = req.hop.credentials ? await authorization(req.operation, req.spec.signal) : undefined;
    const r = await next(value === undefined ? req : { ...req, authorization: value });
    if (r.status === 401 && ctx.profile.auth.type === 'oauth2' && req.hop.credentials) tokens?.invalidate();
    return r;
  };
}
