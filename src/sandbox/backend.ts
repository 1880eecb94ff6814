// The SCIM service provider behind the gateway: scimmy-routers for routing, auth and error bodies, SCIMMY
// resource classes for Users and Groups whose read/write/patch/dispose work on this sandbox's Store.
// SCIMMY does the SCIM work (schema coercion and validation, attribute filters, filter parsing and matching,
// PatchOp semantics, ListResponse and Error messages); the store only adds indexes so the common queries stay
// fast at 100,000 users, and a PATCH of members only touches the members it names.
import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';
import type { GroupRec, Json, Store, UserRec } from './store';
import { CAPPED_GROUP_READ, pairs, type ReceivedRequest, type SandboxState } from './types';

type Filter = SCIMMY.Types.Filter;
type FilterBranch = Record<string, unknown>;

const LIST_ID = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR_ID = 'urn:ietf:params:scim:api:messages:2.0:Error';
const DEFAULT_PAGE = 100;

/** What a resource method needs to know about the request it serves (passed as SCIMMY's handler context). */
interface Ctx {
  state: SandboxState;
  method: string;
  ifMatch: string | undefined;
  /** SCIM base URL used for meta.location and $ref, e.g. http://127.0.0.1:P/scim/v2 */
  base: string;
  /** decoded RFC 9865 cursor (offset) when in cursor mode */
  cursorOffset: number;
  /** paging parameters (Express 5's req.query is re-parsed on each access, so scimmy-routers' numeric cast
   * does not reach the resource constructor: read them here) */
  startIndex: number | undefined;
  count: number | undefined;
}

/** SCIMMY's error type (its typings want a string scimType; SCIMMY itself passes null for "none") */
const scimErr = (status: number, scimType: string | null, detail: string): SCIMMY.Types.SCIMError =>
  new SCIMMY.Types.Error(status, scimType as string, detail);

const ctxOf = (ctx: unknown): Ctx => {
  if (!ctx || typeof ctx !== 'object' || !('state' in ctx)) throw scimErr(500, null, 'missing sandbox context');
  return ctx as Ctx;
};

/** 'case-insensitive-ids': ids as stored (lower case) whatever case they arrive in */
const fold = (c: Ctx, id: string): string => (c.state.faults.has('case-insensitive-ids') ? id.toLowerCase() : id);
const identity = (id: string): string => id;

const scimError = (status: number, detail: string, scimType?: string): Json => {
  try {
    return { ...new SCIMMY.Messages.Error({ status, scimType, detail } as never) } as Json;
  } catch {
    // statuses or scimTypes SCIMMY does not know (RFC 9865 invalidCursor, 503...): same shape
    return { schemas: [ERROR_ID], status: String(status), ...(scimType ? { scimType } : {}), detail };
  }
};

// ---------------------------------------------------------------------------------------------------------
// attribute and filter helpers (on SCIMMY's parsed Filter objects)

const keyOf = (branch: FilterBranch, name: string): string | undefined =>
  Object.keys(branch).find((k) => k.toLowerCase() === name);

/** does the attributes/excludedAttributes filter SCIMMY built keep `name`? */
function keeps(attributes: Filter | undefined, name: string): boolean {
  if (!attributes || attributes.length === 0) return true;
  const branch = attributes[0] as FilterBranch;
  const k = keyOf(branch, name);
  const isNp = (v: unknown): boolean => Array.isArray(v) && String(v[0]).toLowerCase() === 'np';
  if (k !== undefined) return !isNp(branch[k]);
  // not named: kept if the filter only excludes things
  return Object.values(branch).every(isNp);
}

type Pred = (value: string | undefined) => boolean;

/** [op, "value"] with op eq|sw|co -> case-insensitive predicate (userName and displayName are caseExact=false) */
function stringPred(expr: unknown): Pred | undefined {
  if (!Array.isArray(expr) || expr.length !== 2 || typeof expr[1] !== 'string') return undefined;
  const op = String(expr[0]).toLowerCase();
  const want = expr[1].toLowerCase();
  if (op === 'eq') return (v) => v !== undefined && v.toLowerCase() === want;
  if (op === 'sw') return (v) => v !== undefined && v.toLowerCase().startsWith(want);
  if (op === 'co') return (v) => v !== undefined && v.toLowerCase().includes(want);
  return undefined;
}

const eqValueRaw = (expr: unknown): string | undefined =>
  Array.isArray(expr) && expr.length === 2 && String(expr[0]).toLowerCase() === 'eq' && typeof expr[1] === 'string' ? expr[1] : undefined;

interface Plan {
  /** a small candidate list from an index, or undefined for "all" */
  candidates: (() => readonly string[]) | undefined;
  test: (id: string) => boolean;
}

/** Index-backed plan for one AND branch of a Users filter, or undefined when an attribute is not indexed. */
function userBranchPlan(store: Store, branch: FilterBranch, fold: (id: string) => string = identity): Plan | undefined {
  const eqValue = (e: unknown): string | undefined => { const v = eqValueRaw(e); return v === undefined ? v : fold(v); };
  const tests: Array<(id: string) => boolean> = [];
  let candidates: (() => readonly string[]) | undefined;
  for (const [attr, expr] of Object.entries(branch)) {
    const a = attr.toLowerCase();
    if (a === 'id') {
      const v = eqValue(expr);
      if (v === undefined) return undefined;
      candidates = () => (store.users.has(v) ? [v] : []);
      tests.push((id) => id === v);
    } else if (a === 'username' || a === 'displayname') {
      const p = stringPred(expr);
      if (!p) return undefined;
      const v = eqValue(expr);
      if (a === 'username' && v !== undefined && !candidates) {
        candidates = () => {
          const id = store.userByName.get(v.toLowerCase());
          return id ? [id] : [];
        };
      }
      tests.push(a === 'username' ? (id) => p(store.users.get(id)?.userName) : (id) => p(store.users.get(id)?.displayName));
    } else if (a === 'groups' && expr && typeof expr === 'object' && !Array.isArray(expr)) {
      const sub = expr as FilterBranch;
      const vk = keyOf(sub, 'value');
      const v = vk !== undefined && Object.keys(sub).length === 1 ? eqValue(sub[vk]) : undefined;
      if (v === undefined) return undefined;
      // `id eq` in the same branch is the smaller candidate list: keep it
      if (!candidates) {
        candidates = () => {
          const g = store.groups.get(v);
          return g ? [...g.members].filter((m) => store.users.has(m)) : [];
        };
      }
      tests.push((id) => store.groupsOf.get(id)?.has(v) ?? false);
    } else return undefined;
  }
  return { candidates, test: (id) => tests.every((t) => t(id)) };
}

