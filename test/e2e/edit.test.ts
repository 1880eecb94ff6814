// Editing a resource in a real VS Code (issue 14, point 1): open a user from the tree (an editable `scim:`
// document, its tab named by the userName), add an attribute, save; the confirmation shows the PatchOp; Send;
// the notification says it was verified, and the sandbox has the attribute (read from it, not through the
// extension). Then someone else changes the user and the next save is a conflict: the compare of the server's now
// and yours opens, nothing is overwritten. Screenshots: artifacts/e2e/18-edit-confirm.png, 19-edit-saved.png,
// 20-edit-conflict.png (failure-edit*.png on failure).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox } from '../../src/sandbox';
import { sandboxHeaders, startSession, T, timingsLine, waitFor, type Sandbox, type Session } from './lib';

describe('edit a user in a real VS Code, saved as a minimal PATCH', { concurrency: false }, () => {
  let skip: string | undefined;
  let s: Session | undefined;
  let sb: Sandbox | undefined;

  before(async () => {
    sb = await startSandbox({ users: 10, groups: 2 });
    const started = await startSession({ name: 'edit', files: { 'scim-profiles.yaml': sb.profileYaml('sandbox') } });
    if ('skip' in started) { skip = started.skip; return; }
    s = started;
  }, { timeout: 15 * 60_000 });

  after(async () => {
    await s?.stop();
    await sb?.stop();
    if (s) console.log(`# e2e timings (edit): ${timingsLine(s.timings)}`);
  });

  test('open user0003, add "title", save, confirm the PatchOp: the server has it', { timeout: 5 * 60_000 }, async (t) => {
    if (skip) { t.skip(skip); return; }
    assert.ok(s && sb);
    const { ui } = s;
    const sandbox = sb;
    const pg = ui.page;
    const uid = sandbox.userIdByName('user0003')!;
    const read = async () => (await (await fetch(`${sandbox.gatewayUrl.replace(/\/$/, '')}/Users/${uid}`, { headers: sandboxHeaders(sandbox) })).json()) as Record<string, unknown>;
    try {
      await ui.openScimView();
      const users = await ui.open(ui.treeItem('sandbox'), /^Users/);
      const row = await ui.childItem(users, /^user0003(\s|$)/);
      await row.click();
      const tab = pg.locator('.tabs-container .tab', { hasText: 'user0003.json' }).first();
      await tab.waitFor({ state: 'visible', timeout: T.op });
      const editor = pg.locator('.editor-instance .monaco-editor .view-lines').first();
      await waitFor(async () => /"userName": "user0003"/.test((await editor.innerText().catch(() => '')).replace(/\u00a0/g, ' ')), 'the user\'s JSON in the editor', T.op);
      await tab.dblclick(); // keep it (not a preview) and focus it
      await editor.click();
      await pg.keyboard.press('Control+Home');
      await pg.keyboard.press('End');
      await pg.keyboard.press('Enter');
      await pg.keyboard.type('"title": "Edited in VS Code",', { delay: 15 });
      sandbox.clearReceived();
      await pg.keyboard.press('Control+S');

      const ask = await ui.dialog();
      assert.match(ask.text, /Save user0003 to sandbox\? This sends:/, ask.text);
      assert.match(ask.text, /PATCH Users\//, ask.text);
      assert.match(ask.text, /"op": "add", "path": "title", "value": "Edited in VS Code"/, ask.text);
      await ui.shot('18-edit-confirm.png');
      assert.equal(sandbox.received.filter((r) => r.method !== 'GET').length, 0, 'nothing sent before Send');
      await ui.dialogButton(/^Send$/);

      const done = await ui.toast(/Saved user0003/);
      assert.match(done.text, /PATCH 1 operation\(s\), verified/, done.text);
      assert.equal((await read()).title, 'Edited in VS Code', 'the server has it');
      const patches = sandbox.received.filter((r) => r.method === 'PATCH');
      assert.equal(patches.length, 1);
      assert.deepEqual(JSON.parse(patches[0]!.body).Operations, [{ op: 'add', path: 'title', value: 'Edited in VS Code' }]);
      // the tab is saved (no dirty mark) and shows the server's version
      await waitFor(async () => !/\bdirty\b/.test((await tab.getAttribute('class')) ?? ''), 'the tab to be saved', T.ui);
      await ui.shot('19-edit-saved.png');
    } catch (e) {
      await ui.shot('failure-edit.png').catch(() => undefined);
      throw e;
    }
  });

  test('someone else changed it meanwhile: the save opens the compare (server\'s now ↔ yours) and overwrites nothing', { timeout: 5 * 60_000 }, async (t) => {
    if (skip) { t.skip(skip); return; }
    assert.ok(s && sb);
    const { ui } = s;
    const sandbox = sb;
    const pg = ui.page;
    const uid = sandbox.userIdByName('user0003')!;
    const base = `${sandbox.gatewayUrl.replace(/\/$/, '')}/Users/${uid}`;
    const read = async () => (await (await fetch(base, { headers: sandboxHeaders(sandbox) })).json()) as Record<string, unknown>;
    try {
      await ui.clearNotifications();
      await new Promise((r) => setTimeout(r, 20));
      const other = await fetch(base, {
        method: 'PATCH', headers: { ...sandboxHeaders(sandbox), 'content-type': 'application/scim+json' },
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'Changed Elsewhere' }] }),
      });
      assert.equal(other.status, 200, 'the other writer\'s PATCH');
      const editor = pg.locator('.editor-instance .monaco-editor .view-lines').first();
      await editor.click();
      await pg.keyboard.press('Control+Home');
      await pg.keyboard.press('End');
      await pg.keyboard.press('Enter');
      await pg.keyboard.type('"nickName": "mine",', { delay: 15 });
      sandbox.clearReceived();
      await pg.keyboard.press('Control+S');
      const ask = await ui.dialog();
      assert.match(ask.text, /"path": "nickName"/, ask.text);
      await ui.dialogButton(/^Send$/);
      const warn = await ui.toast(/changed on the server since you opened it: nothing was overwritten/);
      assert.match(warn.text, /compare shows the server's now and yours/, warn.text);
      const compare = pg.locator('.tabs-container .tab', { hasText: /server's now ↔ yours/ }).first();
      await compare.waitFor({ state: 'visible', timeout: T.op });
      assert.equal(sandbox.received.filter((r) => r.method === 'PATCH' || r.method === 'PUT').length, 0, 'nothing sent');
      const now = await read();
      assert.equal(now.displayName, 'Changed Elsewhere', 'their change stands');
      assert.equal(now.nickName, undefined, 'ours was not written');
      await ui.shot('20-edit-conflict.png');
    } catch (e) {
      await ui.shot('failure-edit-conflict.png').catch(() => undefined);
      throw e;
    }
  });
});
