// A request file (`*.scim`) in a real VS Code (issue 14, point 3): the file is opened, the "Send" lens of a
// request is clicked, the answer opens in a read-only editor beside it, and the exchange is in the trace panel
// with the gateway key masked. The gateway's own record proves the request carried the profile's key (not the
// block's own). Screenshots: artifacts/e2e/19-send-*.png.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox } from '../../src/sandbox';
import { headerOf, KEY_HEADER, startSession, T, timingsLine, waitFor, type Sandbox, type Session } from './lib';

const BLOCK_KEY = 'block-own-key-never-sent-0042';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

function requests(gid: string, uid: string): string {
  return [
    '# SCIM requests kept with the project',
    '### service config',
    'GET ServiceProviderConfig',
    '',
    '### list users',
    'GET Users?filter=userName eq "user0002"',
    `${KEY_HEADER}: ${BLOCK_KEY}`,
    '',
    '### add a member',
    `PATCH Groups/${gid}`,
    '',
    JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: uid }] }] }),
    '',
  ].join('\n');
}

describe('request files in a real VS Code: Send lens, answer beside the file, exchange in the trace', { concurrency: false }, () => {
  let skip: string | undefined;
  let s: Session | undefined;
  let sb: Sandbox | undefined;

  before(async () => {
    sb = await startSandbox({ users: 10, groups: 2 });
    const gid = sb.groupIdByName('group-01')!;
    const outsider = ['user0001', 'user0002', 'user0003', 'user0004', 'user0005', 'user0006', 'user0007', 'user0008', 'user0009', 'user0010']
      .map((n) => sb!.userIdByName(n)!).find((id) => !sb!.members(gid).includes(id))!;
    const started = await startSession({ name: 'request-files', files: { 'scim-profiles.yaml': sb.profileYaml('sandbox'), 'requests.scim': requests(gid, outsider) } });
    if ('skip' in started) { skip = started.skip; return; }
    s = started;
  }, { timeout: 15 * 60_000 });

  after(async () => {
    await s?.stop();
    await sb?.stop();
    if (s) console.log(`# e2e timings (request-files): ${timingsLine(s.timings)}`);
  });

  test('open requests.scim, click "Send" on "list users": the answer and the trace', { timeout: 5 * 60_000 }, async (t) => {
    if (skip) { t.skip(skip); return; }
    assert.ok(s && sb);
    const { ui } = s;
    const pg = ui.page;
    const sandbox = sb;
    try {
      // Quick Open: the palette without its ">" searches files by name
      await pg.keyboard.press('Escape');
      await pg.keyboard.press('F1');
      const input = pg.locator('.quick-input-widget input');
      await input.waitFor({ state: 'visible' });
      await input.fill('requests.scim');
      await pg.locator('.quick-input-list .monaco-list-row', { hasText: 'requests.scim' }).first().waitFor({ state: 'visible' });
      await pg.keyboard.press('Enter');
      await pg.locator('.tabs-container .tab', { hasText: 'requests.scim' }).first().waitFor({ state: 'visible' });

      const lens = pg.locator('.codelens-decoration a', { hasText: 'Send "list users"' }).first();
      await lens.waitFor({ state: 'visible', timeout: T.op });
      await ui.shot('19-send-lens.png');
      sandbox.clearReceived();
      await lens.click();

      // the answer, in its own read-only editor beside the file
      const tab = pg.locator('.tabs-container .tab', { hasText: 'list users response' }).first();
      await tab.waitFor({ state: 'visible', timeout: T.op });
      const answer = pg.locator('.monaco-editor .view-lines', { hasText: 'HTTP 200' }).first();
      await answer.waitFor({ state: 'visible', timeout: T.op });
      const text = (await answer.innerText()).replace(/\u00a0/g, ' ');
      assert.match(text, /### list users: GET Users\?filter=userName eq "user0002"/, text);
      assert.match(text, /"userName": "user0002"/, text);
      assert.match(text, new RegExp(`warning: line 7: ${KEY_HEADER} \\(••••0042\\) is not sent: the profile's gateway key is`), text);
      await ui.shot('19-send-response.png');

      // what the gateway received: the profile's key, not the block's
      const users = sandbox.received.filter((r) => r.method === 'GET' && /\/Users\?/.test(r.url));
      assert.equal(users.length, 1, sandbox.received.map((r) => `${r.method} ${r.url}`).join('\n'));
      assert.equal(headerOf(users[0]!, KEY_HEADER), sandbox.key);
      assert.ok(!users[0]!.url.includes(BLOCK_KEY));

      // the exchange in the trace, its key masked
      const frame = await ui.showTrace();
      const row = frame.locator('.ex-row[data-method="GET"]', { hasText: /Users\?filter/ }).first();
      await row.waitFor({ state: 'visible', timeout: T.op });
      await waitFor(async () => (await row.getAttribute('data-status')) === '200', 'the GET row to show 200', T.ui);
      await frame.locator('.row', { hasText: /Send list users: GET Users/ }).first().waitFor({ state: 'visible' });
      await row.click();
      await frame.locator('#detail').waitFor({ state: 'visible' });
      const detail = await frame.locator('#detail').innerText();
      assert.ok(!detail.includes(sandbox.key), 'the key is masked in the trace');
      assert.match(detail, new RegExp(`${KEY_HEADER}`, 'i'));
      assert.match(detail, /is not sent: the profile's gateway key is/, 'the block\'s warning is on its exchange');
      await ui.shot('19-send-trace.png');
    } catch (e) {
      await ui.shot('19-send-failure.png').catch(() => undefined);
      throw e;
    }
  });

  test('a raw members PATCH on a server that drops members: the loss is named, "Restore" puts the members back', { timeout: 5 * 60_000 }, async (t) => {
    if (skip) { t.skip(skip); return; }
    assert.ok(s && sb);
    const { ui } = s;
    const pg = ui.page;
    const sandbox = sb;
    try {
      const gid = sandbox.groupIdByName('group-01')!;
      const before = sandbox.members(gid);
      assert.ok(before.length >= 3, `group-01 has ${before.length} members`);
      sandbox.setFaults(['drops-members']);
      await pg.locator('.tabs-container .tab', { hasText: 'requests.scim' }).first().click();
      const lens = pg.locator('.codelens-decoration a', { hasText: 'Send "add a member"' }).first();
      await lens.waitFor({ state: 'visible', timeout: T.op });
      await lens.click();
      const loss = await ui.toast(/other members? (is|are) gone/);
      const after = sandbox.members(gid);
      const lost = before.filter((id) => !after.includes(id));
      assert.equal(lost.length, 2, 'the quirk dropped two members');
      for (const id of lost) assert.ok(loss.text.includes(id), `the notification names ${id}: ${loss.text}`);
      const answer = pg.locator('.monaco-editor .view-lines', { hasText: 'members of group' }).first();
      await answer.waitFor({ state: 'visible', timeout: T.op });
      assert.match((await answer.innerText()).replace(/\u00a0/g, ' '), /members of group .*: 2 LOST/);
      await ui.shot('19-send-loss.png');
      sandbox.setFaults([]);
      await ui.toastButton(loss, /^Restore 2 members$/);
      await ui.toast(/2 member\(s\) put back, verified/);
      assert.deepEqual(lost.filter((id) => !sandbox.members(gid).includes(id)), [], 'every lost member is back');
      await ui.shot('19-send-restored.png');
    } catch (e) {
      await ui.shot('19-send-loss-failure.png').catch(() => undefined);
      throw e;
    }
  });
});
