// The connector check's result as a webview page (no `vscode` import, unit-tested): the table with one row per
// request, each with a button that opens the trace at its exchange. Every server-provided string is escaped; the
// only script is media/compat.js (nonce'd), which posts `{type: 'open', exchangeId}` on a click.
import type { CompatReport, CompatRow } from '../core/scim/compat';
import { contentSecurityPolicy } from './trace-html';

export interface CompatHtmlInput {
  cspSource: string;
  nonce: string;
  script: string;
  style: string;
  report: CompatReport;
  /** compatSummary(report), computed by the caller (the core is loaded lazily, not bundled into the UI). */
  summary: string;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const e = escapeHtml;

function service(r: CompatRow): string {
  return r.status === undefined ? '–' : [String(r.status), r.scimType ?? ''].filter(Boolean).join(' ');
}

function detail(r: CompatRow): string {
  return [
    r.gateway !== 'passed' && r.gatewayDetail ? `gateway: ${r.gatewayDetail}` : '',
    r.serviceDetail ? `service: ${r.serviceDetail}` : '',
    ...r.differs.map((x) => `state: ${x}`),
    ...r.notes,
  ].filter(Boolean).join('; ');
}

function row(r: CompatRow, i: number): string {
  const open = r.exchangeId
    ? `<button type="button" class="open" data-exchange="${e(r.exchangeId)}" title="Open this request in the SCIM trace">${e(r.exchangeId)}</button>`
    : '–';
  return `<tr class="${e(r.outcome)}">
<td>${i + 1}</td><td>${e(r.connectorName)}</td><td>${e(r.operation)}</td>
<td><code>${e(r.request || '–')}</code><div class="form">${e(r.form)}</div></td>
<td class="gw-${e(r.gateway.replace(/\s+/g, '-'))}">${e(r.gateway)}</td><td>${e(service(r))}</td>
<td class="v-${e(r.verified)}">${e(r.verified)}</td><td class="outcome">${e(r.outcome.toUpperCase())}</td>
<td>${open}</td><td class="detail">${e(detail(r))}</td>
</tr>`;
}

export function compatHtml(i: CompatHtmlInput): string {
  const r = i.report;
  const csp = contentSecurityPolicy(i.cspSource, i.nonce);
  const sources = [...new Set(r.rows.map((x) => x.source))];
  const cleanup = r.cleanup.map((c) => `<li>${e(c.kind)} <code>${e(c.name)}</code>${c.id ? ` (${e(c.id)})` : ''}: ${e(c.result)}, ${e(c.detail)}${c.exchangeIds[0] ? ` <button type="button" class="open" data-exchange="${e(c.exchangeIds[0])}">${e(c.exchangeIds[0])}</button>` : ''}</li>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${e(i.style)}">
<title>Connector Compatibility</title>
</head>
<body>
<h1>Connector compatibility: ${e(r.profile)}</h1>
<p class="base">${e(r.baseUrl)} · scratch resources <code>${e(r.prefix)}-…</code></p>
<p id="summary" class="${r.leftovers.length || r.rows.some((x) => x.outcome !== 'pass') ? 'bad' : 'good'}">${e(i.summary)}</p>
<table id="compat" aria-label="Connector compatibility">
<thead><tr><th>#</th><th>Connector</th><th>Operation</th><th>Request</th><th>Gateway</th><th>Service</th><th>Verified</th><th>Result</th><th>Exchange</th><th>Why</th></tr></thead>
<tbody>
${r.rows.map(row).join('\n')}
</tbody>
</table>
<h2>Cleanup</h2>
<ul id="cleanup">${cleanup || '<li>nothing was created</li>'}</ul>
<h2>Request shapes from</h2>
<ul>${sources.map((s) => `<li>${e(s)}</li>`).join('')}</ul>
<script nonce="${e(i.nonce)}" src="${e(i.script)}"></script>
</body>
</html>`;
}
