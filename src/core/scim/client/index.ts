// The SCIM client: discovery, listing, CRUD and membership, on top of the one request pipeline. A façade over
// parts with one job each: transport.ts (operations, requests, diagnosed errors), discovery.ts (what the service
// offers, its endpoints), paging.ts (pages of a listing), members.ts (a group's members); membership changes
// (../membership) and the gateway probe (../probe) work through the port it implements (../port.ts), and what
// it learns about its provider is kept in one ProviderQuirks object (../quirks.ts).
// Every public method runs inside an operation of the trace (its own, or the caller's).
import type { Clock } from '../../clock';
import type { Diagnosis } from '../../diagnosis';
import { ScimxError, type HttpStatusError } from '../../errors';
import { Pipeline } from '../../http/pipeline';
import type { HttpResponse, RequestSpec, WaitNotice } from '../../http/types';
import { entriesOf, entryToRestore, entryToUndo, type JournalEntry, type MembershipJournal } from '../../journal';
import { DEFAULTS, type Profile } from '../../profile';
import type { Exchange, Operation, Trace } from '../../trace';
import { co, or, sw, toFilterString } from '../filter';
import { changeMembers as runMembershipChange } from '../membership';
import { parseResource } from '../parse';
import { resourcePath, trimSlash } from '../paths';
import type { Call, CallContext, ReadOptions, ScimPort } from '../port';
import { probeGateway } from '../probe';
import { ProviderQuirks, type MemberPaging } from '../quirks';
import { summarizeReport } from '../report';
import type {
  Discovery, ListOptions, ListPage, Member, MembershipChange, MembershipOptions, MembershipReport, ProbeReport, ScimResource,
} from '../types';
import { asGatewayError } from '../../diagnosis';
import { CACHE_GROUPS, CACHE_MEMBERS_PER_GROUP, FileCacheStore, ProviderCache, type CachedDiscovery } from '../cache';
import { ServiceDiscovery } from './discovery';
import { KnownMembers } from './known-members';
import { MemberListing } from './members';
import { Pager } from './paging';
import { ScimTransport } from './transport';

export { and, eq, or } from '../filter';
export { readMembers } from '../parse';
export { resourcePath, trimSlash } from '../paths';
export type { Call, CallContext, Meter } from '../port';
export { refusedByService } from '../refusal';
export { summarizeReport } from '../report';
export type { MembershipOptions } from '../types';
export { pageCount } from './paging';

export interface ScimClientOptions {
  trace: Trace;
  onWait?: (notice: WaitNotice) => void;
  userAgent?: string;
  /** What retries and membership re-applies wait on; default the system clock (ignored with `pipeline`). */
  clock?: Clock;
  /** Use this pipeline instead of making one (tests, or sharing one between faces). */
  pipeline?: Pipeline;
  /** Where membership changes are recorded (restore and undo read it); none: not recorded. */
  journal?: MembershipJournal;
  /** Folder of the provider cache (discovery, learnt quirks, members seen: ../cache.ts), kept across runs;
   * none (the default): nothing is kept beyond this client. */
  cacheDir?: string;
  /** How long cached discovery documents are used without asking (default: the profile's discoveryMaxAgeHours). */
  cacheMaxAgeMs?: number;
}

/** A filter any service that filters at all answers: refused, it says filtering does not work here. */
const SIMPLE_FILTER = /^\s*(id|userName|displayName|externalId)\s+eq\s+"[^"\\]*"\s*$/i;

export class ScimClient implements ScimPort {
  readonly pipeline: Pipeline;
  /** What this client learnt about its provider (per profile): the one place it is kept. */
  readonly quirks = new ProviderQuirks();
  private readonly transport: ScimTransport;
  private readonly discovery: ServiceDiscovery;
  /** Listing (made on first use: the extension loads ./paging.ts and ./members.ts only for a listing). */
  private pagerMade?: Pager;
  private membersMade?: MemberListing;
  private readonly known = new KnownMembers();
  /** What is kept of this provider across runs; none without `cacheDir`. */
  private readonly cache?: ProviderCache;
  /** The quirks in use came from an earlier run (a contradiction then drops them). */
  private quirksFromCache = false;

