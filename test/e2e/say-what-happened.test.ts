// The seed's failure in a real VS Code (issue 11, points 1 and 2), on one code-server session: the sandbox's
// responses carry meta.location on the backend's own origin (fault `backend-locations`, APIM without the
// redirect-content-urls policy), the profile sends the gateway key in the query, and membership is written with
// PUT. One profile per `locations` policy, each adding a member from the tree:
//  - follow: the PUT leaves the gateway for the backend origin without credentials and gets 401; the
//    notification and the trace panel's banner say that first, name both origins, and give the fix;
//  - rewrite: the change works; the notification says URLs were rewritten, the trace marks the row and the
//    operation header;
//  - strict: refused before anything is written, saying why.
// Assertions on the UI text and on what the gateway and the backend received. Screenshots: artifacts/e2e/13-… to
// 17-… (failure-seed-*.png when something fails).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import YAML from 'yaml';
import { startSandbox } from '../../src/sandbox';
import {
  esc, headerOf, KEY_HEADER, listUsers, namesUser, startSession, T, timingsLine, waitFor,
  type Sandbox, type SandboxUser, type Session, type Ui,
} from './lib';

type Policy = 'follow' | 'rewrite' | 'strict';

/** One profile per policy, each a copy of the sandbox's own with the key in the query and PUT writes. */
function seedProfiles(sb: Sandbox): string {
  const doc = YAML.parse(sb.profileYaml('seed')) as { profiles: { seed: Record<string, unknown> & { gateway: Record<string, unknown> } } };
  const base = doc.profiles.seed;
  const profiles: Record<string, unknown> = {};
  for (const policy of ['follow', 'rewrite', 'strict'] as const) {
    profiles[`seed-${policy}`] = { ...base, gateway: { ...base.gateway, sendAs: 'query' }, writes: 'put', locations: policy };
  }
  return YAML.stringify({ profiles });
}

