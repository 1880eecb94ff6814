// Listing a group's members: users whose `groups` name the group (RFC 7643 §4.1.2), else the group's own list;
// members that are not users (nested groups) found as cheaply as the provider allows. The members the client saw
// lately are ./known-members.ts (needed by every client; this module only by member listings: the extension loads it
// with ./paging.ts in a chunk of their own, scripts/build.mjs LAZY).
import { toScimxError } from '../../errors';
import { and, eq, toFilterString } from '../filter';
import { MEMBER_BATCH, splitTest, type SplitTest } from '../membership/group-filter';
import { readMembers } from '../parse';
import type { Call, ScimPort } from '../port';
import { refusedByService } from '../refusal';
import type { ListPage, Member, ScimResource } from '../types';

/** SAP returns at most this many members on a group read. */
const SAP_MEMBER_READ_CAP = 20_000;

/** Pages of a group's members, with its members that are not users. */
export class MemberListing {
  /** A group's members that are not users, found with its first members page (counted in later pages). */
  private readonly nonUserMembers = new Map<string, Member[]>();

  constructor(private readonly client: ScimPort) {}

  /** After a change: the nested groups it removed are no longer counted in later members pages. */
  forgetRemoved(groupId: string, removed: string[]): void {
    const others = this.nonUserMembers.get(groupId);
    if (others && removed.length) this.nonUserMembers.set(groupId, others.filter((m) => !removed.includes(m.value)));
  }

  async pageIn(call: Call, groupId: string, opts: { startIndex?: number; count?: number; cursor?: string }): Promise<ListPage<Member>> {
    const ctx = { operation: call.operation, signal: call.signal };
    const users = await this.client.usersEndpoint(ctx);
    // a provider that says it cannot filter gets no filtered read (nor the nested-group lookup that follows one)
    if (this.client.quirks.memberPaging !== 'group-read' && !(await this.client.filtersUsable(ctx))) this.client.quirks.memberPaging = 'group-read';
    if (this.client.quirks.memberPaging !== 'group-read') {
      let page: ListPage | undefined;
      try {
        page = await this.client.listPageIn(call, users, {
          filter: toFilterString(eq('groups.value', groupId)),
          attributes: ['userName', 'displayName'],
          startIndex: opts.cursor === undefined ? opts.startIndex : undefined,
          cursor: opts.cursor,
          count: opts.count,
        });
        this.client.quirks.memberPaging = 'users-filter';
      } catch (e) {
        const err = toScimxError(e);
        // A provider that cannot filter users by group says 400 (invalidFilter) or 501: read the group instead.
        if (!refusedByService(err)) throw err;
        this.client.quirks.memberPaging = 'group-read';
      }
      if (page) {
        const first = opts.cursor === '' || (opts.cursor === undefined && (opts.startIndex ?? 1) <= 1);
        this.client.rememberMembers(groupId, page.resources.map((u) => u.id));
        return this.withNonUserMembers(call, groupId, page, first);
      }
    }
    const groups = await this.client.groupsEndpoint(ctx);
    const { resource: group } = await this.client.getIn(call, groups, groupId, { attributes: ['members'] });
    const all = readMembers(group);
    const start = Math.max(1, opts.startIndex ?? 1);
    const count = opts.count ?? this.client.profile.pageSize;
    const slice = all.slice(start - 1, start - 1 + count);
    const nextStart = start + slice.length;
    return { resources: slice, totalResults: all.length, startIndex: start, itemsPerPage: slice.length, next: nextStart <= all.length ? { startIndex: nextStart } : undefined };
  }

  /** A page of a group's user members, with its other members: listed on the first page (looked up then),
   * counted in the total of every page. A lookup that fails leaves a warning on the page, not a hidden gap. */
  private async withNonUserMembers(call: Call, groupId: string, page: ListPage, first: boolean): Promise<ListPage<Member>> {
    const userMembers: Member[] = page.resources.map((u) => ({ value: u.id, display: str(u.displayName) ?? str(u.userName), type: 'User' }));
    const out: ListPage<Member> = { ...page, resources: userMembers };
    let others = this.nonUserMembers.get(groupId) ?? [];
    if (first) {
      try {
        others = await this.nonUserMembersIn(call, groupId, page.totalResults);
        this.nonUserMembers.set(groupId, others);
      } catch (e) {
        const err = toScimxError(e);
        if (err.code === 'cancelled') throw err;
        this.nonUserMembers.delete(groupId);
        others = [];
        out.warnings = [...(page.warnings ?? []), `Members that are groups could not be listed: ${err.message}`];
      }
      out.resources = [...others, ...userMembers];
    }
    if (page.totalResults !== undefined) out.totalResults = page.totalResults + others.length;
    return out;
  }

