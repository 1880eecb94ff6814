// "New Resource…" / "SCIM: New User…" / "SCIM: New Group…" and "Delete…" (issue 14, point 2). A new resource starts
// as an untitled JSON document holding a template built from the service's /Schemas; a "Create … in PROFILE" code
// lens (or "SCIM: Create Resource from Editor") sends it after a modal that names it. Delete asks with a modal that
// names the resource. Both go through the core (src/core/scim/lifecycle.ts): the create is read back and
// compared, the delete checked with a GET that must answer 404; every exchange is in the trace as always.
import * as vscode from 'vscode';
import { isScimxError } from '../core/errors';
import type { Profile } from '../core/profile';
import type { ResourceTypeInfo, ScimResource } from '../core/scim/types';
import type { Trace } from '../core/trace';
import { loadCore } from './core-loader';
import { failureLine, isCancellation } from './messages';
import type { ProfileStore } from './profiles';
import type { Clients } from './session';
import type { ActiveProfile } from './status';
import { TracePanel } from './trace-panel';
import { isGroupType, resourceLabel, type ResourceNode, type ResourceTypeNode, type TreeNode } from './tree-model';
import type { ScimTree } from './tree';
import type { Waits } from './waits';

export const CREATE_DELETE_COMMANDS = {
  newResource: 'scim.newResource',
  newUser: 'scim.newUser',
  newGroup: 'scim.newGroup',
  createFromEditor: 'scim.createResource',
  deleteResource: 'scim.deleteResource',
} as const;

export interface CreateDeleteDeps {
  log: vscode.LogOutputChannel;
  trace: Trace;
  clients: Clients;
  profiles: ProfileStore;
  tree: ScimTree;
  view: vscode.TreeView<TreeNode>;
  status: ActiveProfile;
  waits: Waits;
}

/** An untitled document waiting to be created: where, and the tree node to refresh afterwards. */
interface Pending {
  profile: string;
  rt: ResourceTypeInfo;
  node?: ResourceTypeNode;
}

function isNode(x: unknown): x is TreeNode {
  return !!x && typeof x === 'object' && typeof (x as { kind?: unknown }).kind === 'string' && typeof (x as { key?: unknown }).key === 'string';
}

/** "user" / "group" / the resource type's own name, for the words of prompts. */
export function kindWord(rt: ResourceTypeInfo): string {
  if (isGroupType(rt)) return 'group';
  if (/:User$/.test(rt.schema) || /^users$/i.test(rt.endpoint)) return 'user';
  return rt.name;
}

