// The SCIM client: discovery, listing, CRUD and membership, on top of the one request pipeline.
// Every public method runs inside an operation of the trace (its own, or the caller's).
import { diagnoseExchange, looksLikeHtml, asScimError, asGatewayError } from '../diagnosis';
import { HttpStatusError, ScimxError, toScimxError } from '../errors';
import { Pipeline } from '../http/pipeline';
import type { HttpResponse, RequestSpec, WaitNotice } from '../http/types';
import type { Profile } from '../profile';
import type { Exchange, Operation, Trace } from '../trace';
import { entriesOf, entryToRestore, entryToUndo, type JournalEntry, type MembershipJournal } from '../journal';
import { and, co, eq, or, sw, toFilterString, validateFilter } from './filter';
import { changeMembers as runMembershipChange } from './membership';
import { MEMBER_BATCH, splitTest, type SplitTest } from './membership/group-filter';
import { pageCount } from './client/paging';
import { parseDiscovery, parseListResponse, parseResource, readMembers } from './parse';
import { resourcePath, trimSlash } from './paths';
import type { Call, CallContext, ReadOptions, ScimPort } from './port';
import { probeGateway } from './probe';
import { ProviderQuirks, type MemberPaging } from './quirks';
import { refusedByService } from './refusal';
import { summarizeReport } from './report';
export { summarizeReport } from './report';
export { pageCount } from './client/paging';
export { readMembers } from './parse';
export { resourcePath, trimSlash } from './paths';
export type { Call, CallContext, Meter } from './port';
export { refusedByService } from './refusal';
export type { MembershipOptions } from './types';
import type {
  Capabilities, Discovery, DiscoveryDefault, ListOptions, ListPage, Member, MembershipChange, MembershipOptions,
  MembershipReport, ProbeReport, ScimResource,
} from './types';

export interface ScimClientOptions {
  trace: Trace;
  onWait?: (notice: WaitNotice) => void;
  userAgent?: string;
  /** Use this pipeline instead of making one (tests, or sharing one between faces). */
  pipeline?: Pipeline;
  /** Where membership changes are recorded (restore and undo read it); none: not recorded. */
  journal?: MembershipJournal;
}

const MAX_PAGES = 100_000;
/** What a service that offers no ServiceProviderConfig is taken to do (RFC 7643 §5, RFC 7644): PATCH and
 * filters are tried (a refusal falls back), nothing optional is assumed. */
const RFC_DEFAULT_CAPABILITIES: Capabilities = {
  patch: true, etag: false, filter: true, filterSupport: 'unknown', sort: false, bulk: false, cursor: false, index: true,
};

function discoverySummary(d: Discovery): string {
  const types = `${d.resourceTypes.length} resource types`;
  return d.defaults?.length ? `${types}; RFC 7643 defaults for ${d.defaults.map((x) => x.document).join(', ')}` : types;
}
/** SAP returns at most this many members on a group read. */
const SAP_MEMBER_READ_CAP = 20_000;
/** Members remembered per group, and groups remembered, for collateral checks. */
const KNOWN_MEMBERS_KEPT = 60;
const KNOWN_GROUPS_KEPT = 200;

export class ScimClient implements ScimPort {
  readonly pipeline: Pipeline;
  private discovery?: Promise<Discovery>;
  /** What this client learnt about its provider (per profile): the one place it is kept. */
  readonly quirks = new ProviderQuirks();
  /** A group's members that are not users, found with its first members page (counted in later pages). */
  private readonly nonUserMembers = new Map<string, Member[]>();
  /** Members of a group seen by an earlier read (the tree's pages, a change's checks): the candidates a change's
   * collateral check asks about in its first request. A few per group, for the groups touched last. */
  private readonly knownMembers = new Map<string, string[]>();

  constructor(readonly profile: Profile, readonly options: ScimClientOptions) {
    this.pipeline = options.pipeline ?? new Pipeline(profile, { trace: options.trace, onWait: options.onWait, userAgent: options.userAgent });
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
    return this.knownMembers.get(groupId) ?? [];
  }

