// The connector check before go-live (issue 14, point 4): on scratch users and groups made for the run, send what
// each connector is documented to send (./compat-shapes.ts), through the profile's pipeline like every request,
// and say per step who let it through (the gateway, or it refused: the existing diagnosis says why), what the SCIM
// service answered (status, scimType) and whether the state it claims is the state it stores (a re-read).
//
// Scratch resources are named `scimx-compat-<random>-…` and deleted afterwards whatever happens: a step that fails,
// a run that is cancelled. The cleanup runs in its own operation with its own exchanges (never with the cancelled
// signal), deletes groups before users, checks each delete with a GET that must answer 404, and looks up by name
// any scratch resource whose create got no usable answer. What it could not delete is named in the report.
//
// The connectors' membership writes are sent raw, as the connectors send them (see compat-shapes.ts): the scratch
// group only ever holds the run's own scratch users, so nothing real can be lost.
import { randomBytes, randomUUID } from 'node:crypto';
import { asScimError } from '../diagnosis';
import { ScimxError, toScimxError } from '../errors';
import type { HttpResponse, RequestSpec } from '../http/types';
import type { Exchange } from '../trace';
import type { Call, ScimClient } from './client';
import { resourcePath, trimSlash } from './client';
import {
  CONNECTOR_STEPS, CONNECTORS, memberIds, plainActivate, plainAddMembers, plainGroup, plainUser,
  type CompatOperation, type CompatStep, type ConnectorId, type Scratch, type WriteSpec,
  scalarText,
} from './compat-shapes';
import { attributeRules, createdId, differences } from './lifecycle';
import { eq, toFilterString } from './filter';

export { CONNECTOR_IDS, CONNECTORS, parseConnectors, type ConnectorId, type CompatOperation } from './compat-shapes';

type Json = Record<string, unknown>;

export interface CompatRow {
  connector: ConnectorId;
  connectorName: string;
  operation: CompatOperation;
  /** The request's form, e.g. `"op":"Replace", active "False" (string)`. */
  form: string;
  /** Where the shape is documented. */
  source: string;
  /** e.g. `PATCH Users/…`; empty when nothing was sent (skipped). */
  request: string;
  /** Did the gateway let the request through? `refused`: it answered itself (APIM's 401/403/404/429). */
  gateway: 'passed' | 'refused' | 'no answer' | 'not sent';
  /** The diagnosis when the gateway refused or nothing answered. */
  gatewayDetail?: string;
  /** The SCIM service's answer (absent when it was not reached). */
  status?: number;
  scimType?: string;
  serviceDetail?: string;
  /** Is the state what the write meant, on a re-read? `unknown`: the re-read failed; `n/a`: nothing to read. */
  verified: 'yes' | 'no' | 'unknown' | 'n/a';
  /** What differs from the state the write meant (or why it could not be read). */
  differs: string[];
  outcome: 'pass' | 'fail' | 'skipped';
  /** The write's exchange (the one a row opens in the trace), and every exchange of the step (GET first, re-read). */
  exchangeId?: string;
  exchangeIds: string[];
  /** Setup done for this row (a fallback create, members put back first), one line each. */
  notes: string[];
}

export interface CleanupItem {
  kind: 'user' | 'group';
  name: string;
  id?: string;
  /** deleted and a GET answered 404; `gone`: it was never created, or was already gone. */
  result: 'deleted' | 'gone' | 'left';
  detail: string;
  exchangeIds: string[];
}

export interface CompatReport {
  profile: string;
  baseUrl: string;
  /** Every scratch resource's name starts with it, e.g. `scimx-compat-3fa9c1`. */
  prefix: string;
  connectors: ConnectorId[];
  rows: CompatRow[];
  cleanup: CleanupItem[];
  /** Scratch resources still on the service after the cleanup (names and ids): delete them by hand. */
  leftovers: string[];
  cancelled: boolean;
  /** A failure outside any step (discovery refused, the bystander could not be made), when one stopped the run. */
  error?: string;
}

