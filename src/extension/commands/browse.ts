// Browsing the SCIM tree: refresh, open a resource or a discovery document, filter a resource type, load the
// next page, and open a broken profiles file at its problem.
import * as vscode from 'vscode';
import { COMMANDS, VSCODE_COMMANDS } from '../command-ids';
import { filterProblem } from '../filter-input';
import { SETTINGS_SOURCE } from '../profiles';
import { resourceUri, serviceDocUri } from '../resource-doc';
import { memberLabel, resourceLabel } from '../tree-model';
import { isNode, type Kit } from './kit';

export function registerBrowseCommands(k: Kit): void {
  const { register, target } = k;
  const { tree, docs } = k.x;

  register(COMMANDS.refresh, (node?: unknown) => tree.refresh(isNode(node) ? node : undefined));

  register(COMMANDS.openResource, async (node?: unknown) => {
    const n = target(node, 'resource', 'group', 'member', 'serviceDoc');
    if (!n) return void vscode.window.showInformationMessage('Select a resource in the SCIM view first.');
    const uri = n.kind === 'serviceDoc' ? serviceDocUri(n.profile, n.doc)
      : n.kind === 'member' ? resourceUri(n.profile, n.member.type?.toLowerCase() === 'group' ? 'Groups' : 'Users', n.member.value, memberLabel(n.member, n.name))
        : resourceUri(n.profile, n.rt.endpoint, n.resource.id, resourceLabel(n.resource, n.rt));
    if (vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString())) docs.refresh(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true, preserveFocus: true });
  });

  register(COMMANDS.filter, async (node?: unknown) => {
    const n = target(node, 'resourceType');
    if (!n) return void vscode.window.showInformationMessage('Select a resource type (Users, Groups…) in the SCIM view first.');
    const value = await vscode.window.showInputBox({
      title: `Filter ${n.rt.endpoint}`, value: n.filter ?? '', placeHolder: 'userName sw "j"  ·  displayName co "ops"  ·  empty to clear',
      prompt: 'SCIM filter (RFC 7644 §3.4.2.2), sent to the server', validateInput: filterProblem,
    });
    if (value === undefined) return;
    tree.setFilter(n, value);
  });

  register(COMMANDS.clearFilter, (node?: unknown) => {
    const n = target(node, 'resourceType');
    if (n) tree.setFilter(n, undefined);
  });

  register(COMMANDS.loadMore, async (node?: unknown) => {
    const n = target(node, 'loadMore');
    if (n) await vscode.window.withProgress({ location: { viewId: 'scim.explorer' } }, () => tree.loadMore(n));
  });

  // Internal: a profileError node opens its file at the problem.
  register(COMMANDS.openProblem, async (file?: unknown, line?: unknown, column?: unknown) => {
    if (typeof file !== 'string') return;
    if (file === SETTINGS_SOURCE) return vscode.commands.executeCommand(VSCODE_COMMANDS.openSettings, 'scim.profiles');
    if (!/^([a-zA-Z]:)?[\\/]/.test(file)) return;
    const pos = new vscode.Position(Math.max(0, Number(line ?? 1) - 1), Math.max(0, Number(column ?? 1) - 1));
    await vscode.window.showTextDocument(vscode.Uri.file(file), { selection: new vscode.Range(pos, pos) });
  });
}
