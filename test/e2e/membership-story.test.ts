// The membership safety net in a real VS Code (issues 9 and 11, point 6), on one code-server session:
//  - a server that silently drops two other members on a PATCH (sandbox quirk `drops-members`): the
//    notification names the lost members and offers "Restore 2 members"; Restore brings them back (the
//    sandbox's own state says so), a result notification follows, and the trace panel shows both operations;
//  - removing one member from the tree asks nothing and offers "Undo"; Undo brings the member back; removing
//    several asks first, naming the users and the group.
// Screenshots: artifacts/e2e/9-… to 12-… (failure-membership-*.png when something fails).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Locator } from 'playwright-core';
import { startSandbox } from '../../src/sandbox';
import {
  esc, headerOf, KEY_HEADER, listUsers, namesUser, startSession, T, timingsLine, waitFor,
  type Sandbox, type SandboxUser, type Session, type Ui,
} from './lib';

describe('membership safety net in a real VS Code: a silent loss restored, remove then Undo', { concurrency: false }, () => {
  let skip: string | undefined;
  let s: Session | undefined;
  let sb: Sandbox | undefined;
  let users: SandboxUser[] = [];

  before(async () => {
    sb = await startSandbox({ users: 30, groups: 5 });
    const started = await startSession({ name: 'membership', files: { 'scim-profiles.yaml': sb.profileYaml('sandbox') } });
    if ('skip' in started) { skip = started.skip; return; }
    s = started;
    users = await listUsers(sb);
  }, { timeout: 15 * 60_000 });

  after(async () => {
    await s?.stop();
    await sb?.stop();
    if (s) console.log(`# e2e timings (membership-story): ${timingsLine(s.timings)}`);
  });

  const user = (id: string): SandboxUser => users.find((u) => u.id === id) ?? { id, userName: id };
  const who = (ids: string[]) => ids.map((id) => user(id).userName).join(', ');
  /** A member's row label: its displayName (as listed) or its userName (as just added). */
  const rowLabel = (u: SandboxUser) => new RegExp(`^(${esc(u.displayName ?? u.userName)}|${esc(u.userName)})(\\s|$)`);

  /** profile → Groups → GROUP → Members, opened in the tree; returns the group's and the Members' rows. */
  async function openMembers(ui: Ui, group: string): Promise<{ group: Locator; members: Locator }> {
    await ui.openScimView();
    const groupRow = await ui.open(ui.treeItem('sandbox'), /^Groups/, new RegExp(`^${esc(group)}\\b`));
    const members = await ui.childItem(groupRow, /^Members/);
    await ui.expandWithChildren(members);
    return { group: groupRow, members };
  }

  test('drops-members: the loss is named, "Restore 2 members" brings them back, the trace shows both operations', { timeout: 5 * 60_000 }, async (t) => {
    if (skip) { t.skip(skip); return; }
    assert.ok(s && sb);
    const { ui } = s;
    const sandbox = sb;
    try {
      const gid = sandbox.groupIdByName('group-01')!;
      const { group, members } = await openMembers(ui, 'group-01');
      await ui.childLabels(members);
      const before = sandbox.members(gid);
      assert.ok(before.length >= 3, `group-01 has ${before.length} members: the quirk drops 2 others`);
      const newcomer = users.find((u) => !before.includes(u.id));
      assert.ok(newcomer, 'every user is already a member');

      // The server now drops two members it was not asked about on every PATCH of members (answering 2xx).
      sandbox.setFaults(['drops-members']);
      sandbox.clearReceived();
      await ui.addMemberViaPicker(group, newcomer.userName);
      const loss = await ui.toast(/other members? (is|are) gone/);
      const after = sandbox.members(gid);
      const lost = before.filter((id) => !after.includes(id));
      assert.equal(lost.length, 2, `the quirk dropped ${who(lost)}`);
      assert.ok(after.includes(newcomer.id), 'the PATCH itself was applied');
      assert.match(loss.text, /group-01: the server accepted the change but 2 other members are gone: /, loss.text);
      for (const id of lost) assert.ok(namesUser(loss.text, user(id)), `the notification does not name ${user(id).userName}: ${loss.text}`);
      assert.match(loss.text, /Nothing more was sent\./);
      const buttons = await ui.toastButtons(loss);
      assert.ok(buttons.includes('Restore 2 members'), `buttons: ${JSON.stringify(buttons)}`);
      const patches = sandbox.received.filter((r) => r.method === 'PATCH');
      assert.equal(patches.length, 1, 'one PATCH was sent, and nothing more after the loss was seen');
      assert.equal(headerOf(patches[0]!, KEY_HEADER), sandbox.key, 'the PATCH carried the gateway key');
      await ui.shot('9-membership-loss-notification.png');

      // The server behaves again; Restore re-adds exactly the lost members through the same checked path.
      sandbox.setFaults([]);
      sandbox.clearReceived();
      await ui.toastButton(loss, /^Restore 2 members$/);
      await waitFor(() => lost.every((id) => sandbox.members(gid).includes(id)), 'the sandbox to have the lost members back');
      const restored = new Set(sandbox.members(gid));
      assert.deepEqual([...restored].sort(), [...before, newcomer.id].sort(), 'the group is the one before the loss plus the newcomer');
      const result = await ui.toast(/group-01: .*(added|restored)/i);
      assert.match(result.text, /PATCH, verified/, result.text);
      for (const id of lost) assert.ok(namesUser(result.text, user(id)), `the result does not name ${user(id).userName}: ${result.text}`);
      const restorePatches = sandbox.received.filter((r) => r.method === 'PATCH');
      assert.equal(restorePatches.length, 1, 'the restore is one PATCH');
      for (const id of lost) assert.ok(restorePatches[0]!.body.includes(id), `the restore PATCH does not add ${id}`);
      assert.ok(!restorePatches[0]!.body.includes(newcomer.id), 'the restore PATCH touches only the lost members');

      // The tree shows them again; the trace panel has both operations, the loss one marked.
      for (const id of lost) {
        await ui.childItem(members, rowLabel(user(id)));
      }
      const frame = await ui.showTrace();
      const opRow = (title: RegExp) => frame.locator('.op-row', { has: frame.locator('.c-title', { hasText: title }) }).first();
      const addOp = opRow(/^Add 1 member to group-01$/);
      const restoreOp = opRow(/^Restore 2 members to group-01$/);
      await addOp.waitFor({ state: 'visible', timeout: T.op });
      await restoreOp.waitFor({ state: 'visible', timeout: T.op });
      assert.match(await addOp.getAttribute('class') ?? '', /state-failed|sev-error/, 'the operation that lost members is marked failed');
      assert.match((await addOp.innerText()).replace(/\s+/g, ' '), /gone|lost/i, 'the operation header says members were lost');
      assert.ok(await frame.locator('.ex-row[data-method="PATCH"]').count() >= 2, 'both PATCHes are in the trace');
      await ui.shot('10-membership-restored-trace.png');
    } catch (e) {
      await ui.shot('failure-membership-restore.png').catch(() => undefined);
      throw e;
    } finally {
      sandbox.setFaults([]);
    }
  });

  test('remove one member: no modal, "Undo" on the result brings it back; removing several asks first, naming them and the group', { timeout: 5 * 60_000 }, async (t) => {
    if (skip) { t.skip(skip); return; }
    assert.ok(s && sb);
    const { ui } = s;
    const sandbox = sb;
    try {
      await ui.clearNotifications();
      await ui.command('View: Close All Editors');
      await ui.collapse(ui.treeItem('group-01'));
      const gid = sandbox.groupIdByName('group-02')!;
      const { members } = await openMembers(ui, 'group-02');
      await ui.childLabels(members);
      const before = sandbox.members(gid);
      const victim = user(before[0]!);
      const victimRow = await ui.childItem(members, rowLabel(victim));

      // One member: no confirmation, the result names the user and offers Undo.
      sandbox.clearReceived();
      await ui.contextAction(victimRow, 'Remove from Group');
      await waitFor(() => !sandbox.members(gid).includes(victim.id), 'the sandbox to record the removal');
      assert.equal(await ui.dialogShown(500), false, 'no modal for one member');
      const done = await ui.toast(/group-02: .*removed/);
      assert.ok(namesUser(done.text, victim), `the result does not name ${victim.userName}: ${done.text}`);
      assert.ok((await ui.toastButtons(done)).includes('Undo'), `buttons: ${JSON.stringify(await ui.toastButtons(done))}`);
      assert.deepEqual(sandbox.members(gid).sort(), before.filter((id) => id !== victim.id).sort(), 'only that member is gone');
      await ui.shot('11-remove-one-undo-notification.png');
      await ui.toastButton(done, /^Undo$/);
      await waitFor(() => sandbox.members(gid).includes(victim.id), 'Undo to put the member back');
      assert.deepEqual(sandbox.members(gid).sort(), [...before].sort(), 'the group is as before');
      const undone = await ui.toast(/group-02: .*added/);
      assert.ok(namesUser(undone.text, victim), `the undo result does not name ${victim.userName}: ${undone.text}`);
      const writes = sandbox.received.filter((r) => r.method === 'PATCH' || r.method === 'PUT');
      assert.equal(writes.length, 2, 'one write to remove, one to undo');
      assert.ok(writes.every((r) => headerOf(r, KEY_HEADER) === sandbox.key), 'every write carried the gateway key');
      await ui.childItem(members, rowLabel(victim));

      // Several: a confirmation naming the users and the group; Cancel changes nothing, Remove removes them.
      await ui.clearNotifications();
      const two = [user(before[1]!), user(before[2]!)];
      const rows: Locator[] = [];
      for (const u of two) rows.push(await ui.childItem(members, rowLabel(u)));
      await rows[0]!.click(); // a member's click opens it (a preview editor); the selection is what matters
      await rows[1]!.click({ modifiers: ['ControlOrMeta'] });
      await waitFor(async () => (await rows[1]!.getAttribute('aria-selected')) === 'true' && (await rows[0]!.getAttribute('aria-selected')) === 'true', 'both members to be selected', T.ui);
      sandbox.clearReceived();
      await ui.contextAction(rows[1]!, 'Remove from Group');
      const ask = await ui.dialog();
      assert.match(ask.text, /Remove 2 members from "group-02"\?/, ask.text);
      for (const u of two) assert.ok(namesUser(ask.text, u), `the confirmation does not name ${u.userName}: ${ask.text}`);
      await ui.shot('12-remove-several-confirmation.png');
      await ui.dialogButton(/^Cancel$/);
      await s.ui.page.waitForTimeout(500);
      assert.equal(sandbox.received.filter((r) => r.method !== 'GET').length, 0, 'Cancel sent no write');
      assert.deepEqual(sandbox.members(gid).sort(), [...before].sort());
      await ui.contextAction(rows[1]!, 'Remove from Group');
      await ui.dialog();
      await ui.dialogButton(/^Remove$/);
      await waitFor(() => two.every((u) => !sandbox.members(gid).includes(u.id)), 'the sandbox to record both removals');
      assert.equal(sandbox.members(gid).length, before.length - 2, 'exactly those two are gone');
      const both = await ui.toast(/group-02: .*removed/);
      for (const u of two) assert.ok(namesUser(both.text, u), `the result does not name ${u.userName}: ${both.text}`);
    } catch (e) {
      await ui.shot('failure-membership-undo.png').catch(() => undefined);
      throw e;
    }
  });
});
