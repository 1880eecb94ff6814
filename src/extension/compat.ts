// "SCIM: Check Connector Compatibility" (issue 14, point 4): pick the connectors, confirm (it creates and deletes
// scratch resources on the service), run the check under a cancellable progress notification, and show the table
// in a webview where each row opens the trace at its exchange. The run itself is core (src/core/scim/compat.ts).
import * as vscode from 'vscode';
import type { Profile } from '../core/profile';
import type { CompatReport, ConnectorId } from '../core/scim/compat';
import type { Trace } from '../core/trace';
import { compatHtml } from './compat-html';
import { loadCore } from './core-loader';
import { failureLine, isCancellation } from './messages';
import type { ProfileStore } from './profiles';
import type { Clients } from './session';
import type { ActiveProfile } from './status';
import { TracePanel } from './trace-panel';
import { makeNonce, panelOptions } from './trace-html';
import type { TreeNode } from './tree-model';
import type { Waits } from './waits';

export const COMPAT_COMMANDS = { check: 'scim.checkCompatibility' } as const;

export interface CompatDeps {
  log: vscode.LogOutputChannel;
  trace: Trace;
  clients: Clients;
  profiles: ProfileStore;
  view: vscode.TreeView<TreeNode>;
  status: ActiveProfile;
  waits: Waits;
}

const CHOICES: Array<{ label: string; description: string; ids: ConnectorId[] | 'all' }> = [
  { label: 'All connectors', description: 'Microsoft Entra ID, Okta, SAP Identity Provisioning, One Identity Manager', ids: 'all' },
  { label: 'Microsoft Entra ID', description: 'PATCH forms, the non-standard ones included', ids: ['entra'] },
  { label: 'Okta', description: 'user PUT and deactivate PATCH, Group Push', ids: ['okta'] },
  { label: 'SAP Identity Provisioning', description: 'PUT of the whole user and group', ids: ['sap-ips'] },
  { label: 'One Identity Manager', description: 'GET then PUT of the whole group', ids: ['oneim'] },
];

/** The one panel of the last check's result. */
class CompatPanel {
  private static current: CompatPanel | undefined;
  private readonly panel: vscode.WebviewPanel;

  static show(extensionUri: vscode.Uri, report: CompatReport, onOpen: (exchangeId: string) => void): void {
    const p = CompatPanel.current ?? (CompatPanel.current = new CompatPanel(extensionUri, onOpen));
    p.render(extensionUri, report);
    p.panel.reveal(undefined, false);
  }

  private constructor(extensionUri: vscode.Uri, onOpen: (exchangeId: string) => void) {
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    this.panel = vscode.window.createWebviewPanel('scim.compat', 'Connector Compatibility', vscode.ViewColumn.Active, { ...panelOptions(media), retainContextWhenHidden: false });
    this.panel.iconPath = vscode.Uri.joinPath(media, 'scim.svg');
    this.panel.webview.onDidReceiveMessage((m: unknown) => {
      const msg = m as { type?: unknown; exchangeId?: unknown };
      if (msg && msg.type === 'open' && typeof msg.exchangeId === 'string') onOpen(msg.exchangeId);
    });
    this.panel.onDidDispose(() => { if (CompatPanel.current === this) CompatPanel.current = undefined; });
  }

  private render(extensionUri: vscode.Uri, report: CompatReport): void {
    const w = this.panel.webview;
    const media = vscode.Uri.joinPath(extensionUri, 'media');
    w.html = compatHtml({
      cspSource: w.cspSource, nonce: makeNonce(), report, summary: loadCore().compatSummary(report),
      script: w.asWebviewUri(vscode.Uri.joinPath(media, 'compat.js')).toString(),
      style: w.asWebviewUri(vscode.Uri.joinPath(media, 'compat.css')).toString(),
    });
  }
}

export function registerCompat(context: vscode.ExtensionContext, d: CompatDeps): void {
  const panelDeps = { extensionUri: context.extensionUri, trace: d.trace, log: d.log };

  const profileFor = async (arg: unknown): Promise<Profile | undefined> => {
    const node = arg as { kind?: unknown; profile?: unknown } | undefined;
    if (node && node.kind === 'profile' && node.profile && typeof node.profile === 'object') return node.profile as Profile;
    if (typeof arg === 'string') return d.profiles.get(arg);
    const sel = d.view.selection[0];
    const name = sel && 'profile' in sel ? (typeof sel.profile === 'string' ? sel.profile : sel.profile.name) : undefined;
    return (name ? await d.profiles.get(name) : undefined) ?? d.status.resolve();
  };

  context.subscriptions.push(vscode.commands.registerCommand(COMPAT_COMMANDS.check, async (arg?: unknown, connectorsArg?: unknown) => {
    try {
      const profile = await profileFor(arg);
      if (!profile) return void vscode.window.showInformationMessage('Select a SCIM profile first (SCIM: Select Active Profile).');
      let ids: ConnectorId[];
      if (Array.isArray(connectorsArg) && connectorsArg.every((x) => typeof x === 'string')) {
        ids = loadCore().parseConnectors((connectorsArg as string[]).join(','));
      } else {
        const picked = await vscode.window.showQuickPick(CHOICES, { title: `Check connector compatibility of ${profile.name}`, placeHolder: 'Which connector\'s requests to send' });
        if (!picked) return;
        ids = picked.ids === 'all' ? loadCore().parseConnectors('all') : picked.ids;
      }
      const ok = await vscode.window.showWarningMessage(`Check ${ids.length === 4 ? 'all connectors' : ids.join(', ')} against ${profile.name}?`, {
        modal: true,
        detail: `Creates scratch users and groups named scimx-compat-… on ${profile.baseUrl}, sends them what each connector is documented to send, and deletes them afterwards (also when a step fails or you cancel).`,
      }, 'Run Check');
      if (ok !== 'Run Check') return;
      const client = await d.clients.get(profile.name);
      const report = await d.waits.run(`Checking connector compatibility of ${profile.name}…`, (progress, signal) => {
        let shown = 0;
        return loadCore().runCompat(client, {
          connectors: ids, signal,
          onProgress: (p) => {
            const pct = p.total ? Math.min(100, (p.done / p.total) * 100) : 0;
            progress.report({ message: p.message, increment: Math.max(0, pct - shown) });
            shown = Math.max(shown, pct);
          },
        });
      });
      CompatPanel.show(context.extensionUri, report, (exchangeId) => TracePanel.show(panelDeps, { exchangeId }));
      const line = `Connector compatibility of ${profile.name}: ${loadCore().compatSummary(report)}`;
      d.log.info(line);
      if (report.leftovers.length || report.cancelled || report.error) void vscode.window.showWarningMessage(line);
    } catch (e) {
      if (isCancellation(e)) return;
      d.log.error(`${COMPAT_COMMANDS.check}: ${failureLine(e)}`);
      void vscode.window.showErrorMessage(failureLine(e));
    }
  }));
}