function groupBranchPlan(store: Store, branch: FilterBranch, fold: (id: string) => string = identity): Plan | undefined {
  const eqValue = (e: unknown): string | undefined => { const v = eqValueRaw(e); return v === undefined ? v : fold(v); };
  const tests: Array<(id: string) => boolean> = [];
  let candidates: (() => readonly string[]) | undefined;
  for (const [attr, expr] of Object.entries(branch)) {
    const a = attr.toLowerCase();
    if (a === 'id') {
      const v = eqValue(expr);
      if (v === undefined) return undefined;
      candidates = () => (store.groups.has(v) ? [v] : []);
      tests.push((id) => id === v);
    } else if (a === 'displayname') {
      const p = stringPred(expr);
      if (!p) return undefined;
      const v = eqValue(expr);
      if (v !== undefined && !candidates) {
        candidates = () => {
          const id = store.groupByName.get(v.toLowerCase());
          return id ? [id] : [];
        };
      }
      tests.push((id) => p(store.groups.get(id)?.displayName));
    } else if (a === 'members') {
      // members.value eq "U" or members eq "U"; several (`members.value eq "U" and members.value eq "V"`)
      // arrive as a list of comparisons. RFC 7644 §3.4.2.2: a comparison on a multi-valued attribute matches
      // when any value matches, so each must be some member (SCIMMY's own matching wants one member to
      // match them all, hence this plan for the case).
      let values: string[] | undefined;
      const eqList = (e: unknown): string[] | undefined => {
        const one = eqValue(e);
        if (one !== undefined) return [one];
        if (!Array.isArray(e) || !e.length) return undefined;
        const all = e.map(eqValue);
        return all.every((v): v is string => v !== undefined) ? all : undefined;
      };
      if (Array.isArray(expr)) values = eqList(expr);
      else if (expr && typeof expr === 'object') {
        const sub = expr as FilterBranch;
        const vk = keyOf(sub, 'value');
        const tk = keyOf(sub, 'type');
        if (tk !== undefined) {
          // members.type eq "Group" / members[type eq "User"]: some member of that kind
          const kind = eqValue(sub[tk])?.toLowerCase();
          if (Object.keys(sub).length !== 1 || (kind !== 'user' && kind !== 'group')) return undefined;
          const ofKind = kind === 'group' ? (m: string) => store.groups.has(m) : (m: string) => store.users.has(m);
          tests.push((id) => {
            for (const m of store.groups.get(id)?.members ?? []) if (ofKind(m)) return true;
            return false;
          });
          continue;
        }
        values = vk !== undefined && Object.keys(sub).length === 1 ? eqList(sub[vk]) : undefined;
      }
      if (!values) return undefined;
      const wanted = values;
      if (!candidates) candidates = () => store.groupIdsOf(wanted[0]!);
      tests.push((id) => {
        const members = store.groups.get(id)?.members;
        return !!members && wanted.every((m) => members.has(m));
      });
    } else return undefined;
  }
  return { candidates, test: (id) => tests.every((t) => t(id)) };
}

/** ids matching `filter`, in creation order: through the indexes when possible, else SCIMMY Filter matching */
function select(
  filter: Filter | undefined,
  all: () => readonly string[],
  branchPlan: (branch: FilterBranch) => Plan | undefined,
  raw: (id: string) => Json,
): readonly string[] {
  if (!filter || filter.length === 0) return all();
  const plans = (filter as unknown as FilterBranch[]).map(branchPlan);
  if (plans.every((p): p is Plan => p !== undefined)) {
    if (plans.length === 1 && plans[0]!.candidates) {
      const p = plans[0]!;
      return p.candidates!().filter(p.test);
    }
    if (plans.every((p) => p.candidates)) {
      // OR of indexed branches (`groups.value eq "G" and (id eq "a" or id eq "b" …)`): the union of their
      // candidates, in creation order, instead of testing every branch on every resource
      const hits = new Set<string>();
      for (const p of plans) for (const id of p.candidates!()) if (!hits.has(id) && p.test(id)) hits.add(id);
      return hits.size ? all().filter((id) => hits.has(id)) : [];
    }
    return all().filter((id) => plans.some((p) => p.test(id)));
  }
  // anything else: let SCIMMY's Filter decide, on the stored representation
  return all().filter((id) => filter.match([raw(id)]).length > 0);
}

// ---------------------------------------------------------------------------------------------------------
// representations

const etagOf = (rec: { version: number }): string => `W/"${rec.version}"`;

