// The sandbox itself: APIM-like gateway (key on every method, exact bodies, renamed header, faults) and the
// SCIM backend (attributes on writes, member paging by groups.value, cursors, ETags, Entra limits, locations).
// Everything is asserted on what the sandbox received and answered over real sockets on 127.0.0.1.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { call, goodHeaders, PATCH_OP, startTestSandbox, type Sandbox } from '../helpers/sandbox';

const MISSING = '{"statusCode":401,"message":"Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."}';
const INVALID = '{"statusCode":401,"message":"Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."}';
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

type Json = Record<string, unknown>;
const obj = (x: unknown): Json => x as Json;

function headerOf(raw: Array<[string, string]>, name: string): string | undefined {
  return raw.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

function bodyFor(sb: Sandbox, method: string): unknown {
  if (method === 'POST') return { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `made-${Math.random().toString(36).slice(2)}` };
  if (method === 'PUT') return { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'does-not-exist' };
  if (method === 'PATCH') return { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: sb.userIdByName('user0001') }] }] };
  return undefined;
}
const pathFor = (method: string): string => (method === 'POST' ? '/Users' : method === 'GET' ? '/Users' : '/Groups/00000000-0000-0000-0000-000000000000');

describe('gateway: subscription key', () => {
  let sb: Sandbox;
  before(async () => { sb = await startTestSandbox(); });
  after(() => sb.stop());

  for (const method of METHODS) {
    test(`${method}: missing key -> APIM 401, never reaches the backend`, async () => {
      sb.clearReceived();
      const h = goodHeaders(sb);
      delete h[sb.keyHeader];
      const r = await call(sb, method, pathFor(method), { headers: h, body: bodyFor(sb, method) });
      assert.equal(r.status, 401);
      assert.equal(r.text, MISSING);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      assert.equal(sb.received.length, 1);
      assert.equal(sb.received[0]!.method, method);
      assert.equal(sb.received[0]!.status, 401);
      assert.equal(sb.received[0]!.answeredBy, 'gateway');
      assert.equal(sb.backendReceived.length, 0);
    });

    test(`${method}: invalid key in header -> APIM invalid-key 401`, async () => {
      sb.clearReceived();
      const r = await call(sb, method, pathFor(method), { headers: goodHeaders(sb, { [sb.keyHeader]: 'wrong' }), body: bodyFor(sb, method) });
      assert.equal(r.status, 401);
      assert.equal(r.text, INVALID);
      assert.equal(sb.backendReceived.length, 0);
    });

    test(`${method}: key in header reaches the backend, without the key`, async () => {
      sb.clearReceived();
      const r = await call(sb, method, pathFor(method), { body: bodyFor(sb, method) });
      assert.notEqual(r.status, 401, r.text);
      assert.equal(sb.received.length, 1);
      assert.equal(sb.received[0]!.answeredBy, 'backend');
      assert.equal(sb.backendReceived.length, 1);
      assert.equal(headerOf(sb.backendReceived[0]!.rawHeaders, sb.keyHeader), undefined);
      assert.ok(headerOf(sb.backendReceived[0]!.rawHeaders, 'authorization'));
    });

    test(`${method}: key as query parameter reaches the backend`, async () => {
      sb.clearReceived();
      const h = goodHeaders(sb);
      delete h[sb.keyHeader];
      const path = `${pathFor(method)}?${sb.keyQuery}=${encodeURIComponent(sb.key)}`;
      const r = await call(sb, method, path, { headers: h, body: bodyFor(sb, method) });
      assert.notEqual(r.status, 401, r.text);
      assert.equal(sb.received[0]!.url, `/scim/v2${path}`);
      assert.equal(sb.backendReceived.length, 1);
      assert.ok(!sb.backendReceived[0]!.url.includes(sb.key), 'key stripped from the forwarded query');
    });
  }

  test('the query is read only when the header is absent', async () => {
    const r = await call(sb, 'GET', `/Users?${sb.keyQuery}=${sb.key}`, { headers: goodHeaders(sb, { [sb.keyHeader]: 'wrong' }) });
    assert.equal(r.status, 401);
    assert.equal(r.text, INVALID);
  });

  test('raw headers are recorded in the order received', async () => {
    sb.clearReceived();
    await call(sb, 'GET', '/Users?count=1', { headers: { 'X-First': '1', [sb.keyHeader]: sb.key, 'X-Last': '2', authorization: goodHeaders(sb)['authorization']! } });
    const names = sb.received[0]!.rawHeaders.map(([k]) => k.toLowerCase());
    assert.ok(names.indexOf('x-first') < names.indexOf(sb.keyHeader.toLowerCase()));
    assert.ok(names.indexOf(sb.keyHeader.toLowerCase()) < names.indexOf('x-last'));
    assert.equal(headerOf(sb.received[0]!.rawHeaders, 'x-last'), '2');
    assert.equal(headerOf(sb.backendReceived[0]!.rawHeaders, 'x-first'), '1', 'other headers forwarded');
  });

  test('paths outside /scim/v2 -> APIM 404', async () => {
    const r = await call(sb, 'GET', sb.gatewayUrl.replace('/scim/v2', '/other/Users'));
    assert.equal(r.status, 404);
    assert.equal(r.text, '{"statusCode":404,"message":"Resource not found"}');
  });

  test('SCIM auth is the backend\'s: key without credentials -> SCIM 401', async () => {
    const h = goodHeaders(sb);
    delete h['authorization'];
    const r = await call(sb, 'GET', '/Users', { headers: h });
    assert.equal(r.status, 401);
    assert.deepEqual(obj(r.json())['schemas'], ['urn:ietf:params:scim:api:messages:2.0:Error']);
  });
});

