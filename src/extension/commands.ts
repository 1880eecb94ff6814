// Every "SCIM: …" command. Commands get their target from the tree (the clicked node, plus the
// multi-selection for removals), else from the tree's selection, else from the active profile.
import * as vscode from 'vscode';
import { isScimxError } from '../core/errors';
import type { Profile } from '../core/profile';
import type { ScimClient, MembershipOptions } from '../core/scim/client';
import type { MembershipChange, MembershipReport } from '../core/scim/types';
import type { Exchange, Trace } from '../core/trace';
import { failureLine, isCancellation, locationNotice, lostLine, membershipFailureReport, membershipSummary, probeNotification, putConfirmation, removeConfirmation } from './messages';
import { filterProblem } from './filter-input';
import { createdProfilesFileMessage } from './profile-set';
import type { ProfileStore } from './profiles';
import { SETTINGS_SOURCE } from './profiles';
import { resourceUri, serviceDocUri, type ScimDocuments } from './resource-doc';
import type { Sandbox } from './sandbox';
import { SANDBOX_PROFILE, sandboxProfileYaml } from './sandbox-profile';
import type { Secrets } from './secrets';
import { isValidSecretName } from './secret-refs';
import type { Clients } from './session';
import type { ActiveProfile } from './status';
import { TracePanel } from './trace-panel';
import { memberLabel, membersNodeOf, personLabel, resourceLabel, type MemberNode, type MembersNode, type ResourceNode, type TreeNode } from './tree-model';
import type { ScimTree } from './tree';
import { pickUsers } from './user-picker';
import type { Waits } from './waits';
import { loadCore } from './core-loader';

export interface Ext {
  context: vscode.ExtensionContext;
  log: vscode.LogOutputChannel;
  trace: Trace;
  secrets: Secrets;
  profiles: ProfileStore;
  clients: Clients;
  tree: ScimTree;
  view: vscode.TreeView<TreeNode>;
  status: ActiveProfile;
  docs: ScimDocuments;
  sandbox: Sandbox;
  waits: Waits;
}

type Kind = TreeNode['kind'];
// ResourceNode's kind is 'resource' | 'group', which Extract alone would drop.
type NodeOf<K extends Kind> = Extract<TreeNode, { kind: K }> | ('resource' extends K ? ResourceNode : 'group' extends K ? ResourceNode : never);

function isNode(x: unknown): x is TreeNode {
  return !!x && typeof x === 'object' && typeof (x as { kind?: unknown }).kind === 'string' && typeof (x as { key?: unknown }).key === 'string';
}

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

