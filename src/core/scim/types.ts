// Shapes of the SCIM client (implemented in ./client/). RFC 7643 / 7644 / 9865.
import type { WriteMode } from '../profile';

export const SCHEMA = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
} as const;

export interface ScimMeta {
  resourceType?: string;
  location?: string;
  version?: string;
  created?: string;
  lastModified?: string;
}

export interface ScimResource {
  id: string;
  schemas?: string[];
  meta?: ScimMeta;
  [attribute: string]: unknown;
}

export interface ResourceTypeInfo {
  id: string;
  name: string;
  /** Endpoint relative to the base URL, without a leading slash, e.g. `Users`. */
  endpoint: string;
  schema: string;
  description?: string;
}

export interface Capabilities {
  patch: boolean;
  etag: boolean;
  /** Whether filtered reads are tried: false only when ServiceProviderConfig says `filter.supported: false`.
   * A missing or unreadable `filter` block (RFC 7643 §5 makes it REQUIRED) is unknown, see filterSupport:
   * filtered reads are tried, and a refusal (400 invalidFilter, 501) falls back to reading the group. */
  filter: boolean;
  /** What ServiceProviderConfig says about `filter.supported`: `unknown` when it says nothing readable. */
  filterSupport?: 'yes' | 'no' | 'unknown';
  /** Most results the server returns in one page, when it says. */
  maxResults?: number;
  sort: boolean;
  bulk: boolean;
  /** RFC 9865 cursor paging. */
  cursor: boolean;
  /** Index paging (startIndex/count), the RFC 7644 default. */
  index: boolean;
  defaultPageSize?: number;
  maxPageSize?: number;
}

export interface Discovery {
  serviceProviderConfig: Record<string, unknown>;
  resourceTypes: ResourceTypeInfo[];
  schemas: Array<Record<string, unknown>>;
  capabilities: Capabilities;
  /** Things the server got wrong but we could live with. */
  warnings: string[];
  /** Discovery documents the service did not offer (404, 501, not SCIM JSON…) and the RFC 7643 defaults used
   * instead: each document stands on its own, so one missing keeps the others. Empty or absent: none. */
  defaults?: DiscoveryDefault[];
  /** Read from the provider cache (../scim/cache.ts) rather than all fetched now: `fresh`, no request sent;
   * `revalidated`, its documents asked again with If-None-Match, `unchanged` of them answered 304. `ageMs`: how
   * old the oldest document used is. */
  cache?: { state: 'fresh' | 'revalidated'; ageMs: number; unchanged: number };
}

export interface DiscoveryDefault {
  document: 'ServiceProviderConfig' | 'ResourceTypes' | 'Schemas';
  /** Why it was not used, e.g. `404 from the SCIM service`. */
  reason: string;
  /** What was assumed instead, e.g. `Users and Groups at /Users and /Groups (RFC 7643 §8.7.1)`. */
  assumed: string;
}

export interface ListOptions {
  filter?: string;
  attributes?: string[];
  excludedAttributes?: string[];
  /** Page size asked for; default the profile's pageSize. */
  count?: number;
  /** 1-based index paging. */
  startIndex?: number;
  /** Cursor paging (RFC 9865); `''` asks for the first page by cursor. */
  cursor?: string;
  signal?: AbortSignal;
}

export interface ListPage<T = ScimResource> {
  resources: T[];
  totalResults?: number;
  startIndex?: number;
  itemsPerPage?: number;
  /** RFC 9865: next cursor, absent on the last page. */
  nextCursor?: string;
  /** What to pass to fetch the next page, absent when this is the last one: the server's cursor whenever it
   * answered with one (RFC 9865), else the next startIndex. */
  next?: { startIndex?: number; cursor?: string };
  /** Things about this page a reader should know (items skipped, members that could not be listed). */
  warnings?: string[];
}

export interface Member {
  value: string;
  display?: string;
  type?: string;
  $ref?: string;
}