export interface CompatOptions {
  connectors: ConnectorId[];
  signal?: AbortSignal;
  onProgress?: (p: { done: number; total: number; message: string }) => void;
  /** The scratch prefix (tests); default `scimx-compat-<6 hex>`. */
  prefix?: string;
}

interface Created { kind: 'user' | 'group'; endpoint: string; name: string; id?: string; uncertain?: boolean }

/** Runs the check. Never throws for what a step met (it is in the row); a cancellation ends the run early, still
 * cleans up, and comes back as `cancelled: true`. */
export async function runCompat(client: ScimClient, opts: CompatOptions): Promise<CompatReport> {
  const prefix = opts.prefix ?? `scimx-compat-${randomBytes(3).toString('hex')}`;
  const report: CompatReport = {
    profile: client.profile.name, baseUrl: client.profile.baseUrl, prefix, connectors: opts.connectors,
    rows: [], cleanup: [], leftovers: [], cancelled: false,
  };
  const created: Created[] = [];
  const total = 1 + opts.connectors.reduce((n, c) => n + CONNECTOR_STEPS[c].length, 0) + 1;
  let done = 0;
  const progress = (message: string, step = true): void => {
    if (step) done += 1;
    opts.onProgress?.({ done: Math.min(done, total), total, message });
  };
  try {
    const ctx = { signal: opts.signal };
    const users = trimSlash(await client.usersEndpoint({ ...ctx, title: 'Compat: discover' }));
    const groups = trimSlash(await client.groupsEndpoint(ctx));
    // the other member every membership step must leave alone: a scratch user too
    progress('creating the scratch users and groups', false);
    const bystanderId = await client.run(`Compat ${prefix}: setup`, { signal: opts.signal }, async (call) => {
      const name = `${prefix}-bystander`;
      const entry: Created = { kind: 'user', endpoint: users, name, uncertain: true };
      created.push(entry);
      const body = plainUser({ users, groups, baseUrl: '', userName: name, groupName: '', externalId: '' });
      const r = await sendRaw(client, call, { method: 'POST', url: users, body });
      if (!r.res) throw r.error ?? new ScimxError('network', `POST ${users} got no answer`);
      entry.uncertain = r.res.status >= 200 && r.res.status < 300;
      if (!entry.uncertain) throw client.errorFor(r.res, call.operation);
      const id = createdId(r.res);
      if (!id) throw new ScimxError('response', `POST ${users} answered ${r.res.status} without the new user's id`, { exchangeId: r.res.exchange.id });
      entry.id = id;
      entry.uncertain = false;
      return id;
    });
    progress('scratch bystander created');
    for (const connector of opts.connectors) {
      if (opts.signal?.aborted) throw new ScimxError('cancelled', 'Cancelled.');
      await runConnector(client, connector, { prefix, users, groups, bystanderId }, created, report, opts, progress);
    }
  } catch (e) {
    const err = toScimxError(e);
    if (err.code === 'cancelled' || opts.signal?.aborted) report.cancelled = true;
    else report.error = err.message;
  } finally {
    progress('deleting the scratch users and groups', false);
    await cleanup(client, prefix, created, report);
    progress('cleanup done');
  }
  return report;
}

interface Base { prefix: string; users: string; groups: string; bystanderId: string }

async function runConnector(
  client: ScimClient, connector: ConnectorId, base: Base, created: Created[], report: CompatReport, opts: CompatOptions,
  progress: (message: string, step?: boolean) => void,
): Promise<void> {
  const name = CONNECTORS[connector].name;
  const s: Scratch = {
    users: base.users, groups: base.groups, baseUrl: client.profile.baseUrl,
    userName: `${base.prefix}-${connector}-user`, groupName: `${base.prefix}-${connector}-group`, externalId: randomUUID(),
    bystanderId: base.bystanderId,
  };
  await client.run(`Compat ${base.prefix}: ${name}`, { signal: opts.signal }, async (call) => {
    for (const step of CONNECTOR_STEPS[connector]) {
      if (call.signal?.aborted) throw new ScimxError('cancelled', 'Cancelled.');
      const row = await runStep(client, call, connector, step, s, created);
      report.rows.push(row);
      progress(`${name}: ${step.operation} ${row.outcome}`);
    }
  }, () => {
    const mine = report.rows.filter((r) => r.connector === connector);
    return `${mine.filter((r) => r.outcome === 'pass').length} of ${mine.length} steps pass`;
  }).catch((e: unknown) => {
    // a step's failure is in its row; only a cancellation goes on up
    const err = toScimxError(e);
    if (err.code === 'cancelled' || opts.signal?.aborted) throw err;
  });
}

