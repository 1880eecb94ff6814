// Group membership changes that never lose a member.
//
// PATCH path: `add` on `members` with a value array, `remove` with `members[value eq "id"]` — never a
// bare `remove` of `members` nor a `replace` of `members`. Changes are split to the provider's limits.
// PUT path (no PATCH, or PATCH refused in `auto`): read-modify-write of the whole group that keeps every
// other member and attribute, with If-Match when the provider gives ETags; 412 → re-read, re-apply. Without
// ETags, meta.lastModified is re-read right before the PUT (a change since our read → re-read, re-apply), the
// verification compares the whole member list with what was written, and the report says that a change in the
// last moment before an unconditional PUT cannot be ruled out.
// PATCH parts (independent adds and removes) go out `profile.concurrency` at a time, except with If-Match
// (each write changes the version) and for Google (one member a request, kept sequential).
// Both paths check the state before (to report "already present") and verify after, with filtered reads
// that do not download the member list where the provider allows it.
// A write whose outcome is unknown (reset, timeout, 5xx, 429) is never re-sent blindly: the state is
// re-read first and only what is still missing is sent again. A 409 Conflict to a membership PATCH ("member
// already exists", or a concurrent modification, often with several parts in flight) is handled the same way.
import { HttpStatusError, isScimxError, ScimxError, toScimxError } from '../errors';
import { newEntryId, profileKey, type JournalEntry, type JournalKind } from '../journal';
import { announcedSleep, backoffMs, formatWait, parseRetryAfter, sleep } from '../http/retry';
import type { ProviderKind } from '../profile';
import { pageCount } from './client/paging';
import { and, eq, or, toFilterString } from './filter';
import { readMembers } from './parse';
import { resourcePath } from './paths';
import type { Call, ScimPort } from './port';
import { failedOnService, refusedByService } from './refusal';
import type { Member, MembershipChange, MembershipOptions, MembershipReport, ScimResource } from './types';
import { SCHEMA } from './types';

/** How a provider lets membership change in one PATCH request. */
export interface PatchLimits {
  /** Most member values added in one request. */
  adds: number;
  /** Most members removed in one request. */
  removes: number;
}

export function patchLimits(provider: ProviderKind, configured: number): PatchLimits {
  switch (provider) {
    case 'entra':
      return { adds: 20, removes: 1 }; // and adds and removes never mixed: we never mix them anywhere
    case 'aws':
      return { adds: 100, removes: 100 };
    case 'google':
      return { adds: 1, removes: 1 };
    default:
      return { adds: Math.max(1, configured), removes: Math.max(1, configured) };
  }
}

/** PatchOp bodies for a change, split to the limits. Adds and removes are never mixed in one body. */
export function patchBodies(change: MembershipChange, limits: PatchLimits): Array<{ ids: string[]; kind: 'add' | 'remove'; body: Record<string, unknown> }> {
  const out: Array<{ ids: string[]; kind: 'add' | 'remove'; body: Record<string, unknown> }> = [];
  for (const ids of chunks(change.add, limits.adds)) {
    out.push({ ids, kind: 'add', body: { schemas: [SCHEMA.patchOp], Operations: [{ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }] } });
  }
  for (const ids of chunks(change.remove, limits.removes)) {
    out.push({
      ids,
      kind: 'remove',
      body: { schemas: [SCHEMA.patchOp], Operations: ids.map((id) => ({ op: 'remove', path: `members[${toFilterString(eq('value', id))}]` })) },
    });
  }
  return out;
}

export function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Ids per membership-check request (keeps the URL well under 8 KB). */
const CHECK_CHUNK = 40;
/** Rounds of re-read and re-apply after an unknown outcome or a 412. */
const MAX_ROUNDS = 4;
/** Members the collateral check asks about at least, when the group has them. */
export const SAMPLE_MIN = 20;
/** Members the first read before a change asks for: a group with no more user members is read whole. */
export const FIRST_READ = 50;

/** The group before a change, as far as it was read: what the collateral check compares with. */
interface Snapshot {
  /** Every member (users and groups): the whole member list was read. */
  full?: Set<string>;
  /** Every user member: the users filter returned them all (checked: each listed the group). */
  users?: Set<string>;
  /** Members present before that the change does not name: each must still be there after. */
  sample: string[];
  /** User members before, as the service counted them. */
  userCount?: number;
  /** Why there is nothing to compare, when there is nothing. */
  why?: string;
  /** The group's own filter works here: the check after asks the changed ids and a sample with it (one request)
   * instead of reading the whole list again. */
  groupFilter?: boolean;
  /** The whole read missed a member (its user lists the group): the provider caps group reads. */
  capped?: boolean;
}

/** What a membership change works on: the client, its call, the group. */
interface Target {
  client: ScimPort;
  call: Call;
  groups: string;
  groupId: string;
}

export async function changeMembers(
  client: ScimPort,
  call: Call,
  groupId: string,
  change: MembershipChange,
  opts: MembershipOptions,
): Promise<MembershipReport> {
  const add = memberIds(change?.add, 'add');
  const remove = memberIds(change?.remove, 'remove');
  const removing = new Set(remove);
  const both = add.filter((id) => removing.has(id));
  if (both.length) throw new ScimxError('usage', `Cannot add and remove the same member: ${both.join(', ')}`);
  if (typeof groupId !== 'string' || !groupId) throw new ScimxError('usage', `A group id is needed${groupId === undefined || groupId === '' ? '' : `, got ${describeValue(groupId)}`}.`);

  const report: MembershipReport = {
    groupId, mode: 'patch', added: [], removed: [], alreadyPresent: [], alreadyAbsent: [], missing: [], lost: [],
    verified: false, collateral: { method: 'none', checked: 0 }, concurrentChange: false, requests: 0, bytesSent: 0, bytesReceived: 0, warnings: [],
  };
  const journal = new JournalRecord(client, call, groupId, { add, remove }, opts);
  const finish = (): MembershipReport => {
    report.requests = call.meter.requests;
    report.bytesSent = call.meter.bytesSent;
    report.bytesReceived = call.meter.bytesReceived;
    return report;
  };
  const total = add.length + remove.length;
  const progress = (done: number, message: string) => opts.onProgress?.({ done, total, message });

  const writesBefore = writesSent(call);
  let todo: MembershipChange = { add, remove };
  /** Ids of the group's members that are not users (nested groups), seen by the first check. */
  const nested = new Set<string>();
  const expect = (adds: string[], removes: string[]): string[] => [...adds, ...removes.filter((id) => nested.has(id))];
  let target: Target = { client, call, groups: 'Groups', groupId };
  try {
    const ctx = { operation: call.operation, signal: call.signal };
    const discovery = await client.discover(ctx).catch((e) => {
      if (toScimxError(e).code === 'cancelled') throw e;
      report.warnings.push(`discovery failed (${toScimxError(e).message}); assuming PATCH`);
      return undefined;
    });
    const caps = discovery?.capabilities;
    target = { client, call, groups: await client.groupsEndpoint(ctx), groupId };
    const mode = opts.mode ?? client.profile.writes;
    let path: 'patch' | 'put' = mode === 'put' ? 'put' : mode === 'patch' ? 'patch' : caps && !caps.patch ? 'put' : 'patch';
    if (mode === 'patch' && caps && !caps.patch) report.warnings.push('ServiceProviderConfig says PATCH is not supported; trying it as asked');

    progress(0, 'checking current membership');
    const { present: before, snap } = await readBefore(target, [...add, ...remove], remove, nested);
    journal.before(snap);
    report.alreadyPresent = add.filter((id) => before.has(id));
    report.alreadyAbsent = remove.filter((id) => !before.has(id));
    todo = { add: add.filter((id) => !before.has(id)), remove: remove.filter((id) => before.has(id)) };
    if (!todo.add.length && !todo.remove.length) {
      report.mode = path;
      report.verified = true;
      report.collateral = { method: 'none', checked: 0, why: 'nothing was written' };
      progress(total, 'nothing to change');
      return journal.done(finish());
    }

    let parallel = false;
    if (path === 'patch') {
      try {
        parallel = await patchPath(target, todo, !!caps?.etag, progress, nested, snap, report);
      } catch (e) {
        const err = toScimxError(e);
        if (mode === 'auto' && isPatchRefused(err)) {
          report.warnings.push(`PATCH refused (${err.message}); fell back to PUT read-modify-write`);
          path = 'put';
        } else {
          throw err;
        }
      }
    }
    report.mode = path;
    let afterSet: Set<string>;
    if (path === 'put') {
      report.putPath = true;
      afterSet = await putPath(target, todo, opts, report, progress, journal);
    } else {
      progress(total, 'verifying');
      let after = await checkAfter(target, todo, nested, snap, report);
      afterSet = after.present;
      // A provider that applies PATCH as its own read-modify-write can lose one of two PATCHes that ran at
      // once. The verification just read what is not in effect: send that again, one part at a time, once.
      const notInEffect: MembershipChange = { add: todo.add.filter((id) => !afterSet.has(id)), remove: todo.remove.filter((id) => afterSet.has(id)) };
      if (parallel && !after.lost.length && (notInEffect.add.length || notInEffect.remove.length)) {
        report.warnings.push(`${notInEffect.add.length + notInEffect.remove.length} change(s) not in effect after PATCH parts sent ${client.profile.concurrency} at a time: sent again one part at a time`);
        await patchPath(target, notInEffect, !!caps?.etag, progress, nested, snap, report, 1);
        progress(total, 'verifying');
        after = await checkAfter(target, todo, nested, snap, report);
        afterSet = after.present;
      }
      journal.after(after.state);
      if (after.lost.length) throw lossError(target, todo, after, report, 'PATCH');
    }
    report.added = todo.add.filter((id) => afterSet.has(id));
    report.removed = todo.remove.filter((id) => !afterSet.has(id));
    report.missing = [...todo.add.filter((id) => !afterSet.has(id)), ...todo.remove.filter((id) => afterSet.has(id))];
    report.verified = !report.missing.length && report.collateral.method !== 'none';
    if (report.missing.length) report.warnings.push(`${report.missing.length} change(s) not in effect after writing: ${report.missing.slice(0, 10).join(', ')}`);
    if (report.collateral.method === 'none' && report.collateral.why) report.warnings.push(`members the change did not name were not checked: ${report.collateral.why}`);
    return journal.done(finish());
  } catch (e) {
    const err = toScimxError(e);
    if (err.code === 'lost' && 'report' in err) {
      journal.done(finish(), err.message);
      throw err;
    }
    // A failure after writing may leave the change partly in effect: say exactly what is (or that it is unknown).
    const failure = await withGroupState(target, todo, err, writesSent(call) > writesBefore, report, finish, expect(todo.add, todo.remove));
    journal.done(report, failure.message);
    throw failure;
  }
}