  rememberMembers(groupId: string, ids: Iterable<string>): void {
    const fresh = [...new Set(ids)].slice(0, KNOWN_MEMBERS_KEPT);
    if (!fresh.length) return;
    const old = (this.knownMembers.get(groupId) ?? []).filter((id) => !fresh.includes(id));
    this.knownMembers.delete(groupId);
    this.knownMembers.set(groupId, [...fresh, ...old].slice(0, KNOWN_MEMBERS_KEPT));
    while (this.knownMembers.size > KNOWN_GROUPS_KEPT) this.knownMembers.delete(this.knownMembers.keys().next().value as string);
  }

  forgetMembers(groupId: string, ids: Iterable<string>): void {
    const gone = new Set(ids);
    const known = this.knownMembers.get(groupId);
    if (known) this.knownMembers.set(groupId, known.filter((id) => !gone.has(id)));
  }

  // ------------------------------------------------------------------------------------ operations

  /** Runs `body` in the caller's operation, or in a new one that ends with the outcome. */
  async run<T>(title: string, ctx: CallContext | undefined, body: (call: Call) => Promise<T>, summarize?: (result: T) => string): Promise<T> {
    const own = !ctx?.operation;
    const operation = ctx?.operation ?? this.trace.startOperation(ctx?.title ?? title, this.profile.name);
    const call: Call = { operation, signal: ctx?.signal, meter: { requests: 0, bytesSent: 0, bytesReceived: 0 } };
    try {
      const result = await body(call);
      if (own) this.trace.endOperation(operation, 'ok', { summary: summarize?.(result) });
      return result;
    } catch (e) {
      const err = toScimxError(e);
      // Every message leaves masked with every secret the pipeline knows (those learnt at run time too): it is
      // shown in notifications, logs and the CLI, and may quote a server's answer.
      const masked = this.pipeline.mask(err.message);
      if (masked !== err.message) err.message = masked;
      if (own) {
        const state = err.code === 'cancelled' ? 'cancelled' : 'failed';
        this.trace.endOperation(operation, state, { summary: err.message, diagnosis: err.diagnosis });
      }
      throw err;
    }
  }

  /** Sends a request and returns the answer when it is 2xx; otherwise throws a diagnosed error. */
  async request(call: Call, spec: RequestSpec, accept: (status: number) => boolean = (s) => s >= 200 && s < 300): Promise<HttpResponse> {
    if (call.signal?.aborted) throw new ScimxError('cancelled', 'Cancelled.');
    let res: HttpResponse;
    try {
      res = await this.pipeline.send(call.operation, { ...spec, signal: spec.signal ?? call.signal });
    } catch (e) {
      const err = toScimxError(e);
      if (!err.diagnosis) {
        const ex = err.exchangeId ? this.trace.findExchange(err.exchangeId) : call.operation.exchanges.at(-1);
        if (ex) err.diagnosis = this.diagnose(ex, call.operation);
      }
      throw err;
    }
    call.meter.requests += 1;
    call.meter.bytesSent += res.bytesSent;
    call.meter.bytesReceived += res.bytesReceived;
    if (accept(res.status)) return res;
    throw this.errorFor(res, call.operation);
  }

  /** Like request(), and the body must be a JSON object. */
  async requestJson(call: Call, spec: RequestSpec): Promise<{ res: HttpResponse; body: Record<string, unknown> }> {
    const res = await this.request(call, spec);
    return { res, body: this.jsonObject(res, spec) };
  }

  jsonObject(res: HttpResponse, spec: Pick<RequestSpec, 'method' | 'url'>): Record<string, unknown> {
    if (res.json && typeof res.json === 'object' && !Array.isArray(res.json)) return res.json as Record<string, unknown>;
    const where = `${spec.method} ${spec.url}`;
    if (looksLikeHtml(res.text, res.headers['content-type'])) {
      throw new ScimxError('response', `${where} answered ${res.status} with an HTML page instead of SCIM JSON`, { exchangeId: res.exchange.id, hint: 'Check the base URL and the gateway.' });
    }
    if (!res.text) throw new ScimxError('response', `${where} answered ${res.status} with an empty body where SCIM JSON was expected`, { exchangeId: res.exchange.id });
    // masked before it is cut: a secret cut in half cannot be found any more
    const start = this.pipeline.mask(res.text.slice(0, 4096)).slice(0, 40).replace(/\s+/g, ' ');
    throw new ScimxError('response', `${where} answered ${res.status} with a body that is not a JSON object (${res.text.length} bytes, starts "${start}")`, { exchangeId: res.exchange.id });
  }

