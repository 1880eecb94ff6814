// Discovery: the service's ServiceProviderConfig, ResourceTypes and Schemas, read once per client (so once per
// profile) and kept (across runs too, with a provider cache: ../cache.ts); a document the service does not offer is replaced by RFC 7643's defaults, named. What the
// rest of the client reads off it: capabilities, whether filters are worth trying, the Users and Groups endpoints.
import { looksLikeHtml } from '../../diagnosis';
import { toScimxError } from '../../errors';
import type { RequestSpec } from '../../http/types';
import type { Exchange } from '../../trace';
import { DISCOVERY_DOCUMENTS, type CachedDiscovery, type CachedDocument, type DiscoveryDocumentName } from '../cache';
import { parseDiscovery } from '../parse';
import { trimSlash } from '../paths';
import type { Call, CallContext } from '../port';
import type { Capabilities, Discovery, DiscoveryDefault } from '../types';
import type { ScimTransport } from './transport';

/** What a service that offers no ServiceProviderConfig is taken to do (RFC 7643 §5, RFC 7644): PATCH and
 * filters are tried (a refusal falls back), nothing optional is assumed. */
const RFC_DEFAULT_CAPABILITIES: Capabilities = {
  patch: true, etag: false, filter: true, filterSupport: 'unknown', sort: false, bulk: false, cursor: false, index: true,
};

function discoverySummary(d: Discovery): string {
  const types = `${d.resourceTypes.length} resource types`;
  return d.defaults?.length ? `${types}; RFC 7643 defaults for ${d.defaults.map((x) => x.document).join(', ')}` : types;
}

/** The documents a discovery was built from, and where the client keeps them between runs. */
export interface DiscoveryMemory {
  /** The documents kept from an earlier run, if any. */
  stored(): CachedDiscovery | undefined;
  /** How long documents are used without asking again. */
  readonly maxAgeMs: number;
  /** Documents just fetched or revalidated; `changed`: a kept document came back different. */
  fetched(docs: CachedDiscovery, changed: boolean): void;
}

export class ServiceDiscovery {
  private cached?: Promise<Discovery>;
  /** The discovery last read, once it is (for checks that must not wait). */
  private resolved?: Discovery;
  /** The documents behind `resolved`, and whether they came from an earlier run without a request. */
  private docs?: { documents: CachedDiscovery; fromCache: boolean };

  constructor(private readonly transport: ScimTransport, private readonly memory?: DiscoveryMemory) {}

  /** The discovery asked for already, if any, without asking. */
  known(): Promise<Discovery> | undefined {
    return this.cached;
  }

  /** The discovery read already, if it is, without waiting. */
  current(): Discovery | undefined {
    return this.resolved;
  }

  /** The documents to keep for the next run (none when discovery failed or its documents were dropped). */
  documents(): CachedDiscovery | undefined {
    return this.docs?.documents;
  }

  /** Forgets the documents kept. `onlyFromCache`: only when they came from an earlier run without a request
   * (the next call asks again); documents read in this run stay in use but are no longer kept. */
  forget(onlyFromCache = false): void {
    const fromCache = this.docs?.fromCache ?? false;
    this.docs = undefined;
    if (onlyFromCache && !fromCache) return;
    this.cached = undefined;
    this.resolved = undefined;
  }

  /** The service's discovery documents, read once per client (so once per profile) and kept, failures too: a
   * failed discovery is not asked again by every call that needs it (one `members` command asked for
   * ServiceProviderConfig 5 times); `refresh` asks again. A cancelled one is not kept. With a provider cache,
   * documents from an earlier run younger than its maxAge are used without a request, older ones are asked
   * again with If-None-Match where they had an ETag (a 304 keeps the cached body). */
  discover(ctx?: CallContext & { refresh?: boolean }): Promise<Discovery> {
    if (!this.cached || ctx?.refresh) {
      const p = this.transport.run('Discover service', ctx, (call) => this.discoverIn(call, !!ctx?.refresh), discoverySummary);
      this.cached = p;
      this.resolved = undefined;
      p.then((d) => {
        if (this.cached === p) this.resolved = d;
      }, (e: unknown) => {
        if (this.cached === p && toScimxError(e).code === 'cancelled') this.cached = undefined;
      });
    }
    return this.cached;
  }

  private async discoverIn(call: Call, refresh: boolean): Promise<Discovery> {
    const now = this.transport.pipeline.clock.now();
    const stored = refresh ? undefined : this.memory?.stored();
    const oldest = stored ? Math.min(...DISCOVERY_DOCUMENTS.map((n) => stored[n].fetchedAt)) : 0;
    if (stored && this.memory && now - oldest >= 0 && now - oldest < this.memory.maxAgeMs) {
      this.docs = { documents: stored, fromCache: true };
      const d = this.build(stored, {});
      d.cache = { state: 'fresh', ageMs: now - oldest, unchanged: 0 };
      return d;
    }
    const documents = {} as CachedDiscovery;
    const exchanges: Partial<Record<DiscoveryDocumentName, Exchange>> = {};
    let unchanged = 0;
    let changed = false;
    for (const name of DISCOVERY_DOCUMENTS) {
      const r = await this.discoveryDocument(call, name, stored?.[name]);
      documents[name] = r.doc;
      exchanges[name] = r.exchange;
      if (r.unchanged) unchanged += 1;
      else if (stored && JSON.stringify(stored[name].body ?? stored[name].reason) !== JSON.stringify(r.doc.body ?? r.doc.reason)) changed = true;
    }
    this.docs = { documents, fromCache: false };
    this.memory?.fetched(documents, changed);
    const d = this.build(documents, exchanges);
    if (stored) d.cache = { state: 'revalidated', ageMs: now - oldest, unchanged };
    return d;
  }