function meta(c: Ctx, rec: UserRec | GroupRec): Json {
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

function userRaw(c: Ctx, rec: UserRec): Json {
  return {
    ...rec.data,
    id: rec.id,
    userName: rec.userName,
    ...(rec.displayName !== undefined ? { displayName: rec.displayName } : {}),
    groups: groupsAttr(c, rec.id),
    meta: meta(c, rec),
  };
}

/** SCIMMY's coerced whole-resource form of a user without `groups`, as JSON text (half the memory of the
 * object), for one record version, base URL and ETag mode. */
interface UserOutCached { version: number; base: string; etag: boolean; json: string }
const userOutCache = new WeakMap<UserRec, UserOutCached>();

function userOut(c: Ctx, rec: UserRec, attributes: Filter | undefined): SCIMMY.Schemas.User {
  if (attributes && attributes.length > 0) return new SCIMMY.Schemas.User(userRaw(c, rec), 'out', `${c.base}/Users`, attributes);
  // whole resource: SCIMMY coerces a user once per version (a listing of 100,000 users spent most of its time
  // re-coercing unchanged records); `groups`, which changes without the user's version, is attached as is,
  // the way groupOut attaches members
  const etag = c.state.faults.has('etag');
  let hit = userOutCache.get(rec);
  if (!hit || hit.version !== rec.version || hit.base !== c.base || hit.etag !== etag) {
    const { groups: _groups, ...raw } = userRaw(c, rec);
    hit = { version: rec.version, base: c.base, etag, json: JSON.stringify(new SCIMMY.Schemas.User(raw, 'out', `${c.base}/Users`)) };
    userOutCache.set(rec, hit);
  }
  const plain = JSON.parse(hit.json) as Json;
  plain['groups'] = groupsAttr(c, rec.id);
  return plain as unknown as SCIMMY.Schemas.User;
}

function memberObj(c: Ctx, id: string): Json {
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

/** A Groups filter on members.type, which an 'untyped-members' provider cannot answer. */
function filtersOnMemberType(filter: Filter | undefined): boolean {
  return !!filter && (filter as unknown as FilterBranch[]).some((branch) => {
    const k = keyOf(branch, 'members');
    const sub = k !== undefined ? branch[k] : undefined;
    return !!sub && typeof sub === 'object' && !Array.isArray(sub) && keyOf(sub as FilterBranch, 'type') !== undefined;
  });
}

/** the members a group read shows: all of them, or the last CAPPED_GROUP_READ ('capped-group-read') */
function shownMembers(c: Ctx, rec: GroupRec): string[] {
  const all = [...rec.members];
  return c.state.faults.has('capped-group-read') ? all.slice(-CAPPED_GROUP_READ) : all;
}

function groupOut(c: Ctx, rec: GroupRec, attributes: Filter | undefined, forceNoMembers = false): Json {
  const raw: Json = { ...rec.data, id: rec.id, displayName: rec.displayName, meta: meta(c, rec) };
  const base = `${c.base}/Groups`;
  const wantMembers = !forceNoMembers && keeps(attributes, 'members') && rec.members.size > 0;
  if (!wantMembers) return new SCIMMY.Schemas.Group(raw, 'out', base, attributes) as unknown as Json;
  if (attributes && attributes.length > 0) {
    // attribute filter touching members (e.g. members.value): let SCIMMY coerce and filter all of it
    return new SCIMMY.Schemas.Group({ ...raw, members: shownMembers(c, rec).map((m) => memberObj(c, m)) }, 'out', base, attributes) as unknown as Json;
  }
  // whole resource: SCIMMY coerces the group, the (already canonical) member list is attached as is, so a
  // 50,000-member group is not re-validated member by member on every read
  const plain = JSON.parse(JSON.stringify(new SCIMMY.Schemas.Group(raw, 'out', base))) as Json;
  plain['members'] = shownMembers(c, rec).map((m) => memberObj(c, m));
  return plain;
}

function stripReadOnly(x: unknown, drop: string[]): Json {
  const plain = JSON.parse(JSON.stringify(x)) as Json;
  for (const k of Object.keys(plain)) if (drop.includes(k.toLowerCase())) delete plain[k];
  return plain;
}

// ---------------------------------------------------------------------------------------------------------
// preconditions and mode checks

function checkIfMatch(c: Ctx, rec: UserRec | GroupRec): void {
  if (!c.state.faults.has('etag')) return;
  // RFC 7644 §3.14 names one status for versioned writes: 412 Precondition Failed. This provider requires
  // If-Match on PUT/PATCH/DELETE, and answers a missing one with 412 too (detail says which case it is).
  if (c.ifMatch === undefined || c.ifMatch.trim() === '')
    throw scimErr(412, null, `If-Match header required: this resource is versioned (current ETag ${etagOf(rec)})`);
  const want = etagOf(rec);
  const strong = want.replace(/^W\//, '');
  const ok = c.ifMatch.split(',').map((s) => s.trim()).some((t) => t === '*' || t === want || t.replace(/^W\//, '') === strong);
  if (!ok) throw scimErr(412, null, `Precondition failed: If-Match ${c.ifMatch} does not match the current version ${want}`);
}

function checkPatchAllowed(c: Ctx): void {
  if (c.state.faults.has('no-patch')) throw scimErr(501, null, 'PATCH is not supported by this service provider');
}

function requireBody(instance: unknown, what: string): asserts instance is Json {
  if (instance === undefined) throw scimErr(400, 'invalidSyntax', `Missing request body payload for ${what} operation`);
  if (Object(instance) !== instance || Array.isArray(instance))
    throw scimErr(400, 'invalidSyntax', `Operation ${what} expected request body payload to be single complex value`);
}

function asScimError(ex: unknown): never {
  if (ex instanceof SCIMMY.Types.Error) throw ex;
  if (ex instanceof TypeError) throw scimErr(400, 'invalidValue', ex.message);
  throw ex;
}

// ---------------------------------------------------------------------------------------------------------
// paging

function page(c: Ctx, resource: SCIMMY.Types.Resource, ids: readonly string[], render: (id: string) => unknown): SCIMMY.Messages.ListResponse {
  const cons = { startIndex: c.startIndex ?? resource.constraints?.startIndex, count: c.count ?? resource.constraints?.count };
  // a filtered list is capped at filter.maxResults too (RFC 7643 §5: the most resources returned in a response)
  const filtered = !!resource.filter && resource.filter.length > 0;
  const max = filtered && c.state.filterMaxResults !== undefined ? Math.min(c.state.maxPageSize, c.state.filterMaxResults) : c.state.maxPageSize;
  const count = Math.max(0, Math.min(typeof cons.count === 'number' ? cons.count : Math.min(DEFAULT_PAGE, max), max));
  const cursorMode = c.state.faults.has('cursor');
  const offset = cursorMode ? c.cursorOffset : Math.max(1, typeof cons.startIndex === 'number' ? cons.startIndex : 1) - 1;
  const slice = ids.slice(offset, offset + count);
  const items = slice.map(render);
  // build with startIndex 1 so SCIMMY does not slice again (the page is already cut), then tell the truth
  const list = new SCIMMY.Messages.ListResponse(items as never[], { totalResults: ids.length, startIndex: 1, itemsPerPage: Math.max(count, 0) });
  const out = list as unknown as Json;
  out['itemsPerPage'] = items.length;
  if (c.state.faults.has('capped-group-read')) delete out['totalResults'];
  if (cursorMode) {
    delete out['startIndex'];
    if (offset + count < ids.length && count > 0) out['nextCursor'] = encodeCursor(c.state, offset + count);
  } else {
    out['startIndex'] = offset + 1;
  }
  return list;
}

export function encodeCursor(state: SandboxState, offset: number): string {
  return Buffer.from(`${state.cursorNonce}:${offset}`).toString('base64url');
}

function decodeCursor(state: SandboxState, cursor: string): number | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^([^:]+):(\d{1,9})$/.exec(text);
  if (!m || m[1] !== state.cursorNonce) return undefined;
  return Number(m[2]);
}

// ---------------------------------------------------------------------------------------------------------
// resource types

class SandboxUser extends SCIMMY.Resources.User {
  override async read(ctx?: unknown): Promise<SCIMMY.Messages.ListResponse | SCIMMY.Schemas.User> {
    const c = ctxOf(ctx);
    const store = c.state.store;
    try {
      if (this.id) {
        const rec = store.users.get(fold(c, this.id));
        if (!rec) throw scimErr(404, null, `Resource ${this.id} not found`);
        return userOut(c, rec, this.attributes);
      }
      const ids = select(this.filter, () => store.userIds(), (b) => userBranchPlan(store, b, (id) => fold(c, id)), (id) => userRaw(c, store.users.get(id)!));
      return page(c, this, ids, (id) => userOut(c, store.users.get(id)!, this.attributes));
    } catch (ex) {
      return asScimError(ex);
    }
  }

  override async write(instance: unknown, ctx?: unknown): Promise<SCIMMY.Schemas.User> {
    const c = ctxOf(ctx);
    const store = c.state.store;
    requireBody(instance, this.id ? 'PUT' : 'POST');
    try {
      const existing = this.id ? store.users.get(fold(c, this.id)) : undefined;
      if (this.id && !existing) throw scimErr(404, null, `Resource ${this.id} not found`);
      if (existing) checkIfMatch(c, existing);
      const data = stripReadOnly(new SCIMMY.Schemas.User(instance, 'in'), ['id', 'meta', 'schemas', 'groups']);
      return this.store(c, existing, data);
    } catch (ex) {
      return asScimError(ex);
    }
  }

  private store(c: Ctx, existing: UserRec | undefined, data: Json): SCIMMY.Schemas.User {
    const store = c.state.store;
    const userName = String(data['userName'] ?? '');
    const displayName = typeof data['displayName'] === 'string' ? data['displayName'] : undefined;
    delete data['userName'];
    delete data['displayName'];
    const owner = store.userByName.get(userName.toLowerCase());
    if (owner !== undefined && owner !== existing?.id)
      throw scimErr(409, 'uniqueness', `userName "${userName}" is already in use`);
    let rec: UserRec;
    if (existing) {
      rec = existing;
      store.renameUser(rec, userName);
      rec.displayName = displayName;
      rec.data = data;
      store.touch(rec);
    } else {
      rec = store.createUser(userName, displayName, data);
    }
    return userOut(c, rec, this.attributes);
  }

  override async patch(message: unknown, ctx?: unknown): Promise<SCIMMY.Schemas.User> {
    const c = ctxOf(ctx);
    const store = c.state.store;
    if (!this.id) throw scimErr(404, null, 'PATCH operation must target a specific resource');
    checkPatchAllowed(c);
    requireBody(message, 'PATCH');
    try {
      const rec = store.users.get(fold(c, this.id));
      if (!rec) throw scimErr(404, null, `Resource ${this.id} not found`);
      checkIfMatch(c, rec);
      const op = new SCIMMY.Messages.PatchOp(message as never);
      const patched = await op.apply(new SCIMMY.Schemas.User(userRaw(c, rec), 'out'));
      if (!patched) return userOut(c, rec, this.attributes);
      const data = stripReadOnly(new SCIMMY.Schemas.User(stripReadOnly(patched, ['id', 'meta', 'schemas', 'groups']), 'in'), ['id', 'meta', 'schemas', 'groups']);
      return this.store(c, rec, data);
    } catch (ex) {
      return asScimError(ex);
    }
  }

  override async dispose(ctx?: unknown): Promise<void> {
    const c = ctxOf(ctx);
    if (!this.id) throw scimErr(404, null, 'DELETE operation must target a specific resource');
    const rec = c.state.store.users.get(fold(c, this.id));
    if (!rec) throw scimErr(404, null, `Resource ${this.id} not found`);
    checkIfMatch(c, rec);
    c.state.store.deleteUser(rec.id);
  }
}

interface MemberPlan {
  refs: Set<string>;
  adds: number;
  removes: number;
}

/**
 * When every operation only adds members or removes members by `value eq` (or by value list), return the
 * member ids they name: the patch is then applied by SCIMMY to a group holding just those members, which
 * makes a PATCH O(change) however large the group. Operations on other attributes need no member at all.
 * Anything else (remove all members, replace members, member sub-attributes) returns undefined and the
 * patch is applied to the whole group.
 */
function memberPlan(ops: SCIMMY.Messages.PatchOp['Operations']): MemberPlan | undefined {
  const plan: MemberPlan = { refs: new Set(), adds: 0, removes: 0 };
  const values = (v: unknown): string[] | undefined => {
    const list = Array.isArray(v) ? v : [v];
    const out: string[] = [];
    for (const item of list) {
      if (!item || typeof item !== 'object') return undefined;
      const entry = item as Json;
      const k = Object.keys(entry).find((x) => x.toLowerCase() === 'value');
      if (k === undefined || typeof entry[k] !== 'string') return undefined;
      out.push(entry[k] as string);
    }
    return out;
  };
  const isMembers = (path: string): boolean => /^members(\b|$)/i.test(path) || /^urn:ietf:params:scim:schemas:core:2\.0:group:members/i.test(path);
  for (const operation of ops) {
    const op = String(operation.op).toLowerCase();
    const path = operation.path?.trim();
    if (path !== undefined && !isMembers(path)) continue; // another attribute: needs no member
    if (op === 'add') {
      let v: unknown = operation.value;
      if (path === undefined) {
        const obj = v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
        if (!obj) return undefined;
        const k = Object.keys(obj).find((x) => isMembers(x));
        if (k === undefined) continue;
        if (k.toLowerCase() !== 'members') return undefined;
        v = obj[k];
      } else if (path.toLowerCase() !== 'members') return undefined;
      const ids = values(v);
      if (!ids) return undefined;
      ids.forEach((id) => plan.refs.add(id));
      plan.adds += ids.length;
    } else if (op === 'remove') {
      if (path === undefined) return undefined;
      if (path.toLowerCase() === 'members') {
        if (operation.value === undefined) return undefined; // removes every member
        const ids = values(operation.value);
        if (!ids) return undefined;
        ids.forEach((id) => plan.refs.add(id));
        plan.removes += ids.length;
        continue;
      }
      const open = path.indexOf('[');
      if (open < 0 || path.slice(0, open).toLowerCase() !== 'members' || !path.endsWith(']')) return undefined;
      let filter: Filter;
      try {
        filter = new SCIMMY.Types.Filter(path.slice(open + 1, -1));
      } catch {
        return undefined; // SCIMMY will report the bad path itself
      }
      for (const branch of filter as unknown as FilterBranch[]) {
        const k = keyOf(branch, 'value');
        const v = k !== undefined && Object.keys(branch).length === 1 ? eqValueRaw(branch[k]) : undefined;
        if (v === undefined) return undefined;
        plan.refs.add(v);
        plan.removes += 1;
      }
    } else if (op === 'replace' && path === undefined) {
      const obj = operation.value && typeof operation.value === 'object' && !Array.isArray(operation.value) ? (operation.value as Json) : undefined;
      if (!obj || Object.keys(obj).some((x) => isMembers(x))) return undefined;
    } else return undefined; // replace of members: needs them all
  }
  return plan;
}

function checkEntraLimits(c: Ctx, plan: MemberPlan | undefined, opCount: number): void {
  if (!c.state.faults.has('entra') || !plan) return;
  if (plan.adds > 0 && plan.removes > 0)
    throw scimErr(400, 'invalidValue', 'Adding and removing members in the same request is not supported (at most 20 adds or 1 remove per request)');
  if (plan.adds > 20) throw scimErr(400, 'invalidValue', `Too many members to add in one request: ${plan.adds} (limit 20)`);
  if (plan.removes > 1) throw scimErr(400, 'invalidValue', `Too many members to remove in one request: ${plan.removes} (limit 1)`);
  void opCount;
}

function memberValues(x: unknown): string[] {
  if (!Array.isArray(x)) return [];
  return x.flatMap((m) => (m && typeof m === 'object' && typeof (m as Json)['value'] === 'string' ? [(m as Json)['value'] as string] : []));
}

/** make `rec` hold exactly `after` among `scope` (the members the write could see) */
function applyMembers(c: Ctx, rec: GroupRec, scope: Iterable<string>, after: Set<string>): boolean {
  const store = c.state.store;
  for (const id of after) {
    if (!rec.members.has(id) && !store.users.has(id) && !store.groups.has(id))
      throw scimErr(400, 'invalidValue', `member "${id}" does not exist`);
  }
  let changed = false;
  for (const id of scope) if (!after.has(id) && store.removeMember(rec, id)) changed = true;
  for (const id of after) if (store.addMember(rec, id)) changed = true;
  return changed;
}

interface QuirkOps {
  /** the operations left for SCIMMY to apply */
  ops: Json[];
  /** 'remove-by-index': member ids removed by index instead, in the order asked */
  byIndex: string[];
  /** member ids the message names anywhere */
  named: Set<string>;
  touchesMembers: boolean;
  /** a quirk took operations out (an empty list is then no change, not a malformed request) */
  dropped: boolean;
}

const isMembersPath = (path: unknown): boolean => typeof path === 'string' && /^(urn:ietf:params:scim:schemas:core:2\.0:group:)?members(\b|$)/i.test(path.trim());

/** The PATCH operations as a quirky provider understands them (see FAULT_MODE_INFO). */
function quirkOps(c: Ctx, message: Json): QuirkOps {
  const f = c.state.faults;
  const lower = f.has('case-insensitive-ids');
  const raw = Array.isArray(message['Operations']) ? (message['Operations'] as unknown[]) : [];
  const valuesOf = (v: unknown): string[] => (Array.isArray(v) ? v : [v]).flatMap((m) => (m && typeof m === 'object' && typeof (m as Json)['value'] === 'string' ? [(m as Json)['value'] as string] : []));
  const eqTarget = (path: string): string | undefined => /^members\[\s*value\s+eq\s+"([^"]*)"\s*\]$/i.exec(path.trim())?.[1];
  const named = new Set<string>();
  let touchesMembers = false;
  let ops: Json[] = raw.map((o) => {
    const op = { ...(o as Json) };
    if (lower && typeof op['path'] === 'string') op['path'] = (op['path'] as string).replace(/(value\s+eq\s+")([^"]*)(")/gi, (_m, a: string, v: string, b: string) => a + v.toLowerCase() + b);
    if (lower && Array.isArray(op['value'])) op['value'] = (op['value'] as unknown[]).map((m) => (m && typeof m === 'object' && typeof (m as Json)['value'] === 'string' ? { ...(m as Json), value: ((m as Json)['value'] as string).toLowerCase() } : m));
    const membersValue = op['path'] === undefined && op['value'] && typeof op['value'] === 'object' ? Object.entries(op['value'] as Json).find(([k]) => isMembersPath(k))?.[1] : undefined;
    if (isMembersPath(op['path']) || membersValue !== undefined) touchesMembers = true;
    for (const id of valuesOf(membersValue ?? op['value'])) named.add(id);
    const t = typeof op['path'] === 'string' ? eqTarget(op['path'] as string) : undefined;
    if (t !== undefined) named.add(t);
    return op;
  });
  const opName = (o: Json): string => String(o['op'] ?? '').toLowerCase();
  const path = (o: Json): string => (typeof o['path'] === 'string' ? (o['path'] as string).trim().toLowerCase() : '');
  if (f.has('patch-replace-only') && ops.some((o) => opName(o) !== 'replace'))
    throw scimErr(400, 'invalidSyntax', 'Only "replace" operations are supported by this service provider');
  if (f.has('replace-empty-refused') && ops.some((o) => opName(o) === 'replace' && (
    (path(o) === 'members' && Array.isArray(o['value']) && (o['value'] as unknown[]).length === 0)
    || (!path(o) && o['value'] && typeof o['value'] === 'object' && Array.isArray((o['value'] as Json)['members']) && ((o['value'] as Json)['members'] as unknown[]).length === 0))))
    throw scimErr(400, 'invalidValue', 'Attribute "members" cannot be replaced with an empty list');
  ops = ops.flatMap((o): Json[] => {
    const name = opName(o);
    if (f.has('filtered-remove-ignored') && name === 'remove' && /^members\[/.test(path(o))) return [];
    if (f.has('remove-wipes-all') && name === 'remove' && path(o) === 'members' && o['value'] !== undefined) return [{ op: 'remove', path: 'members' }];
    if (f.has('replace-keeps-stale') && name === 'replace') {
      if (path(o) === 'members') return [{ op: 'add', path: 'members', value: o['value'] }];
      if (!path(o) && o['value'] && typeof o['value'] === 'object') {
        const { members, ...rest } = o['value'] as Json;
        if (members !== undefined) return [{ op: 'add', path: 'members', value: members }, ...(Object.keys(rest).length ? [{ op: 'replace', value: rest }] : [])];
      }
    }
    return [o];
  });
  const byIndex: string[] = [];
  if (f.has('remove-by-index')) {
    const targets = ops.flatMap((o) => (opName(o) !== 'remove' ? [] : eqTarget(String(o['path'] ?? '')) !== undefined ? [eqTarget(String(o['path']))!] : path(o) === 'members' ? valuesOf(o['value']) : []));
    if (targets.length >= 2) {
      byIndex.push(...targets);
      ops = ops.filter((o) => !(opName(o) === 'remove' && isMembersPath(o['path'])));
    }
  }
  return { ops, byIndex, named, touchesMembers, dropped: ops.length < raw.length };
}

class SandboxGroup extends SCIMMY.Resources.Group {
  override async read(ctx?: unknown): Promise<SCIMMY.Messages.ListResponse | SCIMMY.Schemas.Group> {
    const c = ctxOf(ctx);
    const store = c.state.store;
    const noMembers = c.state.faults.has('entra') || c.state.faults.has('no-members-on-get');
    try {
      if (this.id) {
        const rec = store.groups.get(fold(c, this.id));
        if (!rec) throw scimErr(404, null, `Resource ${this.id} not found`);
        return groupOut(c, rec, this.attributes, noMembers) as never;
      }
      if (c.state.faults.has('untyped-members') && filtersOnMemberType(this.filter))
        throw scimErr(400, 'invalidFilter', 'Filtering on members.type is not supported');
      const raw = (id: string): Json => {
        const g = store.groups.get(id)!;
        return { ...g.data, id, displayName: g.displayName, members: [...g.members].map((m) => ({ value: m, type: store.groups.has(m) ? 'Group' : 'User' })) };
      };
      const ids = select(this.filter, () => store.groupIds(), (b) => groupBranchPlan(store, b, (id) => fold(c, id)), raw);
      return page(c, this, ids, (id) => groupOut(c, store.groups.get(id)!, this.attributes, noMembers));
    } catch (ex) {
      return asScimError(ex);
    }
  }

  override async write(instance: unknown, ctx?: unknown): Promise<SCIMMY.Schemas.Group> {
    const c = ctxOf(ctx);
    const store = c.state.store;
    requireBody(instance, this.id ? 'PUT' : 'POST');
    try {
      const existing = this.id ? store.groups.get(fold(c, this.id)) : undefined;
      if (this.id && !existing) throw scimErr(404, null, `Resource ${this.id} not found`);
      if (existing) checkIfMatch(c, existing);
      const data = stripReadOnly(new SCIMMY.Schemas.Group(instance, 'in'), ['id', 'meta', 'schemas']);
      const asked = memberValues(data['members']).map((id) => fold(c, id));
      const after = new Set(asked);
      // 'put-keeps-members': a PUT adds what it names and never removes anything
      const keepsAll = !!existing && c.state.faults.has('put-keeps-members');
      if (keepsAll) for (const id of existing.members) after.add(id);
      const displayName = String(data['displayName'] ?? '');
      delete data['members'];
      delete data['displayName'];
      const owner = store.groupByName.get(displayName.toLowerCase());
      if (owner !== undefined && owner !== existing?.id)
        throw scimErr(409, 'uniqueness', `displayName "${displayName}" is already in use`);
      let rec: GroupRec;
      if (existing) {
        rec = existing;
        applyMembers(c, rec, [...rec.members], after);
        store.renameGroup(rec, displayName);
        rec.data = data;
        store.touch(rec);
      } else {
        for (const id of after) if (!store.users.has(id) && !store.groups.has(id))
          throw scimErr(400, 'invalidValue', `member "${id}" does not exist`);
        rec = store.createGroup(displayName, after, data);
      }
      if (keepsAll) {
        // ...and answers with the list it was sent, not what it kept
        const out = groupOut(c, rec, undefined, true);
        out['members'] = asked.map((m) => memberObj(c, m));
        return out as never;
      }
      return groupOut(c, rec, this.attributes, c.state.faults.has('entra')) as never;
    } catch (ex) {
      return asScimError(ex);
    }
  }

  override async patch(message: unknown, ctx?: unknown): Promise<SCIMMY.Schemas.Group> {
    const c = ctxOf(ctx);
    const store = c.state.store;
    if (!this.id) throw scimErr(404, null, 'PATCH operation must target a specific resource');
    checkPatchAllowed(c);
    requireBody(message, 'PATCH');
    try {
      const rec = store.groups.get(fold(c, this.id));
      if (!rec) throw scimErr(404, null, `Resource ${this.id} not found`);
      checkIfMatch(c, rec);
      const f = c.state.faults;
      const quirks = quirkOps(c, message);
      const original = [...rec.members];
      // 'attributes-before-patch': the query's attributes/excludedAttributes shape the group the patch starts
      // from; without members, the patched list (the added ones) replaces them all
      const blind = f.has('attributes-before-patch') && !!this.attributes && this.attributes.length > 0 && !keeps(this.attributes, 'members');
      if (quirks.ops.length > 0 || !quirks.dropped) {
        const op = new SCIMMY.Messages.PatchOp({ ...message, Operations: quirks.ops } as never);
        const plan = blind ? undefined : memberPlan(op.Operations);
        checkEntraLimits(c, plan, op.Operations.length);
        // the members this patch can see: only those it names (fast path), or all of them
        const scope = blind ? original : plan ? [...plan.refs].filter((id) => rec.members.has(id)) : original;
        const source = new SCIMMY.Schemas.Group(
          { ...rec.data, id: rec.id, displayName: rec.displayName, members: (blind ? [] : scope).map((value) => ({ value })), meta: meta(c, rec) },
          'out',
        );
        const patched = await op.apply(source);
        if (patched) {
          const after = new Set(memberValues((patched as unknown as Json)['members']).map((id) => fold(c, id)));
          let changed = applyMembers(c, rec, scope, after);
          {
            const rest = stripReadOnly(patched, ['id', 'meta', 'schemas', 'members']);
            const displayName = String(rest['displayName'] ?? rec.displayName);
            delete rest['displayName'];
            const owner = store.groupByName.get(displayName.toLowerCase());
            if (owner !== undefined && owner !== rec.id)
              throw scimErr(409, 'uniqueness', `displayName "${displayName}" is already in use`);
            if (displayName !== rec.displayName || JSON.stringify(rest) !== JSON.stringify(rec.data)) changed = true;
            store.renameGroup(rec, displayName);
            rec.data = rest;
          }
          if (changed) store.touch(rec);
        }
      }
      // 'remove-by-index': the removes, resolved to indexes in the list as it was, applied front to back
      if (quirks.byIndex.length) {
        const working = [...original];
        for (const i of quirks.byIndex.map((id) => original.indexOf(id)).filter((i) => i >= 0)) if (i < working.length) working.splice(i, 1);
        const left = new Set(working);
        let changed = false;
        for (const id of original) if (!left.has(id) && store.removeMember(rec, id)) changed = true;
        if (changed) store.touch(rec);
      }
      // 'drops-members': two members the patch did not name go too, silently
      if (f.has('drops-members') && quirks.touchesMembers) {
        let dropped = 0;
        for (const id of [...rec.members]) {
          if (dropped >= 2) break;
          if (quirks.named.has(id) || !original.includes(id)) continue;
          store.removeMember(rec, id);
          dropped++;
        }
        if (dropped) store.touch(rec);
      }
      if (f.has('patch-returns-group')) return groupOut(c, rec, undefined) as never;
      return groupOut(c, rec, this.attributes, c.state.faults.has('entra')) as never;
    } catch (ex) {
      return asScimError(ex);
    }
  }

  override async dispose(ctx?: unknown): Promise<void> {
    const c = ctxOf(ctx);
    if (!this.id) throw scimErr(404, null, 'DELETE operation must target a specific resource');
    const rec = c.state.store.groups.get(fold(c, this.id));
    if (!rec) throw scimErr(404, null, `Resource ${this.id} not found`);
    checkIfMatch(c, rec);
    c.state.store.deleteGroup(rec.id);
  }
}

let declared = false;
function declareOnce(): void {
  // SCIMMY's resource registry is process-wide; every sandbox in the process shares these two classes and
  // passes its own state through the handler context, so several sandboxes can run side by side.
  if (declared) return;
  declared = true;
  SCIMMY.Resources.declare(SandboxUser, 'User');
  SCIMMY.Resources.declare(SandboxGroup, 'Group');
}

// ---------------------------------------------------------------------------------------------------------
// the express app

function serviceProviderConfig(state: SandboxState, base: string): Json {
  const auth = state.auth;
  const schemes = auth.type === 'bearer'
    ? [{ type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'Authentication scheme using the OAuth Bearer Token Standard', specUri: 'https://datatracker.ietf.org/doc/html/rfc6750' }]
    : auth.type === 'basic'
      ? [{ type: 'httpbasic', name: 'HTTP Basic', description: 'Authentication scheme using the HTTP Basic Standard', specUri: 'https://datatracker.ietf.org/doc/html/rfc2617' }]
      : [];
  const spc = new SCIMMY.Schemas.ServiceProviderConfig({
    patch: { supported: !state.faults.has('no-patch') },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: !state.faults.has('no-filter') && !state.faults.has('capped-group-read'), maxResults: state.filterMaxResults ?? state.maxPageSize },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: state.faults.has('etag') },
    authenticationSchemes: schemes,
  }, base);
  const out = JSON.parse(JSON.stringify(spc)) as Json;
  // RFC 9865 pagination block (SCIMMY's schema does not know it yet)
  out['pagination'] = state.faults.has('cursor')
    ? { cursor: true, index: false, defaultPaginationMethod: 'cursor', defaultPageSize: Math.min(DEFAULT_PAGE, state.maxPageSize), maxPageSize: state.maxPageSize, cursorTimeout: 3600 }
    : { cursor: false, index: true, defaultPaginationMethod: 'index', defaultPageSize: Math.min(DEFAULT_PAGE, state.maxPageSize), maxPageSize: state.maxPageSize };
  if (state.declareCaps === false) {
    // a provider that caps its pages without saying so
    delete (out['filter'] as Json)['maxResults'];
    delete (out['pagination'] as Json)['maxPageSize'];
  }
  return out;
}

function authProblem(state: SandboxState, header: string | undefined): string | undefined {
  const auth = state.auth;
  if (auth.type === 'none') return undefined;
  if (!header) return 'Authorization header required';
  if (auth.type === 'basic') {
    const m = /^basic\s+(.+)$/i.exec(header);
    if (!m) return 'Basic authorization required';
    const decoded = Buffer.from(m[1]!.trim(), 'base64').toString('utf8');
    return decoded === `${auth.username}:${auth.password}` ? undefined : 'Invalid username or password';
  }
  const m = /^bearer\s+(.+)$/i.exec(header);
  if (!m) return 'Bearer token required';
  return m[1]!.trim() === auth.token ? undefined : 'Invalid bearer token';
}

const ctxKey = Symbol('sandboxCtx');
type WithCtx = Request & { [ctxKey]?: Ctx };

/** Walk a response body: absolute meta.location, ETag and Location headers, Entra's lowercase `resources`. */
function finish(c: Ctx, req: Request, res: Response, body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  let out = body as Json;
  const origin = new URL(c.base).origin;
  const fixLocation = (r: unknown): void => {
    const m = r && typeof r === 'object' ? ((r as Json)['meta'] as Json | undefined) : undefined;
    if (m && typeof m['location'] === 'string' && m['location'].startsWith('/')) m['location'] = origin + m['location'];
  };
  const schemas = Array.isArray(out['schemas']) ? (out['schemas'] as unknown[]) : [];
  const needsCopy = (m: Json | undefined): boolean => !!m && typeof m['location'] === 'string' && (m['location'] as string).startsWith('/');
  if (schemas.includes(LIST_ID)) {
    const list = (out['Resources'] as unknown[] | undefined) ?? [];
    if (list.some((r) => needsCopy((r as Json)?.['meta'] as Json | undefined))) {
      out = JSON.parse(JSON.stringify(out)) as Json;
      ((out['Resources'] as unknown[]) ?? []).forEach(fixLocation);
    }
    if (c.state.faults.has('entra')) {
      const renamed: Json = {};
      for (const [k, v] of Object.entries(out)) renamed[k === 'Resources' ? 'resources' : k] = v;
      out = renamed;
    }
    return out;
  }
  if (schemas.includes(ERROR_ID)) return out;
  if (needsCopy(out['meta'] as Json | undefined)) {
    out = JSON.parse(JSON.stringify(out)) as Json;
    fixLocation(out);
  }
  const m = out['meta'] as Json | undefined;
  if (m && typeof m['version'] === 'string' && c.state.faults.has('etag')) res.setHeader('ETag', m['version']);
  if (m && typeof m['location'] === 'string' && req.method === 'POST' && res.statusCode === 201) res.setHeader('Location', m['location']);
  return out;
}

export function createBackendApp(state: SandboxState): express.Express {
  declareOnce();
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // 1. record what arrived (raw headers in order, raw body) and what was answered
  app.use((req: Request, res: Response, next: NextFunction) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', next);
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const rec: ReceivedRequest = {
        seq: ++state.backendSeq, method: req.method, url: req.originalUrl, rawHeaders: pairs(req.rawHeaders),
        body: raw.toString('utf8'), at: (state.now ?? Date.now)(), status: 0, answeredBy: 'backend',
      };
      state.backendReceived.push(rec);
      res.on('finish', () => { rec.status = res.statusCode; });
      // the stream is consumed, so SCIMMY's body parser will skip it: parse JSON here (same content types)
      const type = String(req.headers['content-type'] ?? '').toLowerCase();
      if (raw.length > 0 && /^application\/(scim\+)?json\b/.test(type)) {
        try {
          req.body = JSON.parse(raw.toString('utf8'));
        } catch (ex) {
          res.status(400).type('application/scim+json').send(JSON.stringify(scimError(400, `Request body is not valid JSON: ${(ex as Error).message}`, 'invalidSyntax')));
          return;
        }
      }
      next();
    });
  });

  const scim = express.Router();
  // 2. SCIM authentication (the gateway key is the gateway's business, not the backend's)
  scim.use((req: Request, res: Response, next: NextFunction) => {
    const problem = authProblem(state, req.headers.authorization);
    if (!problem) return next();
    if (state.auth.type === 'basic') res.setHeader('WWW-Authenticate', 'Basic realm="scim-sandbox"');
    if (state.auth.type === 'bearer') res.setHeader('WWW-Authenticate', 'Bearer realm="scim-sandbox"');
    res.status(401).type('application/scim+json').send(JSON.stringify(scimError(401, problem)));
  });

  // 3. request context for the resource classes, and response post-processing
  scim.use((req: Request, res: Response, next: NextFunction) => {
    const base = state.faults.has('backend-locations') ? state.backendUrl : state.gatewayUrl;
    const ifMatch = req.headers['if-match'];
    const int = (v: unknown): number | undefined => (typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : undefined);
    const c: Ctx = {
      state, method: req.method, ifMatch: Array.isArray(ifMatch) ? ifMatch.join(', ') : ifMatch, base, cursorOffset: 0,
      startIndex: int(req.query['startIndex']), count: int(req.query['count']),
    };
    (req as WithCtx)[ctxKey] = c;
    const json = res.json.bind(res);
    res.json = ((body: unknown) => json(finish(c, req, res, body))) as Response['json'];
    // RFC 9865 cursors are checked here because SCIMMY's error message has no `invalidCursor`
    if (req.method === 'GET' && state.faults.has('cursor') && /^\/(Users|Groups)\/?$/.test(req.path)) {
      const cursor = req.query['cursor'];
      if (typeof cursor === 'string' && cursor !== '') {
        const offset = decodeCursor(state, cursor);
        if (offset === undefined) {
          res.status(400).type('application/scim+json').send(JSON.stringify(scimError(400, `Cursor "${cursor}" is not valid`, 'invalidCursor')));
          return;
        }
        c.cursorOffset = offset;
      } else if (cursor !== undefined && typeof cursor !== 'string') {
        res.status(400).type('application/scim+json').send(JSON.stringify(scimError(400, 'Cursor must be a single value', 'invalidCursor')));
        return;
      }
    }
    next();
  });

  // 'no-discovery' / 'no-resource-types': discovery endpoints that are not there
  scim.use((req: Request, res: Response, next: NextFunction) => {
    const doc = /^\/(ServiceProviderConfig|ResourceTypes|Schemas)(\/|$)/i.exec(req.path)?.[1]?.toLowerCase();
    if (!doc || !(state.faults.has('no-discovery') || (state.faults.has('no-resource-types') && doc !== 'serviceproviderconfig'))) return next();
    res.status(404).type('application/scim+json').send(JSON.stringify(scimError(404, 'Endpoint Not Found')));
  });

  // 'no-filter' and 'capped-group-read': no filtered list or search, whatever the filter (see FaultMode);
  // 'filter-500': every filtered one crashes
  scim.use((req: Request, res: Response, next: NextFunction) => {
    const listing = (req.method === 'GET' && /^\/(Users|Groups)\/?$/i.test(req.path)) || (req.method === 'POST' && /\/\.search\/?$/i.test(req.path));
    const filter = req.method === 'POST' ? (req.body as Json | undefined)?.['filter'] : req.query['filter'];
    if (!listing || filter === undefined) return next();
    if (state.faults.has('filter-500')) {
      res.status(500).type('application/scim+json').send(JSON.stringify(scimError(500, 'Internal Server Error: filter evaluation failed')));
      return;
    }
    if (!state.faults.has('no-filter') && !state.faults.has('capped-group-read')) return next();
    res.status(400).type('application/scim+json').send(JSON.stringify(scimError(400, 'Filtering is not supported by this service provider', 'invalidFilter')));
  });

  scim.get('/ServiceProviderConfig', (req: Request, res: Response) => {
    const c = (req as WithCtx)[ctxKey]!;
    res.type('application/scim+json').json(serviceProviderConfig(state, `${c.base}`));
  });
  scim.all('/Bulk', (_req: Request, res: Response) => {
    res.status(501).type('application/scim+json').send(JSON.stringify(scimError(501, 'Bulk operations are not supported by this service provider')));
  });

  // 4. everything else: scimmy-routers
  scim.use(new SCIMMYRouters({
    type: state.auth.type === 'bearer' ? 'bearer' : 'basic',
    handler: () => '', // authentication already done above; '' makes /Me answer 501
    context: (req: Request) => (req as WithCtx)[ctxKey],
  }) as unknown as express.Router);

  app.use('/scim/v2', scim);
  app.use((_req: Request, res: Response) => {
    res.status(404).type('application/scim+json').send(JSON.stringify(scimError(404, 'Endpoint Not Found')));
  });
  // last resort: never answer HTML from the backend
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    if (res.headersSent) return;
    res.status(500).type('application/scim+json').send(JSON.stringify(scimError(500, err.message)));
  });
  return app;
}