// ------------------------------------------------------------------------------------------- before / after

/** Users filter for the group's members is worth using: the provider filters, and lists users by group. */
async function canFilterUsers(client: ScimPort, call: Call): Promise<boolean> {
  if (client.quirks.memberPaging === 'group-read' || client.profile.provider === 'entra') return false;
  if (await filtersSupported(client, call)) return true;
  client.quirks.memberPaging = 'group-read'; // the tree pages members from the group too
  return false;
}

/**
 * Which of the changed ids are members before the change, and a snapshot of the others to check afterwards,
 * in as few requests as the provider allows:
 *  - members known from an earlier read (the tree's pages, the last change) are asked in the same filtered
 *    request as the changed ids: one request;
 *  - else the first FIRST_READ user members (`groups.value eq "G"`, each checked to list the group): a group
 *    with no more is then known whole, and the changed ids need no other read; a bigger one gives the sample,
 *    and the changed ids not among them are asked in one more filtered request;
 *  - a provider that cannot list users by group: the group's member list, read whole.
 */
async function readBefore(t: Target, ids: string[], remove: string[], nested: Set<string>): Promise<{ present: Set<string>; snap: Snapshot }> {
  const { client, call, groups, groupId } = t;
  const named = new Set(ids);
  if (await canFilterUsers(client, call)) {
    const known = client.knownMembersOf(groupId).filter((id) => !named.has(id)).slice(0, SAMPLE_MIN);
    if (known.length >= SAMPLE_MIN) {
      const present = await presentAmong(client, call, groups, groupId, [...ids, ...known], [...remove, ...known], nested);
      const sample = known.filter((id) => present.has(id));
      if (sample.length >= SAMPLE_MIN || client.quirks.memberPaging === 'group-read') {
        return client.quirks.memberPaging === 'group-read'
          ? wholeGroupBefore(t, ids, remove) // the users filter turned out unusable: the sample came from nowhere we trust
          : { present: new Set(ids.filter((id) => present.has(id))), snap: { sample } };
      }
    }
    const first = await firstUserMembers(t);
    if (first) {
      client.rememberMembers(groupId, [...first.ids]);
      const sample = [...first.ids].filter((id) => !named.has(id));
      if (first.complete) {
        const present = new Set(ids.filter((id) => first.ids.has(id)));
        // ids to remove that are not users are looked for on the group itself (nested groups)
        const others = remove.filter((id) => !present.has(id));
        if (others.length) for (const id of await presentOnGroup(client, call, groups, groupId, others, others)) { present.add(id); nested.add(id); }
        return { present, snap: { users: first.ids, sample, userCount: first.total ?? first.ids.size } };
      }
      const unknown = ids.filter((id) => !first.ids.has(id));
      const present = new Set(ids.filter((id) => first.ids.has(id)));
      if (unknown.length) for (const id of await presentAmong(client, call, groups, groupId, unknown, remove.filter((id) => !first.ids.has(id)), nested)) present.add(id);
      if (client.quirks.memberPaging !== 'group-read') return { present, snap: { sample: sample.slice(0, Math.max(SAMPLE_MIN, FIRST_READ)), userCount: first.total } };
    }
  }
  // The users filter is not usable here: the group's own filter (`id eq "G" and members.value eq "a"`) tells which
  // changed ids are members, with members known from an earlier read in the same request; without enough of
  // those, the group's list is read once for the members to compare with. Entra returns no list: only members
  // known from an earlier read can be compared.
  const filters = await filtersSupported(client, call);
  if (!filters) client.quirks.memberPaging = 'group-read';
  const readWhole = wholeReads.get(t);
  if (readWhole) {
    // The group was read whole a moment ago (the users filter found nobody while the group has members): that
    // read answers the changed ids and is the snapshot; the check after reads it whole again.
    return wholeGroupBefore(t, ids, remove, undefined, readWhole);
  }
  const entra = client.profile.provider === 'entra';
  if (filters && !client.quirks.groupFilterRefused && (entra || !client.quirks.andTestsBroken)) {
    // Members known from an earlier read are asked with the changed ids in one group-filter request; without
    // enough of them the group's list is read once (it answers the changed ids too), except on Entra, which
    // returns none: there the changed ids are asked on the filter and only known members can be compared.
    const known = client.knownMembersOf(groupId).filter((id) => !named.has(id)).slice(0, SAMPLE_MIN);
    if (known.length >= SAMPLE_MIN || entra) {
      try {
        const present = await presentByGroupFilter(client, call, groups, groupId, [...ids, ...known], new Set([...remove, ...known]));
        const sample = known.filter((id) => present.has(id));
        const changed = new Set(ids.filter((id) => present.has(id)));
        for (const id of remove) if (changed.has(id)) nested.add(id);
        if (sample.length >= SAMPLE_MIN) return { present: changed, snap: { sample, groupFilter: true } };
        if (entra) {
          return { present: changed, snap: { sample, groupFilter: true, why: sample.length ? undefined : 'the provider returns no members with a group and cannot list users by group, and no member of this group was read before' } };
        }
      } catch (e) {
        if (!checkFallback(toScimxError(e))) throw e;
        if (!(e instanceof AndTestsBroken)) client.quirks.groupFilterRefused = true;
        if (entra && e instanceof AndTestsBroken) return readBefore(t, ids, remove, nested); // id by id now
      }
    }
  }
  return wholeGroupBefore(t, ids, remove, filters ? 'the provider refused or ignored the membership filters' : 'the provider supports no filter (ServiceProviderConfig)');
}

/** The group's whole member list before the change (providers that cannot list users by group). */
async function wholeGroupBefore(t: Target, ids: string[], remove: string[], why?: string, read?: Set<string>): Promise<{ present: Set<string>; snap: Snapshot }> {
  const all = read ?? (await wholeGroup(t, why));
  const named = new Set(ids);
  const present = new Set(ids.filter((id) => all.has(id)));
  const snap: Snapshot = { full: all, sample: [...all].filter((id) => !named.has(id)) };
  // A whole read proves presence, not absence: a provider may cap it without saying (the last 100 members, SAP
  // 20,000). An id to remove that the read lacks is asked of the user itself (its `groups`, RFC 7643 §4.1.2):
  // listed there, the read was capped, and the id is removed like any member.
  if (t.client.profile.groupReads !== 'complete') {
    for (const id of remove.filter((x) => !all.has(x)).slice(0, USER_CHECKS)) {
      if ((await userListsGroup(t, id)) === true) {
        present.add(id);
        snap.capped = true;
      }
    }
  }
  return { present, snap };
}