describe("the seed's failure in a real VS Code: backend-origin meta.location, key in the query, under each locations policy", { concurrency: false }, () => {
  let skip: string | undefined;
  let s: Session | undefined;
  let sb: Sandbox | undefined;
  let users: SandboxUser[] = [];
  let gw = '';
  let backend = '';

  before(async () => {
    sb = await startSandbox({ users: 30, groups: 5, faults: ['backend-locations'] });
    gw = new URL(sb.gatewayUrl).origin;
    backend = new URL(sb.backendUrl).origin;
    const started = await startSession({ name: 'seed', files: { 'scim-profiles.yaml': seedProfiles(sb) } });
    if ('skip' in started) { skip = started.skip; return; }
    s = started;
    users = await listUsers(sb);
  }, { timeout: 15 * 60_000 });

  after(async () => {
    await s?.stop();
    await sb?.stop();
    if (s) console.log(`# e2e timings (say-what-happened): ${timingsLine(s.timings)}`);
  });

  /** Opens profile seed-POLICY → Groups → GROUP (folding the other profiles) and adds a user who is not a member
   * through the QuickPick, confirming the PUT when asked. Returns the user and the group's id. */
  async function addUnder(ui: Ui, policy: Policy, group: string): Promise<{ u: SandboxUser; gid: string; askedPut: boolean }> {
    assert.ok(sb);
    await ui.openScimView();
    for (const other of ['follow', 'rewrite', 'strict'] as const) if (other !== policy) await ui.collapse(ui.treeItem(`seed-${other}`));
    const groupRow = await ui.open(ui.treeItem(`seed-${policy}`), /^Groups/, new RegExp(`^${esc(group)}\\b`));
    const gid = sb.groupIdByName(group)!;
    const current = sb.members(gid);
    const u = users.find((x) => !current.includes(x.id))!;
    sb.clearReceived();
    await ui.addMemberViaPicker(groupRow, u.userName);
    let askedPut = false;
    if (await ui.dialogShown(3_000)) {
      const d = await ui.dialog();
      assert.match(d.text, new RegExp(`Replace the members of "${esc(group)}" with PUT\\?`), d.text);
      askedPut = true;
      await ui.dialogButton(/^Apply with PUT$/);
    }
    return { u, gid, askedPut };
  }

  const puts = (list: Sandbox['received']) => list.filter((r) => r.method === 'PUT');

  test('locations: follow — notification and trace banner say the PUT left the gateway for meta.location\'s origin, credentials withheld by design, fix: rewrite', { timeout: 4 * 60_000 }, async (t) => {
    if (skip) { t.skip(skip); return; }
    assert.ok(s && sb);
    const { ui } = s;
    const sandbox = sb;
    try {
      const { u, gid, askedPut } = await addUnder(ui, 'follow', 'group-01');
      assert.ok(askedPut, 'the PUT was confirmed first');
      const n = await ui.toast(/PUT went to /);
      assert.match(n.text, new RegExp(`^Add 1 member to group-01: PUT went to ${esc(backend)}, another origin taken from meta\\.location instead of the gateway ${esc(gw)}; credentials and the gateway key were withheld by design \\(locations: follow\\)`), n.text);
      assert.match(n.text, /answered 401/);
      assert.match(n.text, /This is exactly how a connector loses the gateway\. Set `locations: rewrite` in the profile/);
      assert.doesNotMatch(n.text, /gateway let the request through|check auth in the profile/);
      assert.deepEqual(await ui.toastButtons(n), ['Show Trace', 'Copy curl']);
      // what went where: the gateway saw no PUT; the backend got it straight, without key or credentials, and said 401
      assert.equal(puts(sandbox.received).length, 0, 'no PUT went through the gateway');
      const direct = puts(sandbox.backendReceived);
      assert.equal(direct.length, 1, 'one PUT went straight to the backend');
      assert.equal(direct[0]!.status, 401);
      assert.equal(headerOf(direct[0]!, 'authorization'), undefined, 'no credentials went to the other origin');
      assert.equal(headerOf(direct[0]!, KEY_HEADER), undefined, 'no key header went to the other origin');
      assert.ok(!direct[0]!.url.includes(sandbox.keyQuery) && !direct[0]!.url.includes(sandbox.key), 'no key in the query either');
      assert.ok(!sandbox.members(gid).includes(u.id), 'nothing was changed');
      await ui.shot('13-seed-follow-notification.png');

      // "Show Trace" opens the PUT: its banner says the same, first.
      await ui.toastButton(n, /^Show Trace$/);
      const frame = ui.traceFrame();
      const banner = frame.locator('#detail .diagnosis').first();
      await banner.waitFor({ state: 'visible', timeout: T.op });
      const summary = (await banner.locator('.d-summary').innerText()).replace(/\s+/g, ' ');
      assert.match(summary, new RegExp(`^PUT went to ${esc(backend)}, another origin taken from meta\\.location instead of the gateway ${esc(gw)}; credentials and the gateway key were withheld by design`), summary);
      assert.match(await banner.locator('.d-fix').innerText(), /locations: rewrite/);
      assert.doesNotMatch(await banner.innerText(), /gateway let the request through/);
      assert.match(await frame.locator('#detail .request-line').first().innerText(), /^PUT /, 'the detail is the PUT');
      assert.match(await frame.locator('#detail .facts-text').first().innerText(), new RegExp(`^URL: ${esc(backend)}/`), 'sent to the backend origin');
      const row = frame.locator('.ex-row.selected');
      assert.match(await row.getAttribute('class') ?? '', /\bloc-followed\b/, 'the PUT row carries the followed mark');
      const opMark = frame.locator('.op-row', { has: frame.locator('.c-title', { hasText: /^Add 1 member to group-01$/ }) }).locator('.c-mark.loc-followed');
      assert.match(await opMark.innerText(), /1 sent off the gateway/);
      await ui.shot('14-seed-follow-trace-banner.png');
    } catch (e) {
      await ui.shot('failure-seed-follow.png').catch(() => undefined);
      throw e;
    }
  });

  test('locations: rewrite — the change works through the gateway, the notification says URLs were rewritten, the trace marks row and operation', { timeout: 4 * 60_000 }, async (t) => {
    if (skip) { t.skip(skip); return; }
    assert.ok(s && sb);
    const { ui } = s;
    const sandbox = sb;
    try {
      await ui.clearNotifications();
      await ui.command('View: Close All Editors');
      const { u, gid } = await addUnder(ui, 'rewrite', 'group-02');
      await waitFor(() => sandbox.members(gid).includes(u.id), 'the sandbox to record the new member');
      const n = await ui.toast(/group-02: added/); // the result, not the progress ("Add 1 member to group-02: …")
      assert.match(n.text, /PUT, verified/, n.text);
      assert.ok(namesUser(n.text, u), `the notification does not name ${u.userName}: ${n.text}`);
      assert.match(n.text, new RegExp(`pointed at ${esc(new URL(backend).host)}, not at the gateway ${esc(new URL(gw).host)}: rewritten onto the gateway \\(locations: rewrite\\)`), n.text);
      // the PUT went through the gateway, the key in the query (sendAs: query), never to the backend's origin
      const put = puts(sandbox.received);
      assert.equal(put.length, 1, 'one PUT through the gateway');
      assert.ok(new URL(put[0]!.url, gw).searchParams.get(sandbox.keyQuery) === sandbox.key, 'the PUT carried the key in the query');
      assert.equal(headerOf(put[0]!, KEY_HEADER), undefined, 'and not as a header');
      assert.ok(put[0]!.status >= 200 && put[0]!.status < 300, `PUT answered ${put[0]!.status}`);
      assert.equal(sandbox.backendReceived.filter((r) => !sandbox.received.some((g) => g.method === r.method && g.url.split('?')[0] === r.url.split('?')[0])).length, 0,
        'nothing went straight to the backend');
      await ui.shot('15-seed-rewrite-notification.png');

      const frame = await ui.showTrace();
      const op = frame.locator('.op-row', { has: frame.locator('.c-title', { hasText: /^Add 1 member to group-02$/ }) }).first();
      await op.waitFor({ state: 'visible', timeout: T.op });
      assert.match(await op.locator('.c-mark.loc-rewritten').innerText(), /\d+ URLs? rewritten/);
      const marked = frame.locator('.ex-row.loc-rewritten');
      assert.ok(await marked.count() >= 1, 'an exchange row carries the rewrite mark');
      const target = (await frame.locator('.ex-row.loc-rewritten[data-method="PUT"]').count()) ? frame.locator('.ex-row.loc-rewritten[data-method="PUT"]').first() : marked.first();
      assert.ok(await target.locator('.c-loc.loc-rewritten').count() === 1, 'the row shows the ⇄ mark');
      await target.click();
      const banner = frame.locator('#detail .diagnosis').first();
      await banner.waitFor({ state: 'visible', timeout: T.ui });
      assert.match(await banner.innerText(), new RegExp(`meta\\.location pointed at ${esc(new URL(backend).host)}, not at the gateway: rewritten onto the gateway \\(locations: rewrite\\)`));
      await ui.shot('16-seed-rewrite-trace.png');
    } catch (e) {
      await ui.shot('failure-seed-rewrite.png').catch(() => undefined);
      throw e;
    }
  });

  test('locations: strict — refused before anything is written, saying which origin and why', { timeout: 4 * 60_000 }, async (t) => {
    if (skip) { t.skip(skip); return; }
    assert.ok(s && sb);
    const { ui } = s;
    const sandbox = sb;
    try {
      await ui.clearNotifications();
      await ui.command('View: Close All Editors');
      const { u, gid } = await addUnder(ui, 'strict', 'group-03');
      const n = await ui.toast(/locations: strict/);
      assert.match(n.text, /^Add 1 member to group-03: Refused the /, n.text);
      assert.match(n.text, new RegExp(`it is on ${esc(backend)}, not on the profile's origin ${esc(gw)} \\(locations: strict\\)`), n.text);
      assert.match(n.text, /Use locations: rewrite/);
      assert.equal(puts(sandbox.received).length + puts(sandbox.backendReceived).length, 0, 'no PUT was sent anywhere');
      assert.ok(!sandbox.members(gid).includes(u.id));
      await ui.shot('17-seed-strict-refused.png');
    } catch (e) {
      await ui.shot('failure-seed-strict.png').catch(() => undefined);
      throw e;
    }
  });
});
