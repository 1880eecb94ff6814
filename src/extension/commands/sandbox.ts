// The local sandbox: start it (a SCIM service behind an APIM-like gateway on 127.0.0.1) and add a profile for
// it, for this session only.
import * as vscode from 'vscode';
import { COMMANDS, VSCODE_COMMANDS } from '../command-ids';
import { failureLine } from '../messages';
import { Sandbox } from '../sandbox';
import { SANDBOX_PROFILE, sandboxProfileYaml } from '../sandbox-profile';
import type { Kit } from './kit';

export function registerSandboxCommands(k: Kit): void {
  const { register } = k;
  const { context, log, view, status, profiles, secrets, waits } = k.x;
  /** The sandbox process's keeper, made by the first start (../sandbox.ts is in the commands' chunk, not loaded at
   * activation); the extension's subscriptions stop the process when it deactivates. */
  let sandbox: Sandbox | undefined;

  register(COMMANDS.startSandbox, async () => {
    if (!sandbox) context.subscriptions.push((sandbox = new Sandbox(context.extensionPath, log)));
    const keeper = sandbox;
    const info = await waits.run('Starting the local SCIM sandbox…', (_p, signal) => keeper.start(signal));
    const { yaml, secrets: values } = sandboxProfileYaml(info);
    for (const [key, v] of Object.entries(values)) await secrets.set(key, v);
    profiles.addSessionSource('Local sandbox (this session)', yaml);
    await status.set(SANDBOX_PROFILE);
    // Showing the view while it refreshes races inside VS Code ("Data tree node not found" for a node the reload
    // replaced): show it only when it is hidden, and never let that fail the command (the sandbox runs either way).
    if (!view.visible) {
      await vscode.commands.executeCommand(VSCODE_COMMANDS.showScimView).then(undefined, (e: unknown) => log.warn(`showing the SCIM view: ${failureLine(e)}`));
    }
    void vscode.window.showInformationMessage(`Sandbox running at ${info.gatewayUrl}; profile "${SANDBOX_PROFILE}" added for this session.`);
  });
}
