// Host side of the "SCIM Trace" webview panel: one panel, created on demand. It sends the webview a
// snapshot of row summaries once, then batched trace events (every 50 ms at most); a full exchange
// only when the user selects it. Everything shown comes from the masked trace; a raw header value is
// sent only for an explicit "reveal" click.
import * as vscode from 'vscode';
import type { ProbeFinding, ProbeRow } from '../core/scim/types';
import type { Trace } from '../core/trace';
import { TraceBatcher, isWebviewMessage, opRow, snapshot, type HostMessage, type WebviewMessage } from './trace-protocol';
import { makeNonce, panelOptions, traceHtml } from './trace-html';
import { COMMANDS } from './command-ids';

export interface TracePanelDeps {
  extensionUri: vscode.Uri;
  trace: Trace;
  log: vscode.LogOutputChannel;
}

export class TracePanel implements vscode.Disposable {
  static readonly viewType = 'scim.trace';
  private static current: TracePanel | undefined;

  private ready = false;
  private pending: HostMessage[] = [];
  private readonly batcher: TraceBatcher;
  private readonly disposables: vscode.Disposable[] = [];

  /** Opens (or reveals) the panel; `select` scrolls to and opens one exchange. */
  static show(deps: TracePanelDeps, focus: { exchangeId?: string; probe?: { profile: string; rows: ProbeRow[]; findings?: ProbeFinding[] } } = {}): TracePanel {
    let p = TracePanel.current;
    if (p) p.panel.reveal(undefined, false);
    else p = TracePanel.current = new TracePanel(deps);
    if (focus.probe) p.post({ type: 'probe', profile: focus.probe.profile, rows: focus.probe.rows, findings: focus.probe.findings ?? [] });
    if (focus.exchangeId) {
      p.batcher.flush();
      p.post({ type: 'select', exchangeId: focus.exchangeId });
    }
    return p;
  }

  static get isOpen(): boolean {
    return TracePanel.current !== undefined;
  }

  private readonly panel: vscode.WebviewPanel;

  private constructor(private readonly deps: TracePanelDeps) {
    const media = vscode.Uri.joinPath(deps.extensionUri, 'media');
    this.panel = vscode.window.createWebviewPanel(TracePanel.viewType, 'SCIM Trace', { viewColumn: vscode.ViewColumn.Beside, preserveFocus: false }, panelOptions(media));
    this.panel.iconPath = vscode.Uri.joinPath(media, 'scim.svg');
    const w = this.panel.webview;
    w.html = traceHtml({
      cspSource: w.cspSource,
      nonce: makeNonce(),
      scripts: [w.asWebviewUri(vscode.Uri.joinPath(media, 'trace-view.js')).toString(), w.asWebviewUri(vscode.Uri.joinPath(media, 'trace.js')).toString()],
      styles: [w.asWebviewUri(vscode.Uri.joinPath(media, 'trace.css')).toString()],
    });
    this.batcher = new TraceBatcher((m) => void w.postMessage(m), 50);
    this.disposables.push(
      { dispose: deps.trace.onEvent((e) => { if (this.ready) this.batcher.handle(e); }) },
      w.onDidReceiveMessage((m: unknown) => { if (isWebviewMessage(m)) void this.onMessage(m); }),
      this.panel.onDidChangeViewState((e) => { if (!e.webviewPanel.visible) this.ready = false; }),
      this.panel.onDidDispose(() => this.dispose()),
    );
  }

  post(m: HostMessage): void {
    if (this.ready) void this.panel.webview.postMessage(m);
    else this.pending.push(m);
  }

  dispose(): void {
    if (TracePanel.current === this) TracePanel.current = undefined;
    this.batcher.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }

  private async onMessage(m: WebviewMessage): Promise<void> {
    const { trace } = this.deps;
    const w = this.panel.webview;
    switch (m.type) {
      case 'ready': {
        this.ready = true;
        this.batcher.reset();
        await w.postMessage(snapshot(trace.operations()));
        for (const p of this.pending.splice(0)) await w.postMessage(p);
        break;
      }
      case 'detail': {
        const ex = trace.findExchange(m.exchangeId);
        if (!ex) break;
        const op = trace.operation(ex.operationId);
        const revealable: number[] = [];
        ex.request.headers.forEach((_h, i) => { if (trace.reveal(ex.id, i) !== undefined) revealable.push(i); });
        await w.postMessage({
          type: 'detail', slot: m.slot, exchange: ex, revealable,
          operation: op ? opRow(op) : undefined,
          operationDiagnosis: op?.diagnosis,
        } satisfies HostMessage);
        break;
      }
      case 'reveal': {
        const value = (await vscode.commands.executeCommand<string | undefined>(COMMANDS.revealSecret, m.exchangeId, m.index)) ?? null;
        await w.postMessage({ type: 'revealed', exchangeId: m.exchangeId, index: m.index, value } satisfies HostMessage);
        break;
      }
      case 'exportHar':
        await vscode.commands.executeCommand(COMMANDS.exportHar, m.operationId);
        break;
      case 'copyCurl':
        await vscode.commands.executeCommand(COMMANDS.copyCurl, m.exchangeId);
        break;
      case 'copyUrl': {
        // exactly as sent (percent-encoded; secrets in it already masked by the trace)
        const ex = trace.findExchange(m.exchangeId);
        if (ex) await vscode.env.clipboard.writeText(ex.request.url);
        break;
      }
      case 'clear':
        trace.clear();
        break;
    }
  }
}
