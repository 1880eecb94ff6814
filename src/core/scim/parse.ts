// Reading SCIM answers defensively: servers differ (Entra's lowercase `resources`, ResourceTypes as a
// bare array, counts as strings) and some answers are simply wrong. Wrong answers become one-line
// 'response' errors; tolerable quirks become warnings. A list answer is ./list-response.ts (read by listings only).
import { ScimxError } from '../errors';
import type { Capabilities, Discovery, Member, ResourceTypeInfo, ScimResource } from './types';

export type Json = Record<string, unknown>;

export function obj(v: unknown): Json | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

export function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

function bool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return undefined;
}

/** `Resources` per RFC 7644; `resources` as Entra writes it. */
export function resourcesOf(body: Json): unknown[] | undefined {
  const r = body.Resources ?? body.resources;
  return Array.isArray(r) ? r : undefined;
}

export function parseResource(body: Json, what: string): ScimResource {
  const id = body.id;
  if (typeof id !== 'string' || !id) {
    throw new ScimxError('response', `${what}: the answer has no "id" (got ${id === undefined ? 'none' : JSON.stringify(id).slice(0, 40)})`);
  }
  const meta = obj(body.meta);
  if (body.meta !== undefined && !meta) throw new ScimxError('response', `${what}: "meta" is not an object`);
  return body as ScimResource;
}

/** A group's `members`, the entries with a string `value` (others are skipped); none when it has no list. */
export function readMembers(group: Record<string, unknown>): Member[] {
  const raw = group.members;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new ScimxError('response', `Group ${String(group.id)} has "members" that is not a list`);
  const out: Member[] = [];
  for (const m of raw) {
    if (m && typeof m === 'object' && typeof (m as Member).value === 'string') out.push(m as Member);
  }
  return out;
}

export function parseDiscovery(spc: Json, resourceTypesBody: Json | unknown[], schemasBody?: Json | unknown[]): Discovery {
  const warnings: string[] = [];
  const rtList = Array.isArray(resourceTypesBody) ? resourceTypesBody : resourcesOf(resourceTypesBody) ?? [];
  const resourceTypes: ResourceTypeInfo[] = [];
  for (const item of rtList) {
    const o = obj(item);
    if (!o) continue;
    const name = typeof o.name === 'string' ? o.name : typeof o.id === 'string' ? o.id : undefined;
    const endpoint = typeof o.endpoint === 'string' ? o.endpoint.replace(/^\/+|\/+$/g, '') : undefined;
    if (!name || !endpoint) {
      warnings.push(`a resource type without name or endpoint was skipped`);
      continue;
    }
    resourceTypes.push({
      id: typeof o.id === 'string' ? o.id : name,
      name,
      endpoint,
      schema: typeof o.schema === 'string' ? o.schema : '',
      description: typeof o.description === 'string' ? o.description : undefined,
    });
  }
  if (!resourceTypes.length) warnings.push('the service lists no resource types; assuming Users and Groups');
  const schemas = (Array.isArray(schemasBody) ? schemasBody : schemasBody ? resourcesOf(schemasBody) ?? [] : []).filter(
    (s): s is Json => !!obj(s),
  );
  return {
    serviceProviderConfig: spc,
    resourceTypes: resourceTypes.length
      ? resourceTypes
      : [
          { id: 'User', name: 'User', endpoint: 'Users', schema: 'urn:ietf:params:scim:schemas:core:2.0:User' },
          { id: 'Group', name: 'Group', endpoint: 'Groups', schema: 'urn:ietf:params:scim:schemas:core:2.0:Group' },
        ],
    schemas,
    capabilities: capabilitiesOf(spc, warnings),
    warnings,
  };
}

export function capabilitiesOf(spc: Json, warnings: string[] = []): Capabilities {
  const said = (key: string): boolean | undefined => {
    const v = bool(obj(spc[key])?.supported);
    if (v === undefined) warnings.push(`ServiceProviderConfig.${key}.supported is missing`);
    return v;
  };
  const supported = (key: string): boolean => said(key) ?? false;
  const filter = obj(spc.filter);
  const pagination = obj(spc.pagination);
  // RFC 7643 §5 makes `filter` REQUIRED: a missing or unreadable block is a broken config that tells nothing,
  // not a "no". Filtered reads are then tried, and a refusal (400/501) falls back to reading the group.
  const filterSaid = said('filter');
  return {
    patch: supported('patch'),
    etag: supported('etag'),
    filter: filterSaid ?? true,
    filterSupport: filterSaid === undefined ? 'unknown' : filterSaid ? 'yes' : 'no',
    maxResults: num(filter?.maxResults),
    sort: bool(obj(spc.sort)?.supported) ?? false,
    bulk: bool(obj(spc.bulk)?.supported) ?? false,
    cursor: bool(pagination?.cursor) ?? false,
    index: bool(pagination?.index) ?? true,
    defaultPageSize: num(pagination?.defaultPageSize),
    maxPageSize: num(pagination?.maxPageSize),
  };
}
