// A membership write the caller sends as it is (a request file's raw PUT or PATCH, src/core/request-files/send.ts),
// with the safety net of changeMembers around it: the same read before (the changed ids and a sample of the others,
// or the whole list when the intent depends on it), the same check after, the same loss report and journal entry
// (restore and undo work on it). A loss cannot be prevented, only seen: `failure` is then the `lost` error
// changeMembers throws (with its report), and the response is still returned.
import { ScimxError, toScimxError } from '../../errors';
import { readMembers } from '../parse';
import type { Call, ScimPort } from '../port';
import type { Member, MembershipChange, MembershipOptions, MembershipReport } from '../types';
import { checkAfter } from './after';
import { readBefore } from './before';
import { lossError } from './failure';
import { memberIds } from './input';
import { JournalRecord } from './journal-record';
import { emptyReport, metered, recordInEffect } from './outcome';
import type { Change, Snapshot } from './target';

/** What a raw write asks of a group's members: the ids by themselves (`change`), or the list the group should
 * have, computed from the members read before (`desired`). */
export type RawMembershipIntent = { change: MembershipChange } | { desired: (before: Member[]) => string[] };

export async function guardMembershipWrite<T extends { status: number }>(
  client: ScimPort, call: Call, groupId: string, how: 'PATCH' | 'PUT', intent: RawMembershipIntent, write: () => Promise<T>, opts: MembershipOptions = {},
): Promise<{ result: T; report: MembershipReport; failure?: ScimxError }> {
  const report = emptyReport(groupId);
  report.mode = how === 'PUT' ? 'put' : 'patch';
  const groups = await client.groupsEndpoint({ operation: call.operation, signal: call.signal });
  const change = (asked: MembershipChange): Change => ({
    client, call, groups, groupId, opts, report, journal: new JournalRecord(client, call, groupId, asked, opts),
    nested: new Set<string>(), etags: false, progress: () => undefined,
  });
  let c: Change;
  let todo: MembershipChange;
  let snap: Snapshot;
  if ('change' in intent) {
    const add = memberIds(intent.change.add, 'add');
    const remove = memberIds(intent.change.remove, 'remove');
    c = change({ add, remove });
    const before = await readBefore(c, [...add, ...remove], remove);
    snap = before.snap;
    report.alreadyPresent = add.filter((id) => before.present.has(id));
    report.alreadyAbsent = remove.filter((id) => !before.present.has(id));
    todo = { add: add.filter((id) => !before.present.has(id)), remove: remove.filter((id) => before.present.has(id)) };
  } else {
    const { resource } = await client.getIn(call, groups, groupId, { members: true });
    if (resource.members === undefined && client.profile.provider === 'entra') {
      throw new ScimxError('unsupported', `Group ${groupId}: this write replaces its member list, and, like Entra, the provider returns no members with the group, so what it would lose cannot be checked. Nothing was sent.`);
    }
    const members = readMembers(resource);
    const all = new Set(members.map((m) => m.value));
    const desired = new Set(intent.desired(members));
    todo = { add: [...desired].filter((id) => !all.has(id)), remove: [...all].filter((id) => !desired.has(id)) };
    c = change(todo);
    const named = new Set([...todo.add, ...todo.remove]);
    snap = { full: all, sample: [...all].filter((id) => !named.has(id)) };
  }
  c.journal.before(snap);
  let result: T;
  try {
    result = await write();
  } catch (e) {
    const err = toScimxError(e);
    c.journal.done(metered(report, call), err.message);
    throw err;
  }
  if (result.status >= 300) report.warnings.push(`the server answered ${result.status}: the group was read again anyway (a refusal may still have changed it)`);
  const after = await checkAfter(c, todo, snap);
  c.journal.after(after.state);
  if (after.lost.length) {
    const failure = lossError(c, todo, after, how);
    c.journal.done(metered(report, call), failure.message);
    return { result, report, failure };
  }
  recordInEffect(report, todo, after.present);
  report.verified = !report.missing.length && report.collateral.method !== 'none';
  if (report.missing.length) report.warnings.push(`${report.missing.length} change(s) not in effect after writing: ${report.missing.slice(0, 10).join(', ')}`);
  if (report.collateral.method === 'none' && report.collateral.why) report.warnings.push(`members the change did not name were not checked: ${report.collateral.why}`);
  return { result, report: c.journal.done(metered(report, call), result.status >= 300 ? `the server answered ${result.status}` : undefined) };
}