describe('gateway: renamed key header and query', () => {
  let sb: Sandbox;
  before(async () => { sb = await startTestSandbox({ keyHeader: 'X-Gateway-Key', keyQuery: 'gwkey' }); });
  after(() => sb.stop());

  test('the default header name is not the key any more', async () => {
    const h = goodHeaders(sb);
    delete h['X-Gateway-Key'];
    const r = await call(sb, 'GET', '/Users', { headers: { ...h, 'Ocp-Apim-Subscription-Key': sb.key } });
    assert.equal(r.status, 401);
    assert.equal(r.text, MISSING);
  });

  test('the renamed header and query work and are stripped', async () => {
    sb.clearReceived();
    assert.equal((await call(sb, 'GET', '/Users?count=1')).status, 200);
    const h = goodHeaders(sb);
    delete h['X-Gateway-Key'];
    assert.equal((await call(sb, 'GET', `/Users?count=1&gwkey=${sb.key}`, { headers: h })).status, 200);
    assert.equal(sb.backendReceived.length, 2);
    for (const r of sb.backendReceived) {
      assert.equal(headerOf(r.rawHeaders, 'X-Gateway-Key'), undefined);
      assert.ok(!r.url.includes('gwkey'));
    }
  });
});

describe('fault modes', () => {
  let sb: Sandbox;
  before(async () => { sb = await startTestSandbox({ users: 30, groups: 3 }); });
  after(() => sb.stop());

  test('ratelimit: 429 with Retry-After and the APIM body, backend untouched', async () => {
    sb.setFaults(['ratelimit'], { faultRate: 1, retryAfterSeconds: 7 });
    sb.clearReceived();
    const r = await call(sb, 'GET', '/Users');
    assert.equal(r.status, 429);
    assert.equal(r.headers['retry-after'], '7');
    assert.equal(r.text, '{"statusCode":429,"message":"Rate limit is exceeded. Try again in 7 seconds."}');
    assert.equal(sb.backendReceived.length, 0);
    sb.setFaults(['ratelimit'], { faultRate: 0.5 });
    const statuses = new Set<number>();
    for (let i = 0; i < 20; i++) statuses.add((await call(sb, 'GET', '/Users?count=1')).status);
    assert.deepEqual([...statuses].sort(), [200, 429]);
    sb.setFaults([], { faultRate: 0.3 });
  });

  test('quota: 403 out of call volume quota', async () => {
    sb.setFaults(['quota']);
    const r = await call(sb, 'GET', '/Users');
    assert.equal(r.status, 403);
    const body = obj(r.json());
    assert.equal(body['statusCode'], 403);
    assert.match(String(body['message']), /^Out of call volume quota\. Quota will be replenished in \d\d:\d\d:\d\d\.$/);
    sb.setFaults([]);
  });

  test('html-errors: 502 with an HTML page', async () => {
    sb.setFaults(['html-errors'], { faultRate: 1 });
    const r = await call(sb, 'GET', '/Users');
    assert.equal(r.status, 502);
    assert.match(String(r.headers['content-type']), /^text\/html/);
    assert.match(r.text, /<html>/);
    sb.setFaults([], { faultRate: 0.3 });
  });

  test('patch-not-routed: PATCH gets APIM 404, other methods pass', async () => {
    sb.setFaults(['patch-not-routed']);
    sb.clearReceived();
    const gid = sb.groupIdByName('group-01')!;
    const r = await call(sb, 'PATCH', `/Groups/${gid}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: sb.userIdByName('user0030') }] }] } });
    assert.equal(r.status, 404);
    assert.equal(r.text, '{"statusCode":404,"message":"Resource not found"}');
    assert.equal(sb.backendReceived.length, 0);
    assert.equal((await call(sb, 'GET', `/Groups/${gid}`)).status, 200);
    sb.setFaults([]);
  });

  test('slow: still answers', async () => {
    sb.setFaults(['slow'], { slowMs: 20 });
    assert.equal((await call(sb, 'GET', '/Users?count=1')).status, 200);
    sb.setFaults([]);
  });

  test('flaky: 503s and connection resets, some after the backend applied the write', async () => {
    sb.setFaults(['flaky'], { faultRate: 1 });
    sb.clearReceived();
    const gid = sb.groupIdByName('group-02')!;
    const outcomes: string[] = [];
    for (let i = 1; i <= 16; i++) {
      const uid = sb.userIdByName(`user${String(i).padStart(4, '0')}`)!;
      try {
        const r = await request(`${sb.gatewayUrl}/Groups/${gid}`, {
          method: 'PATCH', headers: goodHeaders(sb),
          body: JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: uid }] }] }),
        });
        await r.body.text();
        outcomes.push(String(r.statusCode));
      } catch {
        outcomes.push('reset');
      }
    }
    assert.ok(outcomes.includes('503'), outcomes.join());
    assert.ok(outcomes.includes('reset'), outcomes.join());
    assert.ok(!outcomes.includes('200'), outcomes.join());
    // writes the client saw fail, that the backend applied anyway
    const applied = sb.backendReceived.filter((r) => r.method === 'PATCH' && r.status === 200);
    assert.ok(applied.length > 0, 'some writes reached the backend');
    assert.ok(sb.received.some((r) => r.status === 0), 'resets recorded with status 0');
    sb.setFaults([], { faultRate: 0.3 });
  });

  test('no-patch: 501 SCIM error and patch.supported=false', async () => {
    sb.setFaults(['no-patch']);
    const spc = obj((await call(sb, 'GET', '/ServiceProviderConfig')).json());
    assert.equal(obj(spc['patch'])['supported'], false);
    const gid = sb.groupIdByName('group-01')!;
    const r = await call(sb, 'PATCH', `/Groups/${gid}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: sb.userIdByName('user0030') }] }] } });
    assert.equal(r.status, 501);
    assert.equal(obj(r.json())['status'], '501');
    sb.setFaults([]);
    assert.equal(obj(obj((await call(sb, 'GET', '/ServiceProviderConfig')).json())['patch'])['supported'], true);
  });

  test('etag: versions, If-Match required, 412 on mismatch', async () => {
    sb.setFaults(['etag']);
    const spc = obj((await call(sb, 'GET', '/ServiceProviderConfig')).json());
    assert.equal(obj(spc['etag'])['supported'], true);
    const gid = sb.groupIdByName('group-03')!;
    const got = await call(sb, 'GET', `/Groups/${gid}`);
    const etag = String(got.headers['etag']);
    assert.match(etag, /^W\/".+"$/);
    assert.equal(obj(obj(got.json())['meta'])['version'], etag);
    const put = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'group-03', members: [{ value: sb.userIdByName('user0001') }] };
    const missing = await call(sb, 'PUT', `/Groups/${gid}`, { body: put });
    assert.equal(missing.status, 412);
    assert.match(String(obj(missing.json())['detail']), /If-Match header required/);
    const wrong = await call(sb, 'PUT', `/Groups/${gid}`, { body: put, headers: goodHeaders(sb, { 'if-match': 'W/"999999"' }) });
    assert.equal(wrong.status, 412);
    assert.equal(obj(wrong.json())['status'], '412');
    const ok = await call(sb, 'PUT', `/Groups/${gid}`, { body: put, headers: goodHeaders(sb, { 'if-match': etag }) });
    assert.equal(ok.status, 200, ok.text);
    assert.notEqual(ok.headers['etag'], etag);
    // another writer changes the group: the old ETag no longer matches
    sb.addMemberDirect(gid, sb.userIdByName('user0002')!);
    const stale = await call(sb, 'PATCH', `/Groups/${gid}`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: sb.userIdByName('user0003') }] }] },
      headers: goodHeaders(sb, { 'if-match': String(ok.headers['etag']) }),
    });
    assert.equal(stale.status, 412);
    assert.deepEqual(sb.members(gid), [sb.userIdByName('user0001'), sb.userIdByName('user0002')]);
    sb.setFaults([]);
  });

  test('cursor: RFC 9865 paging through every user once, invalidCursor', async () => {
    sb.setFaults(['cursor']);
    const spc = obj((await call(sb, 'GET', '/ServiceProviderConfig')).json());
    assert.equal(obj(spc['pagination'])['cursor'], true);
    assert.equal(obj(spc['pagination'])['index'], false);
    const seen: string[] = [];
    let cursor = '';
    for (let i = 0; i < 20; i++) {
      const page = obj((await call(sb, 'GET', `/Users?count=7&attributes=userName&cursor=${encodeURIComponent(cursor)}`)).json());
      seen.push(...(page['Resources'] as Json[]).map((u) => String(u['id'])));
      if (!page['nextCursor']) break;
      cursor = page['nextCursor'] as string;
    }
    assert.equal(seen.length, 30);
    assert.equal(new Set(seen).size, 30);
    const bad = await call(sb, 'GET', '/Users?cursor=not-a-cursor');
    assert.equal(bad.status, 400);
    assert.equal(obj(bad.json())['scimType'], 'invalidCursor');
    // cursor-only, as such providers are: startIndex is ignored (page 1 again, with a cursor and no startIndex)
    const byIndex = obj((await call(sb, 'GET', '/Users?count=7&attributes=userName&startIndex=8')).json());
    assert.deepEqual((byIndex['Resources'] as Json[]).map((u) => u['id']), seen.slice(0, 7));
    assert.equal(byIndex['startIndex'], undefined);
    assert.ok(byIndex['nextCursor']);
    sb.setFaults([]);
  });

  test('untyped-members: members without type or $ref, a Groups filter on members.type refused', async () => {
    const gid = sb.groupIdByName('group-01')!;
    sb.setFaults(['untyped-members']);
    const g = obj((await call(sb, 'GET', `/Groups/${gid}`)).json());
    const members = g['members'] as Json[];
    assert.ok(members.length > 0);
    for (const m of members) assert.deepEqual(Object.keys(m).sort(), ['display', 'value']);
    const refused = await call(sb, 'GET', `/Groups?filter=${encodeURIComponent(`id eq "${gid}" and members.type eq "Group"`)}`);
    assert.equal(refused.status, 400);
    assert.equal(obj(refused.json())['scimType'], 'invalidFilter');
    assert.equal((await call(sb, 'GET', `/Groups?filter=${encodeURIComponent(`id eq "${gid}" and members.value eq "${String(members[0]!['value'])}"`)}`)).status, 200);
    sb.setFaults([]);
    const typed = obj((await call(sb, 'GET', `/Groups/${gid}`)).json())['members'] as Json[];
    assert.ok(typed.length > 0 && typed.every((m) => m['type'] === 'User' && typeof m['$ref'] === 'string'));
  });

  test('no-filter: filter.supported=false, every filtered list or search answered 400 invalidFilter, the rest works', async () => {
    sb.setFaults(['no-filter']);
    const gid = sb.groupIdByName('group-01')!;
    const spc = obj((await call(sb, 'GET', '/ServiceProviderConfig')).json());
    assert.equal(obj(spc['filter'])['supported'], false);
    for (const path of [`/Users?filter=${encodeURIComponent(`groups.value eq "${gid}"`)}`, `/Groups?filter=${encodeURIComponent(`id eq "${gid}"`)}&count=1`, '/Users?filter=userName%20pr']) {
      const r = await call(sb, 'GET', path);
      assert.equal(r.status, 400, path);
      assert.equal(obj(r.json())['scimType'], 'invalidFilter', path);
    }
    const search = await call(sb, 'POST', '/Users/.search', { body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter: 'userName pr' } });
    assert.equal(search.status, 400);
    assert.equal(obj(search.json())['scimType'], 'invalidFilter');
    assert.equal((await call(sb, 'GET', '/Users?count=2&attributes=userName')).status, 200);
    const members = obj((await call(sb, 'GET', `/Groups/${gid}?attributes=members`)).json())['members'] as Json[];
    assert.deepEqual(members.map((m) => m['value']), sb.members(gid));
    // a PATCH value path is not a query filter: still served
    const outsider = sb.userIdByName('user0030')!;
    const add = await call(sb, 'PATCH', `/Groups/${gid}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: outsider }] }] } });
    assert.equal(add.status, 200);
    const remove = await call(sb, 'PATCH', `/Groups/${gid}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${outsider}"]` }] } });
    assert.equal(remove.status, 200);
    assert.ok(!sb.members(gid).includes(outsider));
    sb.setFaults([]);
    assert.equal(obj(obj((await call(sb, 'GET', '/ServiceProviderConfig')).json())['filter'])['supported'], true);
    assert.equal((await call(sb, 'GET', '/Users?filter=userName%20pr&count=1')).status, 200);
  });

  test('scripted 409: the SCIM service\'s Conflict error on the next PATCH, nothing applied, then served again', async () => {
    const gid = sb.groupIdByName('group-02')!;
    const outsider = sb.userIdByName('user0029')!;
    const before = sb.members(gid);
    const body = { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: outsider }] }] };
    sb.clearReceived();
    sb.scriptFault('PATCH', '409');
    const r = await call(sb, 'PATCH', `/Groups/${gid}`, { body });
    assert.equal(r.status, 409);
    assert.match(String(r.headers['content-type']), /^application\/scim\+json/);
    const err = obj(r.json());
    assert.deepEqual(err['schemas'], ['urn:ietf:params:scim:api:messages:2.0:Error']);
    assert.equal(err['status'], '409');
    assert.equal(sb.backendReceived.length, 0, 'refused before the backend');
    assert.deepEqual(sb.members(gid), before);
    assert.equal((await call(sb, 'PATCH', `/Groups/${gid}`, { body })).status, 200);
    assert.ok(sb.members(gid).includes(outsider));
    sb.removeMemberDirect(gid, outsider);
  });

  test('entra: member limits per PATCH, no members on GET, lowercase resources', async () => {
    sb.setFaults(['entra']);
    const gid = sb.groupIdByName('group-01')!;
    const ids = Array.from({ length: 21 }, (_, i) => sb.userIdByName(`user${String(i + 1).padStart(4, '0')}`)!);
    const patch = (ops: unknown[]) => call(sb, 'PATCH', `/Groups/${gid}`, { body: { schemas: [PATCH_OP], Operations: ops } });
    assert.equal((await patch([{ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }])).status, 400);
    const two = await patch([{ op: 'remove', path: `members[value eq "${ids[0]}"]` }, { op: 'remove', path: `members[value eq "${ids[1]}"]` }]);
    assert.equal(two.status, 400);
    assert.equal(obj(two.json())['scimType'], 'invalidValue');
    assert.equal((await patch([{ op: 'add', path: 'members', value: [{ value: ids[5] }] }, { op: 'remove', path: `members[value eq "${ids[0]}"]` }])).status, 400);
    const expected = new Set([...sb.members(gid), ...ids.slice(0, 20)]);
    expected.delete(ids[0]!);
    assert.equal((await patch([{ op: 'add', path: 'members', value: ids.slice(0, 20).map((value) => ({ value })) }])).status, 200);
    assert.equal((await patch([{ op: 'remove', path: `members[value eq "${ids[0]}"]` }])).status, 200);
    assert.deepEqual(new Set(sb.members(gid)), expected);
    const g = obj((await call(sb, 'GET', `/Groups/${gid}`)).json());
    assert.equal(g['members'], undefined);
    const list = obj((await call(sb, 'GET', '/Groups')).json());
    assert.ok(Array.isArray(list['resources']));
    assert.equal(list['Resources'], undefined);
    sb.setFaults([]);
  });
});