  constructor(readonly profile: Profile, readonly options: ScimClientOptions) {
    this.pipeline = options.pipeline ?? new Pipeline(profile, { trace: options.trace, onWait: options.onWait, userAgent: options.userAgent, clock: options.clock });
    this.transport = new ScimTransport(profile, options.trace, this.pipeline, {
      answered: (spec, res) => this.checkAgainstDiscovery(spec, res),
      operationEnded: () => this.persist(),
    });
    if (options.cacheDir) {
      const maxAge = options.cacheMaxAgeMs ?? (profile.discoveryMaxAgeHours ?? DEFAULTS.discoveryMaxAgeHours) * 3_600_000;
      this.cache = new ProviderCache(new FileCacheStore(options.cacheDir), profile.baseUrl, (t) => this.pipeline.mask(t), maxAge);
      const kept = this.cache.load();
      if (kept?.quirks) {
        this.quirks.restore(kept.quirks);
        this.quirksFromCache = !this.quirks.empty;
      }
      // a group's size steers how its next change is checked (read whole or filtered): taken only while young
      const young = kept ? this.pipeline.clock.now() - kept.savedAt < this.cache.maxAgeMs : false;
      if (kept?.members) this.known.restore(kept.members.map(([g, ids, n]) => (young && n !== undefined ? [g, ids, n] : [g, ids])));
    }
    const cache = this.cache;
    this.discovery = new ServiceDiscovery(this.transport, cache && {
      maxAgeMs: cache.maxAgeMs,
      stored: (): CachedDiscovery | undefined => cache.load()?.discovery,
      fetched: (_docs, changed) => {
        // the provider answers differently now: what was learnt of it before may no longer hold
        if (changed && this.quirksFromCache) this.forgetQuirks();
      },
    });
  }

  private get pager(): Pager {
    return (this.pagerMade ??= new Pager(this.profile, this.transport, this.discovery));
  }

  private get members(): MemberListing {
    return (this.membersMade ??= new MemberListing(this));
  }

  /** What happened to the provider cache that a person should hear about (an unreadable file ignored, knowledge
   * dropped because an answer contradicted it), each once. */
  cacheNotes(): string[] {
    return this.cache ? [...this.cache.notes] : [];
  }

  /** Forgets what was learnt of the provider, here and in the provider cache: the discovery documents (the next
   * call asks again) and the quirks; the members seen stay in memory (they are facts about groups, checked
   * whenever used). The Refresh of a profile in VS Code, `scimx discover --refresh`. */
  forgetProvider(): void {
    this.discovery.forget();
    this.forgetQuirks();
    this.cache?.remove();
  }

  /**
   * An answer contradicts what discovery said (a PATCH refused while ServiceProviderConfig says PATCH is
   * supported, a 404 on an endpoint ResourceTypes lists, a simple filter refused while it says filtering is
   * supported): the provider may have changed since it was cached, so its cached discovery and learnt quirks
   * are dropped, on disk and in memory where they came from the cache (documents read in this run stay in use
   * for the rest of it, but are not kept). Without a provider cache, nothing changes. Said once in cacheNotes().
   */
  discoveryContradicted(reason: string): void {
    const cache = this.cache;
    if (!cache || !this.discovery.documents()) return;
    this.discovery.forget(true);
    if (this.quirksFromCache) this.forgetQuirks();
    cache.note(`cached discovery and learnt provider quirks dropped: ${reason}`);
    this.persist();
  }

  private forgetQuirks(): void {
    this.quirks.restore({});
    this.quirksFromCache = false;
  }

  /** Keeps what was learnt in the provider cache, when it changed (after every operation this client ran). */
  private persist(): void {
    const cache = this.cache;
    if (!cache) return;
    try {
      const quirks = this.quirks.toJSON();
      cache.save({
        discovery: this.discovery.documents(),
        quirks: Object.keys(quirks).length ? quirks : undefined,
        members: this.known.snapshot(CACHE_MEMBERS_PER_GROUP, CACHE_GROUPS),
      }, this.pipeline.clock.now());
    } catch (e) {
      cache.note(`the provider cache could not be written (${(e as Error).message})`);
    }
  }