/** Whole group reads made by a change's first read, kept for the rest of that change. */
const wholeReads = new WeakMap<Target, Set<string>>();

/** Users asked one by one about their own groups, at most (the rest: the read is taken as it is). */
const USER_CHECKS = 5;

/** Whether the user's own `groups` lists the group: true or false when the service says, undefined when the id
 * is not a user or the service keeps no `groups` on users. */
async function userListsGroup(t: Target, userId: string): Promise<boolean | undefined> {
  const users = await t.client.usersEndpoint({ operation: t.call.operation, signal: t.call.signal });
  try {
    const { resource } = await t.client.getIn(t.call, users, userId, { attributes: ['groups'] });
    if (!Array.isArray(resource.groups)) return undefined;
    return listsGroup(resource, t.groupId, sameIdLoose);
  } catch (e) {
    const err = toScimxError(e);
    if (err instanceof HttpStatusError && err.code !== 'gateway' && err.status < 500) return undefined; // not a user (a nested group), or not allowed
    throw err;
  }
}

/** Members missing from a whole read after the write, checked on the users themselves before a loss is claimed:
 * a capped read shifts its window when members come and go. Undefined when a sampled one is still a member by
 * its own `groups` (the read cannot be trusted for absence); else the missing ones (confirmed, or unknowable). */
async function confirmMissing(t: Target, missing: string[]): Promise<string[] | undefined> {
  if (!missing.length || t.client.profile.groupReads === 'complete') return missing;
  for (const id of missing.slice(0, USER_CHECKS)) {
    if ((await userListsGroup(t, id)) === true) return undefined;
  }
  return missing;
}

function sameIdLoose(a: unknown, b: string): boolean {
  return typeof a === 'string' && (a === b || a.toLowerCase() === b.toLowerCase());
}

/** The group's member list, read whole. A provider that returns no members with a group (Entra) cannot be
 * checked this way: `why` says why it had to be. */
async function wholeGroup(t: Target, why?: string): Promise<Set<string>> {
  const { resource } = await t.client.getIn(t.call, t.groups, t.groupId, { attributes: ['members'] });
  if (resource.members === undefined && t.client.profile.provider === 'entra') {
    throw new ScimxError('unsupported', `Group ${t.groupId}: ${why ?? 'its members were read'} and, like Entra, the provider returns no members with the group, so its membership cannot be checked.`);
  }
  const ids = readMembers(resource).map((m) => m.value);
  t.client.rememberMembers(t.groupId, ids);
  return new Set(ids);
}

/**
 * The first FIRST_READ user members of the group by the users filter, with each user's `groups` to check the
 * filter was applied (a provider that ignores it would list every user). Undefined when the filter cannot be
 * trusted here: refused, failed (5xx: not retried, the fallback is remembered), ignored, or empty while the
 * group has members (a provider that does not keep `User.groups`).
 */
async function firstUserMembers(t: Target): Promise<{ ids: Set<string>; total?: number; complete: boolean } | undefined> {
  const { client, call, groupId } = t;
  const users = await client.usersEndpoint({ operation: call.operation, signal: call.signal });
  const count = Math.min(FIRST_READ, await checkBatch(client, call, FIRST_READ));
  let page: Awaited<ReturnType<ScimPort['listPageIn']>>;
  try {
    page = await client.listPageIn(call, users, { filter: toFilterString(eq('groups.value', groupId)), attributes: ['id', 'groups'], count, startIndex: 1 });
  } catch (e) {
    const err = toScimxError(e);
    if (!checkFallback(err)) throw err;
    client.quirks.memberPaging = 'group-read';
    // a filter that crashes the service (5xx): no other filter is tried on it either
    if (failedOnService(err)) client.quirks.groupFilterRefused = true;
    return undefined;
  }
  if (page.resources.some((r) => !listsGroup(r, groupId, sameId))) {
    // a user that does not list the group: the filter was ignored (or `groups` is not returned): not trusted
    client.quirks.memberPaging = 'group-read';
    return undefined;
  }
  if (!page.resources.length) {
    // nobody: an empty group, or a provider that does not keep User.groups. The group's own list tells (and
    // costs little when it is empty).
    const all = await wholeGroup(t);
    if (all.size) {
      client.quirks.memberPaging = 'group-read';
      wholeReads.set(t, all); // the read is the change's snapshot: not read twice
      return undefined;
    }
    return { ids: new Set(), total: 0, complete: true };
  }
  const ids = new Set(page.resources.map((r) => r.id));
  const total = page.totalResults;
  // Whole only when the service counted the members: a page cut by a cap nobody states looks like a short list.
  const complete = total !== undefined && ids.size >= total;
  // fewer than asked while more matched: a page cap the provider did not state; later checks ask no more
  if (!complete && ids.size < count) client.quirks.learnPageCap(ids.size);
  return { ids, total, complete };
}

/** Whether a user's own `groups` (RFC 7643 §4.1.2) names the group, ids compared by `same`. */
function listsGroup(user: ScimResource, groupId: string, same: (a: unknown, b: string) => boolean): boolean {
  return Array.isArray(user.groups) && user.groups.some((g) => !!g && typeof g === 'object' && same((g as { value?: unknown }).value, groupId));
}

function sameId(a: unknown, b: string): boolean {
  return typeof a === 'string' && a === b;
}

/** What the check after a write found. */
interface After {
  /** Which of the changed ids (and checked members) are members now. */
  present: Set<string>;
  /** Members the change did not name that are gone. */
  lost: string[];
  state: { members?: string[]; present?: string[]; count?: number };
}

/**
 * After writing: which changed ids are in effect, and whether the members the change did not name are still
 * there. The same kind of read as before: the whole list again where it was read whole (compared in full), the
 * group's user members again where they fit in one page, else the changed ids and the sample in one request.
 */
async function checkAfter(t: Target, todo: MembershipChange, nested: ReadonlySet<string>, snap: Snapshot, report: MembershipReport): Promise<After> {
  const { client, call, groups, groupId } = t;
  const changed = [...todo.add, ...todo.remove];
  const named = new Set(changed);
  if (snap.full) {
    const all = await wholeGroup(t);
    const present = new Set(all);
    // removed ids the read lacks: confirmed on the users where the read may be capped
    if (snap.capped) {
      for (const id of todo.remove.filter((x) => !all.has(x)).slice(0, USER_CHECKS)) if ((await userListsGroup(t, id)) === true) present.add(id);
    }
    const missing = [...snap.full].filter((id) => !named.has(id) && !all.has(id));
    const lost = await confirmMissing(t, missing);
    if (!lost) {
      report.collateral = { method: 'none', checked: 0, why: 'the group read is capped (members missing from it still list the group themselves), so it cannot show what a write removed' };
      return { present, lost: [], state: { members: [...all] } };
    }
    report.collateral = { method: 'full', checked: [...snap.full].filter((id) => !named.has(id)).length, before: snap.full.size };
    if (snap.capped) report.collateral = { method: 'sample', checked: report.collateral.checked, why: 'the group read is capped: only the members it returned were compared' };
    return { present, lost, state: { members: [...all] } };
  }
  if (snap.users && (await canFilterUsers(client, call))) {
    const first = await firstUserMembers(t);
    if (first?.complete) {
      const lost = [...snap.users].filter((id) => !named.has(id) && !first.ids.has(id));
      const present = new Set(changed.filter((id) => first.ids.has(id)));
      // changed ids that are not users (nested groups): on the group itself
      const others = changed.filter((id) => !first.ids.has(id) && (nested.has(id) || todo.add.includes(id)));
      if (others.length) for (const id of await presentOnGroup(client, call, groups, groupId, others, others.filter((id) => todo.add.includes(id)))) present.add(id);
      report.collateral = { method: 'full', checked: [...snap.users].filter((id) => !named.has(id)).length, before: snap.userCount ?? snap.users.size };
      return { present, lost, state: { members: [...first.ids], count: first.total } };
    }
    if (!first && client.quirks.memberPaging === 'group-read') {
      report.collateral = { method: 'none', checked: 0, why: 'the users filter the first read relied on turned out unusable, so there is nothing reliable to compare with' };
      return { present: await presentAmong(client, call, groups, groupId, changed, [...todo.add, ...todo.remove.filter((id) => nested.has(id))]), lost: [], state: {} };
    }
  }
  const sample = snap.sample.filter((id) => !named.has(id)).slice(0, Math.max(SAMPLE_MIN, CHECK_CHUNK - changed.length));
  const wasFiltering = client.quirks.memberPaging !== 'group-read';
  const present = await presentAmong(client, call, groups, groupId, [...changed, ...sample], [...todo.add, ...todo.remove.filter((id) => nested.has(id)), ...sample]);
  if (wasFiltering && client.quirks.memberPaging === 'group-read' && !snap.full) {
    report.collateral = { method: 'none', checked: 0, why: 'the users filter the sample came from turned out unusable' };
    return { present, lost: [], state: { present: [...present] } };
  }
  const lost = sample.filter((id) => !present.has(id));
  report.collateral = sample.length
    ? { method: 'sample', checked: sample.length, ...(snap.userCount !== undefined ? { before: snap.userCount } : {}) }
    : { method: 'none', checked: 0, why: snap.why ?? 'the group had no other member' };
  if (!sample.length && !snap.why) report.collateral = { method: 'full', checked: 0, before: 0 };
  client.rememberMembers(groupId, [...present].filter((id) => !todo.remove.includes(id)));
  return { present, lost, state: { present: [...present] } };
}

