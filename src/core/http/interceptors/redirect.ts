// Redirects, followed by the pipeline itself (undici's redirect interceptor would forward the gateway key to
// another origin): each hop gets the profile's location decision, so credentials only go to its own origin;
// loops and more than maxRedirects hops fail.
import { ScimxError } from '../../errors';
import type { Exchange } from '../../trace';
import type { Hop, Interceptor, PipelineContext } from '../chain';
import { locate } from '../shape';

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export function redirect(ctx: PipelineContext): Interceptor {
  const { recorder, masker, settings } = ctx;
  return (next) => async (req) => {
    const visited = new Set<string>();
    let hop = req.hop;
    let redirects = 0;
    let bytesSent = 0;
    let bytesReceived = 0;
    for (;;) {
      visited.add(`${hop.method} ${hop.url}`);
      const r = await next({ ...req, hop });
      bytesSent += r.bytesSent;
      bytesReceived += r.bytesReceived;
      const status = r.status ?? 0;
      const location = r.headers?.location;
      if (!REDIRECT_STATUSES.has(status) || !location) return { ...r, bytesSent, bytesReceived };
      redirects += 1;
      const following = nextHop(ctx, hop, status, location, r.exchange);
      if (redirects > settings.maxRedirects) {
        throw recorder.failOn(r.exchange, new ScimxError('location', `Stopped after ${settings.maxRedirects} redirects at ${masker.url(following.url)}.`));
      }
      if (visited.has(`${following.method} ${following.url}`)) {
        throw recorder.failOn(r.exchange, new ScimxError('location', `Redirect loop: ${masker.url(hop.url)} redirects back to ${masker.url(following.url)}.`));
      }
      hop = following;
    }
  };
}

function nextHop(ctx: PipelineContext, prev: Hop, status: number, location: string, from: Exchange): Hop {
  const { recorder, masker, profile } = ctx;
  let target: string;
  try {
    target = new URL(location, prev.url).toString(); // RFC 9110 §10.2.2: relative to the request's URL
  } catch {
    throw recorder.failOn(from, new ScimxError('location', `The redirect to "${masker.text(location)}" is not a valid URL.`));
  }
  let decision;
  try {
    decision = locate(profile, masker, target, 'redirect');
  } catch (e) {
    throw recorder.failOn(from, e instanceof ScimxError ? e : new ScimxError('location', String(e)));
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
