// Editing one resource: read it, compute the minimal PatchOp to the edited version (./patch-diff.ts), send it
// guarded, verify, and never overwrite a change someone else made meanwhile.
//
// - Guards before anything is sent: readOnly and immutable attributes refused (per /Schemas `mutability`, else
//   RFC 7643), each named.
// - If-Match with the version read when the provider gives ETags (ServiceProviderConfig etag.supported and an
//   ETag or meta.version on the resource); without ETags the resource is read again right before the write and
//   a different version (or different attributes) stops it. Either way: a conflict result carrying the version
//   read (base), the edited one (yours) and the server's now; nothing is overwritten.
// - Providers without PATCH (ServiceProviderConfig patch.supported false, profile `writes: put`, or a PATCH
//   refused with 501/405/the gateway's 404 in `writes: auto`): a PUT of the whole edited resource, readOnly
//   attributes left out, with the same guards. A Group's PUT carries its members as read (never the edited
//   list): member changes go through the membership safety path like every other one.
// - "A server's 2xx is a claim": the resource is read back; every changed attribute must read as edited, and
//   every attribute the edit did not touch as it was (readOnly ones, which the server owns, aside).
import { HttpStatusError, ScimxError, toScimxError } from '../errors';
import type { Call, CallContext, MembershipOptions, ScimClient } from '../scim/client';
import { readMembers, resourcePath, trimSlash } from '../scim/client';
import { eq, toFilterString } from '../scim/filter';
import { DOCUMENTED_READ_CAP } from '../scim/membership';
import type { Discovery, MembershipReport, ScimResource } from '../scim/types';
import { canonical, diffResource, equivalent, normalize, patchBody, refPath, refusalText, type AttrRef, type PatchOpBody, type ResourceDiff } from './patch-diff';
import { findAttr, findExtension, GROUP_SCHEMA, isUrnKey, resourceSchema, USER_SCHEMA, type AttrDef, type ResourceSchema } from './schema';

type Json = Record<string, unknown>;

export type ResourceKind = 'user' | 'group' | 'other';

/** A resource as read for editing: the base every later change is computed from. */
export interface EditBase {
  endpoint: string;
  id: string;
  kind: ResourceKind;
  /** The resource type's core schema URN. */
  schemaId: string;
  resource: ScimResource;
  /** ETag header or meta.version, when the server gave one. */
  etag?: string;
}

export interface EditPlan {
  base: EditBase;
  /** The edited version, as given. */
  yours: Json;
  diff: ResourceDiff;
  schema: ResourceSchema;
  /** `none`: nothing changes. With only members changing, `patch` and no body (the membership path sends). */
  method: 'patch' | 'put' | 'none';
  /** The body of the attribute write: the PatchOp, or the whole resource for a PUT. */
  body?: PatchOpBody | Json;
  /** Sent as If-Match: the provider gives ETags and the resource had one. */
  ifMatch?: string;
  /** Why this method, one line. */
  why: string;
}

export interface EditApplied {
  kind: 'applied';
  method: 'patch' | 'put';
  /** What the attribute write sent (absent when only members changed). */
  sent?: PatchOpBody | Json;
  /** The resource read back after the write. */
  after: ScimResource;
  /** Every changed attribute reads as edited, nothing else changed, and the membership change (if any) verified. */
  verified: boolean;
  /** Attributes the edit changed that do not read as edited afterwards. */
  notApplied: string[];
  /** Attributes the edit did not touch that changed (the server, or another writer). */
  alsoChanged: string[];
  membership?: MembershipReport;
  /** Sent without If-Match (no ETags): checked by reading right before, but a write in between cannot be ruled out. */
  unconditional: boolean;
  warnings: string[];
}

export interface EditConflict {
  kind: 'conflict';
  /** `412`: the server refused our If-Match; `changed`: the resource read right before the write is not the base. */
  reason: '412' | 'changed';
  message: string;
  base: ScimResource;
  yours: Json;
  server: ScimResource;
  exchangeId?: string;
}

export interface EditUnchanged {
  kind: 'unchanged';
}

export type EditOutcome = EditApplied | EditConflict | EditUnchanged;

function kindOf(schemaId: string): ResourceKind {
  return schemaId.toLowerCase() === USER_SCHEMA.toLowerCase() ? 'user' : schemaId.toLowerCase() === GROUP_SCHEMA.toLowerCase() ? 'group' : 'other';
}

