// Create and delete (issue 14, point 2): "New Resource…" on Users or Groups (and "SCIM: New User…" / "New Group…")
// opens an untitled JSON document holding a template built from the service's /Schemas; a "Create … in PROFILE"
// code lens above it (or "SCIM: Create Resource from Editor") sends it after a modal that names it. "Delete…" on a
// user or group asks with a modal that names it. Both go through the core (src/core/scim/lifecycle.ts): the create
// is read back and compared, the delete checked with a GET that must answer 404; every exchange is in the trace.
import * as vscode from 'vscode';
import type { ResourceTypeInfo } from '../../core/scim/types';
import { COMMANDS } from '../command-ids';
import { loadLifecycle } from '../core-loader';
import { isCancellation } from '../messages';
import { TracePanel } from '../trace-panel';
import { isGroupType, resourceLabel, type ResourceTypeNode } from '../tree-model';
import type { Kit } from './kit';

/** An untitled document waiting to be created: where, and the tree node to refresh afterwards. */
interface Pending {
  profile: string;
  rt: ResourceTypeInfo;
  node?: ResourceTypeNode;
}

/** "user" / "group" / the resource type's own name, for the words of prompts. */
export function kindWord(rt: ResourceTypeInfo): string {
  if (isGroupType(rt)) return 'group';
  if (/:User$/.test(rt.schema) || /^users$/i.test(rt.endpoint)) return 'user';
  return rt.name;
}