/** Members lost by a write: the error that stops the change, names every lost member known, and says plainly
 * what the server did. With a sample, the service's own count (when it gives one) says how many are gone in all. */
function lossError(t: Target, todo: MembershipChange, after: After, report: MembershipReport, how: 'PATCH' | 'PUT'): ScimxError {
  report.lost = after.lost;
  report.added = todo.add.filter((id) => after.present.has(id));
  report.removed = todo.remove.filter((id) => !after.present.has(id));
  report.missing = [...todo.add.filter((id) => !after.present.has(id)), ...todo.remove.filter((id) => after.present.has(id))];
  report.verified = false;
  const n = after.lost.length;
  const whole = report.collateral.method === 'full';
  const gone = whole ? `${n} other member${n === 1 ? ' is' : 's are'} gone` : `${n} of the ${report.collateral.checked} other members checked ${n === 1 ? 'is' : 'are'} gone (others not checked may be gone too)`;
  const names = `${after.lost.slice(0, 20).join(', ')}${n > 20 ? ` and ${n - 20} more` : ''}`;
  const message = `The server answered 2xx to a ${how} that added ${todo.add.length} and removed ${todo.remove.length} member(s) of group ${t.groupId}, and ${gone}: ${names}. `
    + 'Nothing more was sent; restore puts back exactly the lost members.';
  report.warnings.push(message);
  return Object.assign(new ScimxError('lost', message, { hint: 'Restore the lost members (scimx members restore, or "Restore" on the notification), then use another write mode (writes: patch or put) or report the server bug.' }), { report });
}

/** The journal entry of one change, filled as the change goes (before, after, outcome) and appended once at the
 * end, whatever the end. No journal kept (tests, a client without one): nothing written. */
class JournalRecord {
  private readonly entry: JournalEntry;
  private readonly since: number;
  constructor(private readonly client: ScimPort, private readonly call: Call, groupId: string, asked: MembershipChange, opts: MembershipOptions) {
    const kind: JournalKind = opts.journal?.kind ?? 'change';
    this.since = call.operation.exchanges.length;
    this.entry = {
      v: 1, id: newEntryId(), at: new Date().toISOString(), kind, ...(opts.journal?.of ? { of: opts.journal.of } : {}),
      ...profileKey(client.profile), groupId, asked: { add: [...asked.add], remove: [...asked.remove] }, mode: 'patch', outcome: 'failed',
      added: [], removed: [], alreadyPresent: [], alreadyAbsent: [], missing: [], lost: [], before: {}, after: {}, requests: [],
    };
  }

  before(snap: Snapshot): void {
    const b = this.entry.before;
    if (snap.full) b.members = [...snap.full];
    else if (snap.users) b.members = [...snap.users];
    if (snap.sample.length && !b.members) b.sample = [...snap.sample];
    if (snap.userCount !== undefined) b.count = snap.userCount;
  }

  after(state: { members?: string[]; present?: string[]; count?: number }): void {
    this.entry.after = { ...state };
  }

  /** Appends the entry; returns the report with the entry's id (failures to write the journal are warnings). */
  done(report: MembershipReport, failure?: string): MembershipReport {
    const journal = this.client.options.journal;
    if (!journal) return report;
    const e = this.entry;
    e.mode = report.mode;
    e.added = [...report.added];
    e.removed = [...report.removed];
    e.alreadyPresent = [...report.alreadyPresent];
    e.alreadyAbsent = [...report.alreadyAbsent];
    e.missing = [...report.missing];
    e.lost = [...report.lost];
    e.outcome = report.lost.length ? 'lost' : failure ? 'failed' : report.verified ? 'verified' : 'unverified';
    if (failure) e.message = failure;
    e.requests = this.call.operation.exchanges.slice(this.since).map((x) => ({ method: x.request.method, url: x.request.url, status: x.response?.status ?? null }));
    try {
      journal.append(e);
      report.journalId = e.id;
    } catch (err) {
      report.warnings.push(`the membership journal could not be written (${(err as Error).message}): restore and undo will not know this change`);
    }
    return report;
  }
}

/** The error of a failed change, carrying the state of the group: its message says which of the asked
 * changes are in effect (re-read after the failure), or that nothing was written, or which are unknown. */
export type MembershipFailure = ScimxError & { report: MembershipReport };

export function membershipFailureReport(e: unknown): MembershipReport | undefined {
  return isScimxError(e) && 'report' in e ? (e as MembershipFailure).report : undefined;
}

/** No projection on a write unless the profile opts in (`excludeMembersOnWrite`): a server may apply it to what
 * it stores (SCIMMY: the group keeps only what the projection left). With the opt-in, the answer to a PATCH on a
 * big group leaves its members out (the sandbox at 50,000 members: 2.7 KB instead of 8 MB). */
function writeProjection(client: ScimPort): { query?: Record<string, string> } {
  return client.profile.excludeMembersOnWrite ? { query: { excludedAttributes: 'members' } } : {};
}

/** Membership writes sent so far (PATCH and PUT: an OAuth token request is a POST, and writes nothing). */
function writesSent(call: Call): number {
  return call.operation.exchanges.filter((x) => x.request.method === 'PATCH' || x.request.method === 'PUT').length;
}

async function withGroupState(
  t: Target, todo: MembershipChange, err: ScimxError, wrote: boolean, report: MembershipReport, finish: () => MembershipReport, expected: string[],
): Promise<MembershipFailure> {
  const { client, call, groups, groupId } = t;
  const ids = [...todo.add, ...todo.remove];
  let state: string;
  if (!wrote) {
    report.missing = ids;
    state = `Nothing was written to group ${groupId}.`;
  } else if (err.code === 'cancelled' || call.signal?.aborted) {
    state = `Group ${groupId}: the state of ${ids.join(', ')} is unknown (cancelled after writing); re-read the group.`;
  } else {
    try {
      const now = await presentAmong(client, call, groups, groupId, ids, expected);
      report.added = todo.add.filter((id) => now.has(id));
      report.removed = todo.remove.filter((id) => !now.has(id));
      report.missing = [...todo.add.filter((id) => !now.has(id)), ...todo.remove.filter((id) => now.has(id))];
      const list = (label: string, xs: string[]) => (xs.length ? [`${label} ${xs.join(', ')}`] : []);
      state = `Group ${groupId} re-read after the failure: ${[
        ...list('added', report.added), ...list('removed', report.removed),
        ...list('NOT added', todo.add.filter((id) => !now.has(id))), ...list('NOT removed', todo.remove.filter((id) => now.has(id))),
      ].join('; ')}.`;
    } catch (e2) {
      state = `Group ${groupId}: the state of ${ids.join(', ')} is unknown (the re-read failed too: ${toScimxError(e2).message}); re-read the group.`;
    }
  }
  report.verified = false;
  report.warnings.push(state);
  finish();
  return Object.assign(err, { message: `${err.message} ${state}`, report });
}

function isPatchRefused(err: ScimxError): boolean {
  if (!(err instanceof HttpStatusError)) return false;
  if (err.status === 501 || err.status === 405) return true;
  // APIM answers 404 "Resource not found" for a method the API does not define.
  return err.code === 'gateway' && err.status === 404;
}

/** The ids of one side of a change, without duplicates, as given: SCIM ids are opaque, so nothing is trimmed
 * or otherwise changed. A value that is not a string, or an empty (or blank) id, is a usage error naming it. */
export function memberIds(ids: unknown, side: 'add' | 'remove'): string[] {
  if (ids === undefined || ids === null) return [];
  if (!Array.isArray(ids)) throw new ScimxError('usage', `The member ids to ${side} must be a list, got ${describeValue(ids)}.`);
  for (const [i, id] of ids.entries()) {
    if (typeof id !== 'string') throw new ScimxError('usage', `Member ids must be strings: id ${i + 1} to ${side} is ${describeValue(id)}.`);
    if (!id.trim()) throw new ScimxError('usage', `Member ids must not be empty: id ${i + 1} to ${side} is ${JSON.stringify(id)}.`);
  }
  return [...new Set(ids as string[])];
}