function emptyRow(connector: ConnectorId, step: CompatStep): CompatRow {
  return {
    connector, connectorName: CONNECTORS[connector].name, operation: step.operation, form: step.form, source: step.source,
    request: '', gateway: 'not sent', verified: 'n/a', differs: [], outcome: 'skipped', exchangeIds: [], notes: [],
  };
}

async function runStep(client: ScimClient, call: Call, connector: ConnectorId, step: CompatStep, s: Scratch, created: Created[]): Promise<CompatRow> {
  const row = emptyRow(connector, step);
  const isCreate = step.operation === 'user create' || step.operation === 'group create';
  const kind: 'user' | 'group' = step.operation.startsWith('user') ? 'user' : 'group';
  // what the step needs: the user for user steps, the group and the user for membership steps
  if (!isCreate && !s.userId) return skip(row, 'no scratch user (its create failed)');
  if (kind === 'group' && !isCreate && !s.groupId) return skip(row, 'no scratch group (its create failed)');

  // setup the step's starting state with plain RFC 7644 requests (noted, not judged)
  if (step.before?.active) await setupActive(client, call, s, row);
  if (step.before?.members) await setupMembers(client, call, s, step.before.members, row);

  let read: Json | undefined;
  if (step.readFirst) {
    const url = step.readFirst === 'user' ? resourcePath(s.users, s.userId!) : resourcePath(s.groups, s.groupId!);
    const r = await sendRaw(client, call, { method: 'GET', url });
    if (r.ex) row.exchangeIds.push(r.ex.id);
    if (r.res && r.res.status === 200 && isObj(r.res.json)) read = r.res.json;
    else row.notes.push(`the GET before the write answered ${r.res?.status ?? 'nothing'}: the connector would stop here`);
    if (!read) {
      judge(client, call, row, r);
      row.request = `GET ${url}`;
      row.verified = 'n/a';
      row.outcome = 'fail';
      return row;
    }
  }

  const spec: WriteSpec = step.build(s, read);
  row.request = `${spec.method} ${spec.url}`;
  let entry: Created | undefined;
  if (isCreate) {
    entry = { kind, endpoint: kind === 'user' ? s.users : s.groups, name: kind === 'user' ? s.userName : s.groupName, uncertain: true };
    created.push(entry);
  }
  const r = await sendRaw(client, call, { method: spec.method, url: spec.url, body: spec.body });
  if (r.ex) {
    row.exchangeId = r.ex.id;
    row.exchangeIds.push(r.ex.id);
  }
  judge(client, call, row, r);
  const ok = !!r.res && r.res.status >= 200 && r.res.status < 300;

  if (isCreate && entry) {
    const id = ok && r.res ? createdId(r.res) : undefined;
    if (id) {
      entry.id = id;
      entry.uncertain = false;
      if (kind === 'user') s.userId = id; else s.groupId = id;
    } else {
      // a refused create created nothing; one without an answer may have: the cleanup looks it up by name
      entry.uncertain = !r.res || ok;
      if (ok) row.differs.push('the answer gives no id (no body id, no Location header)');
      // the next steps still run, on a resource made with a plain RFC 7643 body
      await fallbackCreate(client, call, kind, s, created, row);
      row.verified = ok ? 'no' : 'n/a';
      row.outcome = 'fail';
      return row;
    }
  }

  // the re-read: a 2xx is a claim
  const target = kind === 'user' ? resourcePath(s.users, s.userId!) : resourcePath(s.groups, s.groupId!);
  const after = await sendRaw(client, call, { method: 'GET', url: target });
  if (after.ex) row.exchangeIds.push(after.ex.id);
  if (after.res && after.res.status === 200 && isObj(after.res.json)) {
    if (isCreate) {
      // a create is held to everything it sent (attributes never returned, like a password, aside)
      const schemas = (await client.discover({ operation: call.operation, signal: call.signal }).catch(() => undefined))?.schemas ?? [];
      row.differs.push(...differences(spec.body, after.res.json, attributeRules(schemas, spec.body)));
    } else {
      row.differs.push(...step.check(s, after.res.json));
    }
    row.verified = row.differs.length ? 'no' : 'yes';
  } else {
    row.verified = 'unknown';
    row.differs.push(`the re-read answered ${after.res?.status ?? `nothing (${after.error?.message ?? 'no answer'})`}`);
  }
  row.outcome = ok && row.verified === 'yes' && row.gateway === 'passed' ? 'pass' : 'fail';
  return row;
}