function schemaIdOf(endpoint: string, d: Discovery | undefined, resource?: ScimResource): string {
  const e = trimSlash(endpoint).toLowerCase();
  const rt = d?.resourceTypes.find((t) => trimSlash(t.endpoint).toLowerCase() === e);
  if (rt?.schema) return rt.schema;
  if (e === 'users') return USER_SCHEMA;
  if (e === 'groups') return GROUP_SCHEMA;
  return resource?.schemas?.find((x) => !/:extension:/i.test(x)) ?? '';
}

/** Reads a resource for editing: a Group with its members (an edit may add or remove some). */
export function readForEdit(client: ScimClient, endpoint: string, id: string, ctx?: CallContext): Promise<EditBase> {
  return client.run(`Read ${trimSlash(endpoint)}/${id} for editing`, ctx, (call) => readForEditIn(client, call, endpoint, id));
}

export async function readForEditIn(client: ScimClient, call: Call, endpoint: string, id: string): Promise<EditBase> {
  const d = await client.discover({ operation: call.operation, signal: call.signal }).catch(() => undefined);
  let schemaId = schemaIdOf(endpoint, d);
  const { resource, etag } = await client.getIn(call, endpoint, id, { members: kindOf(schemaId) === 'group' });
  if (!schemaId) schemaId = schemaIdOf(endpoint, d, resource);
  return { endpoint: trimSlash(endpoint), id, kind: kindOf(schemaId), schemaId, resource, etag };
}

/** The resource for a PUT: the edited version less readOnly attributes (id kept), a Group's members as read. */
export function putBody(base: EditBase, yours: Json, schema: ResourceSchema): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(yours)) {
    if (k.toLowerCase() === 'members' && base.kind === 'group') continue;
    if (isUrnKey(k) && v && typeof v === 'object' && !Array.isArray(v)) {
      const ext = findExtension(schema, k);
      out[k] = withoutReadOnly(v as Json, ext?.attributes);
      continue;
    }
    const def = findAttr(schema.core.attributes, k);
    if (def?.mutability === 'readOnly' && k.toLowerCase() !== 'id') continue;
    out[k] = def?.subAttributes ? stripSubs(v, def.subAttributes) : v;
  }
  if (!out.schemas && base.resource.schemas) out.schemas = base.resource.schemas;
  if (base.kind === 'group') {
    const members = readMembers(base.resource).map((m) => ({ value: m.value, ...(m.$ref ? { $ref: m.$ref } : {}), ...(m.type ? { type: m.type } : {}) }));
    if (members.length) out.members = members;
  }
  return out;
}

function withoutReadOnly(o: Json, attrs: AttrDef[] | undefined): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(o)) {
    const def = findAttr(attrs, k);
    if (def?.mutability === 'readOnly') continue;
    out[k] = def?.subAttributes ? stripSubs(v, def.subAttributes) : v;
  }
  return out;
}

function stripSubs(v: unknown, subs: AttrDef[]): unknown {
  if (Array.isArray(v)) return v.map((x) => stripSubs(x, subs));
  if (v && typeof v === 'object') return withoutReadOnly(v as Json, subs);
  return v;
}

/**
 * The plan of an edit: the diff, the method, the body and If-Match. Throws a usage ScimxError naming every
 * readOnly or immutable attribute the edit changes: nothing may be sent then.
 */
export async function planEdit(client: ScimClient, base: EditBase, edited: Json, ctx?: CallContext, opts: { madeFrom?: ScimResource } = {}): Promise<EditPlan> {
  if (!edited || typeof edited !== 'object' || Array.isArray(edited)) throw new ScimxError('usage', 'The edited version must be a JSON object (the resource).');
  const d = await client.discover(ctx).catch(() => undefined);
  const schema = resourceSchema(base.schemaId, d);
  const yours = opts.madeFrom && opts.madeFrom !== base.resource ? rebase(edited, opts.madeFrom, base, schema) : edited;
  const diff = diffResource(base.resource, yours, schema, base.kind);
  if (diff.refused.length) {
    const one = diff.refused.length === 1;
    throw new ScimxError('usage', `Nothing sent: the edit changes ${refusalText(diff.refused)}, which ${one ? 'is' : 'are'} the server's to set (mutability per ${schema.source}); put ${one ? 'it' : 'them'} back as read.`);
  }
  const caps = d?.capabilities;
  const etag = caps?.etag && base.etag ? base.etag : undefined;
  if (!diff.operations.length && !diff.members) return { base, yours, diff, schema, method: 'none', why: 'nothing changed', ...(etag ? { ifMatch: etag } : {}) };
  const writes = client.profile.writes;
  const put = writes === 'put' || (writes === 'auto' && caps !== undefined && !caps.patch);
  const why = writes === 'put' ? 'the profile says writes: put' : put ? 'the service says patch.supported false (ServiceProviderConfig)' : 'PATCH';
  const method = put ? 'put' : 'patch';
  const body = !diff.operations.length ? undefined : put ? putBody(base, yours, schema) : patchBody(diff.operations);
  return { base, yours, diff, schema, method, why, ...(body ? { body } : {}), ...(etag ? { ifMatch: etag } : {}) };
}

