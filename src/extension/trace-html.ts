// The trace panel's HTML shell (no `vscode` import, unit-tested). No data ever goes into this string:
// the script renders everything with textContent. CSP: nothing but our own nonce'd scripts and the
// stylesheet from media/.
import { randomBytes } from 'node:crypto';

export interface TraceHtmlInput {
  cspSource: string;
  nonce: string;
  scripts: string[];
  styles: string[];
}

/** The panel's webview options: scripts on, and local resources from `media/` only (nothing else of the
 * extension or the workspace can be loaded). `media` is the extension's media folder URI. */
export function panelOptions<U>(media: U): { enableScripts: true; localResourceRoots: U[]; retainContextWhenHidden: false; enableFindWidget: true } {
  return { enableScripts: true, localResourceRoots: [media], retainContextWhenHidden: false, enableFindWidget: true };
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    `default-src 'none'`,
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `img-src ${cspSource}`,
    `font-src ${cspSource}`,
  ].join('; ');
}

function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function traceHtml(i: TraceHtmlInput): string {
  const csp = contentSecurityPolicy(i.cspSource, i.nonce);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${i.styles.map((s) => `<link rel="stylesheet" href="${attr(s)}">`).join('\n')}
<title>SCIM Trace</title>
</head>
<body>
<header id="toolbar" role="toolbar" aria-label="Trace actions">
  <input id="filter" type="search" placeholder="Filter: method, status, profile, text (e.g. PATCH 401 Groups)" aria-label="Filter exchanges">
  <button id="export-har" type="button" title="Export the whole trace as HAR (secrets masked)">Export HAR</button>
  <button id="export-op" type="button" title="Export the operation of the selected exchange as HAR (secrets masked)" disabled>Export operation</button>
  <button id="copy-curl" type="button" title="Copy the selected exchange as curl (secrets as $VARIABLES)" disabled>Copy curl</button>
  <button id="clear" type="button" title="Clear the trace">Clear</button>
  <span id="count" aria-live="polite"></span>
</header>
<section id="probe" hidden aria-label="Gateway probe"></section>
<div id="list" role="tree" aria-label="Operations and their exchanges" tabindex="0"><div id="spacer"></div></div>
<div id="hint">Select an exchange (Enter) to see what went on the wire; Ctrl/Cmd-click a second one to compare.</div>
<section id="compare" hidden aria-label="Compare exchanges"></section>
<section id="detail" hidden aria-label="Exchange detail"></section>
${i.scripts.map((s) => `<script nonce="${attr(i.nonce)}" src="${attr(s)}"></script>`).join('\n')}
</body>
</html>`;
}