function skip(row: CompatRow, why: string): CompatRow {
  row.notes.push(`skipped: ${why}`);
  return row;
}

function isObj(v: unknown): v is Json {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** The gateway's and the service's verdicts on the write's exchange, with the existing diagnosis. */
function judge(client: ScimClient, call: Call, row: CompatRow, r: Sent): void {
  const ex = r.ex;
  if (!r.res || !ex?.response) {
    row.gateway = 'no answer';
    row.gatewayDetail = (ex ? client.diagnose(ex, call.operation)?.summary : undefined) ?? r.error?.message ?? 'no answer';
    return;
  }
  const status = r.res.status;
  const by = ex.response.answeredBy;
  const d = status >= 400 ? client.diagnose(ex, call.operation) : undefined;
  if (by === 'gateway' || d?.source === 'gateway') {
    row.gateway = 'refused';
    row.gatewayDetail = d?.summary ?? `the gateway answered ${status}`;
    return;
  }
  row.gateway = 'passed';
  if (by === 'unknown' && status >= 400) row.gatewayDetail = 'not sure who answered';
  row.status = status;
  const scim = asScimError(r.res.json);
  if (scim?.scimType) row.scimType = scim.scimType;
  if (status >= 400) row.serviceDetail = scim?.detail ?? d?.summary;
}

// ------------------------------------------------------------------------------------------------- setup

async function fallbackCreate(client: ScimClient, call: Call, kind: 'user' | 'group', s: Scratch, created: Created[], row: CompatRow): Promise<void> {
  const endpoint = kind === 'user' ? s.users : s.groups;
  const name = kind === 'user' ? `${s.userName}-plain` : `${s.groupName}-plain`;
  const entry: Created = { kind, endpoint, name, uncertain: true };
  created.push(entry);
  const body = kind === 'user' ? plainUser({ ...s, userName: name }) : plainGroup({ ...s, groupName: name });
  const r = await sendRaw(client, call, { method: 'POST', url: endpoint, body });
  const id = r.res && r.res.status >= 200 && r.res.status < 300 ? createdId(r.res) : undefined;
  if (id) {
    entry.id = id;
    entry.uncertain = false;
    if (kind === 'user') { s.userId = id; s.userName = name; } else { s.groupId = id; s.groupName = name; }
    row.notes.push(`setup: the next steps use ${endpoint}/${id}, created with a plain RFC 7643 body`);
  } else {
    entry.uncertain = !r.res || (r.res.status >= 200 && r.res.status < 300);
    row.notes.push(`setup: a plain RFC 7643 create was refused too (${r.res?.status ?? r.error?.message ?? 'no answer'}): the ${kind} steps are skipped`);
  }
}

/** Puts the user back to active (a second deactivation form must start from an active user). */
async function setupActive(client: ScimClient, call: Call, s: Scratch, row: CompatRow): Promise<void> {
  const url = resourcePath(s.users, s.userId!);
  const r = await sendRaw(client, call, { method: 'PATCH', url, body: plainActivate() });
  if (r.res && r.res.status >= 200 && r.res.status < 300) return;
  // a service without PATCH: read it and PUT it back active
  const got = await sendRaw(client, call, { method: 'GET', url });
  if (got.res?.status === 200 && isObj(got.res.json)) {
    const { meta: _meta, ...rest } = got.res.json;
    const put = await sendRaw(client, call, { method: 'PUT', url, body: { ...rest, active: true } });
    if (put.res && put.res.status < 300) return;
  }
  row.notes.push('setup: the user could not be made active again first');
}

/** Makes the group hold these scratch members before a membership step (plain add, or a PUT without PATCH). */
async function setupMembers(client: ScimClient, call: Call, s: Scratch, want: Array<'user' | 'bystander'>, row: CompatRow): Promise<void> {
  const url = resourcePath(s.groups, s.groupId!);
  const ids = want.map((w) => (w === 'user' ? s.userId : s.bystanderId)).filter((x): x is string => !!x);
  const got = await sendRaw(client, call, { method: 'GET', url });
  const have = got.res?.status === 200 && isObj(got.res.json) ? memberIds(got.res.json) : [];
  const missing = ids.filter((id) => !have.includes(id));
  if (!missing.length) return;
  const r = await sendRaw(client, call, { method: 'PATCH', url, body: plainAddMembers(missing) });
  if (r.res && r.res.status >= 200 && r.res.status < 300) return;
  if (got.res?.status === 200 && isObj(got.res.json)) {
    const { meta: _meta, ...rest } = got.res.json;
    const all = [...new Set([...have, ...ids])];
    const put = await sendRaw(client, call, { method: 'PUT', url, body: { ...rest, members: all.map((value) => ({ value })) } });
    if (put.res && put.res.status < 300) return;
  }
  row.notes.push(`setup: the group could not be given its starting members (${want.join(', ')}); the check of the member not named is less strict`);
  if (want.includes('bystander') && missing.includes(s.bystanderId ?? '')) s.bystanderId = undefined;
}

// ------------------------------------------------------------------------------------------------- sending

interface Sent { res?: HttpResponse; ex?: Exchange; error?: ScimxError }

/** One request as it is, whatever it is answered; a network failure is returned, a cancellation thrown. */
async function sendRaw(client: ScimClient, call: Call, spec: RequestSpec): Promise<Sent> {
  if (call.signal?.aborted) throw new ScimxError('cancelled', 'Cancelled.');
  try {
    const res = await client.pipeline.send(call.operation, { ...spec, signal: call.signal });
    call.meter.requests += 1;
    call.meter.bytesSent += res.bytesSent;
    call.meter.bytesReceived += res.bytesReceived;
    return { res, ex: res.exchange };
  } catch (e) {
    const err = toScimxError(e);
    if (err.code === 'cancelled' || call.signal?.aborted) throw new ScimxError('cancelled', 'Cancelled.');
    const ex = err.exchangeId ? client.trace.findExchange(err.exchangeId) : call.operation.exchanges.at(-1);
    return { ex, error: err };
  }
}

// ------------------------------------------------------------------------------------------------- cleanup

/** Deletes every scratch resource (groups first), in an operation of its own, never with the run's signal: a
 * cancelled run still cleans up. Each delete is checked by a GET that must answer 404. */
async function cleanup(client: ScimClient, prefix: string, created: Created[], report: CompatReport): Promise<void> {
  // groups first (a user deleted first would leave a dangling member), each kind newest first
  const order = [...created.filter((c) => c.kind === 'group').reverse(), ...created.filter((c) => c.kind === 'user').reverse()];
  if (!order.length) return;
  await client.run(`Compat ${prefix}: cleanup`, {}, async (call) => {
    for (const c of order) {
      const item: CleanupItem = { kind: c.kind, name: c.name, id: c.id, result: 'left', detail: '', exchangeIds: [] };
      report.cleanup.push(item);
      const ids = c.id ? [c.id] : c.uncertain ? await findByName(client, call, c, item, report) : [];
      if (!c.id && !ids.length) {
        if (item.result === 'left' && !item.detail) {
          item.result = 'gone';
          item.detail = c.uncertain ? 'not found by name: never created' : 'never created';
        }
        continue;
      }
      for (const id of ids) {
        item.id = id;
        const del = await sendCleanup(client, call, { method: 'DELETE', url: resourcePath(c.endpoint, id) });
        if (del.ex) item.exchangeIds.push(del.ex.id);
        const read = await sendCleanup(client, call, { method: 'GET', url: resourcePath(c.endpoint, id) });
        if (read.ex) item.exchangeIds.push(read.ex.id);
        if (read.res?.status === 404) {
          if (read.ex) { read.ex.expected = `read after DELETE: 404 is the proof that ${c.endpoint}/${id} is gone`; client.trace.touchExchange(read.ex); }
          item.result = del.res?.status === 404 ? 'gone' : 'deleted';
          item.detail = `DELETE answered ${del.res?.status ?? 'nothing'}, GET answers 404`;
        } else {
          item.result = 'left';
          item.detail = `DELETE answered ${del.res?.status ?? del.error?.message ?? 'nothing'}, GET answers ${read.res?.status ?? read.error?.message ?? 'nothing'}`;
          report.leftovers.push(`${c.endpoint}/${id} (${c.name})`);
        }
      }
    }
  }, () => {
    const left = report.leftovers.length;
    return left ? `${left} scratch resource(s) left: ${report.leftovers.join(', ')}` : `${report.cleanup.filter((x) => x.result === 'deleted').length} scratch resource(s) deleted, each checked (404)`;
  }).catch(() => undefined);
}

/** Ids of a scratch resource found by its exact name (a create that got no usable answer may have created it). */
async function findByName(client: ScimClient, call: Call, c: Created, item: CleanupItem, report: CompatReport): Promise<string[]> {
  const attr = c.kind === 'user' ? 'userName' : 'displayName';
  const r = await sendCleanup(client, call, { method: 'GET', url: trimSlash(c.endpoint), query: { filter: toFilterString(eq(attr, c.name)), attributes: `id,${attr}`, count: 10 } });
  if (r.ex) item.exchangeIds.push(r.ex.id);
  const body = r.res?.status === 200 && isObj(r.res.json) ? r.res.json : undefined;
  const list = body ? (Array.isArray(body.Resources) ? body.Resources : Array.isArray(body.resources) ? body.resources : undefined) : undefined;
  if (!list) {
    item.result = 'left';
    item.detail = `its create got no usable answer and a lookup by ${attr} answered ${r.res?.status ?? r.error?.message ?? 'nothing'}: check for "${c.name}" by hand`;
    report.leftovers.push(`${c.endpoint} ${attr} "${c.name}" (unsure)`);
    return [];
  }
  return list.filter((x): x is Json => isObj(x) && typeof x.id === 'string' && scalarText(x[attr]).toLowerCase() === c.name.toLowerCase()).map((x) => x.id as string);
}

async function sendCleanup(client: ScimClient, call: Call, spec: RequestSpec): Promise<Sent> {
  try {
    const res = await client.pipeline.send(call.operation, spec);
    return { res, ex: res.exchange };
  } catch (e) {
    const err = toScimxError(e);
    return { ex: err.exchangeId ? client.trace.findExchange(err.exchangeId) : undefined, error: err };
  }
}

// ------------------------------------------------------------------------------------------------- summary

export function compatSummary(r: CompatReport): string {
  const pass = r.rows.filter((x) => x.outcome === 'pass').length;
  const fail = r.rows.filter((x) => x.outcome === 'fail').length;
  const skipped = r.rows.filter((x) => x.outcome === 'skipped').length;
  const deleted = r.cleanup.filter((x) => x.result === 'deleted').length;
  const parts = [`${pass} of ${r.rows.length} steps pass`];
  if (fail) parts.push(`${fail} fail`);
  if (skipped) parts.push(`${skipped} skipped`);
  parts.push(r.leftovers.length ? `${r.leftovers.length} scratch resource(s) LEFT on the service: ${r.leftovers.join(', ')}` : `${deleted} scratch resource(s) deleted and checked`);
  if (r.cancelled) parts.push('cancelled');
  if (r.error) parts.push(`stopped: ${r.error}`);
  return parts.join('; ');
}

/** A cleanup item left behind: an unsure lookup (the create got no usable answer) counts too. */
export function leftBehind(r: CompatReport): CleanupItem[] {
  return r.cleanup.filter((c) => c.result === 'left');
}