  /** An answer checked against the discovery in use (see discoveryContradicted). */
  private checkAgainstDiscovery(spec: RequestSpec, res: HttpResponse): void {
    if (!this.cache) return;
    const d = this.discovery.current();
    if (!d || !this.discovery.documents()) return;
    const s = res.status;
    if (spec.method === 'PATCH' && d.capabilities.patch && (s === 501 || s === 405 || (s === 404 && !!asGatewayError(res.json)))) {
      this.discoveryContradicted(`PATCH answered ${s} while ServiceProviderConfig says PATCH is supported`);
      return;
    }
    if (spec.fromServer || /^https?:/i.test(spec.url)) return;
    const path = trimSlash(spec.url).toLowerCase();
    if (s === 404 && (spec.method === 'GET' || spec.method === 'POST') && d.resourceTypes.some((t) => trimSlash(t.endpoint).toLowerCase() === path)) {
      this.discoveryContradicted(`${trimSlash(spec.url)} answered 404 while ResourceTypes lists it`);
      return;
    }
    const filter = spec.query?.filter;
    if ((s === 400 || s === 501) && spec.method === 'GET' && typeof filter === 'string' && SIMPLE_FILTER.test(filter) && d.capabilities.filter && !d.defaults?.some((x) => x.document === 'ServiceProviderConfig')) {
      this.discoveryContradicted(`a simple filter (${filter.split(' ')[0] ?? ''} eq) answered ${s} while ServiceProviderConfig says filtering is supported`);
    }
  }

  get trace(): Trace {
    return this.options.trace;
  }

  /** How this provider lets us page a group's members, learnt on first use (quirks.memberPaging). */
  get memberPaging(): MemberPaging | undefined {
    return this.quirks.memberPaging;
  }

  /** Members of the group seen lately (newest first), for collateral checks; may be stale (they are checked). */
  knownMembersOf(groupId: string): string[] {
    return this.known.of(groupId);
  }

  rememberMembers(groupId: string, ids: Iterable<string>, size?: number): void {
    this.known.remember(groupId, ids, size);
  }

  knownSizeOf(groupId: string): number | undefined {
    return this.known.sizeOf(groupId);
  }

  forgetMembers(groupId: string, ids: Iterable<string>): void {
    this.known.forget(groupId, ids);
  }

  // ------------------------------------------------------------------------------------ operations (transport.ts)

  /** Runs `body` in the caller's operation, or in a new one that ends with the outcome. */
  run<T>(title: string, ctx: CallContext | undefined, body: (call: Call) => Promise<T>, summarize?: (result: T) => string): Promise<T> {
    return this.transport.run(title, ctx, body, summarize);
  }

  /** Sends a request and returns the answer when it is 2xx; otherwise throws a diagnosed error. */
  request(call: Call, spec: RequestSpec, accept?: (status: number) => boolean): Promise<HttpResponse> {
    return this.transport.request(call, spec, accept);
  }

  /** Like request(), and the body must be a JSON object. */
  requestJson(call: Call, spec: RequestSpec): Promise<{ res: HttpResponse; body: Record<string, unknown> }> {
    return this.transport.requestJson(call, spec);
  }

  jsonObject(res: HttpResponse, spec: Pick<RequestSpec, 'method' | 'url'>): Record<string, unknown> {
    return this.transport.jsonObject(res, spec);
  }

  diagnose(ex: Exchange, operation: Operation): Diagnosis | undefined {
    return this.transport.diagnose(ex, operation);
  }

  errorFor(res: HttpResponse, operation: Operation): HttpStatusError {
    return this.transport.errorFor(res, operation);
  }

  // ------------------------------------------------------------------------------------ discovery (discovery.ts)

  /** The service's discovery documents, read once per client (so once per profile) and kept, failures too
   * (with `cacheDir`, across runs: see ServiceDiscovery.discover); `refresh` forgets what was learnt of the
   * provider (forgetProvider) and asks again. A cancelled one is not kept. */
  discover(ctx?: CallContext & { refresh?: boolean }): Promise<Discovery> {
    if (ctx?.refresh) this.forgetProvider();
    return this.discovery.discover(ctx);
  }

  /** Whether filtered reads are worth trying: false only when ServiceProviderConfig says `filter.supported: false`. */
  filtersUsable(ctx?: CallContext): Promise<boolean> {
    return this.discovery.filtersUsable(ctx);
  }

  /** The endpoint of the Group resource type (`Groups` unless the server says otherwise). */
  groupsEndpoint(ctx?: CallContext): Promise<string> {
    return this.discovery.groupsEndpoint(ctx);
  }

  usersEndpoint(ctx?: CallContext): Promise<string> {
    return this.discovery.usersEndpoint(ctx);
  }

  /**
   * A filter used only as a pre-check or verification that the provider failed on (5xx, or 400), by its shape
   * (e.g. `Users?filter=groups.value and id`): remembered for the life of this client, that is per profile, so
   * later changes read unfiltered at once instead of sending the failing filter again (issue 9: each retry of
   * one crashed that server). `why` says what happened, e.g. `500 from the SCIM service`.
   */
  rememberFailedFilter(shape: string, why: string): void {
    this.quirks.rememberFailedFilter(shape, why);
  }