/**
 * An edit made from an older version (`madeFrom`), sent against `base` (the server's now, after a conflict): the
 * attributes the server owns (readOnly, immutable) and a Group's members, left as they were in `madeFrom`, are
 * taken from `base`, so that the edit neither trips over the server's new `meta` nor undoes a member change it
 * did not make. Everything else the edit says stands (the compare showed it).
 */
export function rebase(edited: Json, madeFrom: Json, base: EditBase, schema: ResourceSchema): Json {
  const out: Json = { ...edited };
  const get = (o: Json, k: string): [string | undefined, unknown] => {
    const hit = Object.keys(o).find((x) => x.toLowerCase() === k.toLowerCase());
    return [hit, hit === undefined ? undefined : o[hit]];
  };
  for (const k of Object.keys(edited)) {
    const def = findAttr(schema.core.attributes, k);
    const owned = def?.mutability === 'readOnly' || def?.mutability === 'immutable' || (base.kind === 'group' && k.toLowerCase() === 'members');
    if (!owned || !equivalent(edited[k], get(madeFrom, k)[1])) continue;
    const [now, value] = get(base.resource, k);
    delete out[k];
    if (now !== undefined) out[now] = value;
  }
  return out;
}

/** A PATCH the service or gateway does not take (so `writes: auto` falls back to PUT). */
function patchRefused(err: ScimxError): boolean {
  return err instanceof HttpStatusError && (err.status === 501 || err.status === 405 || (err.status === 404 && err.code === 'gateway'));
}

function versionOf(r: ScimResource): string | undefined {
  return r.meta?.version ?? undefined;
}

/** What of a resource a conflict check compares: everything but meta, members and the server-owned groups. */
function comparable(r: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(r)) if (!['meta', 'members', 'groups'].includes(k.toLowerCase())) out[k] = v;
  return out;
}

export interface ApplyOptions {
  /** Options of the membership change, when members change. */
  membership?: MembershipOptions;
}

/** Sends a plan (see the file's head), verifies it, and says what happened. A conflict is a result, not an error. */
export function applyEdit(client: ScimClient, plan: EditPlan, opts: ApplyOptions = {}, ctx?: CallContext): Promise<EditOutcome> {
  const { base } = plan;
  return client.run(`Edit ${base.endpoint}/${base.id}`, ctx, (call) => applyEditIn(client, call, plan, opts), (o) => editSummary(o));
}

async function readNow(client: ScimClient, call: Call, base: EditBase, members: boolean): Promise<ScimResource> {
  const opts = base.kind === 'group' && !members ? { excludedAttributes: ['members'] } : { members };
  return (await client.getIn(call, base.endpoint, base.id, opts)).resource;
}

