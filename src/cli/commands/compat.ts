// `scimx compat [--as entra|okta|sap-ips|oneim|all] [--yes]` (issue 14, point 4): the connector check, printed as a
// table (connector × operation × the gateway's verdict × the service's verdict × state verified), each row with
// its exchange id (`--har FILE` writes them all; `--json` gives the whole report).
import { ScimxError } from '../../core/errors';
import type { ScimClient } from '../../core/scim/client';
import { compatSummary, parseConnectors, runCompat, type CompatReport, type CompatRow, type ConnectorId } from '../../core/scim/compat';
import { json, table } from '../format';
import type { CommandContext } from './context';

export async function compat(client: ScimClient, ctx: CommandContext): Promise<number> {
  let connectors: ConnectorId[];
  try {
    connectors = parseConnectors(typeof ctx.values.as === 'string' ? ctx.values.as : undefined);
  } catch (e) {
    throw new ScimxError('usage', `--as: ${(e as Error).message}`, { hint: 'scimx compat --help' });
  }
  if (ctx.values.yes !== true) {
    const what = `compat creates scratch users and groups named scimx-compat-… on ${ctx.profile.name} (${ctx.profile.baseUrl}), sends `
      + `what ${connectors.join(', ')} send, and deletes them afterwards`;
    if (!ctx.io.confirm) throw new ScimxError('usage', `${what}: run it in a terminal to be asked, or pass --yes`, { hint: 'scimx compat --help' });
    if (!(await ctx.io.confirm(`${what}. Continue? [y/N] `))) {
      ctx.err('scimx: nothing sent\n');
      return 1;
    }
  }
  const report = await runCompat(client, {
    connectors, signal: ctx.signal,
    onProgress: (p) => ctx.progress(`compat: ${p.message} (${p.done}/${p.total})`),
  });
  ctx.progress(undefined);
  const failed = report.rows.some((r) => r.outcome !== 'pass') || report.leftovers.length > 0 || !!report.error;
  if (ctx.json) {
    ctx.out(json({ ok: !failed, ...report }));
  } else {
    ctx.out(formatCompat(report, ctx.mask));
  }
  if (report.cancelled) throw new ScimxError('cancelled', `cancelled; ${report.leftovers.length ? `scratch resources LEFT: ${report.leftovers.join(', ')}` : 'every scratch resource was deleted'}`);
  return failed ? 1 : 0;
}

function service(r: CompatRow): string {
  if (r.status === undefined) return '-';
  return [String(r.status), r.scimType ?? ''].filter(Boolean).join(' ');
}

function gateway(r: CompatRow): string {
  return r.gateway === 'passed' ? 'passed' : r.gateway === 'not sent' ? '-' : r.gateway;
}

/** The report as text: the table, then one line per row that needs explaining, then the cleanup. */
export function formatCompat(report: CompatReport, mask: (t: string) => string = (t) => t): string {
  const rows = report.rows.map((r, i) => [
    String(i + 1), r.connectorName, r.operation, mask(r.form), gateway(r), service(r), r.verified, r.outcome.toUpperCase(), r.exchangeId ?? '-',
  ]);
  let out = `${report.profile}: ${report.baseUrl}: connector check, scratch resources ${report.prefix}-…\n`;
  out += table(['#', 'CONNECTOR', 'OPERATION', 'REQUEST', 'GATEWAY', 'SERVICE', 'VERIFIED', 'RESULT', 'EXCHANGE'], rows, 64);
  const notes: string[] = [];
  report.rows.forEach((r, i) => {
    const why = [
      r.gateway !== 'passed' && r.gatewayDetail ? `gateway: ${r.gatewayDetail}` : '',
      r.serviceDetail ? `service: ${r.serviceDetail}` : '',
      ...r.differs.map((d) => `state: ${d}`),
      ...r.notes,
    ].filter(Boolean);
    if (why.length) notes.push(`  ${i + 1}. ${r.connectorName} ${r.operation}: ${mask(why.join('; '))}`);
  });
  if (notes.length) out += `\n${notes.join('\n')}\n`;
  const sources = [...new Set(report.rows.map((r) => r.source))];
  out += `\nrequest shapes from:\n${sources.map((s) => `  ${s}`).join('\n')}\n`;
  out += `\ncleanup:\n${report.cleanup.map((c) => `  ${c.kind} ${c.name}${c.id ? ` (${c.id})` : ''}: ${c.result}, ${c.detail}${c.exchangeIds.length ? ` [${c.exchangeIds.join(', ')}]` : ''}`).join('\n') || '  nothing was created'}\n`;
  out += `compat: ${mask(compatSummary(report))}\n`;
  return out;
}
