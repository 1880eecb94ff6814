// The rules that compute a diagnosis for a failed exchange (see ./diagnosis.ts, which re-exports them): only a
// failure needs them, so the extension build keeps them in a chunk of their own (scripts/build.mjs, LAZY).
import { asGatewayError, looksLikeHtml } from './http/who-answered';
import type { Diagnosis, Exchange, HeaderList, Operation } from './trace';

export interface ScimErrorBody {
  status?: string | number;
  scimType?: string;
  detail?: string;
}

export function asScimError(json: unknown): ScimErrorBody | undefined {
  if (!json || typeof json !== 'object') return undefined;
  const o = json as Record<string, unknown>;
  const schemas = Array.isArray(o.schemas) ? o.schemas : [];
  if (schemas.includes('urn:ietf:params:scim:api:messages:2.0:Error') || ('scimType' in o && 'detail' in o)) {
    return {
      status: typeof o.status === 'string' || typeof o.status === 'number' ? o.status : undefined,
      scimType: typeof o.scimType === 'string' ? o.scimType : undefined,
      detail: typeof o.detail === 'string' ? o.detail : undefined,
    };
  }
  return undefined;
}

function htmlTitle(text: string | undefined): string | undefined {
  const m = text?.match(/<title[^>]*>([^<]{1,120})<\/title>/i);
  return m?.[1]?.trim();
}

function header(headers: HeaderList, name: string): string | undefined {
  const n = name.toLowerCase();
  return headers.find(([k]) => k.toLowerCase() === n)?.[1];
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname;
  } catch {
    return url;
  }
}

/** Methods that carried the key, and methods that did not, across the exchanges given. */
function keyHistory(exchanges: Exchange[]): { sentOn: string[]; missingOn: string[] } {
  const sentOn = new Set<string>();
  const missingOn = new Set<string>();
  for (const ex of exchanges) {
    if (!ex.request.wire) continue;
    (ex.keySentAs === 'none' ? missingOn : sentOn).add(ex.request.method);
  }
  return { sentOn: [...sentOn], missingOn: [...missingOn] };
}

export interface DiagnoseContext {
  /** The operation the exchange belongs to. */
  operation?: Operation;
  /** Other exchanges of the same profile (recent operations), to compare where the key went. */
  history?: Exchange[];
  /** Header and query names of the gateway key, for messages. */
  keyHeader?: string;
  keyQuery?: string;
  /** The profile's base URL: its origin is the gateway's, named when a request went elsewhere. */
  baseUrl?: string;
}

