// How a change that failed says so: members lost by a write (the error that stops everything), and any other
// failure carrying the state of the group as re-read after it.
import { isScimxError, ScimxError, toScimxError } from '../../errors';
import type { Call } from '../port';
import type { MembershipChange, MembershipReport } from '../types';
import { metered, recordInEffect } from './outcome';
import { presentAmong } from './presence';
import type { After, Change } from './target';

/** The error of a failed change, carrying the state of the group: its message says which of the asked
 * changes are in effect (re-read after the failure), or that nothing was written, or which are unknown. */
export type MembershipFailure = ScimxError & { report: MembershipReport };

export function membershipFailureReport(e: unknown): MembershipReport | undefined {
  return isScimxError(e) && 'report' in e ? (e as MembershipFailure).report : undefined;
}

/** Members lost by a write: the error that stops the change, names every lost member known, and says plainly
 * what the server did. With a sample, the service's own count (when it gives one) says how many are gone in all. */
export function lossError(c: Change, todo: MembershipChange, after: After, how: 'PATCH' | 'PUT'): ScimxError {
  const { report } = c;
  report.lost = after.lost;
  recordInEffect(report, todo, after.present);
  report.verified = false;
  const n = after.lost.length;
  const whole = report.collateral.method === 'full';
  const gone = whole ? `${n} other member${n === 1 ? ' is' : 's are'} gone` : `${n} of the ${report.collateral.checked} other members checked ${n === 1 ? 'is' : 'are'} gone (others not checked may be gone too)`;
  const names = `${after.lost.slice(0, 20).join(', ')}${n > 20 ? ` and ${n - 20} more` : ''}`;
  const message = `The server answered 2xx to a ${how} that added ${todo.add.length} and removed ${todo.remove.length} member(s) of group ${c.groupId}, and ${gone}: ${names}. `
    + 'Nothing more was sent; restore puts back exactly the lost members.';
  report.warnings.push(message);
  return Object.assign(new ScimxError('lost', message, { hint: 'Restore the lost members (scimx members restore, or "Restore" on the notification), then use another write mode (writes: patch or put) or report the server bug.' }), { report });
}

/** Membership writes sent so far (PATCH and PUT: an OAuth token request is a POST, and writes nothing). */
export function writesSent(call: Call): number {
  return call.operation.exchanges.filter((x) => x.request.method === 'PATCH' || x.request.method === 'PUT').length;
}

/** `err` with the state of the group after it: nothing written, unknown (cancelled, or the re-read failed), or
 * which of `todo` are in effect by a re-read that expects `expected` present. */
export async function withGroupState(c: Change, todo: MembershipChange, err: ScimxError, wrote: boolean, expected: string[]): Promise<MembershipFailure> {
  const { call, groupId, report } = c;
  const ids = [...todo.add, ...todo.remove];
  let state: string;
  if (!wrote) {
    report.missing = ids;
    state = `Nothing was written to group ${groupId}.`;
  } else if (err.code === 'cancelled' || call.signal?.aborted) {
    state = `Group ${groupId}: the state of ${ids.join(', ')} is unknown (cancelled after writing); re-read the group.`;
  } else {
    try {
      const now = await presentAmong(c, ids, expected);
      recordInEffect(report, todo, now);
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
  metered(report, call);
  return Object.assign(err, { message: `${err.message} ${state}`, report });
}
