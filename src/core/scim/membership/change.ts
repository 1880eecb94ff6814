// One membership change, start to end: check the ids asked, read the group before, write by PATCH (or PUT: no
// PATCH, or PATCH refused in `auto`), verify after, and record it in the journal whatever the end. A failure
// after writing says which asked changes are in effect; members lost by a write stop everything.
import { ScimxError, toScimxError } from '../../errors';
import type { WriteMode } from '../../profile';
import type { Call, ScimPort } from '../port';
import type { MembershipChange, MembershipOptions, MembershipReport } from '../types';
import { checkAfter } from './after';
import { readBefore } from './before';
import { lossError, withGroupState, writesSent } from './failure';
import { describeValue, memberIds } from './input';
import { JournalRecord } from './journal-record';
import { emptyReport, metered, recordInEffect } from './outcome';
import { isPatchRefused, writeByPatch } from './patch';
import { writeByPut } from './put';
import type { Change } from './target';

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

  const report = emptyReport(groupId);
  const total = add.length + remove.length;
  const c: Change = {
    client, call, groups: 'Groups', groupId, opts, report,
    journal: new JournalRecord(client, call, groupId, { add, remove }, opts),
    nested: new Set<string>(),
    etags: false,
    progress: (done, message) => opts.onProgress?.({ done, total, message }),
  };
  const { journal, progress } = c;

  const writesBefore = writesSent(call);
  let todo: MembershipChange = { add, remove };
  const expect = (adds: string[], removes: string[]): string[] => [...adds, ...removes.filter((id) => c.nested.has(id))];
  try {
    const ctx = { operation: call.operation, signal: call.signal };
    const discovery = await client.discover(ctx).catch((e) => {
      if (toScimxError(e).code === 'cancelled') throw e;
      report.warnings.push(`discovery failed (${toScimxError(e).message}); assuming PATCH`);
      return undefined;
    });
    const caps = discovery?.capabilities;
    c.groups = await client.groupsEndpoint(ctx);
    c.etags = !!caps?.etag;
    const asked: WriteMode = opts.mode ?? client.profile.writes;
    let mode: Exclude<WriteMode, 'auto'> = asked === 'put' ? 'put' : asked === 'patch' ? 'patch' : caps && !caps.patch ? 'put' : 'patch';
    if (asked === 'patch' && caps && !caps.patch) report.warnings.push('ServiceProviderConfig says PATCH is not supported; trying it as asked');

    progress(0, 'checking current membership');
    const { present: before, snap } = await readBefore(c, [...add, ...remove], remove);
    journal.before(snap);
    report.alreadyPresent = add.filter((id) => before.has(id));
    report.alreadyAbsent = remove.filter((id) => !before.has(id));
    todo = { add: add.filter((id) => !before.has(id)), remove: remove.filter((id) => before.has(id)) };
    if (!todo.add.length && !todo.remove.length) {
      report.mode = mode;
      report.verified = true;
      report.collateral = { method: 'none', checked: 0, why: 'nothing was written' };
      progress(total, 'nothing to change');
      return journal.done(metered(report, call));
    }

    let parallel = false;
    if (mode === 'patch') {
      try {
        parallel = await writeByPatch(c, todo, snap);
      } catch (e) {
        const err = toScimxError(e);
        if (asked === 'auto' && isPatchRefused(err)) {
          report.warnings.push(`PATCH refused (${err.message}); fell back to PUT read-modify-write`);
          mode = 'put';
        } else {
          throw err;
        }
      }
    }
    report.mode = mode;
    let afterSet: Set<string>;
    if (mode === 'put') {
      report.putPath = true;
      afterSet = await writeByPut(c, todo);
    } else {
      progress(total, 'verifying');
      let after = await checkAfter(c, todo, snap);
      afterSet = after.present;
      // A provider that applies PATCH as its own read-modify-write can lose one of two PATCHes that ran at
      // once. The verification just read what is not in effect: send that again, one part at a time, once.
      const notInEffect: MembershipChange = { add: todo.add.filter((id) => !afterSet.has(id)), remove: todo.remove.filter((id) => afterSet.has(id)) };
      if (parallel && !after.lost.length && (notInEffect.add.length || notInEffect.remove.length)) {
        report.warnings.push(`${notInEffect.add.length + notInEffect.remove.length} change(s) not in effect after PATCH parts sent ${client.profile.concurrency} at a time: sent again one part at a time`);
        await writeByPatch(c, notInEffect, snap, 1);
        progress(total, 'verifying');
        after = await checkAfter(c, todo, snap);
        afterSet = after.present;
      }
      journal.after(after.state);
      if (after.lost.length) throw lossError(c, todo, after, 'PATCH');
    }
    recordInEffect(report, todo, afterSet);
    report.verified = !report.missing.length && report.collateral.method !== 'none';
    if (report.missing.length) report.warnings.push(`${report.missing.length} change(s) not in effect after writing: ${report.missing.slice(0, 10).join(', ')}`);
    if (report.collateral.method === 'none' && report.collateral.why) report.warnings.push(`members the change did not name were not checked: ${report.collateral.why}`);
    return journal.done(metered(report, call));
  } catch (e) {
    const err = toScimxError(e);
    if (err.code === 'lost' && 'report' in err) {
      journal.done(metered(report, call), err.message);
      throw err;
    }
    // A failure after writing may leave the change partly in effect: say exactly what is (or that it is unknown).
    const failure = await withGroupState(c, todo, err, writesSent(call) > writesBefore, expect(todo.add, todo.remove));
    journal.done(report, failure.message);
    throw failure;
  }
}
