// 409 Conflict to a membership PATCH: some providers answer it for "member already exists" or a concurrent
// modification, especially with several PATCH parts in flight. Like an unknown outcome, it is never a plain
// failure nor a blind re-send: the part's ids are re-read and only what is still missing is sent again, in
// bounded rounds, and the report says exactly what is in effect. Against the sandbox's scripted '409' (the
// SCIM service's Conflict error, nothing applied) over real sockets on 127.0.0.1.
import assert from 'node:assert/strict';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { ScimxError } from '../../src/core/errors';
import type { Profile } from '../../src/core/profile';
import { ScimClient } from '../../src/core/scim/client';
import { membershipFailureReport } from '../../src/core/scim/membership';
import { Trace } from '../../src/core/trace';
import type { ReceivedRequest } from '../../src/sandbox/index';
import { TestClock } from '../helpers/clock';
import { sandboxProfile } from '../helpers/profile';
import { startTestSandbox, type Sandbox } from '../helpers/sandbox';

/** The member ids one PATCH names (added values, or removed `members[value eq "…"]`). */
function idsOf(r: ReceivedRequest): string[] {
  const ops = (JSON.parse(r.body) as { Operations: Array<{ op: string; path: string; value?: Array<{ value: string }> }> }).Operations;
  return ops.flatMap((op) => (op.op === 'add' ? (op.value ?? []).map((v) => v.value) : [...op.path.matchAll(/value eq "([^"]+)"/g)].map((m) => m[1]!)));
}

/** Every id sent in two PATCHes was re-read (a GET) between them, and none applied twice by the backend. */
function assertReReadBeforeResend(sb: Sandbox): void {
  const lastSent = new Map<string, number>();
  sb.received.forEach((r, i) => {
    if (r.method !== 'PATCH') return;
    for (const id of idsOf(r)) {
      const prev = lastSent.get(id);
      if (prev !== undefined) assert.ok(sb.received.slice(prev + 1, i).some((x) => x.method === 'GET'), `${id} sent again without a re-read`);
      lastSent.set(id, i);
    }
  });
  const applied = sb.backendReceived.filter((r) => r.method === 'PATCH').flatMap(idsOf);
  assert.equal(new Set(applied).size, applied.length, 'no id applied twice');
}

describe('409 Conflict to a membership PATCH: re-read, send only what is missing, report exactly', () => {
  let sb: Sandbox;
  let gid: string;
  let start: string[];
  let outside: string[];
  before(async () => {
    sb = await startTestSandbox({ users: 40, groups: 2 });
    gid = sb.groupIdByName('group-01')!;
  });
  after(() => sb.stop());
  beforeEach(async () => {
    sb.setFaults([]);
    const c = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    const users = (await c.listAll('Users', { attributes: ['userName'] })).map((u) => u.id);
    await c.close();
    start = sb.members(gid);
    outside = users.filter((u) => !start.includes(u));
    sb.clearReceived();
  });

  let clients: ScimClient[] = [];
  const client = (over: Partial<Profile> = {}) => {
    const c = new ScimClient(sandboxProfile(sb, over), { trace: new Trace(), clock: new TestClock() });
    clients.push(c);
    return c;
  };
  afterEach(async () => {
    // the group as it was, for the next test
    for (const id of sb.members(gid)) if (!start.includes(id)) sb.removeMemberDirect(gid, id);
    for (const id of start) if (!sb.members(gid).includes(id)) sb.addMemberDirect(gid, id);
    await Promise.all(clients.map((c) => c.close()));
    clients = [];
  });

  test('an add answered 409 (nothing applied): re-read, sent again once, added exactly', async () => {
    const c = client();
    const add = outside.slice(0, 3);
    sb.scriptFault('PATCH', '409');
    const report = await c.changeMembers(gid, { add, remove: [] }, { mode: 'patch' });
    assert.deepEqual([report.added, report.missing, report.alreadyPresent], [add, [], []]);
    assert.equal(report.verified, true);
    assert.deepEqual(sb.received.filter((r) => r.method === 'PATCH').map((r) => r.status), [409, 200]);
    assertReReadBeforeResend(sb);
    assert.deepEqual(new Set(sb.members(gid)), new Set([...start, ...add]));
  });

  test('"member already exists": one of the ids was added by someone else just before our PATCH; only the others are sent again', async () => {
    const c = client();
    const add = outside.slice(3, 6);
    sb.scriptFault('PATCH', '409');
    let acted = false;
    const report = await c.changeMembers(gid, { add, remove: [] }, {
      mode: 'patch',
      onProgress: (p) => {
        if (!acted && /^PATCH 1 of 1/.test(p.message)) {
          acted = true;
          sb.addMemberDirect(gid, add[0]!); // the other writer, between our check and our PATCH
        }
      },
    });
    assert.ok(acted);
    assert.deepEqual(new Set(report.added), new Set(add), 'all three in effect');
    assert.deepEqual(report.missing, []);
    const patches = sb.received.filter((r) => r.method === 'PATCH');
    assert.deepEqual(patches.map((r) => r.status), [409, 200]);
    assert.deepEqual(idsOf(patches[1]!), add.slice(1), 'the member already there is not sent again');
    assertReReadBeforeResend(sb);
  });

  test('a remove answered 409: re-read, still a member, removed on the next round', async () => {
    const c = client();
    const remove = start.slice(0, 2);
    sb.scriptFault('PATCH', '409');
    const report = await c.changeMembers(gid, { add: [], remove }, { mode: 'patch' });
    assert.deepEqual([report.removed, report.missing, report.alreadyAbsent], [remove, [], []]);
    assert.deepEqual(new Set(sb.members(gid)), new Set(start.slice(2)));
    assertReReadBeforeResend(sb);
  });

  test('parts in flight at once, two answered 409: each part reconciled on its own, exactly the intended membership', async () => {
    const c = client({ maxOperationsPerPatch: 2, concurrency: 4 });
    const add = outside.slice(6, 14);
    const remove = start.slice(0, 3);
    sb.scriptFault('PATCH', '409');
    sb.scriptFault('PATCH', '409');
    const report = await c.changeMembers(gid, { add, remove }, { mode: 'patch' });
    assert.deepEqual(new Set(report.added), new Set(add));
    assert.deepEqual(new Set(report.removed), new Set(remove));
    assert.deepEqual(report.missing, []);
    assert.deepEqual(new Set(sb.members(gid)), new Set([...start.slice(3), ...add]));
    const patches = sb.received.filter((r) => r.method === 'PATCH');
    assert.equal(patches.filter((r) => r.status === 409).length, 2);
    assert.equal(patches.length, 4 + 2 + 2, '6 parts, the two refused sent again once');
    assertReReadBeforeResend(sb);
  });

  test('with ETags: the 409\'d part re-reads the version and is sent again with the new If-Match', async () => {
    sb.setFaults(['etag']);
    const c = client();
    const add = outside.slice(14, 16);
    sb.scriptFault('PATCH', '409');
    const report = await c.changeMembers(gid, { add, remove: [] }, { mode: 'patch' });
    assert.deepEqual([report.added, report.missing], [add, []]);
    const patches = sb.received.filter((r) => r.method === 'PATCH');
    assert.deepEqual(patches.map((r) => r.status), [409, 200]);
    assert.ok(patches.every((r) => r.rawHeaders.some(([k]) => k.toLowerCase() === 'if-match')));
  });

  test('409 on every round: a bounded number of attempts, then a one-line failure whose report is exact', async () => {
    const c = client({ concurrency: 1 }); // the add part first, then the remove part
    const add = [outside[16]!, start[0]!];
    const remove = [start[1]!];
    for (let i = 0; i < 4; i++) sb.scriptFault('PATCH', '409'); // every attempt of the add part
    await assert.rejects(c.changeMembers(gid, { add, remove }, { mode: 'patch' }), (e: unknown) => {
      assert.ok(e instanceof ScimxError, String(e));
      assert.doesNotMatch(e.message, /\n/);
      assert.match(e.message, /gave up after 4 attempts/);
      assert.match(e.message, new RegExp(`NOT added ${outside[16]}; NOT removed ${start[1]}`));
      const report = membershipFailureReport(e)!;
      assert.deepEqual([report.added, report.removed, report.alreadyPresent, report.missing], [[], [], [start[0]], [outside[16], start[1]]]);
      // re-read after the failure (the message says what is in effect), but a failed change is never "verified"
      assert.equal(report.verified, false);
      return true;
    });
    const adds = sb.received.filter((r) => r.method === 'PATCH' && idsOf(r).includes(outside[16]!));
    assert.deepEqual(adds.map((r) => r.status), [409, 409, 409, 409]);
    assert.ok(!sb.members(gid).includes(outside[16]!));
    assertReReadBeforeResend(sb);
  });
});

test('a failure before any membership write says "Nothing was written", though an OAuth token was fetched (a POST) within the change', async () => {
  const http = await import('node:http');
  const sb = await startTestSandbox({ users: 10, groups: 2, auth: { type: 'bearer', token: 'oauth-issued-token-0123' } });
  const tokens = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ access_token: 'oauth-issued-token-0123', expires_in: 1 }));
    });
  });
  await new Promise<void>((r) => tokens.listen(0, '127.0.0.1', r));
  const tokenUrl = `http://127.0.0.1:${(tokens.address() as { port: number }).port}/token`;
  const clock = new TestClock();
  const c = new ScimClient(sandboxProfile(sb, { auth: { type: 'oauth2', tokenUrl, clientId: 'scimx', clientSecret: 'oauth-client-secret-0123' } }), { trace: new Trace(), clock });
  try {
    const gid = sb.groupIdByName('group-01')!;
    const outside = (await c.listAll('Users', { attributes: ['id'] })).map((u) => u.id).filter((u) => !sb.members(gid).includes(u));
    clock.advance(1100); // the token expires: the change fetches a new one first
    sb.clearReceived();
    sb.scriptFault('GET', '409'); // the membership check fails: nothing may be written after that
    await assert.rejects(c.changeMembers(gid, { add: [outside[0]!], remove: [] }, { mode: 'patch' }), (e: unknown) => {
      assert.ok(e instanceof ScimxError);
      assert.match(e.message, /Nothing was written to group/);
      assert.deepEqual(membershipFailureReport(e)?.missing, [outside[0]]);
      return true;
    });
    assert.ok(c.trace.operations().some((o) => o.exchanges.some((x) => x.request.method === 'POST' && x.request.url.endsWith('/token'))), 'a token was fetched within');
    assert.equal(sb.received.filter((r) => r.method === 'PATCH' || r.method === 'PUT').length, 0);
  } finally {
    await c.close();
    tokens.close();
    await sb.stop();
  }
});
