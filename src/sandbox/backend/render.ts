// Representations: a user or a group as the service answers it (SCIMMY-coerced, with meta, groups and
// members), shaped by the quirk modes that change what a read shows.
import SCIMMY from 'scimmy';
import type { GroupRec, Json, UserRec } from '../store';
import { CAPPED_GROUP_READ } from '../modes';
import { etagOf, type Ctx } from './context';
import { keeps, type Filter } from './filters';

export function meta(c: Ctx, rec: UserRec | GroupRec): Json {
  return {
    created: rec.created,
    lastModified: rec.lastModified,
    ...(c.state.faults.has('etag') ? { version: etagOf(rec) } : {}),
  };
}

function groupsAttr(c: Ctx, id: string): Json[] {
  return c.state.store.groupIdsOf(id).flatMap((gid) => {
    const g = c.state.store.groups.get(gid);
    return g ? [{ value: gid, display: g.displayName, $ref: `${c.base}/Groups/${gid}`, type: 'direct' }] : [];
  });
}

export function userRaw(c: Ctx, rec: UserRec): Json {
  return {
    ...rec.data,
    id: rec.id,
    userName: rec.userName,
    ...(rec.displayName !== undefined ? { displayName: rec.displayName } : {}),
    groups: groupsAttr(c, rec.id),
    meta: meta(c, rec),
  };
}

/** SCIMMY's coerced forms of a record, as JSON text (half the memory of the object), for one record version,
 * base URL and ETag mode: the whole resource (key '') and the forms shaped by an attribute list (key: the list). */
interface OutCached { version: number; base: string; etag: boolean; forms: Map<string, string> }
const userOutCache = new WeakMap<UserRec, OutCached>();
const groupOutCache = new WeakMap<GroupRec, OutCached>();
/** a record is read with a handful of attribute lists; past this many, the oldest form is dropped */
const MAX_FORMS = 8;

/** The coerced form of `rec` under `key`, made by `coerce` once per record version (every write bumps it). */
function cachedForm<R extends UserRec | GroupRec>(cache: WeakMap<R, OutCached>, c: Ctx, rec: R, key: string, coerce: () => unknown): Json {
  const etag = c.state.faults.has('etag');
  let hit = cache.get(rec);
  if (!hit || hit.version !== rec.version || hit.base !== c.base || hit.etag !== etag) {
    hit = { version: rec.version, base: c.base, etag, forms: new Map() };
    cache.set(rec, hit);
  }
  let json = hit.forms.get(key);
  if (json === undefined) {
    json = JSON.stringify(coerce());
    if (hit.forms.size >= MAX_FORMS) hit.forms.delete(hit.forms.keys().next().value as string);
    hit.forms.set(key, json);
  }
  return JSON.parse(json) as Json;
}

/** the cache key of an attribute list (SCIMMY's parsed attributes/excludedAttributes filter) */
const attributesKey = (attributes: Filter): string => `attributes:${JSON.stringify([...attributes])}`;

export function userOut(c: Ctx, rec: UserRec, attributes: Filter | undefined): SCIMMY.Schemas.User {
  if (attributes && attributes.length > 0) {
    // coerced once per version and attribute list (member checks list users with attributes=id, or id,groups);
    // `groups` changes without the user's version, so a list that keeps it has the groups in its key too
    const raw = userRaw(c, rec);
    const key = `${attributesKey(attributes)}${keeps(attributes, 'groups') ? ` groups:${JSON.stringify(raw['groups'])}` : ''}`;
    return cachedForm(userOutCache, c, rec, key,
      () => new SCIMMY.Schemas.User(raw, 'out', `${c.base}/Users`, attributes)) as unknown as SCIMMY.Schemas.User;
  }
  // whole resource: SCIMMY coerces a user once per version (a listing of 100,000 users spent most of its time
  // re-coercing unchanged records); `groups`, which changes without the user's version, is attached as is,
  // the way groupOut attaches members
  const plain = cachedForm(userOutCache, c, rec, '', () => {
    const { groups: _groups, ...raw } = userRaw(c, rec);
    return new SCIMMY.Schemas.User(raw, 'out', `${c.base}/Users`);
  });
  plain['groups'] = groupsAttr(c, rec.id);
  return plain as unknown as SCIMMY.Schemas.User;
}

export function memberObj(c: Ctx, id: string): Json {
  const store = c.state.store;
  const u = store.users.get(id);
  // 'untyped-members': RFC 7643 makes `type` (and `$ref`) optional; such a provider gives neither
  const untyped = c.state.faults.has('untyped-members');
  // 'case-insensitive-ids': member values come back upper-case (a GUID column's own rendering)
  const value = c.state.faults.has('case-insensitive-ids') ? id.toUpperCase() : id;
  if (u) return { value, display: u.displayName ?? u.userName, ...(untyped ? {} : { $ref: `${c.base}/Users/${id}`, type: 'User' }) };
  const g = store.groups.get(id);
  return { value, ...(g ? { display: g.displayName } : {}), ...(untyped ? {} : { $ref: `${c.base}/Groups/${id}`, type: 'Group' }) };
}

/** the members a group read shows: all of them, or the last CAPPED_GROUP_READ ('capped-group-read') */
function shownMembers(c: Ctx, rec: GroupRec): string[] {
  const all = [...rec.members];
  return c.state.faults.has('capped-group-read') ? all.slice(-CAPPED_GROUP_READ) : all;
}

export function groupOut(c: Ctx, rec: GroupRec, attributes: Filter | undefined, forceNoMembers = false): Json {
  const raw: Json = { ...rec.data, id: rec.id, displayName: rec.displayName, meta: meta(c, rec) };
  const base = `${c.base}/Groups`;
  const wantMembers = !forceNoMembers && keeps(attributes, 'members') && rec.members.size > 0;
  if (!wantMembers) return new SCIMMY.Schemas.Group(raw, 'out', base, attributes) as unknown as Json;
  if (attributes && attributes.length > 0) {
    // attribute filter touching members (e.g. members.value): let SCIMMY coerce and filter all of it
    return new SCIMMY.Schemas.Group({ ...raw, members: shownMembers(c, rec).map((m) => memberObj(c, m)) }, 'out', base, attributes) as unknown as Json;
  }
  // whole resource: SCIMMY coerces the group once per version (members change the version too, but are not
  // part of the cached form), the (already canonical) member list is attached as is, so a 50,000-member group
  // is not re-validated member by member on every read
  const plain = cachedForm(groupOutCache, c, rec, '', () => new SCIMMY.Schemas.Group(raw, 'out', base));
  plain['members'] = shownMembers(c, rec).map((m) => memberObj(c, m));
  return plain;
}

export function stripReadOnly(x: unknown, drop: string[]): Json {
  const plain = JSON.parse(JSON.stringify(x)) as Json;
  for (const k of Object.keys(plain)) if (drop.includes(k.toLowerCase())) delete plain[k];
  return plain;
}