  diagnose(ex: Exchange, operation: Operation) {
    const history = this.trace
      .operations()
      .filter((op) => op.profile === this.profile.name && op.id !== operation.id)
      .slice(-20)
      .flatMap((op) => op.exchanges);
    const d = diagnoseExchange(ex, { operation, history, keyHeader: this.profile.gateway.header, keyQuery: this.profile.gateway.query, baseUrl: this.profile.baseUrl });
    if (d) {
      ex.diagnosis = d;
      this.trace.touchExchange(ex);
    }
    return d;
  }

  errorFor(res: HttpResponse, operation: Operation): HttpStatusError {
    const diagnosis = this.diagnose(res.exchange, operation);
    const scim = asScimError(res.json);
    const gw = asGatewayError(res.json);
    const code = gw ? 'gateway' : scim ? 'scim' : 'http';
    const message = diagnosis?.summary ?? `${res.exchange.request.method} ${res.url} answered ${res.status}`;
    return new HttpStatusError(code, res.status, message, {
      exchangeId: res.exchange.id,
      diagnosis,
      hint: diagnosis?.fix,
      scimType: scim?.scimType,
      detail: scim?.detail ?? gw?.message,
    });
  }

  // ------------------------------------------------------------------------------------ discovery

  /** The service's discovery documents, read once per client (so once per profile) and kept, failures too: a
   * failed discovery is not asked again by every call that needs it (one `members` command asked for
   * ServiceProviderConfig 5 times); `refresh` asks again. A cancelled one is not kept. */
  discover(ctx?: CallContext & { refresh?: boolean }): Promise<Discovery> {
    if (!this.discovery || ctx?.refresh) {
      const p = this.run('Discover service', ctx, (call) => this.discoverIn(call), discoverySummary);
      this.discovery = p;
      p.catch((e: unknown) => {
        if (this.discovery === p && toScimxError(e).code === 'cancelled') this.discovery = undefined;
      });
    }
    return this.discovery;
  }

  /** Each document stands on its own: one the service does not offer (404, 405, 501, a page that is not SCIM
   * JSON…) is replaced by RFC 7643's defaults, named in `defaults`, in the warnings and on its exchange in the
   * trace; the others are kept. Only an answer that says the requests themselves are refused (401, 403, 407,
   * 429, the gateway's own 5xx) or no answer at all fails discovery. */
  private async discoverIn(call: Call): Promise<Discovery> {
    const spc = await this.discoveryDocument(call, 'ServiceProviderConfig');
    const rt = await this.discoveryDocument(call, 'ResourceTypes');
    const schemas = await this.discoveryDocument(call, 'Schemas');
    const d = parseDiscovery(spc.body && !Array.isArray(spc.body) ? spc.body : {}, rt.body ?? [], schemas.body);
    const defaults: DiscoveryDefault[] = [];
    if (!spc.body || Array.isArray(spc.body)) {
      d.capabilities = { ...RFC_DEFAULT_CAPABILITIES };
      d.warnings = d.warnings.filter((w) => !w.startsWith('ServiceProviderConfig.'));
      defaults.push({ document: 'ServiceProviderConfig', reason: spc.reason, assumed: 'PATCH tried, filters tried (a refusal falls back to reading the group), no ETags, no bulk, no sorting, index paging (RFC 7643 §5 / RFC 7644 defaults)' });
    }
    if (!rt.body) {
      d.warnings = d.warnings.filter((w) => !w.startsWith('the service lists no resource types'));
      defaults.push({ document: 'ResourceTypes', reason: rt.reason, assumed: 'User at /Users and Group at /Groups (RFC 7643 §8.7.1)' });
    }
    if (!schemas.body) defaults.push({ document: 'Schemas', reason: schemas.reason, assumed: 'the RFC 7643 core User and Group schemas' });
    for (const x of defaults) {
      const line = `${x.document} not used (${x.reason}): assumed ${x.assumed}`;
      d.warnings.unshift(line);
      const ex = x.document === 'ServiceProviderConfig' ? spc.exchange : x.document === 'ResourceTypes' ? rt.exchange : schemas.exchange;
      if (ex) {
        ex.warnings.push(`RFC 7643 defaults used: ${x.assumed}.`);
        if (ex.response && ex.response.status >= 400) ex.expected = `${x.document} is optional for this client: the service does not offer it (${x.reason}); RFC 7643 defaults used`;
        this.trace.touchExchange(ex);
      }
    }
    if (defaults.length) d.defaults = defaults;
    return d;
  }

