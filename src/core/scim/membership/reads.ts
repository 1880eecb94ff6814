// The reads the checks before and after a change are made of: the group's whole member list, its first user
// members by the users filter (checked against each user's own `groups`), and a user's own `groups`.
import { HttpStatusError, toScimxError } from '../../errors';
import { eq, toFilterString } from '../filter';
import type { ScimPort } from '../port';
import { failedOnService } from '../refusal';
import type { ScimResource } from '../types';
import { checkBatch, checkFallback, filtersSupported, memberListOf } from './presence';
import type { GroupTarget } from './target';

/** Members the first read before a change asks for: a group with no more user members is read whole. */
export const FIRST_READ = 50;

/** The most members one read is asked to return where one read is cheaper than filtered checks: a bulk change's
 * read of the user members (rather than the changed ids 40 at a time; the provider's page cap still applies), and
 * the whole group again on a provider that cannot list users by group, when it had no more at its last whole read
 * (about 100 KB at most; its own filter costs a request or more and compares a sample only). */
export const ONE_READ_MAX = 1_000;

/** Users filter for the group's members is worth using: the provider filters, and lists users by group. */
export async function canFilterUsers(t: GroupTarget): Promise<boolean> {
  const { client } = t;
  if (client.quirks.memberPaging === 'group-read' || client.profile.provider === 'entra') return false;
  if (await filtersSupported(t)) return true;
  client.quirks.memberPaging = 'group-read'; // the tree pages members from the group too
  return false;
}

/** Users asked one by one about their own groups, at most (the rest: the read is taken as it is). */
export const USER_CHECKS = 5;

/** Whether the user's own `groups` lists the group: true or false when the service says, undefined when the id
 * is not a user or the service keeps no `groups` on users. */
export async function userListsGroup(t: GroupTarget, userId: string): Promise<boolean | undefined> {
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
export async function confirmMissing(t: GroupTarget, missing: string[]): Promise<string[] | undefined> {
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
export async function wholeGroup(t: GroupTarget, why?: string): Promise<Set<string>> {
  const ids = await memberListOf(t, why ?? 'its members were read');
  t.client.rememberMembers(t.groupId, ids, ids.length);
  return new Set(ids);
}

/**
 * The first `want` (default FIRST_READ) user members of the group by the users filter, with each user's `groups` to check the
 * filter was applied (a provider that ignores it would list every user). Undefined when the filter cannot be
 * trusted here: refused, failed (5xx: not retried, the fallback is remembered), ignored, or empty while the
 * group has members (a provider that does not keep `User.groups`).
 */
export async function firstUserMembers(t: GroupTarget, want: number = FIRST_READ): Promise<{ ids: Set<string>; total?: number; complete: boolean } | undefined> {
  const { client, call, groupId } = t;
  const users = await client.usersEndpoint({ operation: call.operation, signal: call.signal });
  const count = Math.min(want, await checkBatch(t, want));
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
      t.wholeRead = all; // the read is the change's snapshot: not read twice
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
export function listsGroup(user: ScimResource, groupId: string, same: (a: unknown, b: string) => boolean): boolean {
  return Array.isArray(user.groups) && user.groups.some((g) => !!g && typeof g === 'object' && same((g as { value?: unknown }).value, groupId));
}

function sameId(a: unknown, b: string): boolean {
  return typeof a === 'string' && a === b;
}
