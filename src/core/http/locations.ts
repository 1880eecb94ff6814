// Server-provided URLs (meta.location, $ref, next-page links, redirects) against the profile's location policy.
// Credentials go to the profile's own origin and nowhere else: this module decides, per URL, where the request
// goes and whether it may carry credentials.
import { ScimxError } from '../errors';
import type { LocationRewrite } from '../trace';
import type { LocationPolicy } from '../profile';

/** SCIM endpoint names (RFC 7644 §3.2) used to find where the SCIM part of a foreign path starts. */
const SCIM_ENDPOINTS = new Set(
  ['users', 'groups', 'schemas', 'resourcetypes', 'serviceproviderconfig', 'serviceproviderconfigs', 'bulk', 'me', '.search'],
);

function segments(pathname: string): string[] {
  return pathname.split('/').filter((s) => s.length > 0);
}

function lower(s: string): string {
  try {
    return decodeURIComponent(s).toLowerCase();
  } catch {
    return s.toLowerCase();
  }
}

function stripTrailingSlash(url: string): string {
  return url.endsWith('/') ? url.slice(0, -1) : url;
}

/** A path relative to the base URL (`Users`, `/Groups/1`, `?x=1`) made absolute. */
export function joinBase(baseUrl: string, path: string): string {
  const base = stripTrailingSlash(baseUrl);
  if (!path) return base;
  if (path.startsWith('?')) return base + path;
  return `${base}/${path.replace(/^\/+/, '')}`;
}

/**
 * A server-provided URL made absolute. Absolute URLs are kept. An absolute-path reference (`/scim/v2/Users/1`)
 * that already starts with the base path is taken on the base origin; any other relative reference
 * (`Users/1`, `/Users/1`, as Entra sends) is taken relative to the base URL.
 */
export function resolveServerUrl(baseUrl: string, url: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return url;
  if (url.startsWith('//')) return new URL(url, baseUrl).toString();
  const base = new URL(stripTrailingSlash(baseUrl));
  const basePath = stripTrailingSlash(base.pathname);
  if (url.startsWith('/') && basePath && (url === basePath || url.startsWith(basePath + '/') || url.startsWith(basePath + '?'))) {
    return base.origin + url;
  }
  return joinBase(baseUrl, url);
}

/**
 * Maps a URL on another origin onto the profile's base URL, keeping the part of the path after the SCIM base
 * path: `http://10.0.0.5:8080/scim/v2/Groups/1` with base `https://gw/scim/v2` -> `https://gw/scim/v2/Groups/1`.
 * Tried in order: (1) the whole base path occurs in the foreign path; (2) a SCIM endpoint name (Users, Groups,
 * Schemas, ResourceTypes, ServiceProviderConfig, Bulk, Me, .search) starts the SCIM part; (3) the last segment
 * of the base path (`v2`, `scim`) occurs. `dropQuery` names query parameters to leave out (the gateway key:
 * the pipeline adds its own). Returns undefined when none of these finds the SCIM part.
 */
export function mapOntoBase(baseUrl: string, foreignUrl: string, dropQuery: string[] = []): string | undefined {
  const base = new URL(stripTrailingSlash(baseUrl));
  const target = new URL(foreignUrl);
  const baseSegs = segments(base.pathname).map(lower);
  const tSegs = segments(target.pathname);
  const tLower = tSegs.map(lower);
  let rest: string[] | undefined;

  if (baseSegs.length) {
    for (let i = 0; i + baseSegs.length <= tLower.length && rest === undefined; i++) {
      if (baseSegs.every((s, j) => tLower[i + j] === s)) rest = tSegs.slice(i + baseSegs.length);
    }
  }
  if (rest === undefined) {
    const i = tLower.findIndex((s) => SCIM_ENDPOINTS.has(s));
    if (i >= 0) rest = tSegs.slice(i);
  }
  if (rest === undefined && baseSegs.length) {
    const last = baseSegs[baseSegs.length - 1];
    const i = tLower.indexOf(last ?? '');
    if (i >= 0) rest = tSegs.slice(i + 1);
  }
  if (rest === undefined) {
    if (!baseSegs.length) rest = tSegs; // base at the root: the whole path is the SCIM part
    else return undefined;
  }
  const basePath = stripTrailingSlash(base.pathname);
  const path = rest.length ? `${basePath}/${rest.join('/')}` : basePath || '/';
  return `${base.origin}${path}${dropQueryParams(target.search, dropQuery)}`;
}

/**
 * Removes the named parameters from a raw query string (`?a=1&b=2`) without re-encoding the others
 * (URLSearchParams would turn `%20` into `+`, which not every SCIM server reads as a space).
 */
export function dropQueryParams(search: string, names: string[]): string {
  const q = search.startsWith('?') ? search.slice(1) : search;
  if (!q) return '';
  const drop = new Set(names);
  const kept = q.split('&').filter((part) => {
    if (!part) return false;
    const eq = part.indexOf('=');
    const raw = eq < 0 ? part : part.slice(0, eq);
    let name = raw;
    try {
      name = decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      /* keep raw */
    }
    return !drop.has(name);
  });
  return kept.length ? `?${kept.join('&')}` : '';
}