export function registerCreateDelete(context: vscode.ExtensionContext, d: CreateDeleteDeps): void {
  const pending = new Map<string, Pending>();
  const lensChanged = new vscode.EventEmitter<void>();
  context.subscriptions.push(lensChanged);
  let lensRegistered = false;
  /** "Create … in PROFILE" above a pending document: registered on first use, so activation registers nothing more. */
  const ensureLens = (): void => {
    if (lensRegistered) return;
    lensRegistered = true;
    context.subscriptions.push(vscode.languages.registerCodeLensProvider({ language: 'json' }, {
      onDidChangeCodeLenses: lensChanged.event,
      provideCodeLenses: (doc) => {
        const p = pending.get(doc.uri.toString());
        if (!p) return [];
        const range = new vscode.Range(0, 0, 0, 0);
        return [new vscode.CodeLens(range, { title: `$(add) Create ${kindWord(p.rt)} in ${p.profile}`, command: CREATE_DELETE_COMMANDS.createFromEditor, arguments: [doc.uri] })];
      },
    }), vscode.workspace.onDidCloseTextDocument((doc) => {
      if (pending.delete(doc.uri.toString())) lensChanged.fire();
    }));
  };
  const panelDeps = { extensionUri: context.extensionUri, trace: d.trace, log: d.log };

  const reg = (id: string, fn: (...args: unknown[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        if (isCancellation(e)) return undefined;
        d.log.error(`${id}: ${failureLine(e)}`);
        const ex = isScimxError(e) ? e.diagnosis?.exchangeId ?? e.exchangeId : undefined;
        void vscode.window.showErrorMessage(failureLine(e), 'Show Trace').then((c) => { if (c) TracePanel.show(panelDeps, { exchangeId: ex }); });
        return undefined;
      }
    }));
  };

  const profileFor = async (arg: unknown): Promise<Profile | undefined> => {
    if (isNode(arg) && arg.kind === 'profile') return arg.profile;
    if (typeof arg === 'string') return d.profiles.get(arg);
    const sel = d.view.selection[0];
    const name = sel && 'profile' in sel ? (typeof sel.profile === 'string' ? sel.profile : sel.profile.name) : undefined;
    return (name ? await d.profiles.get(name) : undefined) ?? d.status.resolve();
  };

  /** Opens the template of a new resource of this type in an untitled JSON editor. */
  const openTemplate = async (profile: string, pick: (rts: ResourceTypeInfo[]) => ResourceTypeInfo | undefined, node?: ResourceTypeNode): Promise<void> => {
    const client = await d.clients.get(profile);
    const disc = await d.waits.run(`Reading the schemas of ${profile}…`, (_p, signal) => client.discover({ signal, title: 'Discover service' }));
    const rt = node?.rt ?? pick(disc.resourceTypes);
    if (!rt) return void vscode.window.showWarningMessage(`${profile} lists no such resource type.`);
    const template = loadCore().resourceTemplate(rt, disc.schemas);
    ensureLens();
    const doc = await vscode.workspace.openTextDocument({ language: 'json', content: `${JSON.stringify(template, null, 2)}\n` });
    pending.set(doc.uri.toString(), { profile, rt, node });
    lensChanged.fire();
    // the code lens above the template says what to do next ("Create user in PROFILE"): no toast for it
    await vscode.window.showTextDocument(doc, { preview: false });
  };

  reg(CREATE_DELETE_COMMANDS.newResource, async (node?: unknown) => {
    const n = isNode(node) && node.kind === 'resourceType' ? node : d.view.selection.find((x): x is ResourceTypeNode => x.kind === 'resourceType');
    if (!n) return void vscode.window.showInformationMessage('Select a resource type (Users, Groups…) in the SCIM view first.');
    await openTemplate(n.profile, () => n.rt, n);
  });
  for (const [id, group] of [[CREATE_DELETE_COMMANDS.newUser, false], [CREATE_DELETE_COMMANDS.newGroup, true]] as const) {
    reg(id, async (arg?: unknown) => {
      const profile = await profileFor(arg);
      if (!profile) return void vscode.window.showInformationMessage('Select a SCIM profile first (SCIM: Select Active Profile).');
      await openTemplate(profile.name, (rts) => rts.find((r) => (group ? isGroupType(r) : kindWord(r) === 'user')));
    });
  }

  reg(CREATE_DELETE_COMMANDS.createFromEditor, async (arg?: unknown) => {
    const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    const p = uri ? pending.get(uri.toString()) : undefined;
    const doc = uri ? vscode.workspace.textDocuments.find((x) => x.uri.toString() === uri.toString()) : undefined;
    if (!uri || !p || !doc) return void vscode.window.showInformationMessage('Open a new resource first (SCIM: New User… / New Group…, or "New Resource…" on Users or Groups in the SCIM view).');
    let body: unknown;
    try {
      body = JSON.parse(doc.getText());
    } catch (e) {
      return void vscode.window.showErrorMessage(`The document is not JSON: ${(e as Error).message}. Nothing was sent.`);
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) return void vscode.window.showErrorMessage('The document must hold one JSON object (the resource). Nothing was sent.');
    const client = await d.clients.get(p.profile);
    const core = loadCore();
    const disc = await client.discover({ title: 'Discover service' });
    const missing = core.missingRequired(p.rt, disc.schemas, body as Record<string, unknown>);
    if (missing.length) {
      return void vscode.window.showErrorMessage(`Fill in ${missing.join(', ')} (required by the service's /Schemas). Nothing was sent.`);
    }
    const label = resourceLabel({ id: '', ...(body as Record<string, unknown>) } as ScimResource, p.rt);
    const word = kindWord(p.rt);
    const ok = await vscode.window.showInformationMessage(`Create ${word} "${label}" in ${p.profile}?`, {
      modal: true, detail: `POST ${client.profile.baseUrl.replace(/\/+$/, '')}/${p.rt.endpoint}. It is read back afterwards and compared with what was sent.`,
    }, 'Create');
    if (ok !== 'Create') return;
    const r = await d.waits.run(`Creating ${word} "${label}" in ${p.profile}…`, (_p, signal) =>
      core.createResource(client, p.rt.endpoint, body as Record<string, unknown>, { signal, title: `Create ${word} "${label}"` }));
    pending.delete(uri.toString());
    lensChanged.fire();
    d.tree.refresh(p.node);
    const text = r.verified
      ? `Created ${word} "${label}" (${r.resource.id}) in ${p.profile}; read back: every attribute sent is stored.`
      : `Created ${word} "${label}" (${r.resource.id}) in ${p.profile}, but NOT verified: ${r.notVerified ?? r.differences.join('; ')}`;
    d.log.info(text);
    const shown = r.verified ? vscode.window.showInformationMessage(text, 'Show Trace') : vscode.window.showWarningMessage(text, 'Show Trace');
    void shown.then((c) => { if (c) TracePanel.show(panelDeps, { exchangeId: r.exchangeIds.write }); });
  });

  reg(CREATE_DELETE_COMMANDS.deleteResource, async (node?: unknown) => {
    const n = isNode(node) && (node.kind === 'resource' || node.kind === 'group') ? node
      : d.view.selection.find((x): x is ResourceNode => x.kind === 'resource' || x.kind === 'group');
    if (!n) return void vscode.window.showInformationMessage('Select a user or group in the SCIM view first.');
    const label = resourceLabel(n.resource, n.rt);
    const word = kindWord(n.rt);
    const client = await d.clients.get(n.profile);
    const ok = await vscode.window.showWarningMessage(`Delete ${word} "${label}" from ${n.profile}?`, {
      modal: true,
      detail: `DELETE ${client.profile.baseUrl.replace(/\/+$/, '')}/${n.rt.endpoint}/${n.resource.id}. This cannot be undone. It is read afterwards: a GET must answer 404.`,
    }, 'Delete');
    if (ok !== 'Delete') return;
    const r = await d.waits.run(`Deleting ${word} "${label}"…`, (_p, signal) =>
      loadCore().deleteResource(client, n.rt.endpoint, n.resource.id, { signal, title: `Delete ${word} "${label}"` }));
    const parent = d.tree.getParent(n);
    d.tree.refresh(parent);
    const text = r.verified ? `Deleted ${word} "${label}" from ${n.profile}; checked: ${r.readBack}.` : `DELETE of ${word} "${label}" answered ${r.status}, NOT verified: ${r.readBack}.`;
    d.log.info(text);
    const shown = r.verified ? vscode.window.showInformationMessage(text, 'Show Trace') : vscode.window.showWarningMessage(text, 'Show Trace');
    void shown.then((c) => { if (c) TracePanel.show(panelDeps, { exchangeId: r.exchangeIds.write }); });
  });
}
