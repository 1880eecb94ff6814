// Creating and deleting resources (issue 14, point 2), through the one pipeline, each write checked afterwards:
// a 2xx is a claim. After a create the resource is read back by its id and every attribute that was sent is
// compared with what is stored; after a delete a GET must answer 404. The JSON template a person fills in is built
// from the service's /Schemas (its required attributes), or from RFC 7643's core schemas when it offers none.
import { asScimError } from '../diagnosis';
import { ScimxError, toScimxError } from '../errors';
import type { HttpResponse } from '../http/types';
import type { Call, CallContext, ScimClient } from './client';
import { resourcePath, trimSlash } from './client';
import { parseResource } from './parse';
import { SCHEMA, type ResourceTypeInfo, type ScimResource } from './types';

type Json = Record<string, unknown>;

export interface CreateResult {
  resource: ScimResource;
  /** The endpoint it was created in, e.g. `Users`. */
  endpoint: string;
  /** True when the resource was read back by its id and holds every attribute that was sent. */
  verified: boolean;
  /** What differs between what was sent and what is stored (empty when verified), one line each. */
  differences: string[];
  /** Why it could not be verified (the read failed), when it could not. */
  notVerified?: string;
  /** The POST, and the read after it. */
  exchangeIds: { write: string; read?: string };
}

export interface DeleteResult {
  endpoint: string;
  id: string;
  /** True when a GET after the DELETE answered 404. */
  verified: boolean;
  /** The DELETE's own status (404: it was already gone). */
  status: number;
  /** What the read after the DELETE showed, one line (e.g. `GET answered 404`, `still readable: GET answered 200`). */
  readBack: string;
  exchangeIds: { write: string; read?: string };
}

// ------------------------------------------------------------------------------------------------ create

/** Creates a resource with a POST, then reads it back by id and compares. Throws a diagnosed error when the
 * POST is refused; a create the read-back contradicts is returned with `verified: false` and the differences. */
export function createResource(client: ScimClient, endpoint: string, body: Json, ctx?: CallContext): Promise<CreateResult> {
  const ep = trimSlash(endpoint);
  const name = nameOf(body);
  return client.run(`Create ${ep}${name ? ` "${name}"` : ''}`, ctx, (call) => createIn(client, call, ep, body), (r) =>
    `created ${ep}/${r.resource.id}, ${r.verified ? 'verified' : `NOT verified (${r.notVerified ?? r.differences.join('; ')})`}`);
}

export async function createIn(client: ScimClient, call: Call, endpoint: string, body: Json): Promise<CreateResult> {
  const ep = trimSlash(endpoint);
  const res = await client.request(call, { method: 'POST', url: ep, body });
  const id = createdId(res);
  if (!id) {
    throw new ScimxError('response', `POST ${ep} answered ${res.status} without the new resource's id (no body id, no Location header): it cannot be read back`, { exchangeId: res.exchange.id });
  }
  const result: CreateResult = {
    resource: res.json && typeof res.json === 'object' && !Array.isArray(res.json) && typeof (res.json as Json).id === 'string'
      ? res.json as ScimResource : { id },
    endpoint: ep, verified: false, differences: [], exchangeIds: { write: res.exchange.id },
  };
  const withMembers = Object.keys(body).some((k) => k.toLowerCase() === 'members');
  const read = await readBack(client, call, ep, id, withMembers);
  result.exchangeIds.read = read.exchangeId;
  if (!read.resource) {
    result.notVerified = read.why;
    return result;
  }
  result.resource = read.resource;
  const schemas = await schemasOf(client, call);
  result.differences = differences(body, read.resource, attributeRules(schemas, body));
  result.verified = result.differences.length === 0;
  return result;
}