export async function applyEditIn(client: ScimClient, call: Call, plan: EditPlan, opts: ApplyOptions): Promise<EditOutcome> {
  const { base, diff } = plan;
  if (plan.method === 'none') return { kind: 'unchanged' };
  const warnings: string[] = [...diff.notes];
  const path = resourcePath(base.endpoint, base.id);
  const conflict = async (reason: EditConflict['reason'], message: string, exchangeId?: string): Promise<EditConflict> => ({
    kind: 'conflict', reason, message, base: base.resource, yours: plan.yours, server: await readNow(client, call, base, base.kind === 'group'), ...(exchangeId ? { exchangeId } : {}),
  });

  let method: 'patch' | 'put' = plan.method;
  let body = plan.body;
  // Without If-Match, the resource must still be the one read: read it right before the write.
  if (body && !plan.ifMatch) {
    const now = await readNow(client, call, base, false);
    const v0 = versionOf(base.resource);
    const v1 = versionOf(now);
    const l0 = base.resource.meta?.lastModified;
    const l1 = now.meta?.lastModified;
    const changed = v0 && v1 ? v0 !== v1 : l0 && l1 ? l0 !== l1 : !equivalent(comparable(base.resource), comparable(now));
    if (changed) {
      const what = v0 && v1 ? `version ${v0} → ${v1}` : l0 && l1 ? `lastModified ${l0} → ${l1}` : 'its attributes differ';
      return conflict('changed', `${base.endpoint}/${base.id} changed on the server since it was read (${what}); nothing was sent.`);
    }
  }
  if (body && method === 'put' && base.kind === 'group') await guardGroupPut(client, call, base, warnings);
  if (body) {
    const send = (m: 'patch' | 'put', b: PatchOpBody | Json) => client.request(call, {
      method: m === 'put' ? 'PUT' : 'PATCH', url: path, body: b, ...(plan.ifMatch ? { headers: { 'If-Match': plan.ifMatch } } : {}),
    });
    try {
      try {
        await send(method, body);
      } catch (e) {
        const err = toScimxError(e);
        if (method !== 'patch' || client.profile.writes !== 'auto' || !patchRefused(err)) throw err;
        warnings.push(`PATCH refused (${err instanceof HttpStatusError ? err.status : err.code}): sent as a PUT of the whole resource`);
        method = 'put';
        body = putBody(base, plan.yours, plan.schema);
        if (base.kind === 'group') await guardGroupPut(client, call, base, warnings);
        await send(method, body);
      }
    } catch (e) {
      const err = toScimxError(e);
      if (err instanceof HttpStatusError && err.status === 412) {
        return conflict('412', `${base.endpoint}/${base.id} changed on the server since it was read: it refused If-Match ${plan.ifMatch ?? '(none)'} with 412; nothing was overwritten.`, err.exchangeId);
      }
      throw err;
    }
  }
  // read back: a PUT of a Group carried its members, so they are read and checked too
  const putGroup = !!body && method === 'put' && base.kind === 'group';
  const after = body || !diff.members ? await readNow(client, call, base, putGroup) : undefined;
  const check = after ? verify(plan, after) : { notApplied: [], alsoChanged: [] };
  if (putGroup && after) {
    const kept = new Set(readMembers(after).map((m) => m.value.toLowerCase()));
    const lost = readMembers(base.resource).map((m) => m.value).filter((id) => !kept.has(id.toLowerCase()));
    if (lost.length) {
      throw new ScimxError('lost', `The server answered 2xx to a PUT of group ${base.id} that carried its members, and ${lost.length} member(s) are gone: ${lost.slice(0, 20).join(', ')}${lost.length > 20 ? ', …' : ''}`);
    }
  }
  let membership: MembershipReport | undefined;
  if (diff.members) {
    membership = await client.changeMembers(base.id, diff.members, { mode: client.profile.writes, ...opts.membership }, { operation: call.operation, signal: call.signal });
  }
  const final = diff.members ? await readNow(client, call, base, false) : after!;
  const unconditional = !!body && !plan.ifMatch;
  if (unconditional) warnings.push('sent without If-Match (the provider gives no ETags): the resource was read right before, but a write in between cannot be ruled out');
  const verified = !check.notApplied.length && !check.alsoChanged.length && (!membership || membership.verified);
  return { kind: 'applied', method, ...(body ? { sent: body } : {}), after: final, verified, notApplied: check.notApplied, alsoChanged: check.alsoChanged, ...(membership ? { membership } : {}), unconditional, warnings };
}

/**
 * A Group's PUT carries its member list as read; a read the provider capped would drop every member past the cap.
 * The same rule as the membership path's PUT (src/core/scim/membership/put.ts, guardAgainstTruncatedRead; the same documented caps): a PUT only
 * when an independent count agrees (the users filter's totalResults for the group), or the list is shorter than
 * a cap the provider documents (SAP: 20,000), or the profile says `groupReads: complete`. Else refused, nothing
 * written.
 */