/** A value for a one-line message: its type, and the value itself when it is short and printable. */
function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
    case 'number':
    case 'bigint':
    case 'boolean':
      return `the ${typeof v} ${String(v)}`;
    case 'undefined':
      return 'undefined';
    case 'object':
      return 'an object';
    default:
      return `a ${typeof v}`;
  }
}

// ------------------------------------------------------------------------------------------- PATCH

async function patchPath(
  t: Target,
  todo: MembershipChange,
  etags: boolean,
  progress: (done: number, message: string) => void,
  nested: ReadonlySet<string>,
  snap: Snapshot,
  report: MembershipReport,
  limit = patchConcurrency(t.client.profile.provider, t.client.profile.concurrency, etags),
): Promise<boolean> {
  const { client, call, groups, groupId } = t;
  const limits = patchLimits(client.profile.provider, client.profile.maxOperationsPerPatch);
  const bodies = patchBodies(todo, limits);
  let done = 0;
  let version: string | undefined;
  /** After a 429 no part starts a request before the time the gateway asked for (the limit is shared). */
  const gate = { until: 0 };
  const sendPart = async ({ part, i }: { part: (typeof bodies)[number]; i: number }): Promise<void> => {
    progress(done, `PATCH ${i + 1} of ${bodies.length}: ${part.kind} ${part.ids.length}`);
    let ids = part.ids;
    for (let round = 1; ; round++) {
      await untilGate(gate, call.signal);
      if (etags && !version) version = (await client.getIn(call, groups, groupId, { excludedAttributes: ['members'] })).etag;
      const body = part.kind === 'add' ? patchBodies({ add: ids, remove: [] }, limits)[0]!.body : patchBodies({ add: [], remove: ids }, { adds: 1, removes: ids.length })[0]!.body;
      try {
        // No `attributes` / `excludedAttributes` on a write: some servers (SCIMMY) apply them to the resource
        // before patching it, and the group loses every member the projection left out.
        const res = await client.request(call, {
          method: 'PATCH',
          url: resourcePath(groups, groupId),
          ...writeProjection(client),
          headers: etags && version ? { 'If-Match': version } : undefined,
          body,
        });
        version = res.headers.etag ?? (res.json as ScimResource | undefined)?.meta?.version;
        break;
      } catch (e) {
        const err = toScimxError(e);
        if (err.code === 'cancelled' || isPatchRefused(err)) throw err;
        const status = err instanceof HttpStatusError ? err.status : undefined;
        if (status === 412 || status === 409) {
          // 412: someone else changed the group: read the new version, re-apply. 409: a member of this part
          // already exists, or the group was being changed at the same time: which of the part's ids are in
          // effect is re-read below, and only the others are sent again.
          version = undefined;
        } else if (!isUnknownOutcome(err)) {
          throw err;
        }
        if (round >= MAX_ROUNDS) throw new ScimxError(err.code, `${err.message} (gave up after ${round} attempts)`, { diagnosis: err.diagnosis, exchangeId: err.exchangeId });
        const ms = waitBeforeReapply(client, err, round);
        if (status === 429) gate.until = Math.max(gate.until, Date.now() + ms);
        // Re-read what is in effect, and send again only what is still missing (this part's ids only: the
        // other parts are independent requests with outcomes of their own). The read is told what to expect
        // (a 429 was not processed; a lost answer most likely was), which keeps group-filter checks to one
        // request a part when the expectation holds.
        const applied = status !== 429;
        const expected = (part.kind === 'add') === applied ? ids : part.kind === 'remove' ? ids.filter((id) => nested.has(id)) : [];
        const present = await presentAmong(client, call, groups, groupId, ids, expected);
        ids = part.kind === 'add' ? ids.filter((id) => !present.has(id)) : ids.filter((id) => present.has(id));
        if (!ids.length) break;
        await pause(client, call, err, ms);
      }
    }
    done += part.ids.length;
  };
  const parallel = limit > 1 && bodies.length > 1;
  const batch = parallel ? limit : 1;
  const parts = bodies.map((part, i) => ({ part, i }));
  // Parts go out in batches of `batch`; between batches the members the change does not name are checked (one
  // request), and a loss stops every part not yet started.
  for (let first = 0; first < parts.length; first += batch) {
    const slice = parts.slice(first, first + batch);
    await eachBounded(slice, batch, sendPart);
    if (first + batch < parts.length && (snap.sample.length || snap.full)) {
      progress(done, 'checking the other members');
      const sent = slice.flatMap(({ part }) => part.ids);
      const sentSet = new Set(sent);
      const partial: MembershipChange = { add: todo.add.filter((id) => sentSet.has(id)), remove: todo.remove.filter((id) => sentSet.has(id)) };
      const between = await collateralBetween(t, todo, snap);
      if (between.lost.length) throw lossError(t, partial, between, report, 'PATCH');
    }
  }
  progress(done, 'written');
  return parallel;
}

/** Between batches of PATCH parts: are the members the change does not name still there? One request where the
 * provider lists users by id, else the whole list (where it was read whole before). */
async function collateralBetween(t: Target, todo: MembershipChange, snap: Snapshot): Promise<After> {
  const named = new Set([...todo.add, ...todo.remove]);
  if (snap.full) {
    const all = await wholeGroup(t);
    const lost = (await confirmMissing(t, [...snap.full].filter((id) => !named.has(id) && !all.has(id)))) ?? [];
    return { present: all, lost, state: { members: [...all] } };
  }
  const sample = snap.sample.filter((id) => !named.has(id)).slice(0, CHECK_CHUNK);
  const present = await presentAmong(t.client, t.call, t.groups, t.groupId, sample, sample);
  return { present, lost: sample.filter((id) => !present.has(id)), state: { present: [...present] } };
}

/**
 * PATCH requests in flight at once for one change. Adds and removes of members are independent atomic
 * operations on disjoint ids, so they can go out together, at most `profile.concurrency` at a time. Kept
 * sequential with If-Match (each write changes the version the next one must name) and for Google (one
 * member a request against a write quota; no documented concurrency, so none assumed).
 */
export function patchConcurrency(provider: ProviderKind, concurrency: number, etags: boolean): number {
  if (etags || provider === 'google') return 1;
  return Math.max(1, Math.floor(concurrency) || 1);
}

async function untilGate(gate: { until: number }, signal?: AbortSignal): Promise<void> {
  const wait = gate.until - Date.now();
  if (wait > 0) await sleep(wait, signal);
}

/** The request may or may not have been applied: connection lost, timeout, 5xx, or a 429 (never applied,
 * but handled the same way, safely). */
function isUnknownOutcome(err: ScimxError): boolean {
  if (err.code === 'network' || err.code === 'timeout') return true;
  if (err instanceof HttpStatusError) return err.status === 429 || err.status >= 500;
  return false;
}

/** How long to wait before re-applying after `err`: the Retry-After it carried (delta-seconds or an HTTP date,
 * the pipeline's own parser), else the pipeline's backoff. A Retry-After beyond the pipeline's limit fails at
 * once, with the same message a GET gets: one Retry-After policy for every path. */
function waitBeforeReapply(client: ScimPort, err: ScimxError, round: number): number {
  const ex = err.exchangeId ? client.trace.findExchange(err.exchangeId) : undefined;
  const header = ex?.response?.headers.find(([k]) => k.toLowerCase() === 'retry-after')?.[1];
  const asked = parseRetryAfter(header);
  const limit = client.pipeline.maxRetryAfterMs;
  if (asked !== undefined && asked > limit) {
    const status = err instanceof HttpStatusError ? err.status : 'an error';
    throw new ScimxError(err.code, `${err.message}: the ${status} asked to wait ${formatWait(asked)} (Retry-After: ${header ?? ''}), longer than the ${formatWait(limit)} limit, so nothing more was sent; try again later.`, { diagnosis: err.diagnosis, exchangeId: err.exchangeId });
  }
  return asked ?? backoffMs(round);
}

async function pause(client: ScimPort, call: Call, err: ScimxError, ms: number): Promise<void> {
  // Cancellable by whoever shows the wait (a countdown's Cancel), like the pipeline's own waits.
  client.trace.updateOperation(call.operation, { progress: `waiting ${Math.ceil(ms / 1000)} s before re-applying` });
  await announcedSleep(client.options.onWait, { operation: call.operation, ms, reason: `re-applying after: ${err.message}`, signal: call.signal });
}

// ------------------------------------------------------------------------------------------- PUT

