// The PUT path (no PATCH, or PATCH refused in `auto`): read-modify-write of the whole group that keeps every
// other member and attribute, with If-Match when the provider gives ETags; 412 → re-read, re-apply. Without
// ETags, meta.lastModified is re-read right before the PUT (a change since our read → re-read, re-apply), the
// verification compares the whole member list with what was written, and the report says that a change in the
// last moment before an unconditional PUT cannot be ruled out. A PUT built from a read that may be capped is
// refused (guardAgainstTruncatedRead).
import { HttpStatusError, ScimxError, toScimxError } from '../../errors';
import type { ProviderKind } from '../../profile';
import { eq, toFilterString } from '../filter';
import { readMembers } from '../parse';
import { resourcePath } from '../paths';
import type { ScimPort } from '../port';
import type { Member, MembershipChange, MembershipReport, ScimResource } from '../types';
import { writableMember, writeProjection } from './bodies';
import { lossError } from './failure';
import { checkFallback } from './presence';
import { canFilterUsers } from './reads';
import { isUnknownOutcome, MAX_ROUNDS, pause, waitBeforeReapply } from './reapply';
import type { Change } from './target';

/** Writes `todo` by PUT of the whole group (read, modify, write, verify, in rounds); returns the members (of the
 * changed ids, in our spelling) present after it. */
export async function writeByPut(c: Change, todo: MembershipChange): Promise<Set<string>> {
  const { client, call, groups, groupId, opts, report, progress, journal } = c;
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
    if ((await guardAgainstTruncatedRead(c, current, etag ?? stamp)) === 'changed') {
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
      if (status !== 412) await pause(c, err, waitBeforeReapply(client, err, round));
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
      const err = lossError(c, remaining, { present: afterIds, lost, state: { members: [...afterIds] } }, 'PUT');
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

/** Members a group read returns at most, where the provider documents it. */
export const DOCUMENTED_READ_CAP: Partial<Record<ProviderKind, number>> = { sap: 20_000 };

/**
 * A PUT built from a capped read removes every member past the cap. Identical re-reads prove nothing (a capped
 * server returns the same 100 every time), so a PUT goes out only when an independent count agrees with the
 * list read — the users filter's totalResults for the group — or the list is shorter than a cap the provider
 * documents, or the profile says its group reads are complete (`groupReads: complete`). Otherwise refused,
 * saying what could be lost.
 */
async function guardAgainstTruncatedRead(c: Change, current: Member[], version: string | undefined): Promise<'ok' | 'changed'> {
  const { client, call, groups, groupId, report } = c;
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
  if (!(await canFilterUsers(c))) return noCount(client.profile.provider === 'entra' ? 'the provider cannot list users by group' : 'the provider does not filter users by group');
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
