// How a membership report reads, in one place for every face (trace summary, CLI, VS Code messages).
// Kept free of imports so the extension's activation bundle can use it without loading the client.
import type { MembershipReport } from './types';

/** `added 3`, `already present 1`, `NOT applied 2`, … in that order; empty when nothing happened. */
export function reportParts(r: MembershipReport): string[] {
  const parts: string[] = [];
  if (r.added.length) parts.push(`added ${r.added.length}`);
  if (r.removed.length) parts.push(`removed ${r.removed.length}`);
  if (r.alreadyPresent.length) parts.push(`already present ${r.alreadyPresent.length}`);
  if (r.alreadyAbsent.length) parts.push(`not a member ${r.alreadyAbsent.length}`);
  if (r.missing.length) parts.push(`NOT applied ${r.missing.length}`);
  if (r.concurrentChange) parts.push('concurrent change detected');
  if (r.unconditionalWrite) parts.push('no ETags: an overwrite of a concurrent change cannot be ruled out');
  return parts;
}

/** One line for a trace or a log: `PATCH: added 3, already present 1 (verified)`. */
export function summarizeReport(r: MembershipReport): string {
  return `${r.mode.toUpperCase()}: ${reportParts(r).join(', ') || 'nothing to do'}${r.verified ? ' (verified)' : ''}`;
}
