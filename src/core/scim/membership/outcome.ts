// The report of one change: made empty, then told which asked changes are in effect, then metered.
import type { Call } from '../port';
import type { MembershipChange, MembershipReport } from '../types';

export function emptyReport(groupId: string): MembershipReport {
  return {
    groupId, mode: 'patch', added: [], removed: [], alreadyPresent: [], alreadyAbsent: [], missing: [], lost: [],
    verified: false, collateral: { method: 'none', checked: 0 }, concurrentChange: false, requests: 0, bytesSent: 0, bytesReceived: 0, warnings: [],
  };
}

/** Which of the changes `todo` asked for are in effect, `present` being the members (of those asked) read last. */
export function recordInEffect(report: MembershipReport, todo: MembershipChange, present: ReadonlySet<string>): void {
  report.added = todo.add.filter((id) => present.has(id));
  report.removed = todo.remove.filter((id) => !present.has(id));
  report.missing = [...todo.add.filter((id) => !present.has(id)), ...todo.remove.filter((id) => present.has(id))];
}

/** The report with what the change cost: requests and bytes of its call. */
export function metered(report: MembershipReport, call: Call): MembershipReport {
  report.requests = call.meter.requests;
  report.bytesSent = call.meter.bytesSent;
  report.bytesReceived = call.meter.bytesReceived;
  return report;
}
