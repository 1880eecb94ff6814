// `probe`: for each method, one request the gateway must judge, that cannot change anything:
// GET/PUT/PATCH/DELETE on a group id that does not exist (the writes with an If-Match no resource can meet),
// and POST as a query (`/.search`, RFC 7644 §3.4.3). The verdict is read off the wire: was the key written, were the custom headers written,
// and who answered — the gateway (it refused) or the SCIM backend (it let the request through).
import { randomUUID } from 'node:crypto';
import { diagnoseExchange } from '../diagnosis';
import { toScimxError } from '../errors';
import type { HttpMethod, RequestSpec } from '../http/types';
import type { Exchange } from '../trace';
import type { Call, ScimClient } from './client';
import { resourcePath } from './client';
import { SCHEMA, type ProbeRow } from './types';

export async function probeGateway(client: ScimClient, call: Call): Promise<ProbeRow[]> {
  const groups = await client.groupsEndpoint({ operation: call.operation, signal: call.signal });
  const ghost = `scimx-probe-${randomUUID()}`;
  const path = resourcePath(groups, ghost);
  // Belt and braces for the writes: a server that would create on PUT (or apply a PATCH/DELETE) to an id it
  // does not have still must honour a precondition no resource can meet (RFC 9110 §13.1.1): 412, not a write.
  const never = { 'If-Match': `"${ghost}-never"` };
  const specs: Array<{ method: HttpMethod; spec: RequestSpec }> = [
    { method: 'GET', spec: { method: 'GET', url: path } },
    {
      method: 'POST',
      spec: {
        method: 'POST',
        url: `${groups}/.search`,
        body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: `id eq "${ghost}"`, count: 1 },
      },
    },
    { method: 'PUT', spec: { method: 'PUT', url: path, headers: never, body: { schemas: [SCHEMA.group], id: ghost, displayName: ghost } } },
    { method: 'PATCH', spec: { method: 'PATCH', url: path, headers: never, body: { schemas: [SCHEMA.patchOp], Operations: [{ op: 'add', path: 'members', value: [] }] } } },
    { method: 'DELETE', spec: { method: 'DELETE', url: path, headers: never } },
  ];
  const rows: ProbeRow[] = [];
  for (const { method, spec } of specs) {
    let ex: Exchange | undefined;
    let status: number | null = null;
    try {
      const res = await client.pipeline.send(call.operation, { ...spec, signal: call.signal, retry: false });
      call.meter.requests += 1;
      ex = res.exchange;
      status = res.status;
    } catch (e) {
      const err = toScimxError(e);
      if (err.code === 'cancelled') throw err;
      ex = err.exchangeId ? client.trace.findExchange(err.exchangeId) : call.operation.exchanges.at(-1);
    }
    rows.push(rowFor(client, method, spec, ex, status, call));
  }
  return rows;
}

function rowFor(client: ScimClient, method: HttpMethod, spec: RequestSpec, ex: Exchange | undefined, status: number | null, call: Call): ProbeRow {
  const wanted = Object.keys(client.profile.headers);
  const written = new Set((ex?.request.headers ?? []).map(([k]) => k.toLowerCase()));
  const customHeadersSent = wanted.filter((h) => written.has(h.toLowerCase()));
  const customHeadersMissing = wanted.filter((h) => !written.has(h.toLowerCase()));
  const keySent = ex?.keySentAs ?? 'none';
  const answeredBy = ex?.response ? ex.response.answeredBy : 'none';
  const row: ProbeRow = {
    method, url: ex?.request.url ?? spec.url, keySent, customHeadersSent, customHeadersMissing, status, answeredBy,
    verdict: 'ok', detail: '', exchangeId: ex?.id,
  };
  const expectKey = !!client.profile.gateway.subscriptionKey;
  if (!ex || !ex.response) {
    row.verdict = 'fail';
    row.detail = ex?.error?.message ?? 'no answer';
    return row;
  }
  const d = diagnoseExchange(ex, { operation: call.operation, keyHeader: client.profile.gateway.header, keyQuery: client.profile.gateway.query });
  if (answeredBy === 'gateway' || (d && d.source === 'gateway')) {
    row.verdict = 'fail';
    row.detail = d?.summary ?? `the gateway answered ${status}`;
  } else if (status !== null && (status < 400 || [400, 404, 405, 412, 501].includes(status))) {
    row.verdict = expectKey && keySent === 'none' ? 'warn' : 'ok';
    const what = status === 404 ? 'no such group, as expected' : status === 412 ? 'precondition failed, as intended: nothing written'
      : status === 501 || status === 405 ? `the service does not implement ${method}` : `${status}`;
    row.detail = `reached the SCIM service (${what})`;
    if (status === 501 || status === 405) row.verdict = 'warn';
  } else {
    row.verdict = 'fail';
    row.detail = d?.summary ?? `answered ${status}`;
  }
  if (expectKey && keySent === 'none') row.detail += '; the subscription key was not written on this request';
  if (customHeadersMissing.length) {
    row.verdict = row.verdict === 'ok' ? 'warn' : row.verdict;
    row.detail += `; missing headers: ${customHeadersMissing.join(', ')}`;
  }
  return row;
}
