// A sent request's result as a person reads it: the CLI prints it, VS Code shows it in the response editor.
import type { SendResult } from './send';

/** The request, then what was said about it (warnings, the membership verdict, the error), then the answer:
 * status, headers and body. What was not sent as asked comes before the answer, where it is read. */
export function formatSendResult(r: SendResult): string {
  const lines: string[] = [`### ${r.name ?? `#${r.index + 1}`}: ${r.method} ${r.target}`];
  if (r.url) lines.push(`${r.method} ${r.url}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  const m = r.membership;
  if (m) {
    const verdict = m.lost.length ? `${m.lost.length} LOST` : m.verified ? 'verified' : `NOT verified${m.collateral.why ? ` (${m.collateral.why})` : ''}`;
    const parts = [
      m.added.length ? `added ${m.added.join(', ')}` : '', m.removed.length ? `removed ${m.removed.join(', ')}` : '',
      m.missing.length ? `MISSING ${m.missing.join(', ')}` : '', m.lost.length ? `LOST ${m.lost.join(', ')}` : '',
      m.collateral.method !== 'none' ? `others checked ${m.collateral.checked}${m.collateral.method === 'full' ? ' (every other member)' : ' (a sample)'}` : '',
    ].filter(Boolean);
    lines.push(`members of group ${m.groupId}: ${verdict}${parts.length ? `; ${parts.join('; ')}` : ''}${m.journalId ? `; journal ${m.journalId}` : ''}`);
    for (const w of m.warnings) if (w !== r.error?.message) lines.push(`  warning: ${w}`);
  }
  if (r.error) lines.push(`error: ${r.error.message}`);
  if (r.diagnosis?.summary && r.diagnosis.summary !== r.error?.message) lines.push(`diagnosis: ${r.diagnosis.summary}${r.diagnosis.fix ? ` Fix: ${r.diagnosis.fix}` : ''}`);
  if (r.status !== undefined) {
    lines.push('', `HTTP ${r.status}${r.statusText ? ` ${r.statusText}` : ''}${r.durationMs !== undefined ? ` (${Math.round(r.durationMs)} ms)` : ''}`);
    for (const [k, v] of r.headers) lines.push(`${k}: ${v}`);
    if (r.body) lines.push('', r.json !== undefined ? JSON.stringify(r.json, null, 2) : r.body);
  }
  return `${lines.join('\n')}\n`;
}
