// `probe`: for each method, one request the gateway must judge and the service must refuse, so that nothing
// changes on any server: GET/PUT/PATCH/DELETE on a group id that does not exist (the writes with an If-Match no
// resource can meet), and POST to the Groups collection with a body that is not JSON at all (nothing can be
// created from it; RFC 7644 §3.12 400 invalidSyntax), with the same If-Match. The optional `POST /.search`
// (RFC 7644 §3.4.3) is not used: a service that does not offer it is healthy.
// The verdict is read off the wire: was the key written, were the custom headers written, and who answered —
// the gateway (it refused) or the SCIM service (the gateway let the request through). A 404/405/501 that the
// service answered means "reached the service; this is not offered", not a failure.
// Beyond the rows, findings: responses that point at another origin (meta.location, Location) are named.
import { randomUUID } from 'node:crypto';
import { diagnoseExchange } from '../diagnosis';
import { toScimxError } from '../errors';
import type { HttpMethod, RequestSpec } from '../http/types';
import type { Exchange } from '../trace';
import { resourcePath, trimSlash } from './paths';
import type { Call, ScimPort } from './port';
import { SCHEMA, type ProbeFinding, type ProbeReport, type ProbeRow } from './types';

/** The POST body: cut off in the middle, so no parser reads a resource out of it. */
export const PROBE_POST_BODY = `{"schemas":["${SCHEMA.group}"],"displayName":`;

export async function probeGateway(client: ScimPort, call: Call): Promise<ProbeReport> {
  const groups = trimSlash(await client.groupsEndpoint({ operation: call.operation, signal: call.signal }));
  const ghost = `scimx-probe-${randomUUID()}`;
  const path = resourcePath(groups, ghost);
  // Belt and braces for the writes: a server that would create on PUT (or apply a PATCH/DELETE) to an id it
  // does not have still must honour a precondition no resource can meet (RFC 9110 §13.1.1): 412, not a write.
  const never = { 'If-Match': `"${ghost}-never"` };
  const specs: Array<{ method: HttpMethod; spec: RequestSpec }> = [
    { method: 'GET', spec: { method: 'GET', url: path } },
    { method: 'POST', spec: { method: 'POST', url: groups, headers: never, body: PROBE_POST_BODY } },
    { method: 'PUT', spec: { method: 'PUT', url: path, headers: never, body: { schemas: [SCHEMA.group], id: ghost, displayName: ghost } } },
    { method: 'PATCH', spec: { method: 'PATCH', url: path, headers: never, body: { schemas: [SCHEMA.patchOp], Operations: [{ op: 'add', path: 'members', value: [] }] } } },
    { method: 'DELETE', spec: { method: 'DELETE', url: path, headers: never } },
  ];
  const rows: ProbeRow[] = [];
  for (const { method, spec } of specs) {
    const { ex, status } = await send(client, call, spec);
    const row = rowFor(client, method, ex, status, call, spec.url);
    rows.push(row);
    if (ex && row.verdict !== 'fail' && ex.response && ex.response.status >= 400) {
      ex.expected = `probe: ${row.detail}`;
      client.trace.touchExchange(ex);
    }
  }
  // One small read of a real listing: where do the service's own URLs point?
  await send(client, call, { method: 'GET', url: groups, query: { count: 1, startIndex: 1, excludedAttributes: 'members' } });
  return { rows, findings: findings(client, call) };
}

async function send(client: ScimPort, call: Call, spec: RequestSpec): Promise<{ ex?: Exchange; status: number | null }> {
  try {
    const res = await client.pipeline.send(call.operation, { ...spec, signal: call.signal, retry: false });
    call.meter.requests += 1;
    return { ex: res.exchange, status: res.status };
  } catch (e) {
    const err = toScimxError(e);
    if (err.code === 'cancelled') throw err;
    return { ex: err.exchangeId ? client.trace.findExchange(err.exchangeId) : call.operation.exchanges.at(-1), status: null };
  }
}

function rowFor(client: ScimPort, method: HttpMethod, ex: Exchange | undefined, status: number | null, call: Call, url: string): ProbeRow {
  const wanted = Object.keys(client.profile.headers);
  const written = new Set((ex?.request.headers ?? []).map(([k]) => k.toLowerCase()));
  const customHeadersSent = wanted.filter((h) => written.has(h.toLowerCase()));
  const customHeadersMissing = wanted.filter((h) => !written.has(h.toLowerCase()));
  const keySent = ex?.keySentAs ?? 'none';
  const answeredBy = ex?.response ? ex.response.answeredBy : 'none';
  const row: ProbeRow = {
    method, url: ex?.request.url ?? url, keySent, customHeadersSent, customHeadersMissing, status, answeredBy,
    verdict: 'ok', detail: '', exchangeId: ex?.id,
  };
  const expectKey = !!client.profile.gateway.subscriptionKey;
  if (!ex || !ex.response || status === null) {
    row.verdict = 'fail';
    row.detail = ex?.error?.message ?? 'no answer';
    return row;
  }
  const why = ex.response.answeredWhy;
  const judged = judge(method, status, answeredBy);
  row.verdict = judged.verdict;
  if (judged.detail) row.detail = judged.detail + (answeredBy === 'unknown' && why ? ` (${why})` : '');
  else {
    const d = diagnoseExchange(ex, { operation: call.operation, keyHeader: client.profile.gateway.header, keyQuery: client.profile.gateway.query, baseUrl: client.profile.baseUrl });
    row.detail = d?.summary ?? `answered ${status}`;
  }
  if (expectKey && keySent === 'none') {
    if (row.verdict === 'ok') row.verdict = 'warn';
    row.detail += '; the subscription key was not written on this request';
  }
  if (customHeadersMissing.length) {
    row.verdict = row.verdict === 'ok' ? 'warn' : row.verdict;
    row.detail += `; missing headers: ${customHeadersMissing.join(', ')}`;
  }
  return row;
}

