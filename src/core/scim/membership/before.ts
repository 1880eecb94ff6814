// The check before a change: which of the changed ids are members, and a snapshot of the others (the whole list,
// every user member, or a sample) for the collateral check after writing.
import { toScimxError } from '../../errors';
import { AndTestsBroken, MEMBER_BATCH } from './group-filter';
import { checkBatch, checkFallback, filtersSupported, presentAmong, presentByGroupFilter, presentOnGroup } from './presence';
import { canFilterUsers, FIRST_READ, firstUserMembers, ONE_READ_MAX, USER_CHECKS, userListsGroup, wholeGroup } from './reads';
import type { Change, GroupTarget, Snapshot } from './target';

/** Members the collateral check asks about at least, when the group has them. */
export const SAMPLE_MIN = 20;

/**
 * Which of the changed ids are members before the change, and a snapshot of the others to check afterwards,
 * in as few requests as the provider allows:
 *  - members known from an earlier read (the tree's pages, the last change) are asked in the same filtered
 *    request as the changed ids: one request;
 *  - else the first FIRST_READ user members (`groups.value eq "G"`, each checked to list the group; a bulk change
 *    asks for as many as it changes and a sample, up to ONE_READ_MAX): a group
 *    with no more is then known whole, and the changed ids need no other read; a bigger one gives the sample,
 *    and the changed ids not among them are asked in one more filtered request;
 *  - a provider that cannot list users by group: the group's member list, read whole (one request: it answers
 *    the changed ids too) when it was small at its last whole read (ONE_READ_MAX), else the changed ids and
 *    members known from an earlier read on the group's own filter.
 */
export async function readBefore(c: Change, ids: string[], remove: string[]): Promise<{ present: Set<string>; snap: Snapshot }> {
  const { client, groupId, nested } = c;
  const named = new Set(ids);
  if (await canFilterUsers(c)) {
    // as many known members as fit in the one request with the changed ids: a few of them may have left since
    const room = Math.max(SAMPLE_MIN, (await checkBatch(c)) - ids.length);
    const known = client.knownMembersOf(groupId).filter((id) => !named.has(id)).slice(0, room);
    // a bulk change (more ids than fit with a sample in one request) reads the user members instead: one read
    // of up to ONE_READ_MAX of them answers the changed ids that are members and is the snapshot
    const bulk = ids.length + SAMPLE_MIN > MEMBER_BATCH;
    if (known.length >= SAMPLE_MIN && !bulk) {
      const present = await presentAmong(c, [...ids, ...known], [...remove, ...known], nested);
      const sample = known.filter((id) => present.has(id));
      if (sample.length >= SAMPLE_MIN || client.quirks.memberPaging === 'group-read') {
        return client.quirks.memberPaging === 'group-read'
          ? wholeGroupBefore(c, ids, remove) // the users filter turned out unusable: the sample came from nowhere we trust
          : { present: new Set(ids.filter((id) => present.has(id))), snap: { sample } };
      }
    }
    // a bulk change asks for the changed ids and a sample, or for as many as the group had when it was last read
    // whole and the adds, if more: all of them then come in the one read
    const size = client.knownSizeOf(groupId) ?? 0;
    const want = bulk ? Math.min(ONE_READ_MAX, Math.max(FIRST_READ, ids.length + SAMPLE_MIN, size + ids.length - remove.length + SAMPLE_MIN)) : FIRST_READ;
    const first = await firstUserMembers(c, want);
    if (first) {
      client.rememberMembers(groupId, [...first.ids], first.complete ? first.ids.size : undefined);
      const sample = [...first.ids].filter((id) => !named.has(id));
      if (first.complete) {
        const present = new Set(ids.filter((id) => first.ids.has(id)));
        // ids to remove that are not users are looked for on the group itself (nested groups)
        const others = remove.filter((id) => !present.has(id));
        if (others.length) for (const id of await presentOnGroup(c, others, others)) { present.add(id); nested.add(id); }
        return { present, snap: { users: first.ids, sample, userCount: first.total ?? first.ids.size } };
      }
      const unknown = ids.filter((id) => !first.ids.has(id));
      const present = new Set(ids.filter((id) => first.ids.has(id)));
      if (unknown.length) for (const id of await presentAmong(c, unknown, remove.filter((id) => !first.ids.has(id)), nested)) present.add(id);
      if (client.quirks.memberPaging !== 'group-read') return { present, snap: { sample: sample.slice(0, Math.max(SAMPLE_MIN, FIRST_READ)), userCount: first.total } };
    }
  }
  // The users filter is not usable here: the group's own filter (`id eq "G" and members.value eq "a"`) tells which
  // changed ids are members, with members known from an earlier read in the same request; without enough of
  // those, the group's list is read once for the members to compare with. Entra returns no list: only members
  // known from an earlier read can be compared.
  const filters = await filtersSupported(c);
  if (!filters) client.quirks.memberPaging = 'group-read';
  const readWhole = c.wholeRead;
  if (readWhole) {
    // The group was read whole a moment ago (the users filter found nobody while the group has members): that
    // read answers the changed ids and is the snapshot; the check after reads it whole again.
    return wholeGroupBefore(c, ids, remove, undefined, readWhole);
  }
  const entra = client.profile.provider === 'entra';
  const size = client.knownSizeOf(groupId);
  if (!entra && size !== undefined && size <= ONE_READ_MAX) return wholeGroupBefore(c, ids, remove);
  if (filters && !client.quirks.groupFilterRefused && (entra || !client.quirks.andTestsBroken)) {
    // Members known from an earlier read are asked with the changed ids in one group-filter request; without
    // enough of them the group's list is read once (it answers the changed ids too), except on Entra, which
    // returns none: there the changed ids are asked on the filter and only known members can be compared.
    const known = client.knownMembersOf(groupId).filter((id) => !named.has(id)).slice(0, SAMPLE_MIN);
    if (known.length >= SAMPLE_MIN || entra) {
      try {
        const present = await presentByGroupFilter(c, [...ids, ...known], new Set([...remove, ...known]));
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
        if (entra && e instanceof AndTestsBroken) return readBefore(c, ids, remove); // id by id now
      }
    }
  }
  return wholeGroupBefore(c, ids, remove, filters ? 'the provider refused or ignored the membership filters' : 'the provider supports no filter (ServiceProviderConfig)');
}

/** The group's whole member list before the change (providers that cannot list users by group). */
async function wholeGroupBefore(t: GroupTarget, ids: string[], remove: string[], why?: string, read?: Set<string>): Promise<{ present: Set<string>; snap: Snapshot }> {
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
