import type { Store } from './store';

/** The sandbox's fault and quirk modes. Each is described (what it does, which real provider or public issue it
 * models) in FAULT_MODE_INFO, shown by `scimx sandbox --help` and in README. */
export type FaultMode = 'ratelimit' | 'flaky' | 'slow' | 'no-patch' | 'etag' | 'cursor' | 'entra'
  | 'backend-locations' | 'patch-not-routed' | 'quota' | 'html-errors' | 'untyped-members' | 'no-filter'
  | 'no-discovery' | 'no-resource-types' | 'patch-replace-only' | 'put-keeps-members' | 'filter-500'
  | 'attributes-before-patch' | 'drops-members' | 'patch-returns-group' | 'no-members-on-get' | 'case-insensitive-ids'
  | 'remove-wipes-all' | 'remove-by-index' | 'filtered-remove-ignored' | 'replace-keeps-stale' | 'replace-empty-refused'
  | 'capped-group-read';

export interface FaultModeInfo {
  /** what the mode does, one line */
  does: string;
  /** the real provider, policy or public issue it models */
  models: string;
}

/** Members a `capped-group-read` provider returns on a group read: the last ones added. */
export const CAPPED_GROUP_READ = 100;

export const FAULT_MODE_INFO: Record<FaultMode, FaultModeInfo> = {
  ratelimit: { does: 'the gateway answers a fraction of requests (--fault-rate) 429 with Retry-After', models: 'APIM rate-limit policy' },
  flaky: { does: 'a fraction of requests get a 503 or a reset connection, before or after the backend applied a write', models: 'unstable gateways and backends' },
  slow: { does: 'every request is delayed (200 ms)', models: 'a slow backend' },
  'no-patch': { does: 'PATCH answers 501 and ServiceProviderConfig says patch.supported false', models: 'providers without PATCH (vCenter-like, authentik PR #25024)' },
  etag: { does: 'ETags on every resource; writes need If-Match, a mismatch answers 412', models: 'RFC 7644 §3.14 versioning' },
  cursor: { does: 'RFC 9865 cursor paging only (startIndex ignored)', models: 'cursor-only providers' },
  entra: { does: 'at most 20 adds or 1 remove per PATCH, not mixed; groups read without members; lowercase `resources`', models: 'Microsoft Entra as a SCIM server' },
  'backend-locations': { does: 'meta.location points at the backend origin, not the gateway', models: 'APIM without the redirect-content-urls policy' },
  'patch-not-routed': { does: 'the gateway answers PATCH 404 "Resource not found"', models: 'an APIM API with no PATCH operation' },
  quota: { does: 'the gateway answers every request 403 "Out of call volume quota"', models: 'APIM quota policy' },
  'html-errors': { does: 'the gateway answers a fraction of requests with an HTML 502 page', models: 'gateways and load balancers in front of SCIM' },
  'untyped-members': { does: 'members carry no type nor $ref; a Groups filter on members.type answers 400', models: 'RFC 7643 makes both optional' },
  'no-filter': { does: 'ServiceProviderConfig says filter.supported false; any filtered list answers 400 invalidFilter', models: 'providers without filtering' },
  'no-discovery': { does: '404 on ServiceProviderConfig, ResourceTypes and Schemas', models: 'minimal providers (issue 9 item 2)' },
  'no-resource-types': { does: '404 on ResourceTypes and Schemas; ServiceProviderConfig is served', models: 'issue 9 item 2' },
  'patch-replace-only': { does: 'PATCH accepts only `replace` operations; add and remove answer 400', models: 'providers that patch by replacing attributes' },
  'put-keeps-members': { does: 'PUT never removes members; answers 200 echoing the member list it got', models: 'issue 9 item 3' },
  'filter-500': { does: 'every filtered list or search answers 500', models: 'issue 9 item 2 (a filter that crashes the server)' },
  'attributes-before-patch': { does: 'attributes/excludedAttributes of a PATCH are applied to the group before patching: excluding members leaves only the added ones', models: 'SCIMMY 1.3.5 with plain handlers (issue 9 item 1)' },
  'drops-members': { does: 'a PATCH of members also silently removes the two oldest members it did not name', models: 'silent collateral loss (issue 9)' },
  'patch-returns-group': { does: 'PATCH answers 200 with the full group, members and all, whatever the query asked', models: 'providers that ignore attributes on writes' },
  'no-members-on-get': { does: 'GET never returns members (filters on members still work)', models: 'Entra-like group reads' },
  'case-insensitive-ids': { does: 'ids match case-insensitively and member values come back upper-case', models: 'GUID-keyed providers (SQL uniqueidentifier)' },
  'remove-wipes-all': { does: 'a `remove` of path `members` with a value array removes every member', models: 'SimpleIdServer #244, Apache SCIMple #436' },
  'remove-by-index': { does: 'several removes in one PATCH are applied by index front to back: the wrong members go', models: 'FusionAuth #2834' },
  'filtered-remove-ignored': { does: 'a `members[value eq "…"]` remove answers 200 and changes nothing', models: 'authentik #25686 and #24173, WSO2 IS #7040' },
  'replace-keeps-stale': { does: '`replace` of members adds the new list but never removes stale members', models: 'Keycloak #52752' },
  'replace-empty-refused': { does: '`replace` of members with [] answers 400', models: 'SCIM-SDK #757' },
  'capped-group-read': { does: `a group read returns only its last ${CAPPED_GROUP_READ} members; no filter (400), no totalResults`, models: 'issue 9 item 6' },
};