/** The verdict on one answer; no detail when the diagnosis should say it (a failure). */
function judge(method: HttpMethod, status: number, by: ProbeRow['answeredBy']): { verdict: ProbeRow['verdict']; detail?: string } {
  const service = by === 'backend' ? 'reached the SCIM service' : 'reached a server that is not the gateway\'s own error (not sure it is the SCIM service)';
  if (by === 'gateway') {
    if (method === 'POST' && status === 400) return { verdict: 'warn', detail: 'the gateway itself refused the malformed body (content validation): the key was accepted, the service not reached' };
    return { verdict: 'fail' };
  }
  // 501 Not Implemented is "not offered", below; any other 5xx is a failure
  if (status === 401 || status === 403 || status === 407 || status === 429 || (status >= 500 && status !== 501)) return { verdict: 'fail' };
  if (status < 300) {
    return method === 'GET'
      ? { verdict: 'ok', detail: `${service} (${status})` }
      : { verdict: 'warn', detail: `${service}, which answered ${status} to a request it must refuse: check that nothing changed` };
  }
  if (status === 412) return { verdict: 'ok', detail: `${service} (412: precondition failed, as intended: nothing written)` };
  if (method === 'POST' && (status === 400 || status === 409 || status === 415)) return { verdict: 'ok', detail: `${service} (${status}: it refused the malformed body, as intended: nothing written)` };
  if (status === 404 && method !== 'POST') return { verdict: by === 'backend' ? 'ok' : 'warn', detail: `${service} (404: no such group, as expected)` };
  if (status === 404 || status === 405 || status === 501) return { verdict: 'warn', detail: `${service}; this endpoint is not offered (${status} to ${method})` };
  if (status === 400 || status === 409 || status === 422) return { verdict: 'ok', detail: `${service} (${status}: refused, nothing written)` };
  return { verdict: 'fail' };
}

/** Responses of the probe that point at another origin than the profile's: meta.location and Location. */
function findings(client: ScimPort, call: Call): ProbeFinding[] {
  const own = originOf(client.profile.baseUrl);
  const hosts = new Map<string, { count: number; exchangeIds: Set<string> }>();
  const note = (url: string, ex: Exchange): void => {
    const origin = originOf(url);
    if (!origin || origin === own) return;
    const host = new URL(origin).host;
    const h = hosts.get(host) ?? { count: 0, exchangeIds: new Set<string>() };
    h.count += 1;
    h.exchangeIds.add(ex.id);
    hosts.set(host, h);
  };
  for (const ex of call.operation.exchanges) {
    const res = ex.response;
    if (!res) continue;
    if (ex.location && !ex.location.credentialsWithheld) note(ex.location.from, ex);
    const loc = res.headers.find(([k]) => k.toLowerCase() === 'location')?.[1];
    if (loc && /^https?:/i.test(loc)) note(loc, ex);
    for (const url of locationsIn(res.body)) note(url, ex);
  }
  const out: ProbeFinding[] = [];
  for (const [host, h] of hosts) {
    out.push({
      severity: 'warning', code: 'location.other-origin',
      message: `responses point at another origin: ${host} (${h.count} time${h.count === 1 ? '' : 's'}), not at the gateway ${new URL(own!).host}`,
      fix: `A client that follows these URLs leaves the gateway (no key, no policies). This profile ${client.profile.locations === 'rewrite' ? 'rewrites them onto the base URL (locations: rewrite)' : client.profile.locations === 'follow' ? 'follows them without credentials (locations: follow): use locations: rewrite' : 'refuses them (locations: strict)'}; have the gateway rewrite backend URLs (APIM policy redirect-content-urls).`,
      exchangeIds: [...h.exchangeIds],
    });
  }
  return out;
}

/** Absolute `location` values anywhere in a JSON body (meta.location of resources, of discovery documents). */
function locationsIn(body: string | undefined): string[] {
  if (!body) return [];
  const out: string[] = [];
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    // a capped body: the values that are whole are still found
    for (const m of body.matchAll(/"location"\s*:\s*"(https?:\/\/[^"\\]+)"/gi)) out.push(m[1]!);
    return out;
  }
  const walk = (v: unknown, depth: number): void => {
    if (depth > 8 || !v || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
      return;
    }
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (k.toLowerCase() === 'location' && typeof x === 'string' && /^https?:\/\//i.test(x)) out.push(x);
      else walk(x, depth + 1);
    }
  };
  walk(json, 0);
  return out;
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}
