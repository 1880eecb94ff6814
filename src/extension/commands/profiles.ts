// Profiles and secrets: choose the active profile, store a secret referenced as ${secret:NAME}, and create a
// scim-profiles.yaml from a commented template.
import * as vscode from 'vscode';
import { COMMANDS, VSCODE_COMMANDS } from '../command-ids';
import { createdProfilesFileMessage } from '../profile-set';
import { isValidSecretName } from '../secret-refs';
import { isNode, type Kit } from './kit';

export const PROFILES_TEMPLATE = `# SCIM Explorer profiles (https://datatracker.ietf.org/doc/html/rfc7644).
# Secrets: \${secret:NAME} (VS Code secret storage: "SCIM: Set Secret…") or \${env:NAME}; never write them here.
profiles:
  my-service:
    baseUrl: https://gateway.example.com/scim/v2
    auth:
      type: bearer                # none | basic | bearer | oauth2
      token: \${secret:my-service-token}
    gateway:                      # Azure API Management
      subscriptionKey: \${secret:my-service-apim-key}
      header: Ocp-Apim-Subscription-Key
      sendAs: header              # header | query | both
    writes: auto                  # auto | patch | put
    locations: rewrite            # rewrite | follow | strict
`;

export function registerProfileCommands(k: Kit): void {
  const { register } = k;
  const { status, profiles, secrets } = k.x;

  register(COMMANDS.selectProfile, async (node?: unknown) => {
    if (isNode(node) && node.kind === 'profile') await status.set(node.profile.name);
    else await status.pick();
  });

  register(COMMANDS.setSecret, async (arg?: unknown) => {
    let name = typeof arg === 'string' ? arg : undefined;
    if (!name) {
      const { secretNames } = await profiles.load();
      const items: Array<vscode.QuickPickItem & { name?: string }> = [];
      for (const n of secretNames) items.push({ label: n, description: (await secrets.has(n)) ? 'stored' : 'not set', name: n });
      items.push({ label: '$(add) Another name…' });
      const picked = items.length > 1 ? await vscode.window.showQuickPick(items, { title: 'SCIM: Set Secret…', placeHolder: 'Secret referenced as ${secret:NAME}' }) : items[0];
      if (!picked) return;
      name = picked.name ?? await vscode.window.showInputBox({
        title: 'SCIM: Set Secret…', prompt: 'Secret name, referenced in profiles as ${secret:NAME}',
        validateInput: (v) => (isValidSecretName(v) ? undefined : 'Letters, digits, ".", "_" and "-" only'),
      });
      if (!name) return;
    }
    const value = await vscode.window.showInputBox({
      title: `SCIM secret "${name}"`, password: true, ignoreFocusOut: true,
      prompt: 'Stored in VS Code secret storage; never written to settings, files or logs.',
    });
    if (!value) return;
    await secrets.set(name, value);
    void vscode.window.showInformationMessage(`Secret "${name}" stored.`);
  });

  register(COMMANDS.createProfilesFile, async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) {
      const c = await vscode.window.showInformationMessage('Open a folder to keep a scim-profiles.yaml in it, or define profiles in the "scim.profiles" user setting.', 'Open Folder', 'Open Settings');
      if (c === 'Open Folder') await vscode.commands.executeCommand(VSCODE_COMMANDS.openFolder);
      if (c === 'Open Settings') await vscode.commands.executeCommand(VSCODE_COMMANDS.openSettings, 'scim.profiles');
      return;
    }
    const uri = vscode.Uri.joinPath(folder.uri, 'scim-profiles.yaml');
    const exists = await vscode.workspace.fs.stat(uri).then(() => true, () => false);
    if (!exists) await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(PROFILES_TEMPLATE));
    await vscode.window.showTextDocument(uri);
    profiles.reload();
    // Nothing is asked now: the example's secrets are asked for when its profile is first used.
    void vscode.window.showInformationMessage(createdProfilesFileMessage(vscode.workspace.asRelativePath(uri), exists));
  });
}
