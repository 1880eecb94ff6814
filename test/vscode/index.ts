// Extension-host tests, run inside a real VS Code desktop by @vscode/test-electron (scripts/test-vscode.mjs).
// The user settings hold a profile for a sandbox the runner started; secrets come from env vars.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ScimExplorerApi } from '../../src/extension/extension';
import type { MemberNode, MembersNode, ResourceNode, ResourceTypeNode, TreeNode } from '../../src/extension/tree-model';

const CONTRACT_COMMANDS = [
  'scim.refresh', 'scim.addMembers', 'scim.removeMembers', 'scim.showTrace', 'scim.probeGateway', 'scim.setSecret',
  'scim.startSandbox', 'scim.createProfilesFile', 'scim.openResource', 'scim.filter', 'scim.clearFilter', 'scim.loadMore',
  'scim.exportHar', 'scim.copyCurl', 'scim.selectProfile', 'scim.revealSecret',
];

async function api(): Promise<ScimExplorerApi> {
  const ext = vscode.extensions.getExtension<ScimExplorerApi>('scim-explorer.scim-explorer');
  assert.ok(ext, 'the extension is installed');
  return ext.isActive ? ext.exports : ext.activate();
}

function label(node: TreeNode, tree: ScimExplorerApi['tree']): string {
  const l = tree.getTreeItem(node).label;
  return typeof l === 'string' ? l : l?.label ?? '';
}

async function child<T extends TreeNode>(tree: ScimExplorerApi['tree'], parent: TreeNode | undefined, name: string): Promise<T> {
  const kids = await tree.getChildren(parent);
  const found = kids.find((k) => label(k, tree) === name);
  assert.ok(found, `"${name}" among ${JSON.stringify(kids.map((k) => label(k, tree)))}`);
  return found as T;
}

const tests: Array<[string, () => Promise<void>]> = [
  ['activates and registers every contract command', async () => {
    await api();
    const all = new Set(await vscode.commands.getCommands(true));
    for (const id of CONTRACT_COMMANDS) assert.ok(all.has(id), id);
  }],
  ['tree: profile → Service, Users, Groups → a group → Members', async () => {
    const { tree } = await api();
    const profile = await child(tree, undefined, 'sandbox');
    const kids = (await tree.getChildren(profile)).map((k) => label(k, tree));
    assert.equal(kids[0], 'Service');
    assert.ok(kids.includes('Users') && kids.includes('Groups'), JSON.stringify(kids));
    const service = await child(tree, profile, 'Service');
    assert.deepEqual((await tree.getChildren(service)).map((k) => label(k, tree)), ['ServiceProviderConfig', 'ResourceTypes', 'Schemas']);
    const groups = await child<ResourceTypeNode>(tree, profile, 'Groups');
    const list = (await tree.getChildren(groups)).filter((n): n is ResourceNode => n.kind === 'group');
    assert.ok(list.length > 0, 'groups listed');
    const [members] = await tree.getChildren(list[0]);
    assert.equal(members && label(members, tree), 'Members');
    assert.equal(tree.getTreeItem(members!).contextValue, 'members');
  }],
  ['remove a member from the tree: PATCH with the key, 2xx, tree updated from the report', async () => {
    const { tree, trace } = await api();
    const profile = await child(tree, undefined, 'sandbox');
    const groups = await child<ResourceTypeNode>(tree, profile, 'Groups');
    for (const g of (await tree.getChildren(groups)).filter((n): n is ResourceNode => n.kind === 'group')) {
      const [membersNode] = (await tree.getChildren(g)) as MembersNode[];
      const members = (await tree.getChildren(membersNode)).filter((n): n is MemberNode => n.kind === 'member');
      if (!members.length) continue;
      const victim = members[0]!;
      await vscode.commands.executeCommand('scim.removeMembers', victim, [victim]);
      const after = (await tree.getChildren(membersNode)).filter((n): n is MemberNode => n.kind === 'member');
      assert.ok(!after.some((m) => m.member.value === victim.member.value), 'the removed member left the tree');
      const patch = trace.operations().flatMap((o) => o.exchanges).reverse().find((e) => e.request.method === 'PATCH');
      assert.ok(patch, 'a PATCH exchange in the trace');
      assert.ok(patch.response && patch.response.status >= 200 && patch.response.status < 300, `PATCH status ${patch.response?.status}`);
      const key = patch.request.headers.find(([n]) => n.toLowerCase() === 'ocp-apim-subscription-key');
      assert.ok(key && key[1].startsWith('••••'), 'the key went on the PATCH, masked in the trace');
      return;
    }
    assert.fail('no group with members');
  }],
  ['the trace panel opens', async () => {
    await vscode.commands.executeCommand('scim.showTrace');
    await new Promise((r) => setTimeout(r, 500));
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs);
    assert.ok(tabs.some((t) => t.input instanceof vscode.TabInputWebview && t.label === 'SCIM Trace'), 'a "SCIM Trace" tab');
  }],
];

export async function run(): Promise<void> {
  let failed = 0;
  for (const [name, fn] of tests) {
    try {
      await fn();
      console.log(`ok - ${name}`);
    } catch (e) {
      failed++;
      console.log(`not ok - ${name}\n  ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    }
  }
  console.log(`# pass ${tests.length - failed}\n# fail ${failed}`);
  if (failed) throw new Error(`${failed} extension-host test(s) failed`);
}