export function registerCommands(x: Ext): void {
  const { context, log, trace, tree, view, status, clients, profiles, secrets } = x;
  const panelDeps = { extensionUri: context.extensionUri, trace, log };

  const target = <K extends Kind>(arg: unknown, ...kinds: K[]): NodeOf<K> | undefined => {
    const match = (n: unknown): n is NodeOf<K> => isNode(n) && (kinds as Kind[]).includes(n.kind);
    if (match(arg)) return arg;
    return view.selection.find(match);
  };

  const profileOf = async (arg: unknown): Promise<Profile | undefined> => {
    if (isNode(arg) && arg.kind === 'profile') return arg.profile;
    if (typeof arg === 'string') return profiles.get(arg);
    const sel = view.selection[0];
    const name = sel && 'profile' in sel ? (typeof sel.profile === 'string' ? sel.profile : sel.profile.name) : undefined;
    return (name ? await profiles.get(name) : undefined) ?? status.resolve();
  };

  const membersOf = (arg: unknown): MembersNode | undefined => {
    const n = target(arg, 'group', 'members', 'member');
    if (n?.kind === 'group') return membersNodeOf(n);
    if (n?.kind === 'members') return n;
    if (n?.kind === 'member') return n.members;
    return undefined;
  };

  /** The exchange a failure is about: the one its diagnosis (what the notification says) is about, else the
   * error's own, else the last one of the newest operation. */
  const exchangeFor = (e: unknown, profile: string, since: number): Exchange | undefined => {
    const id = isScimxError(e) ? e.diagnosis?.exchangeId ?? e.exchangeId : undefined;
    const byId = id ? trace.findExchange(id) : undefined;
    if (byId) return byId;
    const ops = trace.operations().filter((o) => o.profile === profile && o.startedAt >= since - 1);
    for (let i = ops.length - 1; i >= 0; i--) {
      const ex = ops[i]!.exchanges;
      if (ex.length) return ex[ex.length - 1];
    }
    return undefined;
  };

  const showFailure = async (what: string, e: unknown, profile: string, since: number): Promise<void> => {
    const line = `${what}: ${failureLine(e)}`;
    log.error(line);
    const ex = exchangeFor(e, profile, since);
    const buttons = ex ? ['Show Trace', 'Copy curl'] : ['Show Trace'];
    const choice = await vscode.window.showErrorMessage(line, ...buttons);
    if (choice === 'Show Trace') TracePanel.show(panelDeps, { exchangeId: ex?.id });
    if (choice === 'Copy curl' && ex) await vscode.commands.executeCommand('scim.copyCurl', ex.id);
  };

  type Send = (client: ScimClient, opts: MembershipOptions, ctx: { title: string; signal: AbortSignal }) => Promise<MembershipReport>;

  /** A membership change, an undo or a restore: progress, the PUT confirmation, the result with its follow-up
   * action ("Undo" on every change that changed something, "Restore N members" when a write lost members). */
  const runMembership = async (owner: MembersNode, title: string, send: Send): Promise<void> => {
    const group = owner.group;
    const label = resourceLabel(group.resource, group.rt);
    const labels = clients.names(owner.profile);
    // the members the tree shows are named as shown there (a loss, a removal, an undo name users, not ids)
    for (const m of owner.paging.items) {
      const shown = memberLabel(m.member, m.name);
      if (shown !== m.member.value && !labels.has(m.member.value)) labels.set(m.member.value, shown);
    }
    const since = Date.now();
    let client: ScimClient | undefined;
    try {
      client = await clients.get(owner.profile);
      const c = client;
      const report = await x.waits.run(title, (progress, signal) => {
        let shown = 0;
        return send(c, {
          onProgress: (p) => {
            const pct = p.total ? Math.min(100, (p.done / p.total) * 100) : 0;
            progress.report({ message: p.message, increment: Math.max(0, pct - shown) });
            shown = Math.max(shown, pct);
          },
          confirmPut: async (diff) => {
            const t = putConfirmation(label, diff, labels);
            const ok = await vscode.window.showWarningMessage(t.message, { modal: true, detail: t.detail }, 'Apply with PUT');
            return ok === 'Apply with PUT';
          },
        }, { title, signal });
      });
      tree.applyReport(owner, report);
      tree.changed(group);
      const where = locationNotice(trace.operations().filter((o) => o.profile === owner.profile && o.startedAt >= since - 1), c.profile.baseUrl);
      const text = membershipSummary(label, report, labels) + (where ? ` ${where}` : '');
      log.info(text);
      const undo = report.journalId && (report.added.length || report.removed.length) ? 'Undo' : undefined;
      const actions = [...(undo ? [undo] : []), 'Show Trace'];
      const shown = report.missing.length || report.concurrentChange || !report.verified || where
        ? vscode.window.showWarningMessage(text + (report.concurrentChange ? ' Someone else changed the group meanwhile.' : ''), ...actions)
        : vscode.window.showInformationMessage(text, ...actions);
      void shown.then((choice) => {
        if (choice === 'Show Trace') TracePanel.show(panelDeps);
        if (choice === 'Undo' && report.journalId) {
          const id = report.journalId;
          void runMembership(owner, `Undo: ${title}`, (cl, opts, ctx) => cl.undoChange(id, opts, ctx));
        }
      });
    } catch (e) {
      tree.refresh(owner); // the server is the truth after a partial or cancelled change
      if (isCancellation(e)) {
        void vscode.window.showInformationMessage(`${title}: cancelled. The member list was re-read.`);
        return;
      }
      const report = membershipFailureReport(e);
      if (report?.lost.length && report.journalId) {
        const id = report.journalId;
        const restore = `Restore ${report.lost.length} member${report.lost.length === 1 ? '' : 's'}`;
        const line = lostLine(label, report, labels);
        log.error(`${title}: ${line}`);
        const choice = await vscode.window.showErrorMessage(line, restore, 'Show Trace');
        if (choice === 'Show Trace') TracePanel.show(panelDeps, { exchangeId: exchangeFor(e, owner.profile, since)?.id });
        if (choice === restore) await runMembership(owner, `${restore} to ${label}`, (cl, opts, ctx) => cl.restoreMembers(id, opts, ctx));
        return;
      }
      void showFailure(title, e, owner.profile, since);
    }
  };

  const changeMembership = (owner: MembersNode, change: MembershipChange, title: string): Promise<void> =>
    runMembership(owner, title, (client, opts, ctx) => client.changeMembers(owner.group.resource.id, change, opts, ctx));

  const reg = (id: string, fn: (...args: unknown[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, async (...args: unknown[]) => {
      try {
        return await fn(...args);
      } catch (e) {
        log.error(`${id}: ${failureLine(e)}`);
        void vscode.window.showErrorMessage(failureLine(e));
        return undefined;
      }
    }));
  };

  reg('scim.refresh', (node?: unknown) => tree.refresh(isNode(node) ? node : undefined));

  reg('scim.addMembers', async (node?: unknown) => {
    const owner = membersOf(node);
    if (!owner) return void vscode.window.showInformationMessage('Select a group in the SCIM view first.');
    const label = resourceLabel(owner.group.resource, owner.group.rt);
    const client = await clients.get(owner.profile);
    const users = await pickUsers(client, `Add members to "${label}"`, {
      groupId: owner.group.resource.id, knownMembers: new Set(owner.paging.items.map((m) => m.member.value)),
    });
    if (!users?.length) return;
    const names = clients.names(owner.profile);
    for (const u of users) names.set(u.id, personLabel(u));
    await changeMembership(owner, { add: users.map((u) => u.id), remove: [] }, `Add ${users.length} member${users.length === 1 ? '' : 's'} to ${label}`);
  });

  reg('scim.removeMembers', async (node?: unknown, selected?: unknown) => {
    const list = (Array.isArray(selected) && selected.length ? selected : node ? [node] : view.selection)
      .filter((n): n is MemberNode => isNode(n) && n.kind === 'member');
    if (!list.length) return void vscode.window.showInformationMessage('Select members of a group in the SCIM view first.');
    const byOwner = new Map<MembersNode, MemberNode[]>();
    for (const m of list) byOwner.set(m.members, [...(byOwner.get(m.members) ?? []), m]);
    for (const [owner, members] of byOwner) {
      const label = resourceLabel(owner.group.resource, owner.group.rt);
      if (members.length > 1) {
        // several at once: a confirmation naming them (one member: no modal, the result offers Undo)
        const c = removeConfirmation(label, members.map((m) => m.member), clients.names(owner.profile));
        const ok = await vscode.window.showWarningMessage(c.message, { modal: true, detail: c.detail }, 'Remove');
        if (ok !== 'Remove') continue;
      }
      await changeMembership(owner, { add: [], remove: members.map((m) => m.member.value) },
        `Remove ${members.length} member${members.length === 1 ? '' : 's'} from ${label}`);
    }
  });

  reg('scim.showTrace', (exchangeId?: unknown) => {
    TracePanel.show(panelDeps, { exchangeId: typeof exchangeId === 'string' ? exchangeId : undefined });
  });

  reg('scim.probeGateway', async (node?: unknown) => {
    const profile = await profileOf(node);
    if (!profile) return;
    const since = Date.now();
    try {
      const client = await clients.get(profile.name);
      const { rows, findings } = await x.waits.run(`Probing the gateway of ${profile.name}`, (_p, signal) => client.probe({ title: 'Probe gateway', signal }));
      TracePanel.show(panelDeps, { probe: { profile: profile.name, rows, findings } });
      const line = probeNotification(profile.name, rows, findings);
      if (line) void vscode.window.showWarningMessage(line);
    } catch (e) {
      if (!isCancellation(e)) void showFailure(`Probe ${profile.name}`, e, profile.name, since);
    }
  });

  reg('scim.setSecret', async (arg?: unknown) => {
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

  reg('scim.startSandbox', async () => {
    const info = await x.waits.run('Starting the local SCIM sandbox…', (_p, signal) => x.sandbox.start(signal));
    const { yaml, secrets: values } = sandboxProfileYaml(info);
    for (const [k, v] of Object.entries(values)) await secrets.set(k, v);
    profiles.addSessionSource('Local sandbox (this session)', yaml);
    await status.set(SANDBOX_PROFILE);
    // Showing the view while it refreshes races inside VS Code ("Data tree node not found" for a node the reload
    // replaced): show it only when it is hidden, and never let that fail the command (the sandbox runs either way).
    if (!view.visible) {
      await vscode.commands.executeCommand('workbench.view.extension.scim').then(undefined, (e: unknown) => log.warn(`showing the SCIM view: ${failureLine(e)}`));
    }
    void vscode.window.showInformationMessage(`Sandbox running at ${info.gatewayUrl}; profile "${SANDBOX_PROFILE}" added for this session.`);
  });

  reg('scim.createProfilesFile', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) {
      const c = await vscode.window.showInformationMessage('Open a folder to keep a scim-profiles.yaml in it, or define profiles in the "scim.profiles" user setting.', 'Open Folder', 'Open Settings');
      if (c === 'Open Folder') await vscode.commands.executeCommand('vscode.openFolder');
      if (c === 'Open Settings') await vscode.commands.executeCommand('workbench.action.openSettings', 'scim.profiles');
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

  reg('scim.openResource', async (node?: unknown) => {
    const n = target(node, 'resource', 'group', 'member', 'serviceDoc');
    if (!n) return void vscode.window.showInformationMessage('Select a resource in the SCIM view first.');
    const uri = n.kind === 'serviceDoc' ? serviceDocUri(n.profile, n.doc)
      : n.kind === 'member' ? resourceUri(n.profile, n.member.type?.toLowerCase() === 'group' ? 'Groups' : 'Users', n.member.value, memberLabel(n.member, n.name))
        : resourceUri(n.profile, n.rt.endpoint, n.resource.id, resourceLabel(n.resource, n.rt));
    if (vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString())) x.docs.refresh(uri);
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc, { preview: true, preserveFocus: true });
  });

  reg('scim.filter', async (node?: unknown) => {
    const n = target(node, 'resourceType');
    if (!n) return void vscode.window.showInformationMessage('Select a resource type (Users, Groups…) in the SCIM view first.');
    const value = await vscode.window.showInputBox({
      title: `Filter ${n.rt.endpoint}`, value: n.filter ?? '', placeHolder: 'userName sw "j"  ·  displayName co "ops"  ·  empty to clear',
      prompt: 'SCIM filter (RFC 7644 §3.4.2.2), sent to the server', validateInput: filterProblem,
    });
    if (value === undefined) return;
    tree.setFilter(n, value);
  });

  reg('scim.clearFilter', (node?: unknown) => {
    const n = target(node, 'resourceType');
    if (n) tree.setFilter(n, undefined);
  });

  reg('scim.loadMore', async (node?: unknown) => {
    const n = target(node, 'loadMore');
    if (n) await vscode.window.withProgress({ location: { viewId: 'scim.explorer' } }, () => tree.loadMore(n));
  });

  // `operationId`: export that operation only (the panel's "Export operation"); else the whole session.
  reg('scim.exportHar', async (operationId?: unknown) => {
    const one = typeof operationId === 'string' ? trace.operation(operationId) : undefined;
    const ops = one ? [one] : trace.operations();
    if (!ops.length) return void vscode.window.showInformationMessage('The SCIM trace is empty.');
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    const base = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri = await vscode.window.showSaveDialog({
      title: one ? `Export "${one.title}" as HAR (secrets masked)` : 'Export SCIM trace as HAR (secrets masked)',
      defaultUri: base ? vscode.Uri.joinPath(base, `scim-${one ? 'operation' : 'trace'}-${stamp}.har`) : undefined,
      filters: { HAR: ['har'], JSON: ['json'] },
    });
    if (!uri) return;
    const { toHar } = loadCore();
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(JSON.stringify(toHar(ops), null, 2)));
    const count = ops.reduce((n, o) => n + o.exchanges.length, 0);
    void vscode.window.showInformationMessage(`Exported ${count} exchanges to ${uri.fsPath} (secrets masked).`);
  });

  reg('scim.copyCurl', async (exchangeId?: unknown) => {
    let ex = typeof exchangeId === 'string' ? trace.findExchange(exchangeId) : undefined;
    if (!ex) {
      const ops = trace.operations();
      for (let i = ops.length - 1; i >= 0 && !ex; i--) ex = ops[i]!.exchanges[ops[i]!.exchanges.length - 1];
    }
    if (!ex) return void vscode.window.showInformationMessage('No exchange to copy: the SCIM trace is empty.');
    const op = trace.operation(ex.operationId);
    const profile = op ? await profiles.get(op.profile) : undefined;
    if (!profile) return void vscode.window.showWarningMessage(`The profile of this exchange ("${op?.profile ?? '?'}") no longer exists.`);
    const { toCurl } = loadCore();
    await vscode.env.clipboard.writeText(toCurl(ex, profile));
    void vscode.window.showInformationMessage('Copied as curl (secrets as $VARIABLES).');
  });

  reg('scim.selectProfile', async (node?: unknown) => {
    if (isNode(node) && node.kind === 'profile') await status.set(node.profile.name);
    else await status.pick();
  });

  // Internal: the trace panel asks for a masked header's raw value after an explicit click.
  reg('scim.revealSecret', (exchangeId?: unknown, index?: unknown) => {
    if (typeof exchangeId !== 'string' || typeof index !== 'number') return undefined;
    const value = trace.reveal(exchangeId, index);
    log.info(`revealed request header #${index} of exchange ${exchangeId} in the trace panel`);
    return value;
  });

  // Internal: a profileError node opens its file at the problem.
  reg('scim.openProblem', async (file?: unknown, line?: unknown, column?: unknown) => {
    if (typeof file !== 'string') return;
    if (file === SETTINGS_SOURCE) return vscode.commands.executeCommand('workbench.action.openSettings', 'scim.profiles');
    if (!/^([a-zA-Z]:)?[\\/]/.test(file)) return;
    const pos = new vscode.Position(Math.max(0, Number(line ?? 1) - 1), Math.max(0, Number(column ?? 1) - 1));
    await vscode.window.showTextDocument(vscode.Uri.file(file), { selection: new vscode.Range(pos, pos) });
  });
}
