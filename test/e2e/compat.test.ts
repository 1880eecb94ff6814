// Create, delete and the connector check in a real VS Code (issue 14, points 2 and 4), on one code-server session
// against the sandbox: "New Resource…" on Users opens the template from /Schemas in an untitled JSON editor; filled
// in, its "Create" code lens asks (a modal naming it), creates and reads it back; "Delete…" on the new user asks (a
// modal naming it) and deletes it, checked by a GET that answers 404; "SCIM: Check Connector Compatibility" shows
// the table in a webview, and a row's exchange button opens the trace at that exchange. Assertions on the UI text
// and on the sandbox's state. Screenshots: artifacts/e2e/20-create-*.png, 21-compat-*.png (failure-*.png).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox } from '../../src/sandbox';
import { startSession, T, timingsLine, waitFor, type Sandbox, type Session } from './lib';

describe('create, delete and the connector check in a real VS Code', { concurrency: false }, () => {
  let skip: string | undefined;
  let s: Session | undefined;
  let sb: Sandbox | undefined;

  before(async () => {
    sb = await startSandbox({ users: 12, groups: 3 });
    const started = await startSession({
      name: 'compat',
      files: {
        'scim-profiles.yaml': sb.profileYaml('sandbox'),
      },
    });
    if ('skip' in started) { skip = started.skip; return; }
    s = started;
  }, { timeout: 15 * 60_000 });

  after(async () => {
    await s?.stop();
    await sb?.stop();
    if (s) console.log(`# e2e timings (compat): ${timingsLine(s.timings)}`);
  });

  test('New Resource… on Users: a template from /Schemas, created through its code lens after a modal naming it; Delete… asks and checks 404', { timeout: 5 * 60_000 }, async (t) => {
    if (skip) { t.skip(skip); return; }
    assert.ok(s && sb);
    const { ui, page } = { ui: s.ui, page: s.ui.page };
    const sandbox = sb;
    try {
      await ui.openScimView();
      const profile = ui.treeItem('sandbox');
      await ui.expandWithChildren(profile);
      const usersNode = await ui.childItem(profile, /^Users/);
      // the row's inline "New Resource…" (+) action (the same command as its context menu entry)
      const editor = page.locator('.editor-instance .monaco-editor').first();
      await usersNode.hover();
      await usersNode.locator('.action-label[aria-label^="New Resource"]').first().click();
      // the untitled editor holds the template
      await editor.waitFor({ state: 'visible', timeout: T.op });
      // (Monaco draws spaces as no-break spaces)
      const text = async () => (await editor.locator('.view-lines').innerText().catch(() => '')).replace(/\u00a0/g, ' ');
      await waitFor(async () => /"userName": ""/.test(await text()), 'the template with an empty userName', T.op);
      assert.match(await text(), /"schemas": \[\s*"urn:ietf:params:scim:schemas:core:2\.0:User"\s*\],\s*"userName": "",\s*"displayName": "",\s*"active": true/);
      const lens = page.locator('.contentWidgets .codelens-decoration a, .codelens-decoration a', { hasText: /Create user in sandbox/ }).first();
      await lens.waitFor({ state: 'visible', timeout: T.op });
      await ui.shot('20-create-template.png');
      // fill it in: into the empty values of userName and displayName (typed between their quotes)
      for (const [key, value] of [['userName', 'e2e-created'], ['displayName', 'E2E Created']] as const) {
        await editor.locator('.view-line', { hasText: `"${key}"` }).first().click();
        await page.keyboard.press('End');
        await page.keyboard.press('ArrowLeft'); // before the comma
        await page.keyboard.press('ArrowLeft'); // between the quotes
        await page.keyboard.insertText(value);
      }
      await waitFor(async () => /"userName": "e2e-created",\s*"displayName": "E2E Created",/.test(await text()), 'the values typed in', T.ui);
      await lens.click();
      const d = await ui.dialog();
      assert.match(d.text, /Create user "e2e-created" in sandbox\?/, d.text);
      assert.match(d.text, /POST http:\/\/127\.0\.0\.1:\d+\/scim\/v2\/Users\. It is read back afterwards and compared with what was sent\./);
      await ui.shot('20-create-modal.png');
      await ui.dialogButton(/^Create$/);
      const done = await ui.toast(/Created user "e2e-created"/);
      assert.match(done.text, /^Created user "e2e-created" \(\S+\) in sandbox; read back: every attribute sent is stored\.$/, done.text);
      const id = sandbox.userIdByName('e2e-created');
      assert.ok(id, 'the sandbox holds the new user');
      assert.ok(sandbox.received.some((r) => r.method === 'POST' && /\/Users$/.test(r.url.split('?')[0]!) && r.answeredBy === 'backend'), 'the POST went through the gateway');
      await ui.shot('20-create-created.png');

      // Delete… on the new user, from the refreshed Users list
      await ui.command('View: Close All Editors');
      if (await ui.dialogShown(2_000)) await ui.dialogButton(/^(Don't Save|Do not save)$/);
      await ui.expandWithChildren(usersNode);
      const row = await ui.childItem(usersNode, /^e2e-created\b/);
      await ui.contextAction(row, 'Delete…');
      const q = await ui.dialog();
      assert.match(q.text, /Delete user "e2e-created" from sandbox\?/, q.text);
      assert.match(q.text, new RegExp(`DELETE http://127\\.0\\.0\\.1:\\d+/scim/v2/Users/${id}\\. This cannot be undone\\. It is read afterwards: a GET must answer 404\\.`));
      await ui.shot('20-create-delete-modal.png');
      await ui.dialogButton(/^Delete$/);
      const gone = await ui.toast(/Deleted user "e2e-created"/);
      assert.match(gone.text, /^Deleted user "e2e-created" from sandbox; checked: GET answered 404\.$/, gone.text);
      assert.equal(sandbox.userIdByName('e2e-created'), undefined, 'the sandbox no longer holds it');
      await ui.shot('20-create-deleted.png');
    } catch (e) {
      await ui.shot('failure-create.png').catch(() => undefined);
      throw e;
    }
  });

  test('SCIM: Check Connector Compatibility: the table in a webview, every scratch resource gone, a row opens the trace at its exchange', { timeout: 5 * 60_000 }, async (t) => {
    if (skip) { t.skip(skip); return; }
    assert.ok(s && sb);
    const { ui } = s;
    const page = ui.page;
    const sandbox = sb;
    try {
      await ui.clearNotifications();
      await ui.command('View: Close All Editors');
      if (await ui.dialogShown(2_000)) await ui.dialogButton(/^(Don't Save|Do not save)$/);
      await ui.command('SCIM: Check Connector Compatibility');
      const qi = page.locator('.quick-input-widget');
      await qi.locator('.quick-input-list .monaco-list-row', { hasText: 'All connectors' }).first().click();
      const d = await ui.dialog();
      assert.match(d.text, /Check all connectors against sandbox\?/, d.text);
      assert.match(d.text, /Creates scratch users and groups named scimx-compat-… on http:\/\/127\.0\.0\.1:\d+\/scim\/v2/);
      await ui.dialogButton(/^Run Check$/);
      const frame = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
      const rows = frame.locator('#compat tbody tr');
      await waitFor(async () => (await rows.count().catch(() => 0)) === 26, 'the table with 26 rows', 2 * 60_000);
      const summary = await frame.locator('#summary').innerText();
      assert.match(summary, /^\d+ of 26 steps pass; .*\d+ scratch resource\(s\) deleted and checked/, summary);
      assert.match(await rows.first().innerText(), /Microsoft Entra ID\s+user create/);
      // nothing left on the service
      const left = await fetchScratch(sandbox);
      assert.deepEqual(left, [], 'no scratch resource left in the sandbox');
      await ui.shot('21-compat-table.png');
      // a row's exchange opens in the trace
      const button = rows.nth(2).locator('button.open');
      const exchangeId = await button.getAttribute('data-exchange');
      assert.ok(exchangeId);
      await button.click();
      const trace = page.frameLocator('iframe.webview.ready >> nth=-1').frameLocator('#active-frame');
      const line = trace.locator('#detail .request-line').first();
      await line.waitFor({ state: 'visible', timeout: T.op });
      assert.match(await line.innerText(), /^PATCH \/scim\/v2\/Users\//, 'the detail is row 3\'s request (Entra\'s deactivation)');
      await ui.shot('21-compat-trace.png');
    } catch (e) {
      await ui.shot('failure-compat.png').catch(() => undefined);
      throw e;
    }
  });
});

/** Scratch users and groups in the sandbox, read through its gateway with a plain request. */
async function fetchScratch(sb: Sandbox): Promise<string[]> {
  const { request } = await import('undici');
  const auth = sb.auth && sb.auth.type === 'basic' ? `Basic ${Buffer.from(`${sb.auth.username}:${sb.auth.password}`).toString('base64')}` : undefined;
  const headers: Record<string, string> = { [sb.keyHeader]: sb.key, accept: 'application/scim+json', ...(auth ? { authorization: auth } : {}) };
  const out: string[] = [];
  for (const [path, key] of [['Users', 'userName'], ['Groups', 'displayName']] as const) {
    const res = await request(`${sb.gatewayUrl}/${path}?filter=${encodeURIComponent(`${key} sw "scimx-compat-"`)}&count=200`, { headers });
    const body = await res.body.json() as { Resources?: Array<Record<string, string>> };
    out.push(...(body.Resources ?? []).map((r) => r[key]!));
  }
  return out;
}