/** A diagnosis for one finished exchange, or undefined when it went fine. */
export function diagnoseExchange(ex: Exchange, ctx: DiagnoseContext = {}): Diagnosis | undefined {
  const method = ex.request.method;
  const where = `${method} ${pathOf(ex.request.url)}`;
  const keyHeader = ctx.keyHeader ?? 'Ocp-Apim-Subscription-Key';
  const keyQuery = ctx.keyQuery ?? 'subscription-key';
  const base = { exchangeId: ex.id };

  if (ex.error && !ex.response) {
    return diagnoseNetwork(ex, where);
  }
  const res = ex.response;
  if (!res) return undefined;
  const status = res.status;
  if (status < 400 && !ex.location) return undefined;

  if (status < 400 && ex.location) {
    const from = safeOrigin(ex.location.from);
    return {
      ...base,
      severity: 'warning',
      source: 'location',
      code: ex.location.credentialsWithheld ? 'location.followed-without-credentials' : 'location.rewritten',
      summary: ex.location.credentialsWithheld
        ? `${method} went to ${safeOrigin(ex.location.to)}, another origin taken from ${locationSource(ex)}${own(ctx)}: sent without credentials or the gateway key (locations: follow)`
        : `${locationSource(ex)} pointed at another origin (${from})${ownPlain(ctx)}; rewritten onto the profile's base URL`,
      fix: 'Ask the gateway team to rewrite backend URLs (APIM policy redirect-content-urls), or keep `locations: rewrite`.',
    };
  }

  const json = parseJson(res.body);
  const contentType = header(res.headers, 'content-type');
  const gw = asGatewayError(json);

  // A request sent to another origin without credentials (locations: follow) that failed: whatever answered,
  // the cause is that it left the gateway, not the credentials in the profile. Said first, before who refused.
  if (ex.location?.credentialsWithheld) {
    const to = safeOrigin(ex.location.to);
    const keyMissing = !!gw && status === 401 && /missing subscription key/i.test(gw.message);
    return {
      ...base, severity: 'error', source: 'location',
      code: keyMissing ? 'gateway.key-missing-followed-location' : 'location.credentials-withheld',
      summary: `${method} went to ${to}, another origin taken from ${locationSource(ex)}${own(ctx)}; credentials and the gateway key were withheld by design (locations: follow), and ${to} answered ${status}${keyMissing ? ' (subscription key missing)' : ''}. This is exactly how a connector loses the gateway.`,
      fix: `Set \`locations: rewrite\` in the profile: server URLs are then mapped onto ${ctx.baseUrl ? safeOrigin(ctx.baseUrl) : 'the base URL'} and carry the key. Better still, have the gateway rewrite backend URLs (APIM policy redirect-content-urls).`,
    };
  }

  if (gw) {
    const msg = gw.message;
    if (status === 401 && /missing subscription key/i.test(msg)) {
      const exchanges = [...(ctx.history ?? []), ...(ctx.operation?.exchanges ?? [])];
      const { sentOn } = keyHistory(exchanges.filter((e) => e.id !== ex.id));
      const sentElsewhere = sentOn.filter((m) => m !== method);
      if (ex.keySentAs === 'none') {
        const history = sentElsewhere.length ? ` (sent on ${sentElsewhere.join(', ')}; not on ${method})` : ' (not sent)';
        return {
          ...base, severity: 'error', source: 'gateway', code: 'gateway.key-missing',
          summary: `gateway rejected ${method}: subscription key missing${history}`,
          fix: `Send the key on every method, as header \`${keyHeader}\` (or query \`${keyQuery}\`).`,
        };
      }
      const sentWhere = ex.keySentAs === 'query' ? `query \`${keyQuery}\`` : `header \`${keyHeader}\``;
      return {
        ...base, severity: 'error', source: 'gateway', code: 'gateway.key-name-mismatch',
        summary: `gateway rejected ${method}: subscription key missing, although it was sent as ${sentWhere}`,
        fix: 'The API expects another name: check its subscriptionKeyParameterNames and set gateway.header / gateway.query.',
      };
    }
    if (status === 401 && /invalid subscription key/i.test(msg)) {
      return {
        ...base, severity: 'error', source: 'gateway', code: 'gateway.key-invalid',
        summary: `gateway rejected ${method}: subscription key invalid`,
        fix: "Check the key and that its subscription is active for this API's product.",
      };
    }
    if (status === 401) {
      return { ...base, severity: 'error', source: 'gateway', code: 'gateway.unauthorized', summary: `gateway rejected ${method}: ${msg}`, fix: 'Check the subscription key and the gateway\'s auth policy.' };
    }
    if (status === 429) {
      const after = header(res.headers, 'retry-after');
      return {
        ...base, severity: 'error', source: 'gateway', code: 'gateway.rate-limited',
        summary: `gateway rate limit on ${where}${after ? `: retry after ${after} s` : ''}`,
        fix: 'Lower the concurrency or ask for a higher rate limit on the product.',
      };
    }
    if (status === 403 && /quota/i.test(msg)) {
      return { ...base, severity: 'error', source: 'gateway', code: 'gateway.quota', summary: `gateway quota exhausted: ${msg}`, fix: 'Wait for the quota period to renew or raise the quota on the product.' };
    }
    if (status === 404) {
      return {
        ...base, severity: 'error', source: 'gateway', code: 'gateway.no-operation',
        summary: `gateway has no operation for ${where} (404 from the gateway, not from SCIM)`,
        fix: `Add ${method} to the API's operations in the gateway (APIM answers 404 for methods it does not define).`,
      };
    }
    return { ...base, severity: 'error', source: 'gateway', code: `gateway.${status}`, summary: `gateway answered ${status} to ${where}: ${msg}` };
  }

  if (looksLikeHtml(res.body, contentType)) {
    const title = htmlTitle(res.body);
    const page = `an HTML page${title ? ` ("${title}")` : ''}`;
    const why = res.answeredWhy ? ` (${res.answeredWhy})` : '';
    if (res.answeredBy === 'backend') {
      return {
        ...base, severity: 'error', source: 'scim', code: 'scim.html',
        summary: `the SCIM service itself answered ${where} with ${status} and ${page} instead of SCIM JSON${why}: the gateway forwarded the request`,
        fix: status === 404 || status === 405
          ? `The service has no route for ${method} at this path: check the base URL's path and the API's backend URL in the gateway.`
          : 'The service failed outside its SCIM handlers: see its logs.',
      };
    }
    return {
      ...base, severity: 'error', source: res.answeredBy === 'gateway' ? 'gateway' : 'unknown', code: 'response.html',
      summary: `${where} answered ${status} with ${page} instead of SCIM JSON; not sure who wrote it${why}`,
      fix: 'It is neither APIM\'s own error body nor the SCIM service\'s JSON: a proxy or load balancer in front, the gateway, or the service may have written it. Check the base URL, then the gateway\'s trace for this request.',
    };
  }

  const scim = asScimError(json);
  if (status === 412) {
    return { ...base, severity: 'error', source: 'scim', code: 'scim.precondition', summary: `${where}: the resource changed since it was read (412, ETag mismatch)`, fix: 'Re-read the resource and apply the change again.' };
  }
  if (status === 415) {
    return { ...base, severity: 'error', source: 'scim', code: 'scim.media-type', summary: `${where}: the service rejected the content type (415)`, fix: 'The service wants Content-Type: application/scim+json; check that the gateway does not rewrite it.' };
  }
  if (status === 501 || (status === 405 && method === 'PATCH')) {
    return { ...base, severity: 'error', source: 'scim', code: 'scim.not-implemented', summary: `${where}: the service does not support ${method} (${status})`, fix: method === 'PATCH' ? 'Use `writes: put` (or auto), which falls back to read-modify-write.' : undefined };
  }
  if (scim || res.answeredBy === 'backend') {
    const type = scim?.scimType ? ` ${scim.scimType}` : '';
    const detail = scim?.detail ? `: ${scim.detail}` : '';
    const fix = status === 401
      ? 'The gateway let the request through, but the SCIM service rejected the credentials: check auth in the profile.'
      : scim?.scimType ? SCIM_TYPE_FIX[scim.scimType] : undefined;
    return { ...base, severity: 'error', source: 'scim', code: `scim.${scim?.scimType ?? status}`, summary: `SCIM service rejected ${where}: ${status}${type}${detail}`, fix };
  }
  const unsure = res.answeredWhy ? `; not sure who answered: ${res.answeredWhy}` : '; not sure who answered';
  return { ...base, severity: 'error', source: 'unknown', code: `http.${status}`, summary: `${where} answered ${status}${res.statusText ? ` ${res.statusText}` : ''}${unsure}` };
}

