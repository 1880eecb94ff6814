// The sandbox's fault and quirk modes, in one table: each mode's name, what it does, what it models, and which
// side plays it. `scimx sandbox --help` and README's table show it (test/unit/sandbox-modes.test.ts checks
// both). To add a mode: a row here, its behaviour where the mode's name is tested (`state.faults.has('…')`)
// in gateway.ts or backend/, a README row, and a test that shows the behaviour.

/** The sandbox's fault and quirk modes. Each is described (what it does, which real provider or public issue it
 * models) in FAULT_MODE_INFO, shown by `scimx sandbox --help` and in README. */
export type FaultMode = 'ratelimit' | 'flaky' | 'slow' | 'latency' | 'no-patch' | 'etag' | 'cursor' | 'entra'
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
  /** who plays it: the APIM-like gateway (gateway.ts; also in front of another backend, startGatewayFor) or the
   * SCIM service behind it (backend/) */
  side: 'gateway' | 'backend';
}

/** Members a `capped-group-read` provider returns on a group read: the last ones added. */
export const CAPPED_GROUP_READ = 100;

export const FAULT_MODE_INFO: Record<FaultMode, FaultModeInfo> = {
  ratelimit: { does: 'the gateway answers a fraction of requests (--fault-rate) 429 with Retry-After', models: 'APIM rate-limit policy', side: 'gateway' },
  flaky: { does: 'a fraction of requests get a 503 or a reset connection, before or after the backend applied a write', models: 'unstable gateways and backends', side: 'gateway' },
  slow: { does: 'every request is delayed (200 ms)', models: 'a slow backend', side: 'gateway' },
  latency: { does: 'every answer of the gateway, its own or the backend\'s, comes 50 ms later (--latency-ms)', models: 'a gateway in another region: one round trip of 50-150 ms', side: 'gateway' },
  'no-patch': { does: 'PATCH answers 501 and ServiceProviderConfig says patch.supported false', models: 'providers without PATCH (vCenter-like, authentik PR #25024)', side: 'backend' },
  etag: { does: 'ETags on every resource; writes need If-Match, a mismatch answers 412', models: 'RFC 7644 §3.14 versioning', side: 'backend' },
  cursor: { does: 'RFC 9865 cursor paging only (startIndex ignored)', models: 'cursor-only providers', side: 'backend' },
  entra: { does: 'at most 20 adds or 1 remove per PATCH, not mixed; groups read without members; lowercase `resources`', models: 'Microsoft Entra as a SCIM server', side: 'backend' },
  'backend-locations': { does: 'meta.location points at the backend origin, not the gateway', models: 'APIM without the redirect-content-urls policy', side: 'backend' },
  'patch-not-routed': { does: 'the gateway answers PATCH 404 "Resource not found"', models: 'an APIM API with no PATCH operation', side: 'gateway' },
  quota: { does: 'the gateway answers every request 403 "Out of call volume quota"', models: 'APIM quota policy', side: 'gateway' },
  'html-errors': { does: 'the gateway answers a fraction of requests with an HTML 502 page', models: 'gateways and load balancers in front of SCIM', side: 'gateway' },
  'untyped-members': { does: 'members carry no type nor $ref; a Groups filter on members.type answers 400', models: 'RFC 7643 makes both optional', side: 'backend' },
  'no-filter': { does: 'ServiceProviderConfig says filter.supported false; any filtered list answers 400 invalidFilter', models: 'providers without filtering', side: 'backend' },
  'no-discovery': { does: '404 on ServiceProviderConfig, ResourceTypes and Schemas', models: 'minimal providers (issue 9 item 2)', side: 'backend' },
  'no-resource-types': { does: '404 on ResourceTypes and Schemas; ServiceProviderConfig is served', models: 'issue 9 item 2', side: 'backend' },
  'patch-replace-only': { does: 'PATCH accepts only `replace` operations; add and remove answer 400', models: 'providers that patch by replacing attributes', side: 'backend' },
  'put-keeps-members': { does: 'PUT never removes members; answers 200 echoing the member list it got', models: 'issue 9 item 3', side: 'backend' },
  'filter-500': { does: 'every filtered list or search answers 500', models: 'issue 9 item 2 (a filter that crashes the server)', side: 'backend' },
  'attributes-before-patch': { does: 'attributes/excludedAttributes of a PATCH are applied to the group before patching: excluding members leaves only the added ones', models: 'SCIMMY 1.3.5 with plain handlers (issue 9 item 1)', side: 'backend' },
  'drops-members': { does: 'a PATCH of members also silently removes the two oldest members it did not name', models: 'silent collateral loss (issue 9)', side: 'backend' },
  'patch-returns-group': { does: 'PATCH answers 200 with the full group, members and all, whatever the query asked', models: 'providers that ignore attributes on writes', side: 'backend' },
  'no-members-on-get': { does: 'GET never returns members (filters on members still work)', models: 'Entra-like group reads', side: 'backend' },
  'case-insensitive-ids': { does: 'ids match case-insensitively and member values come back upper-case', models: 'GUID-keyed providers (SQL uniqueidentifier)', side: 'backend' },
  'remove-wipes-all': { does: 'a `remove` of path `members` with a value array removes every member', models: 'SimpleIdServer #244, Apache SCIMple #436', side: 'backend' },
  'remove-by-index': { does: 'several removes in one PATCH are applied by index front to back: the wrong members go', models: 'FusionAuth #2834', side: 'backend' },
  'filtered-remove-ignored': { does: 'a `members[value eq "…"]` remove answers 200 and changes nothing', models: 'authentik #25686 and #24173, WSO2 IS #7040', side: 'backend' },
  'replace-keeps-stale': { does: '`replace` of members adds the new list but never removes stale members', models: 'Keycloak #52752', side: 'backend' },
  'replace-empty-refused': { does: '`replace` of members with [] answers 400', models: 'SCIM-SDK #757', side: 'backend' },
  'capped-group-read': { does: `a group read returns only its last ${CAPPED_GROUP_READ} members; no filter (400), no totalResults`, models: 'issue 9 item 6', side: 'backend' },
};

/** What the `latency` mode adds before every gateway answer, unless told otherwise (--latency-ms). */
export const DEFAULT_LATENCY_MS = 50;

export const FAULT_MODES: readonly FaultMode[] = Object.keys(FAULT_MODE_INFO) as FaultMode[];

/** The modes the gateway plays: those a gateway in front of another backend (startGatewayFor) accepts. */
export const GATEWAY_FAULT_MODES: readonly FaultMode[] = FAULT_MODES.filter((m) => FAULT_MODE_INFO[m].side === 'gateway');