async function putPath(
  t: Target,
  todo: MembershipChange,
  opts: MembershipOptions,
  report: MembershipReport,
  progress: (done: number, message: string) => void,
  journal: JournalRecord,
): Promise<Set<string>> {
  const { client, call, groups, groupId } = t;
  const total = todo.add.length + todo.remove.length;
  let confirmed = false;
  /** Members seen by the read the confirmation was asked on, when the provider gives neither ETags nor
   * meta.lastModified: then only a fresh full read shows a change made while the user was deciding. */
  let confirmedOn: Set<string> | undefined;
  for (let round = 1; ; round++) {
    progress(0, round === 1 ? 'reading the group (PUT needs the whole member list)' : `re-reading the group (round ${round})`);
    const { resource: group, etag } = await client.getIn(call, groups, groupId, { members: true });
    const current = readMembers(group);
    /** Without ETags, what tells us the group changed since this read: its meta.lastModified. */
    const stamp = etag ? undefined : lastModifiedOf(group);
    if ((await guardAgainstTruncatedRead(t, current, report, etag ?? stamp)) === 'changed') {
      report.concurrentChange = true;
      report.warnings.push('the group changed while we read it (its member count and version moved right after our read): re-read');
      if (round >= MAX_ROUNDS) throw new ScimxError('conflict', `Group ${groupId} changed while we read it in ${round} rounds in a row; nothing was written in the last one. Try again when the other writer is done.`);
      continue;
    }
    const currentIds = new Set(current.map((m) => m.value));
    // Ids compare exactly (RFC 7643: case exact); a server that answers member values in another case (a
    // GUID column) is matched case-insensitively, with a warning, rather than seen as lacking every member.
    const cur = idMatcher(currentIds, todo, report);
    if (round === 1) journal.before({ full: currentIds, sample: [] });
    if (confirmedOn && (confirmedOn.size !== currentIds.size || [...confirmedOn].some((id) => !currentIds.has(id)))) {
      report.concurrentChange = true;
      report.warnings.push('the group changed while the PUT waited for confirmation (the provider gives no ETags): re-applied the change to the current members');
    }
    confirmedOn = undefined;
    const remaining: MembershipChange = { add: todo.add.filter((id) => !cur.has(id)), remove: todo.remove.filter((id) => cur.has(id)) };
    if (!remaining.add.length && !remaining.remove.length) {
      // in effect already (a previous round landed): nothing written now, the list just read is the check
      report.collateral = { method: 'full', checked: currentIds.size, before: currentIds.size };
      return cur.inOurTerms([...todo.add, ...todo.remove]);
    }
    if (!confirmed && opts.confirmPut) {
      const ok = await opts.confirmPut({ groupId, add: remaining.add, remove: remaining.remove, memberCount: current.length });
      if (!ok) throw new ScimxError('cancelled', 'Cancelled before the PUT; nothing was written.');
      confirmed = true;
      // Without ETags nothing would catch a change made while the user was deciding. With meta.lastModified
      // the check right before the PUT does; without it, read the whole group again and compare.
      if (!etag && !stamp) {
        confirmedOn = currentIds;
        continue;
      }
    }
    const removeSet = new Set(remaining.remove.map((id) => cur.formOf(id)));
    const addSet = new Set(remaining.add);
    const members: Member[] = [
      ...current.filter((m) => !removeSet.has(m.value)).map(writableMember),
      ...remaining.add.map((value) => ({ value })),
    ];
    const { meta: _meta, ...rest } = group;
    const body = { ...rest, members };
    if (!etag) {
      if (stamp) {
        // The PUT will replace the whole list unconditionally: re-read the group without its members (a few
        // hundred bytes) and compare meta.lastModified with the read the PUT was computed from.
        progress(0, 'checking that the group did not change since it was read');
        const { resource: now, etag: nowEtag } = await client.getIn(call, groups, groupId, { excludedAttributes: ['members'] });
        const nowStamp = lastModifiedOf(now);
        if (nowStamp !== stamp || nowEtag) {
          report.concurrentChange = true;
          report.warnings.push(`the group changed while we edited it (meta.lastModified ${stamp} → ${nowStamp ?? 'none'} between our read and the PUT; the provider gives no ETags): re-read and re-applied the change to the current members`);
          if (round >= MAX_ROUNDS) throw new ScimxError('conflict', `Group ${groupId} changed between our read and our PUT in ${round} rounds in a row; stopped without writing in the last one. Try again when the other writer is done.`);
          continue;
        }
      }
      if (!report.unconditionalWrite) {
        report.unconditionalWrite = true;
        report.warnings.push(stamp
          ? 'the provider gives no ETags, so the PUT was unconditional: meta.lastModified was unchanged right before it, but a change by another writer landing between that check and the PUT (or within the same lastModified tick) cannot be ruled out and would have been overwritten'
          : 'the provider gives no ETags and no meta.lastModified: a change by another writer between our read and our PUT cannot be ruled out (the PUT would have overwritten it); check the group');
      }
    }
    progress(0, `PUT of ${members.length} members`);
    /** The group's version as the PUT's answer gave it (ETag, meta.version, else meta.lastModified). */
    let putVersion: string | undefined;
    try {
      // Like a typical connector, write back to the group's meta.location: the pipeline's location
      // policy keeps the gateway key and credentials on it (or refuses), whatever host it names. No
      // `attributes` / `excludedAttributes` on a write (some servers apply them to what they store).
      const location = group.meta?.location;
      const put = await client.request(call, {
        method: 'PUT',
        url: location ?? resourcePath(groups, groupId),
        fromServer: !!location,
        ...writeProjection(client),
        headers: etag ? { 'If-Match': etag } : undefined,
        body,
      });
      const answered = put.json && typeof put.json === 'object' ? (put.json as ScimResource) : undefined;
      putVersion = put.headers.etag ?? answered?.meta?.version ?? (answered ? lastModifiedOf(answered) : undefined);
    } catch (e) {
      const err = toScimxError(e);
      if (err.code === 'cancelled') throw err;
      const status = err instanceof HttpStatusError ? err.status : undefined;
      if (status === 412) {
        report.concurrentChange = true;
        report.warnings.push('the group changed while we edited it (412): re-read and re-applied');
      } else if (!isUnknownOutcome(err)) {
        throw err;
      }
      if (round >= MAX_ROUNDS) throw new ScimxError(err.code, `${err.message} (gave up after ${round} PUT attempts)`, { diagnosis: err.diagnosis, exchangeId: err.exchangeId });
      if (status !== 412) await pause(client, call, err, waitBeforeReapply(client, err, round));
      continue;
    }
    progress(total, 'verifying');
    // Verify with a full read: the PUT path moved the whole list anyway, so every member is compared.
    const { resource: after, etag: afterEtag } = await client.getIn(call, groups, groupId, { members: true });
    const afterIds = new Set(readMembers(after).map((m) => m.value));
    // The version moved since the PUT's own answer: another writer changed the group after our write, and a
    // difference is theirs (kept, reported), not the server's doing.
    const afterVersion = afterEtag ?? lastModifiedOf(after);
    const changedSince = putVersion !== undefined && afterVersion !== undefined && afterVersion !== putVersion;
    journal.after({ members: [...afterIds] });
    const aft = idMatcher(afterIds, todo, report);
    const expected = idMatcher(new Set(members.map((m) => m.value)), todo, report);
    const extra = [...afterIds].filter((id) => !expected.has(id));
    const gone = [...expected.ids].filter((id) => !aft.has(id));
    const undone = [...remaining.add.filter((id) => !aft.has(id)), ...remaining.remove.filter((id) => aft.has(id))];
    report.collateral = { method: 'full', checked: [...currentIds].filter((id) => !removeSet.has(id)).length, before: currentIds.size };
    // Members this change did not name that were there before the PUT and are gone after it: lost, whoever
    // removed them (the server dropped them, or, without ETags, another writer in the same moment).
    const lost = changedSince ? [] : gone.filter((id) => !addSet.has(id));
    if (lost.length) {
      const err = lossError(t, remaining, { present: afterIds, lost, state: { members: [...afterIds] } }, report, 'PUT');
      if (!etag) report.warnings.push('the provider gives no ETags: another writer removing these members at the same moment cannot be ruled out; either way they are gone');
      throw err;
    }
    // The server answered 2xx and kept what we removed (or did not add what we added), nothing else changed:
    // it ignores that part of a PUT. Re-sending would get the same answer: say so instead.
    const keptRemoved = remaining.remove.filter((id) => aft.has(id));
    const notAdded = remaining.add.filter((id) => !aft.has(id));
    const othersChanged = extra.some((id) => !removeSet.has(id)) || (changedSince && gone.some((id) => !addSet.has(id)));
    if (undone.length && !othersChanged) {
      if (keptRemoved.length) report.warnings.push(`the server accepted the PUT but kept ${keptRemoved.length === 1 ? 'the member' : `${keptRemoved.length} members`} ${keptRemoved.slice(0, 10).join(', ')}: it may not support removing members this way; try writes: patch`);
      if (notAdded.length) report.warnings.push(`the server accepted the PUT but did not add ${notAdded.slice(0, 10).join(', ')}: it may not support adding members this way; try writes: patch`);
      return aft.inOurTerms([...todo.add, ...todo.remove]);
    }
    if (othersChanged) {
      report.concurrentChange = true;
      const theirs = [
        ...idList('added', extra.filter((id) => !removeSet.has(id))),
        ...idList('removed', gone.filter((id) => !addSet.has(id))),
      ];
      const ours = !undone.length
        ? 'our change is in effect'
        : `our change to ${undone.slice(0, 10).join(', ')}${undone.length > 10 ? ` and ${undone.length - 10} more` : ''} was undone${round < MAX_ROUNDS ? ', re-applying it' : ''}`;
      report.warnings.push(`the group changed around our PUT: after our write someone else ${theirs.join('; ') || 'changed it'}; ${ours}`);
    }
    if (undone.length && round < MAX_ROUNDS) continue;
    return aft.inOurTerms([...todo.add, ...todo.remove]);
  }
}

