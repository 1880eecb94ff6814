// The checks after writing: which changed ids are in effect, and whether the members the change did not name
// are still there (compared with the snapshot taken before), after the change and between batches of PATCH parts.
import type { MembershipChange } from '../types';
import { SAMPLE_MIN } from './before';
import { MEMBER_BATCH } from './group-filter';
import { presentAmong, presentOnGroup } from './presence';
import { canFilterUsers, confirmMissing, FIRST_READ, firstUserMembers, ONE_READ_MAX, USER_CHECKS, userListsGroup, wholeGroup } from './reads';
import type { After, Change, GroupTarget, Snapshot } from './target';

/**
 * After writing: which changed ids are in effect, and whether the members the change did not name are still
 * there. The same kind of read as before: the whole list again where it was read whole (compared in full), the
 * group's user members again where they fit in one page, else the changed ids and the sample in one request.
 */
export async function checkAfter(c: Change, todo: MembershipChange, snap: Snapshot): Promise<After> {
  const { client, groupId, nested, report } = c;
  const changed = [...todo.add, ...todo.remove];
  const named = new Set(changed);
  if (snap.full) {
    const all = await wholeGroup(c);
    const present = new Set(all);
    // removed ids the read lacks: confirmed on the users where the read may be capped
    if (snap.capped) {
      for (const id of todo.remove.filter((x) => !all.has(x)).slice(0, USER_CHECKS)) if ((await userListsGroup(c, id)) === true) present.add(id);
    }
    const missing = [...snap.full].filter((id) => !named.has(id) && !all.has(id));
    const lost = await confirmMissing(c, missing);
    if (!lost) {
      report.collateral = { method: 'none', checked: 0, why: 'the group read is capped (members missing from it still list the group themselves), so it cannot show what a write removed' };
      return { present, lost: [], state: { members: [...all] } };
    }
    report.collateral = { method: 'full', checked: [...snap.full].filter((id) => !named.has(id)).length, before: snap.full.size };
    if (snap.capped) report.collateral = { method: 'sample', checked: report.collateral.checked, why: 'the group read is capped: only the members it returned were compared' };
    return { present, lost, state: { members: [...all] } };
  }
  // One read of every user member, where the group's were counted before and still fit: the group was read whole
  // before (every user member compared), or a bulk change on a group that fits (its sample compared), where asking
  // the changed ids costs a request for each 40.
  const counted = snap.users ? (snap.userCount ?? snap.users.size) : snap.userCount;
  const bulk = changed.length + SAMPLE_MIN > MEMBER_BATCH && counted !== undefined && counted + todo.add.length <= ONE_READ_MAX;
  if (counted !== undefined && (snap.users || bulk) && (await canFilterUsers(c))) {
    const expected = counted + todo.add.length;
    const read = await firstUserMembers(c, snap.users ? Math.min(ONE_READ_MAX, Math.max(FIRST_READ, expected)) : Math.max(FIRST_READ, expected + SAMPLE_MIN));
    if (read?.complete) {
      client.rememberMembers(groupId, [...read.ids], read.ids.size);
      const present = new Set(changed.filter((id) => read.ids.has(id)));
      // changed ids that are not users (nested groups): on the group itself
      const others = changed.filter((id) => !read.ids.has(id) && (nested.has(id) || todo.add.includes(id)));
      if (others.length) for (const id of await presentOnGroup(c, others, others.filter((id) => todo.add.includes(id)))) present.add(id);
      const state = { members: [...read.ids], count: read.total };
      if (snap.users) {
        report.collateral = { method: 'full', checked: [...snap.users].filter((id) => !named.has(id)).length, before: counted };
        return { present, lost: [...snap.users].filter((id) => !named.has(id) && !read.ids.has(id)), state };
      }
      const sample = snap.sample.filter((id) => !named.has(id));
      report.collateral = sample.length
        ? { method: 'sample', checked: sample.length, before: counted }
        : { method: 'none', checked: 0, why: snap.why ?? 'the group had no other member' };
      return { present, lost: sample.filter((id) => !read.ids.has(id)), state };
    }
    if (!read && client.quirks.memberPaging === 'group-read') {
      report.collateral = {
        method: 'none', checked: 0,
        why: snap.users ? 'the users filter the first read relied on turned out unusable, so there is nothing reliable to compare with' : 'the users filter the sample came from turned out unusable',
      };
      return { present: await presentAmong(c, changed, [...todo.add, ...todo.remove.filter((id) => nested.has(id))]), lost: [], state: {} };
    }
  }
  const sample = snap.sample.filter((id) => !named.has(id)).slice(0, Math.max(SAMPLE_MIN, MEMBER_BATCH - changed.length));
  const wasFiltering = client.quirks.memberPaging !== 'group-read';
  const present = await presentAmong(c, [...changed, ...sample], [...todo.add, ...todo.remove.filter((id) => nested.has(id)), ...sample]);
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

/** Between batches of PATCH parts: are the members the change does not name still there? One request where the
 * provider lists users by id, else the whole list (where it was read whole before). */
export async function collateralBetween(t: GroupTarget, todo: MembershipChange, snap: Snapshot): Promise<After> {
  const named = new Set([...todo.add, ...todo.remove]);
  if (snap.full) {
    const all = await wholeGroup(t);
    const lost = (await confirmMissing(t, [...snap.full].filter((id) => !named.has(id) && !all.has(id)))) ?? [];
    return { present: all, lost, state: { members: [...all] } };
  }
  const sample = snap.sample.filter((id) => !named.has(id)).slice(0, MEMBER_BATCH);
  const present = await presentAmong(t, sample, sample);
  return { present, lost: sample.filter((id) => !present.has(id)), state: { present: [...present] } };
}
