// Membership: add members to a group, remove members (several at once after a confirmation), and what every
// membership change shares with its undo and its restore (progress, the PUT confirmation, the result).
import * as vscode from 'vscode';
import type { ScimClient, MembershipOptions } from '../../core/scim/client';
import type { MembershipChange, MembershipReport } from '../../core/scim/types';
import { COMMANDS } from '../command-ids';
import { locationNotice, lostLine, membershipFailureReport, membershipSummary, putConfirmation, removeConfirmation } from '../command-messages';
import { isCancellation } from '../messages';
import { TracePanel } from '../trace-panel';
import { memberLabel, personLabel, resourceLabel, type MemberNode, type MembersNode } from '../tree-model';
import { pickUsers } from '../user-picker';
import { isNode, type Kit } from './kit';

type Send = (client: ScimClient, opts: MembershipOptions, ctx: { title: string; signal: AbortSignal }) => Promise<MembershipReport>;

export function registerMembershipCommands(k: Kit): void {
  const { register, membersOf, exchangeFor, showFailure, panelDeps } = k;
  const { log, trace, tree, view, clients, waits } = k.x;

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
      const report = await waits.run(title, (progress, signal) => {
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

  register(COMMANDS.addMembers, async (node?: unknown) => {
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

  register(COMMANDS.removeMembers, async (node?: unknown, selected?: unknown) => {
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
}