/** Appends `name=value` pairs to a URL, percent-encoded (spaces as %20), keeping its existing query as is. */
export function appendQuery(url: string, pairs: Array<[string, string]>): string {
  if (!pairs.length) return url;
  const hash = url.indexOf('#');
  const base = hash >= 0 ? url.slice(0, hash) : url;
  const add = pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  return base + (base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?') + add;
}

/** Removes the named query parameters from an absolute URL (fragment dropped). */
export function withoutQueryParams(url: string, names: string[]): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}${dropQueryParams(u.search, names)}`;
}

/**
 * Whether a URL's path is the base URL's path or below it: segment by segment, case-insensitive and
 * percent-decoded, with no segment that decodes to a dot segment (`%2e%2e`), which a server might resolve
 * to somewhere else. (An encoded slash inside one segment is an opaque id's: `Users/a%2Fb` is one resource.)
 */
export function underBasePath(baseUrl: string, target: URL): boolean {
  const baseSegs = segments(new URL(stripTrailingSlash(baseUrl)).pathname).map(lower);
  const tSegs = segments(target.pathname).map(lower);
  if (tSegs.some((s) => s === '.' || s === '..')) return false;
  return baseSegs.length <= tSegs.length && baseSegs.every((s, i) => tSegs[i] === s);
}

export interface LocationDecision {
  /** The URL to request. */
  url: string;
  /** False when the request goes to another origin: no credentials may go with it. */
  credentials: boolean;
  location?: LocationRewrite;
  warning?: string;
}

/**
 * Applies the profile's location policy to an absolute URL. Same origin and under the base path: as is, with
 * credentials; same origin outside the base path: `rewrite` maps it back under it, `follow` and `strict` throw.
 * Another origin: `rewrite` maps it onto the base URL, `follow` keeps it without credentials, `strict` throws
 * ScimxError('location'). `mask` is applied to URLs placed in warnings and messages.
 */
export function decideLocation(
  baseUrl: string,
  policy: LocationPolicy,
  url: string,
  options: { dropQuery?: string[]; mask?: (s: string) => string; what?: string } = {},
): LocationDecision {
  const mask = options.mask ?? ((s: string) => s);
  const what = options.what ?? 'server-provided URL';
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new ScimxError('location', `Cannot use the ${what} "${mask(url)}": not a valid URL.`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new ScimxError('location', `Cannot use the ${what} "${mask(url)}": only http and https are supported.`);
  }
  const own = new URL(baseUrl).origin;
  if (target.origin === own) {
    if (underBasePath(baseUrl, target)) return { url: target.toString(), credentials: true };
    // On the profile's origin but outside its base path (`../../admin/Groups/g1`): the gateway's key and the
    // profile's auth were given for the SCIM API under the base path, not for whatever else the host serves.
    const basePath = stripTrailingSlash(new URL(baseUrl).pathname) || '/';
    if (policy === 'strict' || policy === 'follow') {
      throw new ScimxError(
        'location',
        `Refused the ${what} ${mask(url)}: it is outside the profile's base path ${basePath} (locations: ${policy}).`,
        { hint: 'Use locations: rewrite to map it back under the base path, or check the server\'s meta.location URLs.' },
      );
    }
    const to = mapOntoBase(baseUrl, url, options.dropQuery);
    if (!to || !underBasePath(baseUrl, new URL(to))) {
      throw new ScimxError(
        'location',
        `Cannot map the ${what} ${mask(url)} under the base path ${basePath}: no SCIM path found in it.`,
        { hint: 'Check the server\'s meta.location URLs and the profile\'s base URL.' },
      );
    }
    return {
      url: to,
      credentials: true,
      location: { policy: 'rewrite', from: mask(url), to: mask(to), credentialsWithheld: false },
      warning: `The ${what} pointed outside the base path ${basePath}: rewritten under it.`,
    };
  }

  switch (policy) {
    case 'strict':
      throw new ScimxError(
        'location',
        `Refused the ${what} ${mask(url)}: it is on ${target.origin}, not on the profile's origin ${own} (locations: strict).`,
        { hint: 'Use locations: rewrite to map it onto the base URL, or follow to use it without credentials.' },
      );
    case 'follow': {
      const to = `${target.origin}${target.pathname}${dropQueryParams(target.search, options.dropQuery ?? [])}`;
      return {
        url: to,
        credentials: false,
        location: { policy: 'follow', from: mask(url), to: mask(to), credentialsWithheld: true },
        warning: `The ${what} is on ${target.origin}, not on ${own}: followed without credentials (locations: follow).`,
      };
    }
    case 'rewrite':
    default: {
      const to = mapOntoBase(baseUrl, url, options.dropQuery);
      if (!to) {
        throw new ScimxError(
          'location',
          `Cannot map the ${what} ${mask(url)} on ${target.origin} onto the base URL ${baseUrl}: no SCIM path found in it.`,
          { hint: 'Use locations: follow to use it without credentials, or check the base URL.' },
        );
      }
      return {
        url: to,
        credentials: true,
        location: { policy: 'rewrite', from: mask(url), to: mask(to), credentialsWithheld: false },
        warning: `The ${what} pointed at ${target.origin}, not at the gateway ${own}: rewritten onto the base URL.`,
      };
    }
  }
}