describe('backend: SCIM behaviour', () => {
  let sb: Sandbox;
  before(async () => { sb = await startTestSandbox({ users: 120, groups: 2, bigGroupMembers: 110, maxPageSize: 50 }); });
  after(() => sb.stop());

  test('PATCH honours excludedAttributes and attributes in its answer', async () => {
    const big = sb.groupIdByName('big-group')!;
    const add = { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: sb.userIdByName('user0120') }] }] };
    const r = await call(sb, 'PATCH', `/Groups/${big}?excludedAttributes=members`, { body: add });
    assert.equal(r.status, 200);
    const body = obj(r.json());
    assert.equal(body['members'], undefined);
    assert.equal(body['displayName'], 'big-group');
    assert.equal(sb.members(big).length, 111);
    const rm = { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${sb.userIdByName('user0120')}"]` }] };
    const r2 = obj((await call(sb, 'PATCH', `/Groups/${big}?attributes=displayName`, { body: rm })).json());
    assert.deepEqual(Object.keys(r2).sort(), ['displayName', 'id']);
    assert.equal(sb.members(big).length, 110);
    // a member added by someone else survives a PATCH that names other members
    sb.addMemberDirect(big, sb.userIdByName('user0115')!);
    await call(sb, 'PATCH', `/Groups/${big}?excludedAttributes=members`, { body: add });
    assert.ok(sb.members(big).includes(sb.userIdByName('user0115')!));
    assert.equal(sb.members(big).length, 112);
    // other attributes change, members stay
    const before = sb.members(big);
    const ren = obj((await call(sb, 'PATCH', `/Groups/${big}?excludedAttributes=members`, {
      body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'big-group-2' }, { op: 'add', value: { externalId: 'ext-1' } }] },
    })).json());
    assert.equal(ren['displayName'], 'big-group-2');
    assert.equal(ren['externalId'], 'ext-1');
    assert.deepEqual(sb.members(big), before);
    assert.equal(sb.groupIdByName('big-group-2'), big);
    await call(sb, 'PATCH', `/Groups/${big}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'big-group' }] } });
    // remove of `members` without a filter removes everyone (whole-group path, still SCIMMY semantics)
    const gid = sb.groupIdByName('group-02')!;
    assert.ok(sb.members(gid).length > 0);
    assert.equal((await call(sb, 'PATCH', `/Groups/${gid}`, { body: { schemas: [PATCH_OP], Operations: [{ op: 'remove', path: 'members' }] } })).status, 200);
    assert.deepEqual(sb.members(gid), []);
  });

  test('POST and PUT answers honour attributes too', async () => {
    const post = obj((await call(sb, 'POST', '/Users?attributes=userName', { body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'attr-test' } })).json());
    assert.deepEqual(Object.keys(post).sort(), ['id', 'userName']);
    const gid = sb.groupIdByName('group-01')!;
    const put = obj((await call(sb, 'PUT', `/Groups/${gid}?excludedAttributes=members`, {
      body: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'group-01', members: [{ value: String(post['id']) }] },
    })).json());
    assert.equal(put['members'], undefined);
    assert.deepEqual(sb.members(gid), [String(post['id'])]);
  });

  test('groups.value filter pages a group\'s members; count is capped by maxPageSize', async () => {
    const big = sb.groupIdByName('big-group')!;
    const f = encodeURIComponent(`groups.value eq "${big}"`);
    const seen: string[] = [];
    let total: number;
    for (let start = 1; ;) {
      const page = obj((await call(sb, 'GET', `/Users?filter=${f}&attributes=userName&startIndex=${start}&count=500`)).json());
      total = Number(page['totalResults']);
      const res = page['Resources'] as Json[];
      assert.ok(res.length <= 50, 'capped at maxPageSize');
      assert.equal(page['startIndex'], start);
      seen.push(...res.map((u) => String(u['id'])));
      if (res.length === 0 || start + res.length > total) break;
      start += res.length;
    }
    assert.equal(total, sb.members(big).length);
    assert.deepEqual(seen, sb.members(big).filter((id) => id.startsWith('5c1e')));
  });

  test('filterMaxResults caps filtered lists and is declared; declareCaps=false states no cap and still applies it', async () => {
    const small = await startTestSandbox({ users: 30, groups: 1, filterMaxResults: 4, maxPageSize: 20 });
    const silent = await startTestSandbox({ users: 30, groups: 1, maxPageSize: 7, declareCaps: false });
    try {
      const spc = obj((await call(small, 'GET', '/ServiceProviderConfig')).json());
      assert.equal(obj(spc['filter'])['maxResults'], 4);
      assert.equal(obj(spc['pagination'])['maxPageSize'], 20);
      const filtered = obj((await call(small, 'GET', '/Users?filter=userName%20pr&count=30')).json());
      assert.deepEqual([(filtered['Resources'] as Json[]).length, filtered['totalResults']], [4, 30]);
      assert.equal((obj((await call(small, 'GET', '/Users?count=30')).json())['Resources'] as Json[]).length, 20, 'unfiltered: maxPageSize');

      const quiet = obj((await call(silent, 'GET', '/ServiceProviderConfig')).json());
      assert.equal(obj(quiet['filter'])['maxResults'], undefined);
      assert.equal(obj(quiet['pagination'])['maxPageSize'], undefined);
      const capped = obj((await call(silent, 'GET', '/Users?filter=userName%20pr&count=30')).json());
      assert.deepEqual([(capped['Resources'] as Json[]).length, capped['totalResults']], [7, 30]);
    } finally {
      await small.stop();
      await silent.stop();
    }
  });

  test('users expose their groups; members.value filter on Groups', async () => {
    const uid = sb.userIdByName('user0001')!;
    const u = obj((await call(sb, 'GET', `/Users/${uid}`)).json());
    const groups = (u['groups'] as Json[]).map((g) => g['value']);
    assert.ok(groups.includes(sb.groupIdByName('big-group')));
    const big = sb.groupIdByName('big-group')!;
    const f = encodeURIComponent(`members.value eq "${uid}" and id eq "${big}"`);
    const list = obj((await call(sb, 'GET', `/Groups?filter=${f}&excludedAttributes=members`)).json());
    assert.equal(list['totalResults'], 1);
    const none = obj((await call(sb, 'GET', `/Groups?filter=${encodeURIComponent(`members.value eq "nobody" and id eq "${big}"`)}`)).json());
    assert.equal(none['totalResults'], 0);
    const byName = obj((await call(sb, 'GET', `/Users?filter=${encodeURIComponent('userName eq "USER0002"')}`)).json());
    assert.equal(byName['totalResults'], 1);
  });

  test('members.type filters on Groups: a group with a nested group matches "Group", one with users "User"', async () => {
    const outer = sb.groupIdByName('group-01')!;
    const inner = sb.groupIdByName('group-02')!;
    const count = async (filter: string) => Number(obj((await call(sb, 'GET', `/Groups?filter=${encodeURIComponent(filter)}&attributes=id`)).json())['totalResults']);
    assert.equal(await count(`id eq "${outer}" and members.type eq "Group"`), 0);
    assert.equal(await count(`id eq "${outer}" and members.type eq "User"`), 1);
    sb.addMemberDirect(outer, inner);
    try {
      assert.equal(await count(`id eq "${outer}" and members.type eq "Group"`), 1);
      assert.equal(await count(`id eq "${outer}" and members[type eq "group"]`), 1, 'bracket form, case-insensitive value');
      assert.equal(await count('members.type eq "Group"'), 1, 'without id: only the group that has one');
      assert.equal(await count(`id eq "${inner}" and members.type eq "Group"`), 0);
      const g = obj((await call(sb, 'GET', `/Groups/${outer}`)).json());
      assert.deepEqual((g['members'] as Json[]).filter((m) => m['type'] === 'Group').map((m) => m['value']), [inner]);
    } finally {
      sb.removeMemberDirect(outer, inner);
    }
  });

  test('meta.location is on the gateway by default', async () => {
    const uid = sb.userIdByName('user0001')!;
    const u = obj((await call(sb, 'GET', `/Users/${uid}`)).json());
    assert.equal(obj(u['meta'])['location'], `${sb.gatewayUrl}/Users/${uid}`);
  });

  test('backend-locations: meta.location on the backend origin, which answers directly (SCIM auth, no key)', async () => {
    sb.setFaults(['backend-locations']);
    const uid = sb.userIdByName('user0001')!;
    const u = obj((await call(sb, 'GET', `/Users/${uid}`)).json());
    const location = String(obj(u['meta'])['location']);
    assert.equal(location, `${sb.backendUrl}/Users/${uid}`);
    assert.notEqual(new URL(location).origin, new URL(sb.gatewayUrl).origin);
    const h = goodHeaders(sb);
    delete h[sb.keyHeader];
    sb.clearReceived();
    assert.equal((await call(sb, 'GET', location, { headers: h })).status, 200);
    assert.equal(sb.received.length, 0, 'the gateway saw nothing');
    assert.equal(sb.backendReceived.length, 1);
    delete h['authorization'];
    assert.equal((await call(sb, 'GET', location, { headers: h })).status, 401);
    sb.setFaults([]);
  });

  test('profileYaml is a ready profiles file for this sandbox', () => {
    const y = sb.profileYaml('local');
    assert.match(y, /^profiles:\n {2}local:\n {4}baseUrl: http:\/\/127\.0\.0\.1:\d+\/scim\/v2$/m);
    assert.ok(y.includes(`subscriptionKey: ${sb.key}`));
    assert.ok(y.includes('header: Ocp-Apim-Subscription-Key'));
  });
});