  /** Each document stands on its own: one the service does not offer (404, 405, 501, a page that is not SCIM
   * JSON…) is replaced by RFC 7643's defaults, named in `defaults`, in the warnings and on its exchange in the
   * trace; the others are kept. Only an answer that says the requests themselves are refused (401, 403, 407,
   * 429, the gateway's own 5xx) or no answer at all fails discovery (discoveryDocument throws). */
  private build(docs: CachedDiscovery, exchanges: Partial<Record<DiscoveryDocumentName, Exchange>>): Discovery {
    const spc = docs.ServiceProviderConfig;
    const rt = docs.ResourceTypes;
    const schemas = docs.Schemas;
    const d = parseDiscovery(spc.body && !Array.isArray(spc.body) ? spc.body : {}, rt.body ?? [], schemas.body);
    const defaults: DiscoveryDefault[] = [];
    if (!spc.body || Array.isArray(spc.body)) {
      d.capabilities = { ...RFC_DEFAULT_CAPABILITIES };
      d.warnings = d.warnings.filter((w) => !w.startsWith('ServiceProviderConfig.'));
      defaults.push({ document: 'ServiceProviderConfig', reason: spc.reason ?? 'not a JSON object', assumed: 'PATCH tried, filters tried (a refusal falls back to reading the group), no ETags, no bulk, no sorting, index paging (RFC 7643 §5 / RFC 7644 defaults)' });
    }
    if (!rt.body) {
      d.warnings = d.warnings.filter((w) => !w.startsWith('the service lists no resource types'));
      defaults.push({ document: 'ResourceTypes', reason: rt.reason ?? '', assumed: 'User at /Users and Group at /Groups (RFC 7643 §8.7.1)' });
    }
    if (!schemas.body) defaults.push({ document: 'Schemas', reason: schemas.reason ?? '', assumed: 'the RFC 7643 core User and Group schemas' });
    for (const x of defaults) {
      const line = `${x.document} not used (${x.reason}): assumed ${x.assumed}`;
      d.warnings.unshift(line);
      const ex = exchanges[x.document];
      if (ex) {
        ex.warnings.push(`RFC 7643 defaults used: ${x.assumed}.`);
        if (ex.response && ex.response.status >= 400) ex.expected = `${x.document} is optional for this client: the service does not offer it (${x.reason}); RFC 7643 defaults used`;
        this.transport.trace.touchExchange(ex);
      }
    }
    if (defaults.length) d.defaults = defaults;
    return d;
  }

  /** One discovery document, or why it is not used. Throws when the answer says the requests themselves fail.
   * `kept`: the copy from an earlier run; with an ETag it is asked with If-None-Match, and a 304 keeps it. */
  private async discoveryDocument(call: Call, document: DiscoveryDocumentName, kept?: CachedDocument): Promise<{ doc: CachedDocument; exchange?: Exchange; unchanged?: boolean }> {
    const revalidate = kept?.body !== undefined && kept.etag ? kept : undefined;
    const spec: RequestSpec = { method: 'GET', url: document, ...(revalidate?.etag ? { headers: { 'If-None-Match': revalidate.etag } } : {}) };
    const res = await this.transport.request(call, spec, () => true);
    const fetchedAt = this.transport.pipeline.clock.now();
    const ex = res.exchange;
    const etag = res.headers.etag;
    if (res.status === 304 && revalidate) {
      ex.expected = `${document} has not changed since it was cached (304 to If-None-Match): the cached copy is used`;
      this.transport.trace.touchExchange(ex);
      return { doc: { ...revalidate, fetchedAt, etag: etag ?? revalidate.etag }, exchange: ex, unchanged: true };
    }
    const by = ex.response?.answeredBy;
    const who = by === 'gateway' ? 'the gateway' : by === 'backend' ? 'the SCIM service' : 'the server';
    const absent = (reason: string) => ({ doc: { reason, fetchedAt }, exchange: ex });
    if (res.status >= 400) {
      // refused, limited or unreachable: the next requests would be too, so discovery fails and says why
      const fatal = [401, 403, 407, 429, 502, 503, 504].includes(res.status) || (res.status >= 500 && by === 'gateway');
      if (fatal) throw this.transport.errorFor(res, call.operation);
      return absent(`${res.status} from ${who}`);
    }
    if (res.status >= 300) return absent(`${res.status} from ${who}`);
    const withBody = (body: Record<string, unknown> | unknown[]) => ({ doc: { body, fetchedAt, ...(etag ? { etag } : {}) }, exchange: ex });
    // ResourceTypes and Schemas as a bare JSON array (seen in the field) are read as the list they are
    if (document !== 'ServiceProviderConfig' && Array.isArray(res.json)) return withBody(res.json as unknown[]);
    try {
      return withBody(this.transport.jsonObject(res, { method: 'GET', url: document }));
    } catch {
      return absent(`${res.status} from ${who}, ${looksLikeHtml(res.text, res.headers['content-type']) ? 'an HTML page' : res.text ? 'not a JSON object' : 'an empty body'}`);
    }
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

  async isGroupsEndpoint(endpoint: string): Promise<boolean> {
    const e = trimSlash(endpoint).toLowerCase();
    if (e === 'groups') return true;
    const d = await this.cached?.catch(() => undefined);
    return !!d?.resourceTypes.some((t) => t.endpoint.toLowerCase() === e && t.schema === 'urn:ietf:params:scim:schemas:core:2.0:Group');
  }
}