  /** Why a filter of this shape failed before on this profile, or undefined when it has not. */
  failedFilter(shape: string): string | undefined {
    return this.quirks.failedFilter(shape);
  }

  // ------------------------------------------------------------------------------------ reading (paging.ts)

  listPage(endpoint: string, opts: ListOptions, ctx?: CallContext): Promise<ListPage> {
    return this.run(`List ${endpoint}`, ctx, (call) => this.listPageIn(call, endpoint, opts), (p) => `${p.resources.length} of ${p.totalResults ?? '?'}`);
  }

  /** One page (see Pager.listPageIn). */
  listPageIn(call: Call, endpoint: string, opts: ListOptions, send: Pick<RequestSpec, 'retry'> = {}): Promise<ListPage> {
    return this.pager.listPageIn(call, endpoint, opts, send);
  }

  /** Every resource of a listing, page by page. Stops on the server's own totalResults / nextCursor;
   * refuses endless paging (a repeated cursor or an index that does not move). */
  listAll(endpoint: string, opts: ListOptions & { limit?: number; onPage?: (page: ListPage, fetched: number) => void }, ctx?: CallContext): Promise<ScimResource[]> {
    return this.run(`List all ${endpoint}`, ctx, async (call) => {
      const out: ScimResource[] = [];
      for await (const page of this.pages(call, endpoint, opts)) {
        out.push(...page.resources);
        opts.onPage?.(page, out.length);
        if (opts.limit !== undefined && out.length >= opts.limit) return out.slice(0, opts.limit);
      }
      return out;
    }, (r) => `${r.length} resources`);
  }

  /** Pages of a listing (see Pager.pages). */
  pages(call: Call, endpoint: string, opts: ListOptions): AsyncGenerator<ListPage> {
    return this.pager.pages(call, endpoint, opts);
  }

  get(endpoint: string, id: string, opts: ReadOptions = {}, ctx?: CallContext): Promise<ScimResource> {
    return this.run(`Get ${trimSlash(endpoint)}/${id}`, ctx, async (call) => (await this.getIn(call, endpoint, id, opts)).resource);
  }

  /** Reads one resource; `etag` is the ETag header or meta.version (RFC 7644 §3.14). */
  async getIn(call: Call, endpoint: string, id: string, opts: ReadOptions = {}): Promise<{ resource: ScimResource; etag?: string }> {
    const query: Record<string, string | undefined> = {
      attributes: opts.attributes?.join(','),
      excludedAttributes: opts.excludedAttributes?.join(','),
    };
    if (!opts.attributes && !opts.excludedAttributes && !opts.members && (await this.discovery.isGroupsEndpoint(endpoint))) {
      query.excludedAttributes = 'members';
    }
    const { res, body } = await this.requestJson(call, { method: 'GET', url: resourcePath(endpoint, id), query });
    const resource = parseResource(body, `${trimSlash(endpoint)}/${id}`);
    return { resource, etag: res.headers.etag ?? resource.meta?.version };
  }

  // ------------------------------------------------------------------------------------ writing

  create(endpoint: string, body: Record<string, unknown>, ctx?: CallContext): Promise<ScimResource> {
    return this.run(`Create in ${trimSlash(endpoint)}`, ctx, async (call) => {
      const r = await this.requestJson(call, { method: 'POST', url: trimSlash(endpoint), body });
      return parseResource(r.body, trimSlash(endpoint));
    });
  }

  replace(endpoint: string, id: string, body: Record<string, unknown>, opts: { ifMatch?: string } = {}, ctx?: CallContext): Promise<ScimResource> {
    return this.run(`Replace ${trimSlash(endpoint)}/${id}`, ctx, async (call) => {
      const r = await this.requestJson(call, { method: 'PUT', url: resourcePath(endpoint, id), body, headers: opts.ifMatch ? { 'If-Match': opts.ifMatch } : undefined });
      return parseResource(r.body, `${trimSlash(endpoint)}/${id}`);
    });
  }

  delete(endpoint: string, id: string, ctx?: CallContext): Promise<void> {
    return this.run(`Delete ${trimSlash(endpoint)}/${id}`, ctx, async (call) => {
      await this.request(call, { method: 'DELETE', url: resourcePath(endpoint, id) });
    });
  }

  // ------------------------------------------------------------------------------------ members (members.ts, ../membership)

