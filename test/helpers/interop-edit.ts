// Editing as a minimal PATCH (issue 14, point 1) against a third-party server of the interop matrix, behind the
// APIM-like gateway. Its state is read straight from it (its own origin, its own credentials), never through the
// client under test. Neither server gives ETags: a change by another writer shows as another meta.lastModified
// read right before the write. Used by test/integration/interop-edit-*.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { applyEdit, planEdit, readForEdit } from '../../src/core/edit/edit';
import { ScimClient } from '../../src/core/scim/client';
import { Trace } from '../../src/core/trace';
import { assertKeyOnEveryRequest, fromFronted, type Target } from './interop';
import { sandboxProfile } from './profile';
import type { FrontedServer } from './third-party/index';

type Json = Record<string, unknown>;

export function editScenarios(label: string, start: () => Promise<FrontedServer>): void {
describe(`edit as a minimal PATCH: ${label} behind the gateway`, () => {
  let f: FrontedServer;
  let t: Target;
  let client: ScimClient;
  const authorization = () => (f.auth.type === 'bearer' ? `Bearer ${f.auth.token}` : f.auth.type === 'basic' ? `Basic ${Buffer.from(`${f.auth.username}:${f.auth.password}`).toString('base64')}` : undefined);
  /** Straight from the server, on its own origin. */
  const direct = async (method: 'GET' | 'PATCH', path: string, body?: unknown): Promise<Json> => {
    const res = await request(`${f.server.baseUrl}${path}`, {
      method, headers: { ...(authorization() ? { authorization: authorization()! } : {}), 'content-type': 'application/scim+json' }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    assert.ok(res.statusCode < 300, `${method} ${path}: ${res.statusCode} ${text}`);
    return JSON.parse(text) as Json;
  };

  before(async () => {
    f = await start();
    t = fromFronted(f, label);
    client = new ScimClient(sandboxProfile(f), { trace: new Trace() });
  });
  after(async () => {
    await client?.close();
    await f?.stop();
  });

  test('displayName, emails[type eq "work"].value and a new phone number: one PATCH; verified exactly when the server has them all', async () => {
    const uid = t.userIds[1]!;
    const base = await readForEdit(client, 'Users', uid);
    const yours = structuredClone(base.resource) as Json;
    yours.displayName = 'Second User';
    (yours.emails as Json[])[0]!.value = 'second@example.test';
    yours.phoneNumbers = [{ value: '+1 555 0100', type: 'work' }];
    const plan = await planEdit(client, base, yours);
    const sent = (plan.body as { Operations: Array<{ path: string }> }).Operations;
    // in the order the server gave the attributes
    assert.deepEqual([...sent].sort((a, b) => a.path.localeCompare(b.path)), [
      { op: 'replace', path: 'displayName', value: 'Second User' },
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'second@example.test' },
      { op: 'add', path: 'phoneNumbers', value: [{ value: '+1 555 0100', type: 'work' }] },
    ]);
    t.clearReceived();
    const out = await applyEdit(client, plan);
    assert.ok(out.kind === 'applied', JSON.stringify(out));
    assert.ok(out.unconditional, 'no ETags: said');
    assertKeyOnEveryRequest(t, 'header');
    assert.equal(t.received.filter((r) => r.method === 'PATCH').length, 1);
    const now = await direct('GET', `/Users/${uid}`);
    assert.equal(now.displayName, 'Second User');
    assert.equal((now.emails as Json[])[0]!.value, 'second@example.test');
    // "verified" exactly when the server holds all of it: a server that answers 2xx and drops the phone number
    // is told as NOT verified, naming it
    const phone = ((now.phoneNumbers as Json[] | undefined) ?? []).some((p) => p.value === '+1 555 0100');
    if (phone) assert.ok(out.verified, JSON.stringify(out));
    else assert.ok(!out.verified && out.notApplied.includes('phoneNumbers'), JSON.stringify(out));
    assert.equal((now.name as Json).familyName, '0002', 'untouched');
  });

  test('another writer in between: a conflict with the server\'s now, nothing sent, nothing overwritten', async () => {
    const uid = t.userIds[2]!;
    const base = await readForEdit(client, 'Users', uid);
    const plan = await planEdit(client, base, { ...base.resource, name: { ...(base.resource.name as Json), givenName: 'Mine' } });
    await new Promise((r) => setTimeout(r, 5));
    await direct('PATCH', `/Users/${uid}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'Theirs' }] });
    t.clearReceived();
    const out = await applyEdit(client, plan);
    assert.equal(out.kind, 'conflict', JSON.stringify(out));
    assert.ok(out.kind === 'conflict' && out.reason === 'changed' && out.server.displayName === 'Theirs' && (out.yours.name as Json).givenName === 'Mine');
    assert.equal(t.received.filter((r) => r.method === 'PATCH' || r.method === 'PUT').length, 0, 'nothing sent');
    const now = await direct('GET', `/Users/${uid}`);
    assert.equal(now.displayName, 'Theirs');
    assert.notEqual((now.name as Json).givenName, 'Mine', 'not overwritten');
  });

  test('a group: displayName by PATCH, a member added and one removed through the membership path', async () => {
    const gid = t.groups['group-01']!;
    const before = await t.members(gid);
    const base = await readForEdit(client, 'Groups', gid);
    const members = base.resource.members as Json[];
    assert.deepEqual(members.map((m) => m.value).sort(), [...before].sort(), 'read with every member');
    const newcomer = t.userIds.find((id) => !before.includes(id))!;
    const plan = await planEdit(client, base, { ...base.resource, displayName: 'group-01-edited', members: [...members.slice(1), { value: newcomer, type: 'User' }] });
    assert.deepEqual(plan.diff.members, { add: [newcomer], remove: [members[0]!.value] });
    const out = await applyEdit(client, plan);
    assert.ok(out.kind === 'applied' && out.verified, JSON.stringify(out));
    const after = await t.members(gid);
    assert.deepEqual([...after].sort(), [...before.filter((id) => id !== members[0]!.value), newcomer].sort(), 'exactly the change, no member lost');
    assert.equal((await direct('GET', `/Groups/${gid}`)).displayName, 'group-01-edited');
  });
});
}
