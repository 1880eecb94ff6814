// How a membership report reads, in one place for every face (trace summary, CLI, VS Code messages).
// Kept free of imports; the extension loads it with the first report it words (dist/report.js, scripts/build.mjs LAZY).
import type { MembershipReport } from './types';

/** What a summary adds to the outcome. */
export interface SummaryOptions {
  /** The bytes the PUT path moved (trafficPart), when it ran. */
  traffic?: boolean;
}

/** `added 3`, `already present 1`, `NOT applied 2`, … in that order (and, asked for, what the PUT path moved);
 * empty when nothing happened. */
export function reportParts(r: MembershipReport, opts: SummaryOptions = {}): string[] {
  const parts: string[] = [];
  if (r.added.length) parts.push(`added ${r.added.length}`);
  if (r.removed.length) parts.push(`removed ${r.removed.length}`);
  if (r.alreadyPresent.length) parts.push(`already present ${r.alreadyPresent.length}`);
  if (r.alreadyAbsent.length) parts.push(`not a member ${r.alreadyAbsent.length}`);
  if (r.missing.length) parts.push(`NOT applied ${r.missing.length}`);
  if (r.lost?.length) parts.push(`LOST ${r.lost.length} other member${r.lost.length === 1 ? '' : 's'}`);
  if (r.concurrentChange) parts.push('concurrent change detected');
  if (r.unconditionalWrite) parts.push('no ETags: an overwrite of a concurrent change cannot be ruled out');
  const traffic = opts.traffic ? trafficPart(r) : undefined;
  if (traffic) parts.push(traffic);
  return parts;
}

/** One line for a trace or a log: `PATCH: added 3, already present 1 (verified)`. */
export function summarizeReport(r: MembershipReport, opts: SummaryOptions = {}): string {
  return `${r.mode.toUpperCase()}: ${reportParts(r, opts).join(', ') || 'nothing to do'}${r.verified ? ' (verified)' : ''}`;
}

/** `PUT moved 19.1 MB (9.5 MB sent, 9.6 MB received)` when the PUT path ran: it reads the whole member list
 * and writes it back, so its cost grows with the group (issue 4). The whole change is counted (checks and
 * verification included). Undefined for the PATCH path, or when nothing was measured. */
export function trafficPart(r: MembershipReport): string | undefined {
  if (!r.putPath || r.bytesSent + r.bytesReceived <= 0) return undefined;
  return `PUT moved ${formatBytes(r.bytesSent + r.bytesReceived)} (${formatBytes(r.bytesSent)} sent, ${formatBytes(r.bytesReceived)} received)`;
}

/** `512 B`, `2.7 KB`, `19.1 MB` (1024-based, as the benchmarks print them). */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MB`;
  return n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} B`;
}
