// Discovery: the service's ServiceProviderConfig, ResourceTypes and Schemas, read once per client (so once per
// profile) and kept; a document the service does not offer is replaced by RFC 7643's defaults, named. What the
// rest of the client reads off it: capabilities, whether filters are worth trying, the Users and Groups endpoints.
import { looksLikeHtml } from '../../diagnosis';
import { toScimxError } from '../../errors';
import type { Exchange } from '../../trace';
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

export class ServiceDiscovery {
  private cached?: Promise<Discovery>;

  constructor(private readonly transport: ScimTransport) {}

  /** The discovery asked for already, if any, without asking. */
  known(): Promise<Discovery> | undefined {
    return this.cached;
  }

  /** The service's discovery documents, read once per client (so once per profile) and kept, failures too: a
   * failed discovery is not asked again by every call that needs it (one `members` command asked for
   * ServiceProviderConfig 5 times); `refresh` asks again. A cancelled one is not kept. */
  discover(ctx?: CallContext & { refresh?: boolean }): Promise<Discovery> {
    if (!this.cached || ctx?.refresh) {
      const p = this.transport.run('Discover service', ctx, (call) => this.discoverIn(call), discoverySummary);
      this.cached = p;
      p.catch((e: unknown) => {
        if (this.cached === p && toScimxError(e).code === 'cancelled') this.cached = undefined;
      });
    }
    return this.cached;
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
        this.transport.trace.touchExchange(ex);
      }
    }
    if (defaults.length) d.defaults = defaults;
    return d;
  }

  /** One discovery document, or why it is not used. Throws when the answer says the requests themselves fail. */
  private async discoveryDocument(call: Call, document: DiscoveryDefault['document']): Promise<{ body?: Record<string, unknown> | unknown[]; reason: string; exchange?: Exchange }> {
    const res = await this.transport.request(call, { method: 'GET', url: document }, () => true);
    const ex = res.exchange;
    const by = ex.response?.answeredBy;
    const who = by === 'gateway' ? 'the gateway' : by === 'backend' ? 'the SCIM service' : 'the server';
    if (res.status >= 400) {
      // refused, limited or unreachable: the next requests would be too, so discovery fails and says why
      const fatal = [401, 403, 407, 429, 502, 503, 504].includes(res.status) || (res.status >= 500 && by === 'gateway');
      if (fatal) throw this.transport.errorFor(res, call.operation);
      return { reason: `${res.status} from ${who}`, exchange: ex };
    }
    if (res.status >= 300) return { reason: `${res.status} from ${who}`, exchange: ex };
    // ResourceTypes and Schemas as a bare JSON array (seen in the field) are read as the list they are
    if (document !== 'ServiceProviderConfig' && Array.isArray(res.json)) return { body: res.json, reason: '', exchange: ex };
    try {
      return { body: this.transport.jsonObject(res, { method: 'GET', url: document }), reason: '', exchange: ex };
    } catch {
      return { reason: `${res.status} from ${who}, ${looksLikeHtml(res.text, res.headers['content-type']) ? 'an HTML page' : res.text ? 'not a JSON object' : 'an empty body'}`, exchange: ex };
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
