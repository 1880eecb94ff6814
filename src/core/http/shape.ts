// The request's shape: where it goes (URL, query, the location policy) and, for each attempt, the URL and the
// headers in the order they are written: gateway key, the profile's headers, Authorization, Accept,
// Content-Type, User-Agent, then the per-request headers the pipeline does not own.
import type { Profile } from '../profile';
import { RESERVED_HEADERS } from '../profiles/rules';
import type { HeaderList } from '../trace';
import { encodeBody } from './body';
import type { AttemptInput, Hop, PipelineRequest } from './chain';
import { placeKey } from './gateway-key';
import { appendQuery, decideLocation, joinBase, resolveServerUrl, type LocationDecision } from './locations';
import type { Masker } from './mask';
import type { RequestSpec } from './types';

/** The location policy's decision for a URL (what: `URL`, `server-provided URL`, `redirect`, for messages). */
export function locate(profile: Profile, masker: Masker, url: string, what: string): LocationDecision {
  return decideLocation(profile.baseUrl, profile.locations, url, {
    dropQuery: [profile.gateway.query],
    mask: (s) => masker.url(s),
    what,
  });
}

/** Where a request goes first: its URL resolved against the base URL, its query added, the policy applied. */
export function firstHop(profile: Profile, masker: Masker, spec: RequestSpec): Hop {
  const base = profile.baseUrl;
  const isAbsolute = /^[a-z][a-z0-9+.-]*:/i.test(spec.url);
  let url = isAbsolute ? spec.url : spec.fromServer ? resolveServerUrl(base, spec.url) : joinBase(base, spec.url);
  const pairs: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(spec.query ?? {})) if (v !== undefined) pairs.push([k, String(v)]);
  url = appendQuery(url, pairs);
  const decision = locate(profile, masker, url, spec.fromServer ? 'server-provided URL' : 'URL');
  return {
    method: spec.method,
    url: decision.url,
    credentials: decision.credentials,
    body: encodeBody(spec.body),
    location: decision.location,
    warnings: decision.warning ? [decision.warning] : [],
  };
}

/** One attempt of a request as it goes to the wire. The gateway key is placed here, and only here. */
export function shapeAttempt(req: PipelineRequest, profile: Profile, masker: Masker, userAgent: string): AttemptInput {
  const { hop, spec } = req;
  const warnings = [...hop.warnings];
  const keyed = placeKey(profile.gateway, hop.url, hop.credentials);
  const out: HeaderList = [];
  if (keyed.header) out.push(keyed.header);
  for (const [name, value] of Object.entries(profile.headers)) {
    if (!hop.credentials && masker.isSecretHeader(name)) continue;
    out.push([name, value]);
  }
  if (req.authorization !== undefined) out.push(['Authorization', req.authorization]);
  out.push(['Accept', 'application/scim+json, application/json']);
  if (hop.body) out.push(['Content-Type', 'application/scim+json']);
  out.push(['User-Agent', userAgent]);

  const owned = new Set<string>([...out.map(([n]) => n.toLowerCase()), ...RESERVED_HEADERS,
    profile.gateway.header.toLowerCase(), 'authorization', 'accept', 'content-type', 'user-agent',
    ...Object.keys(profile.headers).map((n) => n.toLowerCase())]);
  for (const [name, value] of Object.entries(spec.headers ?? {})) {
    if (owned.has(name.toLowerCase())) {
      warnings.push(`Per-request header ${name} was ignored: the pipeline sets it.`);
      continue;
    }
    out.push([name, value]);
  }
  return {
    operation: req.operation, method: hop.method, url: keyed.url, headers: out, body: hop.body, signal: spec.signal,
    init: { attempt: req.attempt, retryOf: req.retryOf, redirectOf: hop.redirectOf, location: hop.location, warnings, waited: req.waited },
  };
}