async function guardGroupPut(client: ScimClient, call: Call, base: EditBase, warnings: string[]): Promise<void> {
  const members = readMembers(base.resource);
  const cap = DOCUMENTED_READ_CAP[client.profile.provider];
  const refuse = (why: string): never => {
    throw new ScimxError('unsupported', `Nothing sent: a PUT of group ${base.id} carries its ${members.length} members as read, and ${why}: a capped read would lose the members past it.`, {
      hint: 'Use writes: patch; or, if this provider\'s group reads are known to be complete, set groupReads: complete in the profile.',
    });
  };
  if (cap !== undefined && members.length >= cap) refuse(`that is the provider's read cap (${cap})`);
  if (cap !== undefined || client.profile.groupReads === 'complete') return;
  if (client.profile.provider === 'entra') refuse('Entra returns no members on a group read');
  let counted: number | undefined;
  try {
    const users = await client.usersEndpoint({ operation: call.operation, signal: call.signal });
    counted = (await client.listPageIn(call, users, { filter: toFilterString(eq('groups.value', base.id)), attributes: ['id'], count: 1, startIndex: 1 })).totalResults;
  } catch (e) {
    const err = toScimxError(e);
    if (err.code === 'cancelled' || !(err instanceof HttpStatusError)) throw err;
    refuse(`nothing independent confirms that is all of them (the users filter on groups.value failed: ${err.status})`);
  }
  const userMembers = members.filter((m) => !m.type || m.type.toLowerCase() === 'user').length;
  if (counted === undefined) refuse('nothing independent confirms that is all of them (the users filter gives no totalResults)');
  if ((counted as number) > userMembers) refuse(`the service counts ${counted} user members`);
  warnings.push(`the PUT carried the group's ${members.length} members as read (the service counts ${counted} user members: none left out)`);
}

// --------------------------------------------------------------------------------------------- verification

function getCI(o: unknown, key: string): unknown {
  if (!o || typeof o !== 'object' || Array.isArray(o)) return undefined;
  const hit = Object.entries(o as Json).find(([k]) => k.toLowerCase() === key.toLowerCase());
  return hit?.[1];
}

export function valueAt(resource: Json, r: AttrRef): unknown {
  const scope = r.urn ? getCI(resource, r.urn) : resource;
  const v = getCI(scope, r.attr);
  return r.sub === undefined ? v : getCI(v, r.sub);
}

function defOf(schema: ResourceSchema, r: AttrRef): AttrDef | undefined {
  const attrs = r.urn ? findExtension(schema, r.urn)?.attributes : schema.core.attributes;
  const def = findAttr(attrs, r.attr);
  return r.sub === undefined ? def : findAttr(def?.subAttributes, r.sub);
}

/** A value as compared after a write: sub-attributes the server owns (readOnly) or never returns (writeOnly) left out. */
function clientPart(v: unknown, def: AttrDef | undefined): unknown {
  if (!def?.subAttributes) return v;
  const strip = (x: unknown): unknown => {
    if (!x || typeof x !== 'object' || Array.isArray(x)) return x;
    const out: Json = {};
    for (const [k, y] of Object.entries(x as Json)) {
      const s = findAttr(def.subAttributes, k);
      if (s?.mutability !== 'readOnly' && s?.mutability !== 'writeOnly') out[k] = y;
    }
    return out;
  };
  return Array.isArray(v) ? v.map(strip) : strip(v);
}

/** The attributes (and sub-attributes of complex single-valued ones) of a resource, as AttrRefs. */
function unitsOf(resource: Json): AttrRef[] {
  const out: AttrRef[] = [];
  const add = (o: Json, urn?: string) => {
    for (const [k, v] of Object.entries(o)) {
      if (!urn && isUrnKey(k) && v && typeof v === 'object' && !Array.isArray(v)) { add(v as Json, k); continue; }
      if (v && typeof v === 'object' && !Array.isArray(v)) for (const sub of Object.keys(v)) out.push({ urn, attr: k, sub });
      else out.push({ urn, attr: k });
    }
  };
  add(resource);
  return out;
}

const key = (r: AttrRef) => `${(r.urn ?? '').toLowerCase()}|${r.attr.toLowerCase()}|${(r.sub ?? '').toLowerCase()}`;