/** Member ids as a server wrote them, matched with ours: exactly, else case-insensitively (a server that answers
 * member values in another case), which is noted once in the report. */
function idMatcher(ids: Set<string>, todo: MembershipChange, report: MembershipReport): {
  ids: Set<string>; has(id: string): boolean; formOf(id: string): string; inOurTerms(ours: string[]): Set<string>;
} {
  let lower: Map<string, string> | undefined;
  const loose = (id: string): string | undefined => {
    lower ??= new Map([...ids].map((x) => [x.toLowerCase(), x]));
    return lower.get(id.toLowerCase());
  };
  const formOf = (id: string): string => {
    if (ids.has(id)) return id;
    const other = loose(id);
    if (other === undefined) return id;
    const note = 'the server answers member ids in another letter case than the ids it was given: matched case-insensitively';
    if (!report.warnings.includes(note) && [...todo.add, ...todo.remove].includes(id)) report.warnings.push(note);
    return other;
  };
  return {
    ids,
    has: (id) => ids.has(formOf(id)),
    formOf,
    // the changed ids in our own spelling, with every member as the server wrote it
    inOurTerms: (ours) => new Set([...ids, ...ours.filter((id) => ids.has(formOf(id)))]),
  };
}

/** `added 3 member(s): a, b, c` (first 10 named), or nothing for an empty list. */
function idList(verb: string, ids: string[]): string[] {
  if (!ids.length) return [];
  return [`${verb} ${ids.length} member(s): ${ids.slice(0, 10).join(', ')}${ids.length > 10 ? ` and ${ids.length - 10} more` : ''}`];
}

function lastModifiedOf(r: ScimResource): string | undefined {
  const v = r.meta?.lastModified;
  return typeof v === 'string' && v ? v : undefined;
}

/** Read-only sub-attributes (`display`, `$ref`) are left out of what we write back. */
function writableMember(m: Member): Member {
  const out: Member = { value: m.value };
  if (m.type) out.type = m.type;
  return out;
}

/** Members a group read returns at most, where the provider documents it. */
const DOCUMENTED_READ_CAP: Partial<Record<ProviderKind, number>> = { sap: 20_000 };

/**
 * A PUT built from a capped read removes every member past the cap. Identical re-reads prove nothing (a capped
 * server returns the same 100 every time), so a PUT goes out only when an independent count agrees with the
 * list read — the users filter's totalResults for the group — or the list is shorter than a cap the provider
 * documents, or the profile says its group reads are complete (`groupReads: complete`). Otherwise refused,
 * saying what could be lost.
 */
async function guardAgainstTruncatedRead(t: Target, current: Member[], report: MembershipReport, version: string | undefined): Promise<'ok' | 'changed'> {
  const { client, call, groups, groupId } = t;
  const cap = DOCUMENTED_READ_CAP[client.profile.provider];
  if (cap !== undefined && current.length >= cap) {
    throw new ScimxError('unsupported', `Group ${groupId} returned ${current.length} members, the provider's read cap: a PUT could drop members past it. Nothing was written; use writes: patch.`);
  }
  const noCount = (why: string): 'ok' => {
    if (cap !== undefined) return 'ok'; // shorter than the documented cap: the read is whole
    if (client.profile.groupReads === 'complete') {
      report.warnings.push(`no independent member count (${why}); the PUT relied on the profile's groupReads: complete`);
      return 'ok';
    }
    throw new ScimxError('unsupported', `Group ${groupId}: the read returned ${current.length} members and nothing independent confirms that is all of them (${why}); a PUT built from a capped read would drop every member it did not return. Nothing was written.`, {
      hint: 'Use writes: patch; or, if this provider\'s group reads are known to be complete, set groupReads: complete in the profile.',
    });
  };
  if (!(await canFilterUsers(client, call))) return noCount(client.profile.provider === 'entra' ? 'the provider cannot list users by group' : 'the provider does not filter users by group');
  let page: Awaited<ReturnType<ScimPort['listPageIn']>>;
  try {
    const users = await client.usersEndpoint({ operation: call.operation, signal: call.signal });
    page = await client.listPageIn(call, users, { filter: toFilterString(eq('groups.value', groupId)), attributes: ['id'], count: 1, startIndex: 1 });
  } catch (e) {
    const err = toScimxError(e);
    if (err.code === 'cancelled' || !checkFallback(err)) throw err;
    client.quirks.memberPaging = 'group-read';
    return noCount(`the users filter on groups.value failed: ${err.message}`);
  }
  const userMembers = current.filter((m) => !m.type || m.type.toLowerCase() === 'user').length;
  const counted = page.totalResults;
  if (counted === undefined) return noCount('the users filter gives no totalResults');
  if (counted === 0 && userMembers > 0) return noCount('the users filter on groups.value finds no member: the provider does not keep User.groups');
  if (counted > userMembers) {
    // A member added by someone else since our read looks the same as a capped read: tell them apart by
    // the group's version (ETag or meta.lastModified), when the provider gives one.
    if (version !== undefined) {
      const { resource: now, etag } = await client.getIn(call, groups, groupId, { excludedAttributes: ['members'] });
      if ((etag ?? lastModifiedOf(now)) !== version) return 'changed';
    }
    throw new ScimxError('unsupported', `Group ${groupId}: the read returned ${userMembers} user members but the service counts ${counted}; a PUT would drop ${counted - userMembers}${version === undefined ? ' (unless the group changed between the two reads: try again)' : ''}. Nothing was written; use writes: patch.`);
  }
  return 'ok';
}

// ------------------------------------------------------------------------------------------- checks

/**
 * Which of `ids` are members of the group, without downloading the member list where possible:
 * users: `GET /Users?filter=groups.value eq "G" and (id eq "a" or …)&attributes=id` (40 ids a request);
 * providers that cannot filter users by group: `GET /Groups?filter=id eq "G" and members.value eq "a"`
 * one id a request (Entra's documented pattern), or a full read for large sets.
 * `expected` are the ids we expect to be present (adds after writing, removes before): those not found
 * among users are checked on the group (nested group members), so the usual case costs nothing extra;
 * the group-filter path uses the expectation to test 40 ids a request (see presentByGroupFilter).
 */
export async function presentAmong(
  client: ScimPort, call: Call, groups: string, groupId: string, ids: string[], expected: string[] = [], foundOnGroup?: Set<string>,
): Promise<Set<string>> {
  const present = new Set<string>();
  if (!ids.length) return present;
  const ctx = { operation: call.operation, signal: call.signal };
  if (!(await filtersSupported(client, call))) {
    // ServiceProviderConfig says filter.supported=false: no filtered read is tried (it would only be
    // refused), the group is read instead.
    client.quirks.memberPaging = 'group-read';
    return groupReadAmong(client, call, groups, groupId, ids, 'the provider supports no filter (ServiceProviderConfig)');
  }
  let byUsers = client.quirks.memberPaging !== 'group-read' && client.profile.provider !== 'entra';
  if (byUsers) {
    const users = await client.usersEndpoint(ctx);
    try {
      const batch = await checkBatch(client, call);
      await eachBounded(chunks(ids, batch), client.profile.concurrency, (part) => usersAmong(client, call, users, groupId, part, present));
      client.quirks.memberPaging = 'users-filter';
    } catch (e) {
      const err = toScimxError(e);
      if (!checkFallback(err)) throw err;
      client.quirks.memberPaging = 'group-read';
      if (failedOnService(err)) client.quirks.groupFilterRefused = true;
      byUsers = false;
      present.clear();
    }
    if (byUsers) {
      const unknown = expected.filter((id) => !present.has(id));
      if (unknown.length && unknown.length <= CHECK_CHUNK) {
        for (const id of await presentOnGroup(client, call, groups, groupId, unknown, unknown)) {
          present.add(id);
          foundOnGroup?.add(id);
        }
      }
      return present;
    }
  }
  if (ids.length <= CHECK_CHUNK || client.profile.provider === 'entra') {
    return presentOnGroup(client, call, groups, groupId, ids, expected);
  }
  return groupReadAmong(client, call, groups, groupId, ids);
}

