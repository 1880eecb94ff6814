// Builds a Profile for a sandbox, the way a profiles file would, for integration tests.
import type { Profile } from '../../src/core/profile';
import { DEFAULTS, DEFAULT_KEY_HEADER, DEFAULT_KEY_QUERY } from '../../src/core/profile';

export interface SandboxLike {
  gatewayUrl: string;
  key: string;
  keyHeader: string;
  keyQuery: string;
  auth?: { type: 'basic'; username: string; password: string } | { type: 'bearer'; token: string } | { type: 'none' };
}

export function sandboxProfile(sb: SandboxLike, overrides: Partial<Omit<Profile, 'gateway'>> & { gateway?: Partial<Profile['gateway']> } = {}): Profile {
  const { gateway, ...rest } = overrides;
  const auth = sb.auth ?? { type: 'none' as const };
  return {
    name: 'sandbox',
    baseUrl: sb.gatewayUrl,
    auth,
    gateway: {
      subscriptionKey: sb.key,
      header: sb.keyHeader ?? DEFAULT_KEY_HEADER,
      query: sb.keyQuery ?? DEFAULT_KEY_QUERY,
      sendAs: 'header',
      ...gateway,
    },
    headers: { 'X-Request-Source': 'scim-explorer-tests' },
    secretHeaders: [],
    writes: DEFAULTS.writes,
    locations: DEFAULTS.locations,
    provider: DEFAULTS.provider,
    timeoutMs: 10_000,
    pageSize: DEFAULTS.pageSize,
    concurrency: DEFAULTS.concurrency,
    maxOperationsPerPatch: DEFAULTS.maxOperationsPerPatch,
    tls: { insecure: false },
    ...rest,
  };
}

/** Header value as received, by name (case-insensitive); undefined when absent. */
export function receivedHeader(raw: Array<[string, string]>, name: string): string | undefined {
  const n = name.toLowerCase();
  return raw.find(([k]) => k.toLowerCase() === n)?.[1];
}

/** The query parameter of a path+query URL as received. */
export function receivedQuery(url: string, name: string): string | null {
  return new URL(url, 'http://x').searchParams.get(name);
}
