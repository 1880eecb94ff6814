// What every area of commands shares: the extension's parts (Ext), the one way to register a command (errors
// become a log line and a notification), how a command finds its target (the clicked node, else the tree's
// selection, else the active profile), and how a failure is shown (with "Show Trace" / "Copy curl").
import * as vscode from 'vscode';
import { isScimxError } from '../../core/errors';
import type { Profile } from '../../core/profile';
import type { Exchange, Trace } from '../../core/trace';
import { COMMANDS, type CommandId } from '../command-ids';
import { failureLine } from '../messages';
import type { ProfileStore } from '../profiles';
import type { ScimDocuments } from '../resource-doc';
import type { Secrets } from '../secrets';
import type { Clients } from '../session';
import type { ActiveProfile } from '../status';
import { TracePanel } from '../trace-panel';
import { membersNodeOf, type MembersNode, type ResourceNode, type TreeNode } from '../tree-model';
import type { RequestFiles } from '../request-files/index';
import type { ScimTree } from '../tree';
import type { Waits } from '../waits';

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
  /** Made on first use (../extension.ts). */
  waits: Pick<Waits, 'run'>;
  /** Request files (`*.scim`): what their commands call. */
  requestFiles: RequestFiles;
}

type Kind = TreeNode['kind'];
// ResourceNode's kind is 'resource' | 'group', which Extract alone would drop.
export type NodeOf<K extends Kind> = Extract<TreeNode, { kind: K }> | ('resource' extends K ? ResourceNode : 'group' extends K ? ResourceNode : never);

export function isNode(x: unknown): x is TreeNode {
  return !!x && typeof x === 'object' && typeof (x as { kind?: unknown }).kind === 'string' && typeof (x as { key?: unknown }).key === 'string';
}

/** Handed to each area's `register…Commands`. */
export interface Kit {
  x: Ext;
  /** what the trace panel needs to open */
  panelDeps: { extensionUri: vscode.Uri; trace: Trace; log: vscode.LogOutputChannel };
  /** Registers a command (disposed with the extension); a throw is logged and shown, the command answers undefined. */
  register: (id: CommandId, fn: (...args: unknown[]) => unknown) => void;
  /** The clicked node when it is of one of `kinds`, else the first such node of the tree's selection. */
  target: <K extends Kind>(arg: unknown, ...kinds: K[]) => NodeOf<K> | undefined;
  /** The profile a command is about: a profile node, a profile name, the selection's profile, else the active one. */
  profileOf: (arg: unknown) => Promise<Profile | undefined>;
  /** The members list a group, members or member node (or the selection) is about. */
  membersOf: (arg: unknown) => MembersNode | undefined;
  /** The exchange a failure is about: the one its diagnosis (what the notification says) is about, else the
   * error's own, else the last one of the newest operation. */
  exchangeFor: (e: unknown, profile: string, since: number) => Exchange | undefined;
  /** An error notification for a failed action, offering the trace (and curl of its exchange). */
  showFailure: (what: string, e: unknown, profile: string, since: number) => Promise<void>;
}

export function createKit(x: Ext): Kit {
  const { context, log, trace, view, status, profiles } = x;
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
    if (choice === 'Copy curl' && ex) await vscode.commands.executeCommand(COMMANDS.copyCurl, ex.id);
  };

  const register = (id: CommandId, fn: (...args: unknown[]) => unknown): void => {
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

  return { x, panelDeps, register, target, profileOf, membersOf, exchangeFor, showFailure };
}