export function registerCreateDeleteCommands(k: Kit): void {
  const { register, target, profileOf, showFailure, panelDeps } = k;
  const { context, clients, tree, waits, log } = k.x;
  const pending = new Map<string, Pending>();
  // the code lens provider is registered on first use: activation registers the commands and nothing else
  let lens: { changed: vscode.EventEmitter<void> } | undefined;
  const ensureLens = (): vscode.EventEmitter<void> => {
    if (lens) return lens.changed;
    const changed = new vscode.EventEmitter<void>();
    lens = { changed };
    context.subscriptions.push(changed, vscode.languages.registerCodeLensProvider({ language: 'json' }, {
      onDidChangeCodeLenses: changed.event,
      provideCodeLenses: (doc) => {
        const p = pending.get(doc.uri.toString());
        if (!p) return [];
        return [new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), {
          title: `$(add) Create ${kindWord(p.rt)} in ${p.profile}`, command: COMMANDS.createResource, arguments: [doc.uri],
        })];
      },
    }), vscode.workspace.onDidCloseTextDocument((doc) => {
      if (pending.delete(doc.uri.toString())) changed.fire();
    }));
    return changed;
  };

  const showResult = (text: string, ok: boolean, exchangeId: string): void => {
    log.info(text);
    const shown = ok ? vscode.window.showInformationMessage(text, 'Show Trace') : vscode.window.showWarningMessage(text, 'Show Trace');
    void shown.then((c) => { if (c) TracePanel.show(panelDeps, { exchangeId }); });
  };

  /** Opens the template of a new resource of this type in an untitled JSON editor. */
  const openTemplate = async (profile: string, pick: (rts: ResourceTypeInfo[]) => ResourceTypeInfo | undefined, node?: ResourceTypeNode): Promise<void> => {
    const since = Date.now();
    try {
      const client = await clients.get(profile);
      const disc = await waits.run(`Reading the schemas of ${profile}…`, (_p, signal) => client.discover({ signal, title: 'Discover service' }));
      const rt = node?.rt ?? pick(disc.resourceTypes);
      if (!rt) return void vscode.window.showWarningMessage(`${profile} lists no such resource type.`);
      const template = loadLifecycle().resourceTemplate(rt, disc.schemas);
      const changed = ensureLens();
      const doc = await vscode.workspace.openTextDocument({ language: 'json', content: `${JSON.stringify(template, null, 2)}\n` });
      pending.set(doc.uri.toString(), { profile, rt, node });
      changed.fire();
      // the code lens above the template says what to do next ("Create user in PROFILE"): no toast for it
      await vscode.window.showTextDocument(doc, { preview: false });
    } catch (e) {
      if (!isCancellation(e)) void showFailure(`New resource in ${profile}`, e, profile, since);
    }
  };

  register(COMMANDS.newResource, async (node?: unknown) => {
    const n = target(node, 'resourceType');
    if (!n) return void vscode.window.showInformationMessage('Select a resource type (Users, Groups…) in the SCIM view first.');
    await openTemplate(n.profile, () => n.rt, n);
  });
  for (const [id, group] of [[COMMANDS.newUser, false], [COMMANDS.newGroup, true]] as const) {
    register(id, async (arg?: unknown) => {
      const profile = await profileOf(arg);
      if (!profile) return void vscode.window.showInformationMessage('Select a SCIM profile first (SCIM: Select Active Profile).');
      await openTemplate(profile.name, (rts) => rts.find((r) => (group ? isGroupType(r) : kindWord(r) === 'user')));
    });
  }

  register(COMMANDS.createResource, async (arg?: unknown) => {
    const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    const p = uri ? pending.get(uri.toString()) : undefined;
    const doc = uri ? vscode.workspace.textDocuments.find((x) => x.uri.toString() === uri.toString()) : undefined;
    if (!uri || !p || !doc) {
      return void vscode.window.showInformationMessage('Open a new resource first (SCIM: New User… / New Group…, or "New Resource…" on Users or Groups in the SCIM view).');
    }
    let body: unknown;
    try {
      body = JSON.parse(doc.getText());
    } catch (e) {
      return void vscode.window.showErrorMessage(`The document is not JSON: ${(e as Error).message}. Nothing was sent.`);
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) return void vscode.window.showErrorMessage('The document must hold one JSON object (the resource). Nothing was sent.');
    const since = Date.now();
    const word = kindWord(p.rt);
    try {
      const client = await clients.get(p.profile);
      const core = loadLifecycle();
      const disc = await client.discover({ title: 'Discover service' });
      const missing = core.missingRequired(p.rt, disc.schemas, body as Record<string, unknown>);
      if (missing.length) return void vscode.window.showErrorMessage(`Fill in ${missing.join(', ')} (required by the service's /Schemas). Nothing was sent.`);
      const label = resourceLabel({ id: '', ...(body as Record<string, unknown>) }, p.rt);
      const ok = await vscode.window.showInformationMessage(`Create ${word} "${label}" in ${p.profile}?`, {
        modal: true, detail: `POST ${client.profile.baseUrl.replace(/\/+$/, '')}/${p.rt.endpoint}. It is read back afterwards and compared with what was sent.`,
      }, 'Create');
      if (ok !== 'Create') return;
      const r = await waits.run(`Creating ${word} "${label}" in ${p.profile}…`, (_p, signal) =>
        core.createResource(client, p.rt.endpoint, body as Record<string, unknown>, { signal, title: `Create ${word} "${label}"` }));
      pending.delete(uri.toString());
      lens?.changed.fire();
      tree.refresh(p.node);
      showResult(r.verified
        ? `Created ${word} "${label}" (${r.resource.id}) in ${p.profile}; read back: every attribute sent is stored.`
        : `Created ${word} "${label}" (${r.resource.id}) in ${p.profile}, but NOT verified: ${r.notVerified ?? r.differences.join('; ')}`, r.verified, r.exchangeIds.write);
    } catch (e) {
      if (!isCancellation(e)) void showFailure(`Create ${word} in ${p.profile}`, e, p.profile, since);
    }
  });

  register(COMMANDS.deleteResource, async (node?: unknown) => {
    const n = target(node, 'resource', 'group');
    if (!n) return void vscode.window.showInformationMessage('Select a user or group in the SCIM view first.');
    const label = resourceLabel(n.resource, n.rt);
    const word = kindWord(n.rt);
    const since = Date.now();
    try {
      const client = await clients.get(n.profile);
      const ok = await vscode.window.showWarningMessage(`Delete ${word} "${label}" from ${n.profile}?`, {
        modal: true,
        detail: `DELETE ${client.profile.baseUrl.replace(/\/+$/, '')}/${n.rt.endpoint}/${n.resource.id}. This cannot be undone. It is read afterwards: a GET must answer 404.`,
      }, 'Delete');
      if (ok !== 'Delete') return;
      const r = await waits.run(`Deleting ${word} "${label}"…`, (_p, signal) =>
        loadLifecycle().deleteResource(client, n.rt.endpoint, n.resource.id, { signal, title: `Delete ${word} "${label}"` }));
      tree.refresh(tree.getParent(n));
      showResult(r.verified
        ? `Deleted ${word} "${label}" from ${n.profile}; checked: ${r.readBack}.`
        : `DELETE of ${word} "${label}" answered ${r.status}, NOT verified: ${r.readBack}.`, r.verified, r.exchangeIds.write);
    } catch (e) {
      if (!isCancellation(e)) void showFailure(`Delete ${word} "${label}"`, e, n.profile, since);
    }
  });
}