/** A group-filter all-present test failed on a set whose every id is a member: the provider's `and` over a
 * multi-valued attribute is not RFC 7644's; the check falls back to reading the group. */
class AndTestsBroken extends ScimxError {
  constructor() {
    super('unsupported', 'the provider does not answer an all-present membership filter as RFC 7644 reads it');
  }
}

/** A filtered check answered with resources the filter cannot match: the provider ignored the filter (as one
 * without filtering may), so its answer says nothing about membership. */
class FilterIgnored extends ScimxError {
  constructor(endpoint: string, filter: string) {
    super('unsupported', `${endpoint}: the answer to filter ${filter.slice(0, 80)} holds resources it cannot match; the provider ignores the filter.`);
  }
}

/** The service refused the filter (400 invalidFilter, 403, 501), failed on it (a 5xx from the service: not
 * retried, so a filter that crashes a server is sent once) or ignored it: the group is read instead, and the
 * client remembers it for the profile's later checks. */
function checkFallback(err: ScimxError): boolean {
  return err instanceof FilterIgnored || err instanceof AndTestsBroken || refusedByService(err) || failedOnService(err);
}

/** Which of `ids` are members, tested on the group's own filter (presentByGroupFilter), or read from its member
 * list when the service refuses or ignores that filter. */
async function presentOnGroup(client: ScimPort, call: Call, groups: string, groupId: string, ids: string[], expected: string[]): Promise<Set<string>> {
  if (!client.quirks.groupFilterRefused) {
    try {
      return await presentByGroupFilter(client, call, groups, groupId, ids, new Set(expected));
    } catch (e) {
      // the provider's AND is not RFC 7644's: a few ids are asked one by one, more by reading the group
      if (e instanceof AndTestsBroken && ids.length <= 3) return presentByGroupFilter(client, call, groups, groupId, ids, new Set(expected));
      if (!checkFallback(toScimxError(e))) throw e;
      client.quirks.groupFilterRefused = true;
    }
  }
  return groupReadAmong(client, call, groups, groupId, ids, 'the provider refused or ignored the membership filters');
}

/** Which of `ids` the group's member list holds, in one read of the list. A provider that returns no members
 * with a group (Entra) cannot be checked this way: `why` says why it had to be. */
async function groupReadAmong(client: ScimPort, call: Call, groups: string, groupId: string, ids: string[], why?: string): Promise<Set<string>> {
  const { resource } = await client.getIn(call, groups, groupId, { attributes: ['members'] });
  if (why && resource.members === undefined && client.profile.provider === 'entra') {
    throw new ScimxError('unsupported', `Group ${groupId}: ${why} and, like Entra, the provider returns no members with the group, so its membership cannot be checked.`);
  }
  return membersAmong(resource, ids);
}

/** Ids per users-filter check: 40, or fewer when the provider returns fewer in one answer (its filter.maxResults
 * or pagination.maxPageSize, or what it was seen to return): a check must never be cut short by a page. */
async function checkBatch(client: ScimPort, call: Call, wanted: number = CHECK_CHUNK): Promise<number> {
  const caps = (await client.discover({ operation: call.operation, signal: call.signal }).catch(() => undefined))?.capabilities;
  const learnt = client.quirks.pageCap;
  return Math.min(pageCount(wanted, caps), learnt !== undefined && learnt > 0 ? learnt : wanted);
}

/**
 * Adds to `present` which of `ids` are users in the group: `groups.value eq "G" and (id eq "a" or …)`. Each id
 * matches at most one user, so an answer holding as many resources as ids asked, or as many as its
 * totalResults, is complete. A shorter one (a page cap under the batch, not stated or not applied as stated)
 * is not: the ids not found are asked again in sets no larger than what came back, which a page holds whole.
 */
async function usersAmong(client: ScimPort, call: Call, users: string, groupId: string, ids: string[], present: Set<string>): Promise<void> {
  const filter = toFilterString(and(eq('groups.value', groupId), or(...ids.map((id) => eq('id', id)))));
  const page = await client.listPageIn(call, users, { filter, attributes: ['id'], count: ids.length, startIndex: 1 });
  const asked = new Set(ids);
  if (page.resources.some((r) => !asked.has(r.id))) throw new FilterIgnored(users, filter);
  for (const r of page.resources) present.add(r.id);
  const got = page.resources.length;
  const total = page.totalResults;
  if (got >= ids.length || (total !== undefined && total <= got)) return;
  if (got === 0) {
    if (total === undefined) return; // nothing matched
    throw new ScimxError('response', `${users}: a membership check of ${ids.length} ids answered totalResults ${total} but no resources; the check cannot be trusted.`);
  }
  if (total !== undefined) client.quirks.learnPageCap(got);
  for (const part of chunks(ids.filter((id) => !present.has(id)), got)) await usersAmong(client, call, users, groupId, part, present);
}

function membersAmong(group: ScimResource, ids: string[]): Set<string> {
  const all = new Set(readMembers(group).map((m) => m.value));
  return new Set(ids.filter((id) => all.has(id)));
}

/** See ScimClient.filtersUsable: false only when ServiceProviderConfig says `filter.supported: false`. */
function filtersSupported(client: ScimPort, call: Call): Promise<boolean> {
  return client.filtersUsable({ operation: call.operation, signal: call.signal });
}

/**
 * Group testing on the group's own filter, so a change of N members costs about N / 40 reads, not N:
 * `id eq "G" and members.value eq "a" and members.value eq "b" …` matches only when ALL are members
 * (each comparison is tested against the multi-valued attribute on its own), and
 * `id eq "G" and (members.value eq "a" or …)` matches when ANY is. Ids we expect present are tested with
 * the first, the others with the second; a set that does not answer as expected is split in halves.
 */
async function presentByGroupFilter(client: ScimPort, call: Call, groups: string, groupId: string, ids: string[], expected: ReadonlySet<string>): Promise<Set<string>> {
  const present = new Set<string>();
  const matches = async (filter: string): Promise<boolean> => {
    const page = await client.listPageIn(call, groups, { filter, excludedAttributes: ['members'], count: 1, startIndex: 1 });
    if (page.resources.some((g) => g.id !== groupId)) throw new FilterIgnored(groups, filter);
    return page.resources.some((g) => g.id === groupId);
  };
  const test = async (set: string[], expectPresent: boolean): Promise<void> => {
    if (set.length === 1) {
      if (await matches(toFilterString(and(eq('id', groupId), eq('members.value', set[0]!))))) present.add(set[0]!);
      return;
    }
    const each = set.map((id) => eq('members.value', id));
    const filter = toFilterString(expectPresent ? and(eq('id', groupId), ...each) : and(eq('id', groupId), or(...each)));
    const hit = await matches(filter);
    if (expectPresent && hit) {
      for (const id of set) present.add(id);
      return;
    }
    if (!expectPresent && !hit) return;
    if (expectPresent && client.quirks.andTestsBroken) {
      // the provider cannot answer an all-present test: ask each id in one any-present test instead
      for (const id of set) if (await matches(toFilterString(and(eq('id', groupId), eq('members.value', id))))) present.add(id);
      return;
    }
    const half = Math.ceil(set.length / 2);
    const [a, b] = [set.slice(0, half), set.slice(half)];
    await test(a, expectPresent);
    await test(b, expectPresent);
    // every id of a failed all-present test was a member after all: the provider's AND is not RFC 7644's
    if (expectPresent && set.every((id) => present.has(id))) {
      client.quirks.andTestsBroken = true;
      throw new AndTestsBroken();
    }
  };
  const parts = [
    ...chunks(ids.filter((id) => expected.has(id)), CHECK_CHUNK).map((set) => ({ set, expectPresent: true })),
    ...chunks(ids.filter((id) => !expected.has(id)), CHECK_CHUNK).map((set) => ({ set, expectPresent: false })),
  ];
  await eachBounded(parts, client.profile.concurrency, ({ set, expectPresent }) => test(set, expectPresent));
  return present;
}

/** Runs `fn` on every item, at most `limit` at once (reads, and independent PATCH parts). The first
 * failure stops new starts and is thrown once the running ones have settled. */
async function eachBounded<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (e) {
        failed ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw failed.error;
}
