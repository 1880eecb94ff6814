// "SCIM: Check Connector Compatibility" (issue 14, point 4): pick the connectors, confirm (it creates and deletes
// scratch resources on the service), run the check under a cancellable progress notification, and show the table
// in a panel whose rows open the trace at their exchange. The run itself is core (src/core/scim/compat.ts).
import * as vscode from 'vscode';
import type { ConnectorId } from '../../core/scim/compat';
import { COMMANDS } from '../command-ids';
import { CompatPanel } from '../compat-panel';
import { loadCompat } from '../core-loader';
import { isCancellation } from '../messages';
import { TracePanel } from '../trace-panel';
import type { Kit } from './kit';

const CHOICES: Array<vscode.QuickPickItem & { ids: ConnectorId[] | 'all' }> = [
  { label: 'All connectors', description: 'Microsoft Entra ID, Okta, SAP Identity Provisioning, One Identity Manager', ids: 'all' },
  { label: 'Microsoft Entra ID', description: 'its PATCH forms, the non-standard ones included', ids: ['entra'] },
  { label: 'Okta', description: 'user PUT and deactivation PATCH, Group Push', ids: ['okta'] },
  { label: 'SAP Identity Provisioning', description: 'PUT of the whole user and group', ids: ['sap-ips'] },
  { label: 'One Identity Manager', description: 'GET then PUT of the whole group', ids: ['oneim'] },
];

export function registerCompatCommands(k: Kit): void {
  const { register, profileOf, showFailure, panelDeps } = k;
  const { context, clients, waits, log } = k.x;

  // (arg: a profile node or name; connectors: ids, for a caller that does not want to be asked which)
  register(COMMANDS.checkCompatibility, async (arg?: unknown, connectors?: unknown) => {
    const profile = await profileOf(arg);
    if (!profile) return void vscode.window.showInformationMessage('Select a SCIM profile first (SCIM: Select Active Profile).');
    const core = loadCompat();
    let ids: ConnectorId[];
    if (Array.isArray(connectors) && connectors.every((x) => typeof x === 'string')) {
      ids = core.parseConnectors((connectors).join(','));
    } else {
      const picked = await vscode.window.showQuickPick(CHOICES, { title: `Check connector compatibility of ${profile.name}`, placeHolder: 'Whose requests to send' });
      if (!picked) return;
      ids = picked.ids === 'all' ? core.parseConnectors('all') : picked.ids;
    }
    const ok = await vscode.window.showWarningMessage(`Check ${ids.length === 4 ? 'all connectors' : ids.join(', ')} against ${profile.name}?`, {
      modal: true,
      detail: `Creates scratch users and groups named scimx-compat-… on ${profile.baseUrl}, sends them what each connector is documented to send, and deletes them afterwards (also when a step fails or you cancel).`,
    }, 'Run Check');
    if (ok !== 'Run Check') return;
    const since = Date.now();
    try {
      const client = await clients.get(profile.name);
      const report = await waits.run(`Checking connector compatibility of ${profile.name}…`, (progress, signal) => {
        let shown = 0;
        return core.runCompat(client, {
          connectors: ids, signal,
          onProgress: (p) => {
            const pct = p.total ? Math.min(100, (p.done / p.total) * 100) : 0;
            progress.report({ message: p.message, increment: Math.max(0, pct - shown) });
            shown = Math.max(shown, pct);
          },
        });
      });
      CompatPanel.show(context.extensionUri, report, (exchangeId) => TracePanel.show(panelDeps, { exchangeId }));
      const line = `Connector compatibility of ${profile.name}: ${core.compatSummary(report)}`;
      log.info(line);
      if (report.leftovers.length || report.cancelled || report.error) void vscode.window.showWarningMessage(line);
    } catch (e) {
      if (!isCancellation(e)) void showFailure(`Connector check of ${profile.name}`, e, profile.name, since);
    }
  });
}
