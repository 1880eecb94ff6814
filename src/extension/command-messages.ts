// One-line texts the commands show (no `vscode` import, unit-tested): membership diffs and results, probe and
// location notices. Only the commands use them (dist/commands.js, scripts/build.mjs LAZY); ./messages.ts has the
// lines activation and the tree need.
import { locationNotes } from '../core/diagnosis';
import { isScimxError } from '../core/errors';
import { reportParts } from '../core/scim/report';
import type { MembershipReport, ProbeFinding, ProbeRow } from '../core/scim/types';
import type { Operation } from '../core/trace';

export interface PutDiff { groupId: string; add: string[]; remove: string[]; memberCount: number }

function names(ids: string[], labels: ReadonlyMap<string, string>, max = 10): string {
  const shown = ids.slice(0, max).map((id) => labels.get(id) ?? id);
  return ids.length > max ? `${shown.join(', ')} and ${ids.length - max} more` : shown.join(', ');
}

/** The modal shown before a PUT (read-modify-write) membership change. */
export function putConfirmation(groupLabel: string, diff: PutDiff, labels: ReadonlyMap<string, string>): { message: string; detail: string } {
  const after = diff.memberCount + diff.add.length - diff.remove.length;
  const lines = [
    `This change is written with PUT: the whole member list is sent back `
      + `(${diff.memberCount} members now, ${after} after). Members added by someone else in the meantime are kept: `
      + `the group is re-read and the change re-applied if it moved.`,
  ];
  if (diff.add.length) lines.push(`Add (${diff.add.length}): ${names(diff.add, labels)}`);
  if (diff.remove.length) lines.push(`Remove (${diff.remove.length}): ${names(diff.remove, labels)}`);
  return { message: `Replace the members of "${groupLabel}" with PUT?`, detail: lines.join('\n') };
}

/** The result of a membership change, naming the users affected (their labels when known). */
export function membershipSummary(groupLabel: string, r: MembershipReport, labels: ReadonlyMap<string, string> = new Map()): string {
  const how = `${r.mode.toUpperCase()}${r.verified ? ', verified' : ', not verified'}`;
  const who: string[] = [];
  if (r.added.length) who.push(`added ${names(r.added, labels, 5)}`);
  if (r.removed.length) who.push(`removed ${names(r.removed, labels, 5)}`);
  if (r.lost.length) who.push(`LOST ${names(r.lost, labels, 5)}`);
  const unchecked = !r.verified && r.collateral?.method === 'none' && r.collateral.why && !r.missing.length ? ` Other members not checked: ${r.collateral.why}.` : '';
  return `${groupLabel}: ${reportParts(r, { traffic: true }).join(', ') || 'no change'} (${how}, ${r.requests} request${r.requests === 1 ? '' : 's'})${who.length ? `: ${who.join('; ')}` : ''}.${unchecked}`;
}

/** The modal before removing several members at once, naming them and the group. */
export function removeConfirmation(groupLabel: string, members: Array<{ value: string; display?: string }>, labels: ReadonlyMap<string, string>): { message: string; detail: string } {
  const shown = new Map(labels);
  for (const m of members) if (m.display && !shown.has(m.value)) shown.set(m.value, m.display);
  return {
    message: `Remove ${members.length} members from "${groupLabel}"?`,
    detail: `${names(members.map((m) => m.value), shown, 20)}\n\nEach removal is checked afterwards, and the result offers Undo.`,
  };
}

/** The failure of a change that lost members the change did not name: says so first, names them. */
export function lostLine(groupLabel: string, r: MembershipReport, labels: ReadonlyMap<string, string>): string {
  return `${groupLabel}: the server accepted the change but ${r.lost.length} other member${r.lost.length === 1 ? ' is' : 's are'} gone: ${names(r.lost, labels, 10)}. Nothing more was sent.`;
}

/** The membership report a failed change carries (its state re-read, what was lost), when it carries one. */
export function membershipFailureReport(e: unknown): MembershipReport | undefined {
  if (!isScimxError(e) || !('report' in e)) return undefined;
  const r = (e as { report?: unknown }).report;
  return r && typeof r === 'object' && Array.isArray((r as MembershipReport).lost) ? (r as MembershipReport) : undefined;
}

/** The warning shown after a probe, or undefined when every method passed and nothing was found. */
export function probeNotification(profile: string, rows: ProbeRow[], findings: ProbeFinding[]): string | undefined {
  const failed = rows.filter((r) => r.verdict === 'fail');
  const parts = [...failed.map((r) => `${r.method}: ${r.detail}`), ...findings.map((f) => f.message)];
  return parts.length ? `Probe ${profile}: ${parts.join('; ')}` : undefined;
}

/** What a notification adds when server URLs pointed at another origin during the operations given (rewritten
 * onto the gateway or followed without credentials): never silent. Undefined when none did. */
export function locationNotice(ops: ReadonlyArray<Pick<Operation, 'exchanges'>>, baseUrl: string): string | undefined {
  const notes = locationNotes(ops.flatMap((o) => o.exchanges), baseUrl);
  return notes.length ? `Note: ${notes.join('; ')}.` : undefined;
}