  /** One discovery document, or why it is not used. Throws when the answer says the requests themselves fail. */
  private async discoveryDocument(call: Call, document: DiscoveryDefault['document']): Promise<{ body?: Record<string, unknown> | unknown[]; reason: string; exchange?: Exchange }> {
    const res = await this.request(call, { method: 'GET', url: document }, () => true);
    const ex = res.exchange;
    const by = ex.response?.answeredBy;
    const who = by === 'gateway' ? 'the gateway' : by === 'backend' ? 'the SCIM service' : 'the server';
    if (res.status >= 400) {
      // refused, limited or unreachable: the next requests would be too, so discovery fails and says why
      const fatal = [401, 403, 407, 429, 502, 503, 504].includes(res.status) || (res.status >= 500 && by === 'gateway');
      if (fatal) throw this.errorFor(res, call.operation);
      return { reason: `${res.status} from ${who}`, exchange: ex };
    }
    if (res.status >= 300) return { reason: `${res.status} from ${who}`, exchange: ex };
    // ResourceTypes and Schemas as a bare JSON array (seen in the field) are read as the list they are
    if (document !== 'ServiceProviderConfig' && Array.isArray(res.json)) return { body: res.json, reason: '', exchange: ex };
    try {
      return { body: this.jsonObject(res, { method: 'GET', url: document }), reason: '', exchange: ex };
    } catch {
      return { reason: `${res.status} from ${who}, ${looksLikeHtml(res.text, res.headers['content-type']) ? 'an HTML page' : res.text ? 'not a JSON object' : 'an empty body'}`, exchange: ex };
    }
  }

  // -------------------------------------------------------------------------- filters that failed (per profile)

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

  /** Whether filtered reads are worth trying: false only when ServiceProviderConfig says `filter.supported: false`
   * (then none is sent, the group is read instead). True when it says true, says nothing readable (RFC 7643 §5
   * makes the block REQUIRED: unknown, so tried), or could not be read: a refused filter (400/501) then falls
   * back to reading the group. Discovery is cached per client. */
  async filtersUsable(ctx?: CallContext): Promise<boolean> {
    return (await this.discover(ctx).catch(() => undefined))?.capabilities.filter ?? true;
  }

  /** The endpoint of the Group resource type (`Groups` unless the server says otherwise). */
  async groupsEndpoint(ctx?: CallContext): Promise<string> {
    const d = await this.discover(ctx).catch(() => undefined);
    return d?.resourceTypes.find((t) => t.schema === 'urn:ietf:params:scim:schemas:core:2.0:Group' || t.name === 'Group')?.endpoint ?? 'Groups';
  }

  async usersEndpoint(ctx?: CallContext): Promise<string> {
    const d = await this.discover(ctx).catch(() => undefined);
    return d?.resourceTypes.find((t) => t.schema === 'urn:ietf:params:scim:schemas:core:2.0:User' || t.name === 'User')?.endpoint ?? 'Users';
  }

  // ------------------------------------------------------------------------------------ reading

  listPage(endpoint: string, opts: ListOptions, ctx?: CallContext): Promise<ListPage> {
    return this.run(`List ${endpoint}`, ctx, (call) => this.listPageIn(call, endpoint, opts), (p) => `${p.resources.length} of ${p.totalResults ?? '?'}`);
  }

  /** One page. With the service's capabilities known (every face discovers first): the first page of a
   * provider that pages only by cursor is asked with `cursor=` (RFC 9865), and `count` never exceeds what the
   * service says it returns (`filter.maxResults`, `pagination.maxPageSize`). The page's `next` carries the
   * server's cursor whenever it answered with one. */
  async listPageIn(call: Call, endpoint: string, opts: ListOptions, send: Pick<RequestSpec, 'retry'> = {}): Promise<ListPage> {
    if (opts.filter) validateFilter(opts.filter);
    const caps = (await this.discovery?.catch(() => undefined))?.capabilities;
    const query: Record<string, string | number | undefined> = {
      filter: opts.filter,
      attributes: opts.attributes?.join(','),
      excludedAttributes: opts.excludedAttributes?.join(','),
      count: pageCount(opts.count ?? this.profile.pageSize, caps),
    };
    if (opts.cursor !== undefined) query.cursor = opts.cursor;
    else if (opts.startIndex === undefined && caps?.cursor && !caps.index) query.cursor = '';
    else query.startIndex = opts.startIndex ?? 1;
    if (!opts.attributes && !opts.excludedAttributes && (await this.isGroupsEndpoint(endpoint))) {
      query.excludedAttributes = 'members';
    }
    const spec: RequestSpec = { method: 'GET', url: trimSlash(endpoint), query, ...send };
    const { res, body } = await this.requestJson(call, spec);
    return parseListResponse(body, { requested: query, exchangeId: res.exchange.id });
  }