  /** One page of a group's members without downloading the group where the provider allows:
   * users whose `groups` contain the group (RFC 7643 §4.1.2), else the group's own member list. Members that
   * are not users (nested groups) come first on the first page, and every page's total counts them. */
  membersPage(groupId: string, opts: { startIndex?: number; count?: number; cursor?: string }, ctx?: CallContext): Promise<ListPage<Member>> {
    return this.run(`Members of ${groupId}`, ctx, (call) => this.membersPageIn(call, groupId, opts), (p) => `${p.resources.length} of ${p.totalResults ?? '?'}`);
  }

  membersPageIn(call: Call, groupId: string, opts: { startIndex?: number; count?: number; cursor?: string }): Promise<ListPage<Member>> {
    return this.members.pageIn(call, groupId, opts);
  }

  changeMembers(groupId: string, change: MembershipChange, opts: MembershipOptions = {}, ctx?: CallContext): Promise<MembershipReport> {
    const parts = [change.add.length ? `add ${change.add.length}` : '', change.remove.length ? `remove ${change.remove.length}` : ''].filter(Boolean).join(', ');
    return this.run(`Members of ${groupId}: ${parts || 'no change'}`, ctx, async (call) => {
      const report = await runMembershipChange(this, call, groupId, change, opts);
      // nested groups counted in later members pages: the removed ones are gone (none counted before a listing)
      this.membersMade?.forgetRemoved(groupId, report.removed);
      this.forgetMembers(groupId, report.removed);
      return report;
    }, (r) => summarizeReport(r, { traffic: true }));
  }

  /** Puts back exactly the members a change lost (journal entry `id`, else the newest of this profile that lost
   * members and is not restored yet), through the same safe path, verified. */
  async restoreMembers(id?: string, opts: MembershipOptions = {}, ctx?: CallContext): Promise<MembershipReport & { entry: JournalEntry }> {
    const entry = entryToRestore(this.requireJournal(), this.profile, id);
    return this.changeMembers(entry.groupId, { add: entry.lost, remove: [] }, { ...opts, journal: { kind: 'restore', of: entry.id } }, { title: `Restore ${entry.lost.length} member(s) of group ${entry.groupId}`, ...ctx })
      .then((r) => ({ ...r, entry }));
  }

  /** Undoes a change (journal entry `id`, else this profile's newest change not undone yet): removes what it
   * added and adds back what it removed, through the same safe path, verified. */
  async undoChange(id?: string, opts: MembershipOptions = {}, ctx?: CallContext): Promise<MembershipReport & { entry: JournalEntry }> {
    const entry = entryToUndo(this.requireJournal(), this.profile, id);
    return this.changeMembers(entry.groupId, { add: entry.removed, remove: entry.added }, { ...opts, journal: { kind: 'undo', of: entry.id } }, { title: `Undo change ${entry.id} of group ${entry.groupId}`, ...ctx })
      .then((r) => ({ ...r, entry }));
  }

  /** This profile's journal entries, newest first (none without a journal). */
  journalEntries(): JournalEntry[] {
    return this.options.journal ? entriesOf(this.options.journal, this.profile) : [];
  }

  private requireJournal(): MembershipJournal {
    const j = this.options.journal;
    if (!j) throw new ScimxError('usage', 'No membership journal is kept here, so there is nothing to restore or undo.');
    return j;
  }

  /** Users whose userName starts with, or displayName contains, the text (for a search-as-you-type picker). */
  searchUsers(text: string, opts: { count?: number } = {}, ctx?: CallContext): Promise<ScimResource[]> {
    return this.run(`Search users "${text}"`, ctx, async (call) => {
      const users = await this.usersEndpoint({ operation: call.operation, signal: call.signal });
      const t = text.trim();
      const filter = t ? toFilterString(or(sw('userName', t), co('displayName', t))) : undefined;
      const page = await this.listPageIn(call, users, { filter, attributes: ['userName', 'displayName', 'emails'], count: opts.count ?? 25 });
      return page.resources;
    }, (r) => `${r.length} users`);
  }

  /** One request per method that the gateway must judge and the service must refuse (nothing changes), and
   * findings beyond the rows (responses that point at another origin). */
  probe(ctx?: CallContext): Promise<ProbeReport> {
    return this.run('Probe gateway', ctx, (call) => probeGateway(this, call), ({ rows, findings }) => {
      const fails = rows.filter((r) => r.verdict === 'fail').length;
      const head = fails ? `${fails} of ${rows.length} methods fail` : `all ${rows.length} methods pass`;
      return [head, ...findings.map((f) => f.message)].join('; ');
    });
  }

  async close(): Promise<void> {
    await this.pipeline.close();
  }
}