  /**
   * The members of a group that are not users (RFC 7643: a member is a User or a Group), as cheaply as the
   * provider allows. One tiny read says whether there are any (`id eq "G" and members.type eq "Group"`); only
   * when there are, or when the provider cannot say, the group's member list is read; and where that list
   * cannot hold every member (Entra returns none, SAP at most 20,000, or fewer than the group has users)
   * the other groups are tested against this one. Correctness before bytes: a member is never left out.
   */
  private async nonUserMembersIn(call: Call, groupId: string, usersTotal: number | undefined): Promise<Member[]> {
    const ctx = { operation: call.operation, signal: call.signal };
    const groups = await this.client.groupsEndpoint(ctx);
    const has = await this.hasGroupMemberIn(call, groups, groupId, usersTotal);
    if (has === false) return [];
    const provider = this.client.profile.provider;
    const read = provider === 'entra' ? [] : readMembers((await this.client.getIn(call, groups, groupId, { attributes: ['members'] })).resource);
    const found = read.filter((m) => memberKind(m) === 'Group').map((m) => ({ ...m, type: 'Group' }));
    const untyped = read.filter((m) => memberKind(m) === undefined);
    const whole = provider !== 'entra'
      && !(provider === 'sap' && read.length >= SAP_MEMBER_READ_CAP)
      && (usersTotal === undefined || read.length - found.length >= usersTotal)
      && !(has && !found.length && !untyped.length);
    if (!whole) return [...found, ...(await this.groupsAmongMembersIn(call, groups, groupId, new Set([groupId, ...found.map((m) => m.value)])))];
    const typedUsers = read.length - found.length - untyped.length;
    if (!untyped.length || (usersTotal !== undefined && untyped.length === usersTotal - typedUsers)) return found;
    // members without a type: the ones that are not among the group's users are groups
    const users = await this.client.usersEndpoint(ctx);
    const userIds = new Set<string>();
    for await (const page of this.client.pages(call, users, { filter: toFilterString(eq('groups.value', groupId)), attributes: ['id'] })) {
      for (const u of page.resources) userIds.add(u.id);
    }
    return [...found, ...untyped.filter((m) => !userIds.has(m.value)).map((m) => ({ ...m, type: 'Group' }))];
  }

  /** Whether the group has a member of type Group; undefined when the provider cannot say: it refuses a filter
   * on `members.type`, or answers one without knowing types (a group with users does not match
   * `members.type eq "User"`). Learnt once per client, so the common case costs one small read. */
  private async hasGroupMemberIn(call: Call, groups: string, groupId: string, usersTotal: number | undefined): Promise<boolean | undefined> {
    if (this.client.quirks.memberTypeFilter === 'unsupported') return undefined;
    const hasType = async (type: 'User' | 'Group'): Promise<boolean> => {
      const page = await this.client.listPageIn(call, groups, { filter: toFilterString(and(eq('id', groupId), eq('members.type', type))), attributes: ['id'], count: 1 });
      return page.resources.some((g) => g.id === groupId);
    };
    try {
      if (await hasType('Group')) {
        this.client.quirks.memberTypeFilter = 'works';
        return true;
      }
      if (this.client.quirks.memberTypeFilter === 'works') return false;
      if (!usersTotal) return undefined;
      if (await hasType('User')) {
        this.client.quirks.memberTypeFilter = 'works';
        return false;
      }
    } catch (e) {
      if (!refusedByService(toScimxError(e))) throw e;
    }
    this.client.quirks.memberTypeFilter = 'unsupported';
    return undefined;
  }

  /** Which of the service's groups (but `skip`) are members of `groupId`, for a provider whose group read does
   * not hold every member: `id eq "G" and (members.value eq "a" or …)` over 40 groups a request, a set that
   * matches split in halves until each member is named (splitTest, shared with the membership checks). */
  private async groupsAmongMembersIn(call: Call, groups: string, groupId: string, skip: ReadonlySet<string>): Promise<Member[]> {
    const found: Member[] = [];
    const test: SplitTest<ScimResource> = {
      groupId,
      quirks: this.client.quirks,
      idOf: (g) => g.id,
      matches: async (filter) => {
        const page = await this.client.listPageIn(call, groups, { filter, attributes: ['id'], count: 1 });
        return page.resources.some((g) => g.id === groupId);
      },
      found: (g) => {
        found.push({ value: g.id, display: str(g.displayName), type: 'Group' });
      },
      isFound: (g) => found.some((m) => m.value === g.id),
    };
    let batch: ScimResource[] = [];
    for await (const page of this.client.pages(call, groups, { attributes: ['id', 'displayName'] })) {
      for (const g of page.resources) {
        if (skip.has(g.id)) continue;
        batch.push(g);
        if (batch.length === MEMBER_BATCH) {
          await splitTest(test, batch, false);
          batch = [];
        }
      }
    }
    if (batch.length) await splitTest(test, batch, false);
    return found;
  }
}

/** User or Group, from `type`, else from a `$ref` on the Users or Groups endpoint; undefined when neither says. */
function memberKind(m: Member): 'User' | 'Group' | undefined {
  const type = m.type?.toLowerCase();
  if (type === 'user') return 'User';
  if (type === 'group') return 'Group';
  const endpoint = typeof m.$ref === 'string' ? /\/(Users|Groups)\/[^/]+\/?$/i.exec(m.$ref)?.[1]?.toLowerCase() : undefined;
  return endpoint === 'users' ? 'User' : endpoint === 'groups' ? 'Group' : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}
