// The connector check's result panel (a webview): the page from ./compat-html.ts, and a click on a row's exchange
// opens the trace panel there. One panel, reused by the next check.
import * as vscode from 'vscode';
import type { CompatReport } from '../core/scim/compat';
import { compatHtml } from './compat-html';
import { loadCompat } from './core-loader';
import { makeNonce, panelOptions } from './trace-html';

export class CompatPanel {
  static readonly viewType = 'scim.compat';
  private static current: CompatPanel | undefined;
  private readonly panel: vscode.WebviewPanel;

  static show(extensionUri: vscode.Uri, report: CompatReport, onOpen: (exchangeId: string) => void): void {
    const p = CompatPanel.current ?? (CompatPanel.current = new CompatPanel(extensionUri, onOpen));
    p.render(extensionUri, report);
    p.panel.reveal(undefined, false);
  }

  private constructor(extensionUri: vscode.Uri, onOpen: (exchangeId: string) => void) {
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    this.panel = vscode.window.createWebviewPanel(CompatPanel.viewType, 'Connector Compatibility', vscode.ViewColumn.Active, panelOptions(media));
    this.panel.iconPath = vscode.Uri.joinPath(media, 'scim.svg');
    this.panel.webview.onDidReceiveMessage((m: unknown) => {
      const msg = m as { type?: unknown; exchangeId?: unknown } | undefined;
      if (msg && msg.type === 'open' && typeof msg.exchangeId === 'string') onOpen(msg.exchangeId);
    });
    this.panel.onDidDispose(() => { if (CompatPanel.current === this) CompatPanel.current = undefined; });
  }

  private render(extensionUri: vscode.Uri, report: CompatReport): void {
    const w = this.panel.webview;
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    w.html = compatHtml({
      cspSource: w.cspSource, nonce: makeNonce(), report, summary: loadCompat().compatSummary(report),
      script: w.asWebviewUri(vscode.Uri.joinPath(media, 'compat.js')).toString(),
      style: w.asWebviewUri(vscode.Uri.joinPath(media, 'compat.css')).toString(),
    });
  }
}