/** The new resource's id: the answer's `id`, else the last path segment of `Location` / `meta.location`. */
export function createdId(res: Pick<HttpResponse, 'json' | 'headers'>): string | undefined {
  const body = res.json && typeof res.json === 'object' && !Array.isArray(res.json) ? res.json as Json : undefined;
  if (typeof body?.id === 'string' && body.id) return body.id;
  const meta = body?.meta && typeof body.meta === 'object' ? body.meta as Json : undefined;
  const loc = res.headers.location ?? (typeof meta?.location === 'string' ? meta.location : undefined);
  const seg = loc ? /\/([^/?#]+)\/?(?:[?#].*)?$/.exec(loc)?.[1] : undefined;
  return seg ? decodeURIComponent(seg) : undefined;
}

interface ReadBack { resource?: ScimResource; status?: number; why?: string; exchangeId?: string }

/** GET endpoint/id answered whatever it answers (a 404 is an answer, not an exception). */
export async function readBack(client: ScimClient, call: Call, endpoint: string, id: string, withMembers = false): Promise<ReadBack> {
  if (call.signal?.aborted) throw new ScimxError('cancelled', 'Cancelled.');
  let res: HttpResponse;
  try {
    // a group is read without its member list unless the write named members (then they are what is checked)
    const query = { excludedAttributes: withMembers ? undefined : await excluded(client, call, endpoint) };
    res = await client.request(call, { method: 'GET', url: resourcePath(endpoint, id), query }, () => true);
  } catch (e) {
    const err = toScimxError(e);
    if (err.code === 'cancelled') throw err;
    return { why: `the read failed: ${err.message}`, exchangeId: err.exchangeId };
  }
  const ex = res.exchange.id;
  if (res.status === 404) return { status: 404, why: `GET ${endpoint}/${id} answered 404`, exchangeId: ex };
  if (res.status < 200 || res.status >= 300) {
    const scim = asScimError(res.json);
    return { status: res.status, why: `GET ${endpoint}/${id} answered ${res.status}${scim?.detail ? ` (${scim.detail})` : ''}`, exchangeId: ex };
  }
  try {
    return { status: res.status, resource: parseResource(client.jsonObject(res, { method: 'GET', url: `${endpoint}/${id}` }), `${endpoint}/${id}`), exchangeId: ex };
  } catch (e) {
    return { status: res.status, why: toScimxError(e).message, exchangeId: ex };
  }
}

async function excluded(client: ScimClient, call: Call, endpoint: string): Promise<string | undefined> {
  const groups = await client.groupsEndpoint({ operation: call.operation, signal: call.signal }).catch(() => 'Groups');
  return groups.toLowerCase() === trimSlash(endpoint).toLowerCase() ? 'members' : undefined;
}

async function schemasOf(client: ScimClient, call: Call): Promise<Json[]> {
  return (await client.discover({ operation: call.operation, signal: call.signal }).catch(() => undefined))?.schemas ?? [];
}

function nameOf(body: Json): string | undefined {
  for (const k of ['userName', 'displayName']) if (typeof body[k] === 'string' && body[k]) return body[k];
  return undefined;
}

// ------------------------------------------------------------------------------------------------ compare

/** How an attribute is compared, from /Schemas: those never returned (writeOnly, `returned: never`: a password)
 * cannot be compared and are left out. Keys are lower-cased attribute paths (`name.givenname`). */
export interface AttributeRules {
  skip: Set<string>;
}

export function attributeRules(schemas: Json[], body: Json): AttributeRules {
  const skip = new Set<string>(['schemas', 'meta', 'id', 'password']);
  const ids = new Set((Array.isArray(body.schemas) ? body.schemas : []).filter((s): s is string => typeof s === 'string'));
  const walk = (attrs: unknown, prefix: string): void => {
    if (!Array.isArray(attrs)) return;
    for (const a of attrs) {
      if (!a || typeof a !== 'object') continue;
      const at = a as Json;
      if (typeof at.name !== 'string') continue;
      const path = `${prefix}${at.name.toLowerCase()}`;
      if (at.returned === 'never' || at.mutability === 'writeOnly') skip.add(path);
      walk(at.subAttributes, `${path}.`);
    }
  };
  for (const s of schemas) if (typeof s.id === 'string' && (ids.size === 0 || ids.has(s.id))) walk(s.attributes, '');
  return { skip };
}

/**
 * What the stored resource lacks of what was sent, one line per attribute: `displayName: sent "A", stored "B"`.
 * Attribute names and string values compare without case (SCIM's default, caseExact false); an object is compared
 * attribute by attribute; a list item must be found among the stored items (its own attributes matching, `$ref`
 * and `display` aside, which servers fill in). Extension attributes (`urn:…:User` objects) compare the same way.
 */
export function differences(sent: Json, stored: Json, rules: AttributeRules = { skip: new Set(['schemas', 'meta', 'id', 'password']) }, prefix = ''): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(sent)) {
    const path = `${prefix}${key}`;
    const lower = path.toLowerCase();
    if (rules.skip.has(lower) || value === undefined) continue;
    const actualKey = Object.keys(stored).find((k) => k.toLowerCase() === key.toLowerCase());
    const actual = actualKey === undefined ? undefined : stored[actualKey];
    if (value === null || (Array.isArray(value) && value.length === 0)) {
      if (actual !== undefined && actual !== null && !(Array.isArray(actual) && actual.length === 0)) out.push(`${path}: sent ${show(value)}, stored ${show(actual)}`);
      continue;
    }
    if (actual === undefined || actual === null) {
      out.push(`${path}: sent ${show(value)}, not stored`);
      continue;
    }
    if (Array.isArray(value)) {
      if (!Array.isArray(actual)) {
        out.push(`${path}: sent a list, stored ${show(actual)}`);
        continue;
      }
      for (const item of value) {
        // a member's value is an id: ids are opaque and compare exactly (RFC 7643 §3.1)
        const exact = lower === 'members';
        if (!actual.some((a) => sameItem(item, a, exact))) out.push(`${path}: sent item ${show(item)} not stored`);
      }
      continue;
    }
    if (typeof value === 'object') {
      if (!actual || typeof actual !== 'object' || Array.isArray(actual)) out.push(`${path}: sent an object, stored ${show(actual)}`);
      else out.push(...differences(value as Json, actual as Json, rules, key.startsWith('urn:') ? '' : `${path}.`));
      continue;
    }
    if (!samePrimitive(value, actual)) out.push(`${path}: sent ${show(value)}, stored ${show(actual)}`);
  }
  return out;
}

