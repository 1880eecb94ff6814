// Connection profiles: the resolved, validated shape every other module uses.
// Parsing and validation of `scim-profiles.yaml` (and of the CLI's flags) live in ./profiles/.

export type AuthType = 'none' | 'basic' | 'bearer' | 'oauth2';

export type AuthConfig =
  | { type: 'none' }
  | { type: 'basic'; username: string; password: string }
  | { type: 'bearer'; token: string }
  | {
    type: 'oauth2';
    /** Client-credentials grant. The token is cached until shortly before it expires. */
    tokenUrl: string;
    clientId: string;
    clientSecret: string;
    scope?: string;
    audience?: string;
  };

export type KeyPlacement = 'header' | 'query' | 'both';

export interface GatewayConfig {
  /** Resolved subscription key; undefined when the profile has none. */
  subscriptionKey?: string;
  /** Header name, default `Ocp-Apim-Subscription-Key` (APIM lets each API rename it). */
  header: string;
  /** Query parameter name, default `subscription-key`. */
  query: string;
  sendAs: KeyPlacement;
}

export type WriteMode = 'auto' | 'patch' | 'put';
/** What to do with a server-provided URL (meta.location, $ref, next page, redirect) on another origin. */
export type LocationPolicy = 'rewrite' | 'follow' | 'strict';
export type ProviderKind = 'generic' | 'entra' | 'sap' | 'aws' | 'google';

export interface TlsConfig {
  /** Accept any certificate. Explicit per profile, shown in the UI. */
  insecure: boolean;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  passphrase?: string;
}

export interface Profile {
  name: string;
  /** Absolute http(s) URL without a trailing slash, e.g. `https://gw.example.com/scim/v2`. */
  baseUrl: string;
  auth: AuthConfig;
  gateway: GatewayConfig;
  /** Extra headers sent on every request, in the order given. */
  headers: Record<string, string>;
  /** Header names (lower case) whose values are secrets and are masked in traces. */
  secretHeaders: string[];
  writes: WriteMode;
  locations: LocationPolicy;
  provider: ProviderKind;
  timeoutMs: number;
  /** Page size asked for when listing (the server may cap it). */
  pageSize: number;
  /** Pages fetched in parallel when index paging allows it. */
  concurrency: number;
  /** `generic` provider: most membership changes in one PATCH. */
  maxOperationsPerPatch: number;
  /** Largest answer body read, in MiB (default 64): a bigger one fails with a clear message instead of
   * filling memory. A 50,000-member group is about 8 MiB. */
  maxResponseMB?: number;
  tls: TlsConfig;
  /** HTTP proxy URL for this profile, e.g. `http://127.0.0.1:3128`. */
  proxy?: string;
  /** Proxy-Authorization value sent to the proxy only (VS Code's `http.proxyAuthorization`); a secret. */
  proxyAuthorization?: string;
  /** `complete`: this provider's group reads return every member (no cap), so the PUT path may rely on one
   * without an independent member count. Default `verify`: a PUT needs the count (or a documented cap). */
  groupReads?: 'verify' | 'complete';
  /** Membership writes carry `excludedAttributes=members` so the answer leaves the members out. Off by default:
   * SCIMMY 1.3.5 applies a write's projection to what it stores, and the group loses its members. */
  excludeMembersOnWrite?: boolean;
  /** How long the provider cache's discovery documents are used without asking the service again, in hours
   * (default 24; 0: asked every run, with If-None-Match where the service gave an ETag). */
  discoveryMaxAgeHours?: number;
  /** Where this profile was defined, for messages. */
  source?: { file: string; line: number };
  /** Names of the `${secret:NAME}` references this profile resolved (the extension asks before a stored secret
   * goes to an origin it was not approved for). */
  secretRefs?: string[];
  /** Names of the `${env:NAME}` variables whose values this profile sends to a host (the extension asks
   * before a workspace file sends them to an origin they were not approved for, as for `${secret:}`). */
  envRefs?: string[];
  /** Values substituted (`${env:}`, `${secret:}`) into fields that are not secrets by nature (a baseUrl path
   * or query, a user name, a scope): masked like secrets. A substituted scheme, host or port is not here. */
  maskedValues?: string[];
}

