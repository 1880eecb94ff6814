// Request files (`*.scim`) sent through a profile, on real sockets: `scimx send` (run in this process: helpers/cli.ts) and the
// core send against the sandbox and a third-party server (better-auth; SCIMMY in request-files-scimmy.test.ts),
// each behind the APIM-like gateway. What is asserted is what the gateway received: the profile's key and auth on
// every request of every block (never the block's own Authorization or key), and a raw members PATCH or PUT that
// loses members (the sandbox's quirk modes) caught, named and journaled, restorable.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FileJournal } from '../../src/core/journal';
import { parseRequestFile } from '../../src/core/request-files/parse';
import { sendRequestFile } from '../../src/core/request-files/send';
import { ScimClient } from '../../src/core/scim/client';
import { Trace } from '../../src/core/trace';
import type { ReceivedRequest } from '../../src/sandbox/index';
import { fromFronted, fromSandbox, Scimx, type Target } from '../helpers/interop';
import { ensureBuilt } from '../helpers/interop-matrix';
import { sandboxProfile } from '../helpers/profile';
import { startTestSandbox, type Sandbox } from '../helpers/sandbox';
import { startFronted, type FrontedServer } from '../helpers/third-party/index';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BLOCK_TOKEN = 'block-own-token-should-never-go-0001';
const BLOCK_KEY = 'block-own-key-should-never-go-0002';

function authOf(t: Target): string | undefined {
  const a = t.auth;
  return a.type === 'bearer' ? `Bearer ${a.token}` : a.type === 'basic' ? `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}` : undefined;
}

/** Every request the gateway received carried the profile's key and auth, and none of the block's own. */
function assertProfileCredentials(t: Target, reqs: ReceivedRequest[]): void {
  assert.ok(reqs.length > 0, `${t.label}: requests received`);
  for (const r of reqs) {
    const where = `${t.label}: ${r.method} ${r.url}`;
    const header = (name: string) => r.rawHeaders.filter(([k]) => k.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
    assert.deepEqual(header(t.keyHeader), [t.key], `${where}: the profile's key, once`);
    const auth = authOf(t);
    assert.deepEqual(header('authorization'), auth ? [auth] : [], `${where}: the profile's auth only`);
    assert.ok(!JSON.stringify(r.rawHeaders).includes(BLOCK_TOKEN) && !r.url.includes(BLOCK_KEY), `${where}: nothing of the block's own credentials`);
    assert.equal(r.answeredBy, 'backend', `${where}: passed the gateway`);
  }
}

function requestFile(t: Target, gid: string, uid: string): string {
  return [
    '# a request file as a person keeps it in a repo',
    '### discover',
    'GET ServiceProviderConfig',
    '',
    '### list users',
    'GET Users?count=2',
    `Authorization: Bearer ${BLOCK_TOKEN}`,
    `${t.keyHeader}: ${BLOCK_KEY}`,
    '',
    '### the group',
    `GET ${t.gatewayUrl}/Groups/${gid}`,
    '',
    '### add a member',
    `PATCH Groups/${gid}`,
    '',
    JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: uid }] }] }, null, 2),
    '',
    '### remove it again',
    `PATCH /Groups/${gid}`,
    '',
    JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${uid}"]` }] }),
    '',
  ].join('\n');
}