/** Where a followed or rewritten URL came from. */
function locationSource(ex: Exchange): string {
  return ex.redirectOf ? "a redirect's Location header" : 'meta.location';
}

function own(ctx: DiagnoseContext): string {
  return ctx.baseUrl ? ` instead of the gateway ${safeOrigin(ctx.baseUrl)}` : ' instead of the gateway';
}

function ownPlain(ctx: DiagnoseContext): string {
  return ctx.baseUrl ? `, not at the gateway ${safeOrigin(ctx.baseUrl)}` : '';
}

const SCIM_TYPE_FIX: Record<string, string> = {
  invalidFilter: 'Check the filter syntax and that the service supports filtering on that attribute.',
  tooMany: 'Narrow the filter or ask for fewer results.',
  uniqueness: 'A resource with that unique value exists already.',
  mutability: 'That attribute is read-only or immutable on this service.',
  invalidSyntax: 'The request body is not what the service expects.',
  invalidPath: 'The PATCH path is not valid for this service.',
  noTarget: 'The PATCH path matched nothing (e.g. the member is not in the group).',
  invalidValue: 'A value is missing or of the wrong type.',
  invalidVers: 'The ETag given does not match: re-read the resource.',
  sensitive: 'The request contains sensitive data in the URL; use POST /.search.',
  invalidCursor: 'The paging cursor is not valid: start the listing again.',
  expiredCursor: 'The paging cursor expired: start the listing again.',
};

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function diagnoseNetwork(ex: Exchange, where: string): Diagnosis {
  const code = ex.error?.code ?? 'network';
  const message = ex.error?.message ?? 'network error';
  const base = { exchangeId: ex.id };
  if (code === 'timeout') {
    return { ...base, severity: 'error', source: 'network', code: 'network.timeout', summary: `${where}: no answer in time (${message})`, fix: 'Raise timeoutMs in the profile, or check the gateway and backend health.' };
  }
  if (code === 'cancelled') {
    return { ...base, severity: 'info', source: 'client', code: 'client.cancelled', summary: `${where}: cancelled` };
  }
  if (code === 'location') {
    return { ...base, severity: 'error', source: 'location', code: 'location.refused', summary: `${where}: ${message}`, fix: 'Use `locations: rewrite` to map server URLs onto the profile\'s base URL.' };
  }
  if (/client certificate/i.test(message)) {
    return { ...base, severity: 'error', source: 'tls', code: 'tls.client-certificate', summary: `${where}: the server closed the connection after the TLS handshake; it may require a client certificate (mTLS)`, fix: 'Set tls.certFile and tls.keyFile (and tls.passphrase when the key is encrypted) in the profile.' };
  }
  if (/CERT|SSL|TLS|self.signed|certificate/i.test(`${code} ${message}`)) {
    return { ...base, severity: 'error', source: 'tls', code: 'tls.certificate', summary: `${where}: TLS certificate problem: ${message}`, fix: 'Set tls.caFile to your CA, or tls.insecure: true for a test system only.' };
  }
  if (/ECONNREFUSED/.test(`${code} ${message}`)) {
    return { ...base, severity: 'error', source: 'network', code: 'network.refused', summary: `${where}: connection refused`, fix: 'Check the base URL (host and port) and that the service is up.' };
  }
  if (/ECONNRESET|socket hang up|other side closed/i.test(`${code} ${message}`)) {
    return { ...base, severity: 'error', source: 'network', code: 'network.reset', summary: `${where}: connection reset by the other side`, fix: 'For writes the outcome is unknown: re-read before trying again.' };
  }
  if (/ENOTFOUND|EAI_AGAIN/.test(`${code} ${message}`)) {
    return { ...base, severity: 'error', source: 'network', code: 'network.dns', summary: `${where}: host not found`, fix: 'Check the host name in baseUrl.' };
  }
  return { ...base, severity: 'error', source: 'network', code: `network.${code}`, summary: `${where}: ${message}` };
}
