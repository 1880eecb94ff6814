// Diagnosis: probe a profile's gateway (each method with and without the key, discovery, a write the service
// must refuse) and show the findings in the trace panel.
import * as vscode from 'vscode';
import { COMMANDS } from '../command-ids';
import { probeNotification } from '../command-messages';
import { isCancellation } from '../messages';
import { TracePanel } from '../trace-panel';
import type { Kit } from './kit';

export function registerProbeCommands(k: Kit): void {
  const { register, profileOf, showFailure, panelDeps } = k;
  const { clients, waits } = k.x;

  register(COMMANDS.probeGateway, async (node?: unknown) => {
    const profile = await profileOf(node);
    if (!profile) return;
    const since = Date.now();
    try {
      const client = await clients.get(profile.name);
      const { rows, findings } = await waits.run(`Probing the gateway of ${profile.name}`, (_p, signal) => client.probe({ title: 'Probe gateway', signal }));
      TracePanel.show(panelDeps, { probe: { profile: profile.name, rows, findings } });
      const line = probeNotification(profile.name, rows, findings);
      if (line) void vscode.window.showWarningMessage(line);
    } catch (e) {
      if (!isCancellation(e)) void showFailure(`Probe ${profile.name}`, e, profile.name, since);
    }
  });
}
