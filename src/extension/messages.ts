// One-line texts the extension shows (no `vscode` import, unit-tested): failures, and the masked output-channel
// line per exchange. What only the commands show (membership diffs and results, probe and location notices) is
// ./command-messages.ts.
import { isScimxError } from '../core/errors';
import type { Exchange, Operation } from '../core/trace';

/** The one line a failure is shown with: the diagnosis when there is one, then its fix. */
export function failureLine(e: unknown): string {
  if (isScimxError(e)) {
    const d = e.diagnosis;
    if (d) return d.fix ? `${d.summary}${/[.!?]$/.test(d.summary) ? '' : '.'} ${d.fix}` : d.summary;
    return e.hint ? `${e.message} ${e.hint}` : e.message;
  }
  return e instanceof Error ? e.message.split(/\r?\n/)[0] ?? String(e) : String(e);
}

export function isCancellation(e: unknown): boolean {
  return (isScimxError(e) && e.code === 'cancelled') || (e instanceof Error && e.name === 'AbortError');
}

/** One masked line per finished exchange (the trace is masked already; no headers, no bodies). */
export function exchangeLogLine(op: Pick<Operation, 'title' | 'profile'>, ex: Exchange): string {
  const ms = ex.timings.end !== undefined ? ` ${Math.round(ex.timings.end)} ms` : '';
  const status = ex.response ? `${ex.response.status}${ex.response.statusText ? ` ${ex.response.statusText}` : ''}` : ex.error ? `failed (${ex.error.code}: ${ex.error.message})` : 'pending';
  const extra: string[] = [`key=${ex.keySentAs}`];
  if (ex.attempt > 1) extra.push(`attempt ${ex.attempt}`);
  if (ex.location) {
    const host = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(ex.location.credentialsWithheld ? ex.location.to : ex.location.from)?.[1] ?? '?';
    extra.push(ex.location.credentialsWithheld ? `sent to ${host} without credentials (locations: follow)` : `server URL on ${host} rewritten onto the gateway`);
  }
  if (ex.expected) extra.push('expected');
  if (ex.diagnosis) extra.push(`diagnosis: ${ex.diagnosis.summary}`);
  return `[${op.profile}] ${op.title}: ${ex.request.method} ${ex.request.url} → ${status}${ms} (${extra.join(', ')})`;
}