function samePrimitive(a: unknown, b: unknown): boolean {
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

function sameItem(sent: unknown, stored: unknown, exactValue: boolean): boolean {
  if (!sent || typeof sent !== 'object') return samePrimitive(sent, stored);
  if (!stored || typeof stored !== 'object') return false;
  const s = stored as Json;
  return Object.entries(sent as Json).every(([k, v]) => {
    if (k === '$ref' || k === 'display' || v === undefined || v === null) return true;
    const sk = Object.keys(s).find((x) => x.toLowerCase() === k.toLowerCase());
    if (sk === undefined) return false;
    if (exactValue && k === 'value' && typeof v === 'string') return s[sk] === v;
    return typeof v === 'object' ? JSON.stringify(v) === JSON.stringify(s[sk]) : samePrimitive(v, s[sk]);
  });
}

function show(v: unknown): string {
  const t = JSON.stringify(v) ?? String(v);
  return t.length > 60 ? `${t.slice(0, 59)}…` : t;
}

// ------------------------------------------------------------------------------------------------ delete

/** Deletes a resource, then reads it: verified only when the read answers 404. A DELETE answered 404 means it
 * was already gone (still read once more, to be sure). Throws a diagnosed error when the DELETE is refused. */
export function deleteResource(client: ScimClient, endpoint: string, id: string, ctx?: CallContext): Promise<DeleteResult> {
  const ep = trimSlash(endpoint);
  return client.run(`Delete ${ep}/${id}`, ctx, (call) => deleteIn(client, call, ep, id), (r) =>
    r.verified ? `deleted ${ep}/${id}, verified (${r.readBack})` : `DELETE answered ${r.status}, NOT verified: ${r.readBack}`);
}

export async function deleteIn(client: ScimClient, call: Call, endpoint: string, id: string): Promise<DeleteResult> {
  const ep = trimSlash(endpoint);
  const res = await client.request(call, { method: 'DELETE', url: resourcePath(ep, id) }, (s) => (s >= 200 && s < 300) || s === 404);
  // APIM answers 404 itself for a method its API does not define: that is a refusal, not "already gone"
  if (res.status === 404 && res.exchange.response?.answeredBy === 'gateway') throw client.errorFor(res, call.operation);
  const gone = res.status === 404;
  if (gone) {
    // 404 to a DELETE is the expected answer here, not an error of the service
    res.exchange.expected = `${ep}/${id} was already gone (404)`;
    client.trace.touchExchange(res.exchange);
  }
  const read = await readBack(client, call, ep, id);
  if (read.status === 404 && read.exchangeId) {
    const ex = client.trace.findExchange(read.exchangeId);
    if (ex) {
      ex.expected = `read after DELETE: 404 is the proof that ${ep}/${id} is gone`;
      client.trace.touchExchange(ex);
    }
  }
  const verified = read.status === 404;
  const readBackText = verified ? 'GET answered 404'
    : read.resource ? `still readable: GET answered ${read.status ?? '?'} after DELETE answered ${res.status}` : read.why ?? 'not read';
  return { endpoint: ep, id, verified, status: res.status, readBack: readBackText, exchangeIds: { write: res.exchange.id, read: read.exchangeId } };
}

// ------------------------------------------------------------------------------------------------ template

interface SchemaAttribute {
  name: string;
  type?: string;
  multiValued?: boolean;
  required?: boolean;
  mutability?: string;
  subAttributes?: SchemaAttribute[];
}

/** RFC 7643 §8.7.1's core User and Group schemas, reduced to what a template needs: for a service that offers no
 * /Schemas. userName is the one required User attribute; displayName is what every service names a group by. */
const RFC_CORE: Record<string, SchemaAttribute[]> = {
  [SCHEMA.user]: [
    { name: 'userName', type: 'string', required: true },
    { name: 'displayName', type: 'string' },
    { name: 'active', type: 'boolean' },
  ],
  [SCHEMA.group]: [
    { name: 'displayName', type: 'string', required: true },
    { name: 'members', type: 'complex', multiValued: true },
  ],
};

/** Attributes offered in a template besides the required ones, when the schema has them. */
const SUGGESTED: Record<string, string[]> = {
  [SCHEMA.user]: ['displayName', 'active'],
  [SCHEMA.group]: ['displayName', 'members'],
};

function schemaAttributes(rt: ResourceTypeInfo, schemas: Json[]): { attrs: SchemaAttribute[]; fromService: boolean } {
  const s = schemas.find((x) => x.id === rt.schema);
  if (s && Array.isArray(s.attributes)) {
    return { attrs: (s.attributes as unknown[]).filter((a): a is SchemaAttribute => !!a && typeof a === 'object' && typeof (a as Json).name === 'string'), fromService: true };
  }
  return { attrs: RFC_CORE[rt.schema] ?? [], fromService: false };
}

function writable(a: SchemaAttribute): boolean {
  return a.mutability !== 'readOnly' && a.name !== 'id';
}

function placeholder(a: SchemaAttribute): unknown {
  const one = (): unknown => {
    switch (a.type) {
      case 'boolean': return true;
      case 'integer': case 'decimal': return 0;
      case 'complex': {
        const subs = (a.subAttributes ?? []).filter(writable);
        const chosen = subs.filter((x) => x.required);
        if (!chosen.length) { const v = subs.find((x) => x.name === 'value'); if (v) chosen.push(v); }
        return Object.fromEntries(chosen.map((x) => [x.name, placeholder({ ...x, multiValued: false })]));
      }
      default: return '';
    }
  };
  if (!a.multiValued) return one();
  // a list starts empty unless an item is required to exist
  return a.required ? [one()] : [];
}

/**
 * A JSON body to fill in for a new resource of this type: `schemas`, then every required attribute the client may
 * write (per the service's /Schemas: `required: true`, not `readOnly`), then a few suggested ones the schema has
 * (a user's displayName and active, a group's members). Strings are empty, to be filled in; `missingRequired` says
 * which are still empty before anything is sent.
 */
export function resourceTemplate(rt: ResourceTypeInfo, schemas: Json[]): Json {
  const { attrs } = schemaAttributes(rt, schemas);
  const out: Json = { schemas: [rt.schema || SCHEMA.user] };
  const suggested = SUGGESTED[rt.schema] ?? [];
  for (const a of attrs) {
    if (!writable(a)) continue;
    if (a.required || suggested.includes(a.name)) out[a.name] = placeholder(a);
  }
  return out;
}

/** The required attributes (per /Schemas, or RFC 7643 without one) that the body leaves out or empty. */
export function missingRequired(rt: ResourceTypeInfo, schemas: Json[], body: Json): string[] {
  const { attrs } = schemaAttributes(rt, schemas);
  const missing: string[] = [];
  for (const a of attrs) {
    if (!a.required || !writable(a)) continue;
    const key = Object.keys(body).find((k) => k.toLowerCase() === a.name.toLowerCase());
    const v = key === undefined ? undefined : body[key];
    if (v === undefined || v === null || (typeof v === 'string' && !v.trim()) || (Array.isArray(v) && !v.length)) missing.push(a.name);
  }
  return missing;
}
