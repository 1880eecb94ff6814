// Rules a profile's values must follow, shared by the profiles file, the command-line flags and the pipeline:
// the keys of each section, the values allowed, header and query names, URLs.
import type { KeyPlacement, LocationPolicy, ProviderKind, WriteMode } from '../profile';
import { clip } from './messages';

export const PROFILE_KEYS = [
  'baseUrl', 'auth', 'gateway', 'headers', 'secretHeaders', 'writes', 'locations', 'provider', 'timeoutMs',
  'pageSize', 'concurrency', 'maxOperationsPerPatch', 'maxResponseMB', 'tls', 'proxy', 'groupReads', 'excludeMembersOnWrite',
  'discoveryMaxAgeHours',
] as const;
export const AUTH_TYPES = ['none', 'basic', 'bearer', 'oauth2'] as const;
export const AUTH_KEYS: Record<(typeof AUTH_TYPES)[number], string[]> = {
  none: ['type'],
  basic: ['type', 'username', 'password'],
  bearer: ['type', 'token'],
  oauth2: ['type', 'tokenUrl', 'clientId', 'clientSecret', 'scope', 'audience'],
};
export const ALL_AUTH_KEYS = ['type', 'username', 'password', 'token', 'tokenUrl', 'clientId', 'clientSecret', 'scope', 'audience'];
export const GATEWAY_KEYS = ['subscriptionKey', 'header', 'query', 'sendAs'];
export const TLS_KEYS = ['insecure', 'caFile', 'certFile', 'keyFile', 'passphrase'];
export const SEND_AS: readonly KeyPlacement[] = ['header', 'query', 'both'];
export const WRITES: readonly WriteMode[] = ['auto', 'patch', 'put'];
export const GROUP_READS = ['verify', 'complete'] as const;
export const LOCATIONS: readonly LocationPolicy[] = ['rewrite', 'follow', 'strict'];
export const PROVIDERS: readonly ProviderKind[] = ['generic', 'entra', 'sap', 'aws', 'google'];
export const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
export const BAD_HEADER_VALUE = /[\r\n\0]/;
/** Characters a query parameter name (gateway.query, --key-query) cannot hold. */
export const BAD_QUERY_NAME = /[&=#?\s]/;

/**
 * Header names the HTTP client and the pipeline own: a profile (file or `--header`) cannot set them, and the
 * pipeline ignores them in per-request headers. Framing and hop-by-hop headers are written by undici (which
 * refuses `expect`, `upgrade`, `keep-alive`, `transfer-encoding` outright); `proxy-authorization` goes to the
 * proxy only, from the profile's proxy settings, never to the server.
 */
export const RESERVED_HEADERS: readonly string[] = [
  'host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'expect', 'te', 'trailer',
  'proxy-authorization', 'proxy-connection',
];

/** Absolute http(s) URL without credentials, query or fragment (base URLs); trailing slashes removed. */
export function checkUrl(raw: string, isBase = true): { url: string } | string {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return `"${clip(raw)}" is not an absolute URL; expected e.g. https://gw.example.com/scim/v2`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `"${clip(raw)}" must be an http:// or https:// URL, not ${u.protocol}`;
  if (u.username || u.password) return 'the URL must not contain credentials; use auth: (and ${env:NAME} for secrets)';
  if (isBase && u.search) return 'the base URL must not have a query string; put a gateway key under gateway: (sendAs: query)';
  if (u.hash) return 'the URL must not have a #fragment';
  let s = u.toString();
  if (isBase) s = s.replace(/\/+$/, '');
  return { url: s };
}
