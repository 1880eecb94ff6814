// A diagnosis is what a person reads when something went wrong (or nearly): one line that says what
// happened and who said it, and the fix. It is computed from the trace, never from what we meant to send.
// The `Diagnosis` shape is part of the trace's data (./trace.ts); the rules that compute it live in ./diagnose.ts.
import type { Exchange } from './trace';

export type { Diagnosis, DiagnosisSource } from './trace';
export { asGatewayError, looksLikeHtml, type GatewayErrorBody } from './http/who-answered';
export { asScimError, diagnoseExchange, type DiagnoseContext, type ScimErrorBody } from './diagnose';

/**
 * One line per foreign host that server URLs (meta.location, redirects) pointed at, over the exchanges given:
 * rewritten onto the gateway (`locations: rewrite`) or followed without credentials (`follow`). For the CLI's
 * summary and the extension's notifications: a rewrite is never silent.
 */
export function locationNotes(exchanges: Iterable<Exchange>, baseUrl: string): string[] {
  const gw = hostOf(baseUrl) ?? baseUrl;
  const rewritten = new Map<string, number>();
  const followed = new Map<string, number>();
  for (const ex of exchanges) {
    if (!ex.location) continue;
    const host = hostOf(ex.location.credentialsWithheld ? ex.location.to : ex.location.from);
    if (!host) continue;
    const m = ex.location.credentialsWithheld ? followed : rewritten;
    m.set(host, (m.get(host) ?? 0) + 1);
  }
  const out: string[] = [];
  for (const [host, n] of rewritten) {
    out.push(`${n} server URL${n === 1 ? '' : 's'} (meta.location) pointed at ${host}, not at the gateway ${gw}: rewritten onto the gateway (locations: rewrite); a client that follows them leaves the gateway`);
  }
  for (const [host, n] of followed) {
    out.push(`${n} request${n === 1 ? '' : 's'} went to ${host}, taken from meta.location, not to the gateway ${gw}: sent without credentials or the gateway key (locations: follow)`);
  }
  return out;
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
