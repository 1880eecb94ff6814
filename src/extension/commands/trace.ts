// The trace: open the trace panel, export it (or one operation) as HAR, copy an exchange as curl, and the
// panel's explicit reveal of a masked header.
import * as vscode from 'vscode';
import { COMMANDS } from '../command-ids';
import { loadExport } from '../core-loader';
import { TracePanel } from '../trace-panel';
import type { Kit } from './kit';

export function registerTraceCommands(k: Kit): void {
  const { register, panelDeps } = k;
  const { log, trace, profiles } = k.x;

  register(COMMANDS.showTrace, (exchangeId?: unknown) => {
    TracePanel.show(panelDeps, { exchangeId: typeof exchangeId === 'string' ? exchangeId : undefined });
  });

  // `operationId`: export that operation only (the panel's "Export operation"); else the whole session.
  register(COMMANDS.exportHar, async (operationId?: unknown) => {
    const one = typeof operationId === 'string' ? trace.operation(operationId) : undefined;
    const ops = one ? [one] : trace.operations();
    if (!ops.length) return void vscode.window.showInformationMessage('The SCIM trace is empty.');
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    const base = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri = await vscode.window.showSaveDialog({
      title: one ? `Export "${one.title}" as HAR (secrets masked)` : 'Export SCIM trace as HAR (secrets masked)',
      defaultUri: base ? vscode.Uri.joinPath(base, `scim-${one ? 'operation' : 'trace'}-${stamp}.har`) : undefined,
      filters: { HAR: ['har'], JSON: ['json'] },
    });
    if (!uri) return;
    const { toHar } = loadExport();
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(JSON.stringify(toHar(ops), null, 2)));
    const count = ops.reduce((n, o) => n + o.exchanges.length, 0);
    void vscode.window.showInformationMessage(`Exported ${count} exchanges to ${uri.fsPath} (secrets masked).`);
  });

  register(COMMANDS.copyCurl, async (exchangeId?: unknown) => {
    let ex = typeof exchangeId === 'string' ? trace.findExchange(exchangeId) : undefined;
    if (!ex) {
      const ops = trace.operations();
      for (let i = ops.length - 1; i >= 0 && !ex; i--) ex = ops[i]!.exchanges[ops[i]!.exchanges.length - 1];
    }
    if (!ex) return void vscode.window.showInformationMessage('No exchange to copy: the SCIM trace is empty.');
    const op = trace.operation(ex.operationId);
    const profile = op ? await profiles.get(op.profile) : undefined;
    if (!profile) return void vscode.window.showWarningMessage(`The profile of this exchange ("${op?.profile ?? '?'}") no longer exists.`);
    const { toCurl } = loadExport();
    await vscode.env.clipboard.writeText(toCurl(ex, profile));
    void vscode.window.showInformationMessage('Copied as curl (secrets as $VARIABLES).');
  });

  // Internal: the trace panel asks for a masked header's raw value after an explicit click.
  register(COMMANDS.revealSecret, (exchangeId?: unknown, index?: unknown) => {
    if (typeof exchangeId !== 'string' || typeof index !== 'number') return undefined;
    const value = trace.reveal(exchangeId, index);
    log.info(`revealed request header #${index} of exchange ${exchangeId} in the trace panel`);
    return value;
  });
}