/** What a write left: changed attributes that do not read as edited, untouched ones that changed. */
export function verify(plan: Pick<EditPlan, 'base' | 'yours' | 'diff' | 'schema'>, after: Json): { notApplied: string[]; alsoChanged: string[] } {
  const { base, yours, diff, schema } = plan;
  const notApplied: string[] = [];
  for (const r of diff.touched) {
    const def = defOf(schema, r);
    if (def?.mutability === 'writeOnly') continue; // never returned (a password)
    if (!equivalent(clientPart(valueAt(yours, r), def), clientPart(valueAt(after, r), def))) notApplied.push(refPath(r));
  }
  const touched = new Set(diff.touched.map(key));
  const wholeTouched = new Set(diff.touched.map((r) => key({ urn: r.urn, attr: r.attr })));
  const seen = new Set<string>();
  const alsoChanged: string[] = [];
  for (const r of [...unitsOf(base.resource), ...unitsOf(after)]) {
    const k = key(r);
    if (seen.has(k)) continue;
    seen.add(k);
    if (touched.has(k) || wholeTouched.has(key({ urn: r.urn, attr: r.attr }))) continue;
    if (!r.urn && ['schemas', 'id', 'meta', 'groups'].includes(r.attr.toLowerCase())) continue;
    if (!r.urn && base.kind === 'group' && r.attr.toLowerCase() === 'members') continue;
    const def = defOf(schema, r);
    const top = defOf(schema, { urn: r.urn, attr: r.attr });
    if (def?.mutability === 'readOnly' || def?.mutability === 'writeOnly' || top?.mutability === 'readOnly') continue;
    if (!equivalent(valueAt(base.resource, r), valueAt(after, r))) alsoChanged.push(refPath(r));
  }
  return { notApplied, alsoChanged };
}

// --------------------------------------------------------------------------------------------- words

/** One line: what an edit did. */
export function editSummary(o: EditOutcome): string {
  if (o.kind === 'unchanged') return 'nothing changed: nothing sent';
  if (o.kind === 'conflict') return `conflict: ${o.message}`;
  const ops = o.sent && 'Operations' in o.sent ? `${(o.sent as PatchOpBody).Operations.length} operation(s)` : o.sent ? 'the whole resource' : '';
  const m = o.membership ? `members +${o.membership.added.length} -${o.membership.removed.length}` : '';
  const what = [o.sent ? `${o.method.toUpperCase()} ${ops}` : '', m].filter(Boolean).join(', ');
  const verdict = o.verified ? 'verified' : `NOT verified${o.notApplied.length ? `: not in effect: ${o.notApplied.join(', ')}` : ''}${o.alsoChanged.length ? `${o.notApplied.length ? ';' : ':'} also changed: ${o.alsoChanged.join(', ')}` : ''}`;
  return `${what}, ${verdict}`;
}

/** What an edit will send, for a confirmation or `--dry-run`: the PatchOp (or PUT body) and the member changes. */
export function describePlan(plan: EditPlan): { method: string; body?: PatchOpBody | Json; members?: { add: string[]; remove: string[] }; notes: string[]; ifMatch?: string } {
  return {
    method: plan.method === 'none' ? 'none' : plan.body ? (plan.method === 'put' ? 'PUT' : 'PATCH') : 'members only',
    ...(plan.body ? { body: plan.body } : {}),
    ...(plan.diff.members ? { members: plan.diff.members } : {}),
    notes: plan.diff.notes,
    ...(plan.ifMatch ? { ifMatch: plan.ifMatch } : {}),
  };
}

/** What a plan sends, as text (a confirmation's detail, `--dry-run`'s output). */
export function formatPlan(target: string, d: ReturnType<typeof describePlan>, dryRun = false): string {
  if (d.method === 'none') return `${target}: nothing changed; nothing to send\n`;
  const lines = [`${dryRun ? 'would send' : 'sends'}: ${d.body ? `${d.method} ${target}${d.ifMatch ? ` (If-Match: ${d.ifMatch})` : ''}` : 'no attribute write'}`];
  if (d.body) lines.push(JSON.stringify(d.body, null, 2).split('\n').map((l) => `  ${l}`).join('\n'));
  if (d.members) {
    lines.push(`members, through the membership path (checked before and after, journaled): add ${d.members.add.length ? d.members.add.join(', ') : '-'}; remove ${d.members.remove.length ? d.members.remove.join(', ') : '-'}`);
  }
  for (const n of d.notes) lines.push(`note: ${n}`);
  if (dryRun) lines.push('dry run: nothing sent');
  return `${lines.join('\n')}\n`;
}

export { canonical, equivalent, normalize };