export const FAULT_MODES: readonly FaultMode[] = Object.keys(FAULT_MODE_INFO) as FaultMode[];

export type SandboxAuth = { type: 'basic'; username: string; password: string } | { type: 'bearer'; token: string } | { type: 'none' };

export interface ReceivedRequest {
  seq: number;
  method: string;
  /** path + query exactly as received */
  url: string;
  /** in the order received (from req.rawHeaders) */
  rawHeaders: Array<[string, string]>;
  body: string;
  at: number;
  /** what was answered; 0 when the connection was reset (flaky) or no answer was written */
  status: number;
  answeredBy: 'gateway' | 'backend';
}

/** One fault injected on the next request of a method (tests that need a precise outcome, not a rate):
 * `*-after` ones reach the backend (the write is applied) and lose or delay the answer; `409` is the SCIM
 * service's 409 Conflict (a concurrent modification, or "member already exists"), nothing applied. */
export type ScriptedFault = '429' | '503-before' | '503-after' | 'reset-before' | 'reset-after' | 'slow-after' | '409';

/** Sets the given fault settings, leaving the others as they are (the sandbox's and the gateway's setFaults). */
export function applyFaultSettings(settings: FaultSettings, opts: Partial<FaultSettings>): void {
  if (opts.retryAfterSeconds !== undefined) settings.retryAfterSeconds = opts.retryAfterSeconds;
  if (opts.faultRate !== undefined) settings.faultRate = opts.faultRate;
  if (opts.slowMs !== undefined) settings.slowMs = opts.slowMs;
}

export interface FaultSettings {
  retryAfterSeconds: number;
  faultRate: number;
  slowMs: number;
}

/** State shared by the gateway and the backend of one sandbox. */
export interface SandboxState {
  store: Store;
  faults: Set<FaultMode>;
  settings: FaultSettings;
  auth: SandboxAuth;
  key: string;
  keyHeader: string;
  keyQuery: string;
  maxPageSize: number;
  /** ServiceProviderConfig filter.maxResults, applied to filtered lists (undefined: maxPageSize) */
  filterMaxResults?: number;
  /** false: ServiceProviderConfig states no page cap (no filter.maxResults, no pagination.maxPageSize), the caps
   * still apply, silently */
  declareCaps?: boolean;
  gatewayUrl: string;
  backendUrl: string;
  received: ReceivedRequest[];
  backendReceived: ReceivedRequest[];
  /** faults for the next requests of a method, consumed in order (sandbox.scriptFault) */
  scripted: Array<{ method: string; fault: ScriptedFault }>;
  /** deterministic PRNG in [0, 1) */
  random: () => number;
  /** makes cursors of this sandbox unrecognisable to another one */
  cursorNonce: string;
  gatewaySeq: number;
  backendSeq: number;
  /** The time stamped on each received request (`at`); default Date.now (tests share their fake clock's). */
  now?: () => number;
}

export function pairs(raw: string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

/** mulberry32: small, fast, deterministic */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