export interface MembershipChange {
  add: string[];
  remove: string[];
}

export interface MembershipReport {
  groupId: string;
  /** The write mode actually used (`auto` resolved). */
  mode: Exclude<WriteMode, 'auto'>;
  added: string[];
  removed: string[];
  /** Asked to add, but already a member. */
  alreadyPresent: string[];
  /** Asked to remove, but not a member. */
  alreadyAbsent: string[];
  /** Asked to add but absent after the write, or asked to remove but still present. */
  missing: string[];
  /** True only when the change was read back in effect AND the collateral check passed (members the change did
   * not name are still there). When either could not be made, false, and `collateral.why` / a warning says why. */
  verified: boolean;
  /** Members the change did not name that were present before and are gone after (the server dropped them, or
   * another writer removed them meanwhile). Non-empty means the change failed (exit 1), whatever the server said. */
  lost: string[];
  /** How the members the change did not name were checked after writing. */
  collateral: CollateralCheck;
  /** The journal entry that records this change (restore and undo name it), when a journal is kept. */
  journalId?: string;
  /** Someone else changed the group while we did (ETag 412 or a verification mismatch). */
  concurrentChange: boolean;
  /** A PUT went out without If-Match (the provider gives no ETags): a change another writer made just before
   * it would have been overwritten unseen, so it cannot be ruled out (a warning says what was checked). */
  unconditionalWrite?: boolean;
  /** The PUT path ran (read the whole member list, wrote it back): bytesSent/bytesReceived say what it cost. */
  putPath?: boolean;
  requests: number;
  bytesSent: number;
  bytesReceived: number;
  warnings: string[];
}

/** The check that members a change did not name survived it. `full`: the whole member list (or every user
 * member) read before and after and compared; `sample`: members known present before (at least 20 when the group
 * has them) checked after in the same request as the changed ids; `none`: nothing to compare (`why` says). */
export interface CollateralCheck {
  method: 'full' | 'sample' | 'none';
  /** Members checked (not named by the change). */
  checked: number;
  /** Members before the change, when known (the whole list was read, or the server counted them). */
  before?: number;
  /** Why the check could not be made or is partial. */
  why?: string;
}

export interface MembershipProgress {
  done: number;
  total: number;
  message: string;
}

export interface MembershipOptions {
  /** How to write (the profile's `writes` when not given). */
  mode?: WriteMode;
  onProgress?: (p: MembershipProgress) => void;
  /** Asked before a PUT-based change with the membership diff; false cancels. */
  confirmPut?: (diff: { groupId: string; add: string[]; remove: string[]; memberCount: number }) => Promise<boolean>;
  /** How the journal records this change: a restore or an undo of entry `of`. */
  journal?: { kind: 'restore' | 'undo'; of: string };
}

export interface ProbeRow {
  method: string;
  url: string;
  /** Where the key was written on the wire. */
  keySent: 'header' | 'query' | 'both' | 'none';
  /** Custom profile headers that were written on the wire. */
  customHeadersSent: string[];
  customHeadersMissing: string[];
  status: number | null;
  answeredBy: 'gateway' | 'backend' | 'unknown' | 'none';
  verdict: 'ok' | 'fail' | 'warn';
  /** One line, e.g. `gateway passed PATCH to the backend (404 from SCIM: no such group)`. */
  detail: string;
  exchangeId?: string;
}

/** Something the probe noticed beyond the per-method verdicts, e.g. responses that point at another origin. */
export interface ProbeFinding {
  severity: 'warning' | 'info';
  code: string;
  /** One line, e.g. `responses point at another origin: 10.0.0.5:8080 (3 times)`. */
  message: string;
  fix?: string;
  /** Exchanges that showed it. */
  exchangeIds: string[];
}

export interface ProbeReport {
  rows: ProbeRow[];
  findings: ProbeFinding[];
}