/** `scimx send` of a whole file against one server: every block answered, credentials the profile's. */
function cliScenario(name: string, start: () => Promise<{ target: Target; stop(): Promise<void> }>): void {
  describe(`scimx send: ${name}`, () => {
    let s: { target: Target; stop(): Promise<void> };
    let t: Target;
    let x: Scimx;
    let dir: string;
    before(async () => {
      ensureBuilt();
      s = await start();
      t = s.target;
      x = new Scimx(t);
      dir = mkdtempSync(join(tmpdir(), 'scimx-send-'));
    });
    after(async () => {
      x?.close();
      rmSync(dir, { recursive: true, force: true });
      await s?.stop();
    });

    test('every block of a file through the profile; the block\'s own Authorization and key are not sent', async () => {
      const gid = t.groups['group-01']!;
      const before = await t.members(gid);
      const uid = t.userIds.find((id) => !before.includes(id))!;
      const file = join(dir, 'requests.scim');
      writeFileSync(file, requestFile(t, gid, uid));
      t.clearReceived();
      const res = await x.run(['send', file]);
      assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
      assert.equal(res.stdout.match(/^HTTP 2\d\d /gm)?.length, 5, res.stdout);
      assert.match(res.stdout, /### list users: GET Users\?count=2/);
      assert.match(res.stdout, /warning: line 7: Authorization \(Bearer ••••0001\) is not sent: the profile's/);
      assert.match(res.stdout, new RegExp(`warning: line 8: ${t.keyHeader} \\(••••0002\\) is not sent: the profile's gateway key is`));
      assert.match(res.stdout, /members of group .*: verified; added /);
      assert.match(res.stdout, /members of group .*: verified; removed /);
      assert.ok(!res.stdout.includes(t.key) && !res.stderr.includes(t.key), 'the key is masked in the output');
      assertProfileCredentials(t, t.received);
      assert.deepEqual((await t.members(gid)).sort(), [...before].sort(), 'added, then removed: the group as it was');
    });

    test('--name sends one block; --json gives the results; a refused origin sends nothing (exit 2)', async () => {
      const gid = t.groups['group-01']!;
      const file = join(dir, 'one.scim');
      writeFileSync(file, `${requestFile(t, gid, t.userIds[0]!)}\n### elsewhere\nGET https://evil.example.net/scim/Users\n`);
      t.clearReceived();
      const one = await x.run(['--json', 'send', file, '--name', 'the group']);
      assert.equal(one.code, 0, one.stderr);
      const doc = JSON.parse(one.stdout) as { ok: boolean; results: Array<{ name: string; status: number; json: { id?: string } }> };
      assert.deepEqual(doc.results.map((r) => [r.name, r.status, r.json.id]), [['the group', 200, gid]]);
      assert.equal(t.received.filter((r) => !/ServiceProviderConfig|ResourceTypes|Schemas/.test(r.url)).length, 1);
      t.clearReceived();
      const refused = await x.run(['send', file]);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /one\.scim:\d+: https:\/\/evil\.example\.net is not the origin of profile "interop" .*nothing was sent/);
      assert.equal(t.received.length, 0, 'nothing sent');
    });
  });
}

cliScenario('the sandbox', async () => {
  const sb = await startTestSandbox({ users: 30, groups: 2 });
  return { target: fromSandbox(sb, 'sandbox', 30, 2), stop: () => sb.stop() };
});

cliScenario('better-auth (third party)', async () => {
  const f: FrontedServer = await startFronted('better-auth', { users: 12, groups: 2, groupSize: 4 });
  return { target: fromFronted(f, 'better-auth'), stop: () => f.stop() };
});

describe('raw membership writes: the same collateral check and journal as every membership change', () => {
  let sb: Sandbox;
  let dir: string;
  let gid: string;
  let users: string[];
  let client: ScimClient;
  let journal: FileJournal;
  before(async () => {
    sb = await startTestSandbox({ users: 30, groups: 2 });
    dir = mkdtempSync(join(tmpdir(), 'scimx-send-raw-'));
    gid = sb.groupIdByName('group-01')!;
    users = Array.from({ length: 30 }, (_, i) => sb.userIdByName(`user${String(i + 1).padStart(4, '0')}`)!);
    journal = new FileJournal(join(dir, 'state'));
    client = new ScimClient(sandboxProfile(sb), { trace: new Trace(), journal });
  });
  after(async () => {
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
    await sb?.stop();
  });
  const reset = (ids: string[]) => {
    sb.setFaults([]);
    for (const m of sb.members(gid)) sb.removeMemberDirect(gid, m);
    for (const m of ids) sb.addMemberDirect(gid, m);
  };
  const send = (text: string) => sendRequestFile(client, parseRequestFile(text), { file: 'raw.scim' });

  test('a raw add PATCH on a server that drops members (drops-members): the loss is named, journaled, and restore puts it back', async () => {
    const start = users.slice(0, 6);
    reset(start);
    sb.setFaults(['drops-members']);
    const add = users[20]!;
    sb.clearReceived();
    const [r] = await send(`PATCH Groups/${gid}\n\n${JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: add }] }] })}\n`);
    assert.ok(r);
    assert.equal(r.status, 200, 'the server said 2xx');
    assert.equal(r.ok, false, 'but the send failed');
    const now = sb.members(gid);
    const gone = start.filter((id) => !now.includes(id));
    assert.equal(gone.length, 2, 'the quirk dropped two members');
    assert.deepEqual([...(r.membership?.lost ?? [])].sort(), [...gone].sort(), 'every lost member named');
    assert.match(r.error?.message ?? '', /answered 2xx to a PATCH that added 1 and removed 0 member\(s\) of group .* and 2 other members are gone/);
    // the raw request went out as written, once: one PATCH, the body the person wrote
    const patches = sb.received.filter((x) => x.method === 'PATCH');
    assert.equal(patches.length, 1);
    const entry = journal.entries().find((e) => e.id === r.membership?.journalId);
    assert.equal(entry?.outcome, 'lost');
    assert.deepEqual([...(entry?.lost ?? [])].sort(), [...gone].sort());
    sb.setFaults([]);
    const restored = await client.restoreMembers(entry.id);
    assert.deepEqual([...restored.added].sort(), [...gone].sort());
    assert.deepEqual([...sb.members(gid)].sort(), [...start, add].sort(), 'restored');
    // the operation of the send is failed in the trace, with its exchanges
    const op = client.trace.operations().find((o) => o.id === r.operationId);
    assert.equal(op?.state, 'failed');
    assert.ok(op.exchanges.some((x) => x.request.method === 'PATCH'));
  });

  test('Entra\'s older remove (path members, a value list) on a server that wipes the group (remove-wipes-all): every other member named lost', async () => {
    const start = users.slice(0, 5);
    reset(start);
    sb.setFaults(['remove-wipes-all']);
    const [r] = await send(`PATCH Groups/${gid}\n\n${JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'Remove', path: 'members', value: [{ value: start[0] }] }] })}\n`);
    assert.ok(r);
    assert.equal(r.ok, false);
    assert.deepEqual(sb.members(gid), [], 'the quirk wiped the group');
    assert.deepEqual([...(r.membership?.lost ?? [])].sort(), start.slice(1).sort(), 'the four it was not asked to remove');
    assert.deepEqual(r.membership?.removed, [start[0]]);
    assert.ok(r.warnings.some((w) => /not RFC 7644; some servers remove every member/.test(w)), r.warnings.join('\n'));
  });

  test('a filtered remove the server ignores (filtered-remove-ignored): answered 200, the send fails naming the change not in effect', async () => {
    const start = users.slice(0, 4);
    reset(start);
    sb.setFaults(['filtered-remove-ignored']);
    const [r] = await send(`PATCH Groups/${gid}\n\n${JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${start[1]}"]` }] })}\n`);
    assert.ok(r);
    assert.equal(r.status, 200);
    assert.equal(r.ok, false);
    assert.deepEqual(r.membership?.missing, [start[1]]);
    assert.deepEqual(r.membership?.lost, []);
  });

  test('a raw PUT of a member list: those it leaves out are removed as asked (not lost), compared in full', async () => {
    const start = users.slice(0, 5);
    reset(start);
    const keep = start.slice(0, 3);
    const [r] = await send(`PUT Groups/${gid}\n\n${JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'group-01', members: [...keep, users[25]!].map((value) => ({ value })) })}\n`);
    assert.ok(r);
    assert.equal(r.status, 200);
    // the PUT asked for exactly this list: the two left out are removed as asked, not lost
    assert.equal(r.ok, true, JSON.stringify(r.membership));
    assert.deepEqual([...(r.membership?.removed ?? [])].sort(), start.slice(3).sort());
    assert.deepEqual(r.membership?.added, [users[25]]);
    assert.equal(r.membership?.collateral.method, 'full');
  });

  test('a PUT without members: the sandbox clears them (every member named lost); with put-keeps-members, verified', async () => {
    const start = users.slice(0, 4);
    reset(start);
    const put = `PUT Groups/${gid}\n\n${JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'group-01' })}\n`;
    const [r] = await send(put);
    assert.ok(r);
    assert.equal(r.status, 200);
    assert.deepEqual(sb.members(gid), []);
    assert.equal(r.ok, false);
    assert.deepEqual([...(r.membership?.lost ?? [])].sort(), [...start].sort());
    assert.ok(r.warnings.some((w) => /a PUT without "members"/.test(w)), r.warnings.join('\n'));
    reset(start);
    sb.setFaults(['put-keeps-members']);
    const [kept] = await send(put);
    assert.equal(kept?.ok, true, JSON.stringify(kept?.membership));
    assert.equal(kept?.membership?.verified, true);
    assert.deepEqual([...sb.members(gid)].sort(), [...start].sort());
  });

  test('a 4xx is a result, not a throw; the first failure stops the file; every request carried the key', async () => {
    reset(users.slice(0, 3));
    sb.clearReceived();
    const results = await send([
      '### missing', 'GET Users/does-not-exist',
      '### never sent', 'DELETE Users/also-not-there',
    ].join('\n'));
    assert.equal(results.length, 1, 'stopped after the failure');
    assert.equal(results[0]!.status, 404);
    assert.equal(results[0]!.ok, false);
    assert.match(results[0]!.body, /does-not-exist|not found/i);
    assert.ok(!sb.received.some((r) => r.method === 'DELETE'));
    const [missing] = await send(`PATCH Groups/no-such-group\n\n${JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: users[0] }] }] })}\n`);
    assert.equal(missing?.ok, false);
    assert.match(missing?.error?.message ?? '', /reading group no-such-group before the PATCH; the PATCH was not sent\)$/);
    assert.ok(!sb.received.some((r) => r.method === 'PATCH'), 'nothing written');
    for (const r of sb.received) assert.equal(r.rawHeaders.find(([k]) => k.toLowerCase() === sb.keyHeader.toLowerCase())?.[1], sb.key, `${r.method} ${r.url}`);
  });
});
