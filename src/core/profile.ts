// Connection profiles: the resolved, validated shape every other module uses.
// Parsing and validation of `scim-profiles.yaml` live in ./profiles-file.ts.

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
  /** Where this profile was defined, for messages. */
  source?: { file: string; line: number };
  /** Names of the `${secret:NAME}` references this profile resolved (the extension asks before a stored secret
   * goes to an origin it was not approved for). */
  secretRefs?: string[];
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
  const proxyUser = proxyPassword(p.proxy);
  if (proxyUser) out.push(proxyUser);
  return out.filter((s) => s.length > 0);
}

/** The password in a proxy URL's user info (`http://user:pass@proxy:3128`), decoded. */
function proxyPassword(proxy: string | undefined): string | undefined {
  if (!proxy) return undefined;
  try {
    const pw = new URL(proxy).password;
    return pw ? decodeURIComponent(pw) : undefined;
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
