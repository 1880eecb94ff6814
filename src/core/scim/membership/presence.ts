// Which ids are members of a group, without downloading its member list where the provider allows: by the users
// filter (`groups.value eq "G" and (id eq …)`), by the group's own filter (split tests), or, when the provider
// refuses, fails on or ignores those, by one read of the group's member list. What the provider refused is kept
// in the client's quirks, so later checks do not ask again.
import { ScimxError, toScimxError } from '../../errors';
import { pageCount } from '../client/paging';
import { and, eq, or, toFilterString } from '../filter';
import { readMembers } from '../parse';
import { failedOnService, refusedByService } from '../refusal';
import { chunks } from './bodies';
import { eachBounded } from './concurrency';
import { AndTestsBroken, MEMBER_BATCH, splitTest } from './group-filter';
import type { GroupTarget } from './target';

/**
 * Which of `ids` are members of the group, without downloading the member list where possible:
 * users: `GET /Users?filter=groups.value eq "G" and (id eq "a" or …)&attributes=id` (40 ids a request);
 * providers that cannot filter users by group: `GET /Groups?filter=id eq "G" and members.value eq "a"`
 * one id a request (Entra's documented pattern), or a full read for large sets.
 * `expected` are the ids we expect to be present (adds after writing, removes before): those not found
 * among users are checked on the group (nested group members), so the usual case costs nothing extra;
 * the group-filter path uses the expectation to test 40 ids a request (see presentByGroupFilter).
 * `foundOnGroup` collects the ids found on the group and not among its users (nested groups).
 */
export async function presentAmong(t: GroupTarget, ids: string[], expected: string[] = [], foundOnGroup?: Set<string>): Promise<Set<string>> {
  const { client, call } = t;
  const present = new Set<string>();
  if (!ids.length) return present;
  const ctx = { operation: call.operation, signal: call.signal };
  if (!(await filtersSupported(t))) {
    // ServiceProviderConfig says filter.supported=false: no filtered read is tried (it would only be
    // refused), the group is read instead.
    client.quirks.memberPaging = 'group-read';
    return groupReadAmong(t, ids, 'the provider supports no filter (ServiceProviderConfig)');
  }
  let byUsers = client.quirks.memberPaging !== 'group-read' && client.profile.provider !== 'entra';
  if (byUsers) {
    const users = await client.usersEndpoint(ctx);
    try {
      const batch = await checkBatch(t);
      await eachBounded(chunks(ids, batch), client.profile.concurrency, (part) => usersAmong(t, users, part, present));
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
      if (unknown.length && unknown.length <= MEMBER_BATCH) {
        for (const id of await presentOnGroup(t, unknown, unknown)) {
          present.add(id);
          foundOnGroup?.add(id);
        }
      }
      return present;
    }
  }
  if (ids.length <= MEMBER_BATCH || client.profile.provider === 'entra') {
    return presentOnGroup(t, ids, expected);
  }
  return groupReadAmong(t, ids);
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
export function checkFallback(err: ScimxError): boolean {
  return err instanceof FilterIgnored || err instanceof AndTestsBroken || refusedByService(err) || failedOnService(err);
}

/** Which of `ids` are members, tested on the group's own filter (presentByGroupFilter), or read from its member
 * list when the service refuses or ignores that filter. */
export async function presentOnGroup(t: GroupTarget, ids: string[], expected: string[]): Promise<Set<string>> {
  const { client } = t;
  if (!client.quirks.groupFilterRefused) {
    try {
      return await presentByGroupFilter(t, ids, new Set(expected));
    } catch (e) {
      // the provider's AND is not RFC 7644's: a few ids are asked one by one, more by reading the group
      if (e instanceof AndTestsBroken && ids.length <= 3) return presentByGroupFilter(t, ids, new Set(expected));
      if (!checkFallback(toScimxError(e))) throw e;
      client.quirks.groupFilterRefused = true;
    }
  }
  return groupReadAmong(t, ids, 'the provider refused or ignored the membership filters');
}

/** Which of `ids` the group's member list holds, in one read of the list. A provider that returns no members
 * with a group (Entra) cannot be checked this way: `why` says why it had to be. */
async function groupReadAmong(t: GroupTarget, ids: string[], why?: string): Promise<Set<string>> {
  const all = new Set(await memberListOf(t, why));
  return new Set(ids.filter((id) => all.has(id)));
}

/** The ids on the group's member list, in one read. With `why` (why the list had to be read), a provider that
 * returns no members with a group (Entra) is an error saying its membership cannot be checked. */
export async function memberListOf(t: GroupTarget, why?: string): Promise<string[]> {
  const { resource } = await t.client.getIn(t.call, t.groups, t.groupId, { attributes: ['members'] });
  if (why && resource.members === undefined && t.client.profile.provider === 'entra') {
    throw new ScimxError('unsupported', `Group ${t.groupId}: ${why} and, like Entra, the provider returns no members with the group, so its membership cannot be checked.`);
  }
  return readMembers(resource).map((m) => m.value);
}

/** Ids per users-filter check: 40, or fewer when the provider returns fewer in one answer (its filter.maxResults
 * or pagination.maxPageSize, or what it was seen to return): a check must never be cut short by a page. */
export async function checkBatch(t: GroupTarget, wanted: number = MEMBER_BATCH): Promise<number> {
  const { client, call } = t;
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
async function usersAmong(t: GroupTarget, users: string, ids: string[], present: Set<string>): Promise<void> {
  const { client, call, groupId } = t;
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
  for (const part of chunks(ids.filter((id) => !present.has(id)), got)) await usersAmong(t, users, part, present);
}

/** See ScimClient.filtersUsable: false only when ServiceProviderConfig says `filter.supported: false`. */
export function filtersSupported(t: GroupTarget): Promise<boolean> {
  return t.client.filtersUsable({ operation: t.call.operation, signal: t.call.signal });
}

/**
 * Which of `ids` are members, by split tests on the group's own filter (see splitTest): ids we expect present
 * with all-present tests, the others with any-present tests, 40 a set, `profile.concurrency` sets at a time.
 * A change of N members costs about N / 40 reads, not N.
 */
export async function presentByGroupFilter(t: GroupTarget, ids: string[], expected: ReadonlySet<string>): Promise<Set<string>> {
  const { client, call, groups, groupId } = t;
  const present = new Set<string>();
  const test = {
    groupId,
    quirks: client.quirks,
    idOf: (id: string) => id,
    matches: async (filter: string): Promise<boolean> => {
      const page = await client.listPageIn(call, groups, { filter, excludedAttributes: ['members'], count: 1, startIndex: 1 });
      if (page.resources.some((g) => g.id !== groupId)) throw new FilterIgnored(groups, filter);
      return page.resources.some((g) => g.id === groupId);
    },
    found: (id: string) => {
      present.add(id);
    },
    isFound: (id: string) => present.has(id),
  };
  const parts = [
    ...chunks(ids.filter((id) => expected.has(id)), MEMBER_BATCH).map((set) => ({ set, expectPresent: true })),
    ...chunks(ids.filter((id) => !expected.has(id)), MEMBER_BATCH).map((set) => ({ set, expectPresent: false })),
  ];
  await eachBounded(parts, client.profile.concurrency, ({ set, expectPresent }) => splitTest(test, set, expectPresent));
  return present;
}