export const DEFAULT_KEY_HEADER = 'Ocp-Apim-Subscription-Key';
export const DEFAULT_KEY_QUERY = 'subscription-key';

export const DEFAULTS = {
  writes: 'auto' as WriteMode,
  locations: 'rewrite' as LocationPolicy,
  provider: 'generic' as ProviderKind,
  timeoutMs: 30_000,
  pageSize: 100,
  concurrency: 4,
  maxOperationsPerPatch: 100,
  maxResponseMB: 64,
  discoveryMaxAgeHours: 24,
};

/** Every raw secret value of a profile; the trace masks each of them wherever it appears. */
export function profileSecrets(p: Profile): string[] {
  const out: string[] = [];
  if (p.gateway.subscriptionKey) out.push(p.gateway.subscriptionKey);
  switch (p.auth.type) {
    case 'basic':
      out.push(p.auth.password);
      out.push(Buffer.from(`${p.auth.username}:${p.auth.password}`).toString('base64'));
      break;
    case 'bearer':
      out.push(p.auth.token);
      break;
    case 'oauth2':
      out.push(p.auth.clientSecret);
      break;
    default:
      break;
  }
  for (const [name, value] of Object.entries(p.headers)) {
    if (p.secretHeaders.includes(name.toLowerCase())) out.push(value);
  }
  if (p.tls.passphrase) out.push(p.tls.passphrase);
  if (p.proxyAuthorization) out.push(p.proxyAuthorization);
  const proxyUser = proxyCredentials(p.proxy);
  if (proxyUser) out.push(proxyUser.password, proxyUser.basic);
  for (const v of p.maskedValues ?? []) out.push(v);
  return out.filter((s) => s.length > 0);
}

/** Shorter secrets are masked only where they stand (header values, URL user info, query values, secret
 * JSON fields), never in free text: `2024` masked as free text turned every date into `••••-01-01`. */
export const SHORT_SECRET_LENGTH = 8;

/** One warning per secret of the profile shorter than SHORT_SECRET_LENGTH, with the key that holds it. */
export function shortSecretWarnings(p: Profile): Array<{ key: string; message: string }> {
  const found: Array<[string, string | undefined]> = [['gateway.subscriptionKey', p.gateway.subscriptionKey]];
  if (p.auth.type === 'basic') found.push(['auth.password', p.auth.password]);
  if (p.auth.type === 'bearer') found.push(['auth.token', p.auth.token]);
  if (p.auth.type === 'oauth2') found.push(['auth.clientSecret', p.auth.clientSecret]);
  for (const [name, value] of Object.entries(p.headers)) if (p.secretHeaders.includes(name.toLowerCase())) found.push([`headers.${name}`, value]);
  found.push(['tls.passphrase', p.tls.passphrase], ['proxy', proxyCredentials(p.proxy)?.password]);
  const out: Array<{ key: string; message: string }> = [];
  for (const [key, value] of found) {
    if (value === undefined || value.length === 0 || value.length >= SHORT_SECRET_LENGTH) continue;
    out.push({
      key: `profiles.${p.name}.${key}`,
      message: `${key} is shorter than ${SHORT_SECRET_LENGTH} characters (${value.length}): it is masked only where it stands `
        + '(header values, URL user info, query values, secret JSON fields), not in free text; use a longer secret',
    });
  }
  return out;
}

/** The password in a proxy URL's user info (`http://user:pass@proxy:3128`), decoded, and the
 * `Proxy-Authorization` credentials undici makes of it (base64 of `user:pass`). */
function proxyCredentials(proxy: string | undefined): { password: string; basic: string } | undefined {
  if (!proxy) return undefined;
  try {
    const u = new URL(proxy);
    if (!u.password) return undefined;
    const password = decodeURIComponent(u.password);
    return { password, basic: Buffer.from(`${decodeURIComponent(u.username)}:${password}`).toString('base64') };
  } catch {
    return undefined;
  }
}

/** Resolves `${secret:NAME}` references; the VS Code side backs it with SecretStorage. */
export interface SecretResolver {
  get(name: string): Promise<string | undefined>;
}

/** The profile's own origin: credentials go here and nowhere else. */
export function profileOrigin(p: Pick<Profile, 'baseUrl'>): string {
  return new URL(p.baseUrl).origin;
}