  private async isGroupsEndpoint(endpoint: string): Promise<boolean> {
    const e = trimSlash(endpoint).toLowerCase();
    if (e === 'groups') return true;
    const d = await this.discovery?.catch(() => undefined);
    return !!d?.resourceTypes.some((t) => t.endpoint.toLowerCase() === e && t.schema === 'urn:ietf:params:scim:schemas:core:2.0:Group');
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

  /** Pages of a listing. With index paging and a known total, fetches up to `profile.concurrency`
   * pages at once, yielding them in order; by cursor when the provider pages by cursor (declared, or
   * answered with a nextCursor). */
  async *pages(call: Call, endpoint: string, opts: ListOptions): AsyncGenerator<ListPage> {
    // the capabilities decide how listPageIn pages (cursor or index) and how much it asks for
    await this.discover({ operation: call.operation, signal: call.signal }).catch(() => undefined);
    const first = await this.listPageIn(call, endpoint, opts);
    yield first;
    if (!first.next) return;
    if (first.next.cursor !== undefined) {
      yield* this.cursorPages(call, endpoint, opts, first.next.cursor);
      return;
    }

    // Index paging. The page size is what the server actually returned (servers may cap `count`).
    const size = first.resources.length;
    const total = first.totalResults;
    let start = first.next.startIndex ?? (first.startIndex ?? 1) + size;
    const concurrency = Math.max(1, this.profile.concurrency);
    if (!Number.isSafeInteger(start)) throw didNotAdvance(start);
    if (total !== undefined && concurrency > 1 && size > 0) {
      // The plan is made as it goes, `concurrency` pages ahead, and every index in it is a safe integer
      // larger than the one before: near 2^53, `s + size === s` would plan one index forever (issue 10).
      const queue: Array<[number, Promise<ListPage>]> = [];
      let planned = start;
      let launched = 0;
      let stuck: number | undefined;
      const launch = () => {
        while (queue.length < concurrency && stuck === undefined && planned <= total && launched < MAX_PAGES) {
          const s = planned;
          const p = this.listPageIn(call, endpoint, { ...opts, startIndex: s });
          p.catch(() => undefined); // awaited in order below
          queue.push([s, p]);
          launched += 1;
          const following = s + size;
          if (following > total && following > s) planned = following;
          else if (!Number.isSafeInteger(following) || following <= s) stuck = following;
          else planned = following;
        }
      };
      const drop = () => {
        for (const [, rest] of queue) rest.catch(() => undefined);
        queue.length = 0;
      };
      let lastEnd = start - 1;
      let prevPage = first;
      for (;;) {
        launch();
        const head = queue.shift();
        if (!head) {
          if (stuck !== undefined) throw didNotAdvance(stuck);
          if (launched >= MAX_PAGES && planned <= total) throw new ScimxError('response', `More than ${MAX_PAGES} pages; stopped.`);
          return;
        }
        const [s, pending] = head;
        const page = await pending;
        // the same resources again: the server ignores startIndex (one that only echoes a wrong startIndex
        // but pages correctly is paged on)
        if (repeatsPage(prevPage, page)) {
          drop();
          throw notAdvancing(s, page);
        }
        prevPage = page;
        yield page;
        lastEnd = s + page.resources.length - 1;
        if (page.resources.length < size) {
          // The server returned a short page: fall back to sequential paging from there.
          start = lastEnd + 1;
          drop();
          if (page.resources.length === 0 || lastEnd >= total) return;
          yield* this.sequentialPages(call, endpoint, opts, start, total, page);
          return;
        }
      }
    }
    yield* this.sequentialPages(call, endpoint, opts, start, total, first);
  }

  /** Pages after the first by the server's cursors; refuses a cursor the server repeats. */
  private async *cursorPages(call: Call, endpoint: string, opts: ListOptions, cursor: string): AsyncGenerator<ListPage> {
    const seen = new Set<string>();
    let next: string | undefined = cursor;
    for (let n = 1; next !== undefined; n++) {
      if (seen.has(next)) throw new ScimxError('response', `The server repeated cursor "${next.slice(0, 40)}" after ${n} pages; stopped to avoid endless paging.`);
      if (n > MAX_PAGES) throw new ScimxError('response', `More than ${MAX_PAGES} pages; stopped.`);
      seen.add(next);
      const page = await this.listPageIn(call, endpoint, { ...opts, cursor: next, startIndex: undefined });
      yield page;
      next = page.next?.cursor;
    }
  }

  private async *sequentialPages(call: Call, endpoint: string, opts: ListOptions, start: number, total: number | undefined, before?: ListPage): AsyncGenerator<ListPage> {
    let prev = -1;
    let last = before;
    for (let n = 0; ; n++) {
      if (start <= prev || !Number.isSafeInteger(start)) throw didNotAdvance(start);
      if (n > MAX_PAGES) throw new ScimxError('response', `More than ${MAX_PAGES} pages; stopped.`);
      prev = start;
      const page = await this.listPageIn(call, endpoint, { ...opts, startIndex: start, cursor: undefined });
      if (repeatsPage(last, page)) throw notAdvancing(start, page);
      last = page;
      yield page;
      if (page.next?.cursor !== undefined) {
        yield* this.cursorPages(call, endpoint, opts, page.next.cursor);
        return;
      }
      if (!page.next?.startIndex || page.resources.length === 0) return;
      if (total !== undefined && page.next.startIndex > total) return;
      start = page.next.startIndex;
    }
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
    if (!opts.attributes && !opts.excludedAttributes && !opts.members && (await this.isGroupsEndpoint(endpoint))) {
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

  // ------------------------------------------------------------------------------------ members

  /** One page of a group's members without downloading the group where the provider allows:
   * users whose `groups` contain the group (RFC 7643 §4.1.2), else the group's own member list. Members that
   * are not users (nested groups) come first on the first page, and every page's total counts them. */
  membersPage(groupId: string, opts: { startIndex?: number; count?: number; cursor?: string }, ctx?: CallContext): Promise<ListPage<Member>> {
    return this.run(`Members of ${groupId}`, ctx, (call) => this.membersPageIn(call, groupId, opts), (p) => `${p.resources.length} of ${p.totalResults ?? '?'}`);
  }

  async membersPageIn(call: Call, groupId: string, opts: { startIndex?: number; count?: number; cursor?: string }): Promise<ListPage<Member>> {
    const ctx = { operation: call.operation, signal: call.signal };
    const users = await this.usersEndpoint(ctx);
    // a provider that says it cannot filter gets no filtered read (nor the nested-group lookup that follows one)
    if (this.quirks.memberPaging !== 'group-read' && !(await this.filtersUsable(ctx))) this.quirks.memberPaging = 'group-read';
    if (this.quirks.memberPaging !== 'group-read') {
      let page: ListPage | undefined;
      try {
        page = await this.listPageIn(call, users, {
          filter: toFilterString(eq('groups.value', groupId)),
          attributes: ['userName', 'displayName'],
          startIndex: opts.cursor === undefined ? opts.startIndex : undefined,
          cursor: opts.cursor,
          count: opts.count,
        });
        this.quirks.memberPaging = 'users-filter';
      } catch (e) {
        const err = toScimxError(e);
        // A provider that cannot filter users by group says 400 (invalidFilter) or 501: read the group instead.
        if (!refusedByService(err)) throw err;
        this.quirks.memberPaging = 'group-read';
      }
      if (page) {
        const first = opts.cursor === '' || (opts.cursor === undefined && (opts.startIndex ?? 1) <= 1);
        this.rememberMembers(groupId, page.resources.map((u) => u.id));
        return this.withNonUserMembers(call, groupId, page, first);
      }
    }
    const groups = await this.groupsEndpoint(ctx);
    const { resource: group } = await this.getIn(call, groups, groupId, { attributes: ['members'] });
    const all = readMembers(group);
    const start = Math.max(1, opts.startIndex ?? 1);
    const count = opts.count ?? this.profile.pageSize;
    const slice = all.slice(start - 1, start - 1 + count);
    const nextStart = start + slice.length;
    return { resources: slice, totalResults: all.length, startIndex: start, itemsPerPage: slice.length, next: nextStart <= all.length ? { startIndex: nextStart } : undefined };
  }

  /** A page of a group's user members, with its other members: listed on the first page (looked up then),
   * counted in the total of every page. A lookup that fails leaves a warning on the page, not a hidden gap. */
  private async withNonUserMembers(call: Call, groupId: string, page: ListPage, first: boolean): Promise<ListPage<Member>> {
    const userMembers: Member[] = page.resources.map((u) => ({ value: u.id, display: str(u.displayName) ?? str(u.userName), type: 'User' }));
    const out: ListPage<Member> = { ...page, resources: userMembers };
    let others = this.nonUserMembers.get(groupId) ?? [];
    if (first) {
      try {
        others = await this.nonUserMembersIn(call, groupId, page.totalResults);
        this.nonUserMembers.set(groupId, others);
      } catch (e) {
        const err = toScimxError(e);
        if (err.code === 'cancelled') throw err;
        this.nonUserMembers.delete(groupId);
        others = [];
        out.warnings = [...(page.warnings ?? []), `Members that are groups could not be listed: ${err.message}`];
      }
      out.resources = [...others, ...userMembers];
    }
    if (page.totalResults !== undefined) out.totalResults = page.totalResults + others.length;
    return out;
  }

  /**
   * The members of a group that are not users (RFC 7643: a member is a User or a Group), as cheaply as the
   * provider allows. One tiny read says whether there are any (`id eq "G" and members.type eq "Group"`); only
   * when there are, or when the provider cannot say, the group's member list is read; and where that list
   * cannot hold every member (Entra returns none, SAP at most 20,000, or fewer than the group has users)
   * the other groups are tested against this one. Correctness before bytes: a member is never left out.
   */
  private async nonUserMembersIn(call: Call, groupId: string, usersTotal: number | undefined): Promise<Member[]> {
    const ctx = { operation: call.operation, signal: call.signal };
    const groups = await this.groupsEndpoint(ctx);
    const has = await this.hasGroupMemberIn(call, groups, groupId, usersTotal);
    if (has === false) return [];
    const provider = this.profile.provider;
    const read = provider === 'entra' ? [] : readMembers((await this.getIn(call, groups, groupId, { attributes: ['members'] })).resource);
    const found = read.filter((m) => memberKind(m) === 'Group').map((m) => ({ ...m, type: 'Group' }));
    const untyped = read.filter((m) => memberKind(m) === undefined);
    const whole = provider !== 'entra'
      && !(provider === 'sap' && read.length >= SAP_MEMBER_READ_CAP)
      && (usersTotal === undefined || read.length - found.length >= usersTotal)
      && !(has && !found.length && !untyped.length);
    if (!whole) return [...found, ...(await this.groupsAmongMembersIn(call, groups, groupId, new Set([groupId, ...found.map((m) => m.value)])))];
    const typedUsers = read.length - found.length - untyped.length;
    if (!untyped.length || (usersTotal !== undefined && untyped.length === usersTotal - typedUsers)) return found;
    // members without a type: the ones that are not among the group's users are groups
    const users = await this.usersEndpoint(ctx);
    const userIds = new Set<string>();
    for await (const page of this.pages(call, users, { filter: toFilterString(eq('groups.value', groupId)), attributes: ['id'] })) {
      for (const u of page.resources) userIds.add(u.id);
    }
    return [...found, ...untyped.filter((m) => !userIds.has(m.value)).map((m) => ({ ...m, type: 'Group' }))];
  }

  /** Whether the group has a member of type Group; undefined when the provider cannot say: it refuses a filter
   * on `members.type`, or answers one without knowing types (a group with users does not match
   * `members.type eq "User"`). Learnt once per client, so the common case costs one small read. */
  private async hasGroupMemberIn(call: Call, groups: string, groupId: string, usersTotal: number | undefined): Promise<boolean | undefined> {
    if (this.quirks.memberTypeFilter === 'unsupported') return undefined;
    const hasType = async (type: 'User' | 'Group'): Promise<boolean> => {
      const page = await this.listPageIn(call, groups, { filter: toFilterString(and(eq('id', groupId), eq('members.type', type))), attributes: ['id'], count: 1 });
      return page.resources.some((g) => g.id === groupId);
    };
    try {
      if (await hasType('Group')) {
        this.quirks.memberTypeFilter = 'works';
        return true;
      }
      if (this.quirks.memberTypeFilter === 'works') return false;
      if (!usersTotal) return undefined;
      if (await hasType('User')) {
        this.quirks.memberTypeFilter = 'works';
        return false;
      }
    } catch (e) {
      if (!refusedByService(toScimxError(e))) throw e;
    }
    this.quirks.memberTypeFilter = 'unsupported';
    return undefined;
  }

  /** Which of the service's groups (but `skip`) are members of `groupId`, for a provider whose group read does
   * not hold every member: `id eq "G" and (members.value eq "a" or …)` over 40 groups a request, a set that
   * matches split in halves until each member is named (splitTest, shared with the membership checks). */
  private async groupsAmongMembersIn(call: Call, groups: string, groupId: string, skip: ReadonlySet<string>): Promise<Member[]> {
    const found: Member[] = [];
    const test: SplitTest<ScimResource> = {
      groupId,
      quirks: this.quirks,
      idOf: (g) => g.id,
      matches: async (filter) => {
        const page = await this.listPageIn(call, groups, { filter, attributes: ['id'], count: 1 });
        return page.resources.some((g) => g.id === groupId);
      },
      found: (g) => {
        found.push({ value: g.id, display: str(g.displayName), type: 'Group' });
      },
      isFound: (g) => found.some((m) => m.value === g.id),
    };
    let batch: ScimResource[] = [];
    for await (const page of this.pages(call, groups, { attributes: ['id', 'displayName'] })) {
      for (const g of page.resources) {
        if (skip.has(g.id)) continue;
        batch.push(g);
        if (batch.length === MEMBER_BATCH) {
          await splitTest(test, batch, false);
          batch = [];
        }
      }
    }
    if (batch.length) await splitTest(test, batch, false);
    return found;
  }

  changeMembers(groupId: string, change: MembershipChange, opts: MembershipOptions = {}, ctx?: CallContext): Promise<MembershipReport> {
    const parts = [change.add.length ? `add ${change.add.length}` : '', change.remove.length ? `remove ${change.remove.length}` : ''].filter(Boolean).join(', ');
    return this.run(`Members of ${groupId}: ${parts || 'no change'}`, ctx, async (call) => {
      const report = await runMembershipChange(this, call, groupId, change, opts);
      // nested groups counted in later members pages: the removed ones are gone
      const others = this.nonUserMembers.get(groupId);
      if (others && report.removed.length) this.nonUserMembers.set(groupId, others.filter((m) => !report.removed.includes(m.value)));
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

/** User or Group, from `type`, else from a `$ref` on the Users or Groups endpoint; undefined when neither says. */
function memberKind(m: Member): 'User' | 'Group' | undefined {
  const type = m.type?.toLowerCase();
  if (type === 'user') return 'User';
  if (type === 'group') return 'Group';
  const endpoint = typeof m.$ref === 'string' ? /\/(Users|Groups)\/[^/]+\/?$/i.exec(m.$ref)?.[1]?.toLowerCase() : undefined;
  return endpoint === 'users' ? 'User' : endpoint === 'groups' ? 'Group' : undefined;
}

/** The same resources as the page before: a server that ignores startIndex would be paged forever. */
function repeatsPage(prev: ListPage | undefined, page: ListPage): boolean {
  const a = prev?.resources;
  const b = page.resources;
  return !!a && a.length > 0 && a.length === b.length && a[0]!.id === b[0]!.id && a[a.length - 1]!.id === b[b.length - 1]!.id;
}

/** A plan whose next index is not above the last one (or past 2^53, where `+ 1` stops adding). */
function didNotAdvance(start: number): ScimxError {
  return new ScimxError('response', `The server's startIndex did not advance (${start}); stopped to avoid endless paging.`);
}

function notAdvancing(asked: number, page: ListPage): ScimxError {
  const got = page.startIndex !== undefined && page.startIndex !== asked ? `answered startIndex ${page.startIndex}` : 'answered the same page again';
  return new ScimxError('response', `Asked for startIndex ${asked}, the server ${got}: its startIndex did not advance; stopped to avoid endless paging.`);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

export { and, eq, or };
