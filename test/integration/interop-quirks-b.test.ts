// Interop matrix, the sandbox's quirk modes, second half (test/helpers/interop-quirks.ts): reads without
// members, case, the removal and replace bugs of shipped servers, capped reads. Then raw checks that every quirk
// does what it says.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FaultMode } from '../../src/sandbox/index';
import { QUIRKS, quirkMatrix } from '../helpers/interop-quirks';
import { call, startTestSandbox, type Sandbox } from '../helpers/sandbox';

quirkMatrix('interop matrix: sandbox quirk modes (2/2)', QUIRKS.slice(8));

// Each quirk does what FAULT_MODE_INFO says (raw SCIM requests through the gateway, state read from the store),
// so a scenario above that passes cannot pass because the quirk did nothing.
describe('sandbox quirk modes do what they say', () => {
  let sb: Sandbox;
  let gid: string;
  let m: string[];
  let out: string[];
  before(async () => {
    sb = await startTestSandbox({ users: 130, groups: 2, bigGroupMembers: 0 });
    gid = sb.groupIdByName('group-01')!;
  });
  after(() => sb?.stop());

  const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
  async function fresh(mode: FaultMode): Promise<void> {
    sb.setFaults([]);
    for (const id of sb.members(gid)) sb.removeMemberDirect(gid, id);
    const all = Array.from({ length: 30 }, (_, i) => sb.userIdByName(`user${String(i + 1).padStart(4, '0')}`)!);
    m = all.slice(0, 5);
    out = all.slice(10, 13);
    for (const id of m) sb.addMemberDirect(gid, id);
    sb.setFaults([mode]);
  }
  async function req(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const r = await call(sb, method, path, body === undefined ? {} : { body });
    return { status: r.status, json: r.text ? (JSON.parse(r.text) as Record<string, unknown>) : {} };
  }
  const patch = (ops: unknown[], query = '') => req('PATCH', `/Groups/${gid}${query}`, { schemas: [PATCH_OP], Operations: ops });
  const rm = (id: string) => ({ op: 'remove', path: `members[value eq "${id}"]` });
  const same = (a: string[], b: string[]) => assert.deepEqual(new Set(a), new Set(b));

  test('attributes-before-patch, drops-members, patch-returns-group', async () => {
    await fresh('attributes-before-patch');
    assert.equal((await patch([{ op: 'add', path: 'members', value: [{ value: out[0] }] }], '?excludedAttributes=members')).status, 200);
    same(sb.members(gid), [out[0]!]);
    await fresh('drops-members');
    await patch([{ op: 'add', path: 'members', value: [{ value: out[0] }] }]);
    same(sb.members(gid), [...m.slice(2), out[0]!]);
    await fresh('patch-returns-group');
    const r = await patch([{ op: 'add', path: 'members', value: [{ value: out[0] }] }], '?excludedAttributes=members');
    assert.equal((r.json['members'] as unknown[]).length, 6);
  });

  test('remove-wipes-all, remove-by-index, filtered-remove-ignored', async () => {
    await fresh('remove-wipes-all');
    await patch([{ op: 'remove', path: 'members', value: [{ value: m[0] }] }]);
    same(sb.members(gid), []);
    await fresh('remove-by-index');
    await patch([rm(m[1]!), rm(m[3]!)]);
    // indexes 1 and 3 of the list as it was, spliced front to back: m1 goes, then index 3 of [m0 m2 m3 m4] is m4
    same(sb.members(gid), [m[0]!, m[2]!, m[3]!]);
    await fresh('filtered-remove-ignored');
    assert.equal((await patch([rm(m[0]!)])).status, 200);
    same(sb.members(gid), m);
  });

  test('replace-keeps-stale, replace-empty-refused, patch-replace-only, put-keeps-members', async () => {
    await fresh('replace-keeps-stale');
    await patch([{ op: 'replace', path: 'members', value: [{ value: out[0] }] }]);
    same(sb.members(gid), [...m, out[0]!]);
    await fresh('replace-empty-refused');
    assert.equal((await patch([{ op: 'replace', path: 'members', value: [] }])).status, 400);
    same(sb.members(gid), m);
    await fresh('patch-replace-only');
    assert.equal((await patch([{ op: 'add', path: 'members', value: [{ value: out[0] }] }])).status, 400);
    await fresh('put-keeps-members');
    const put = await req('PUT', `/Groups/${gid}`, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'group-01', members: [{ value: m[0] }] });
    assert.equal(put.status, 200);
    assert.deepEqual((put.json['members'] as Array<{ value: string }>).map((x) => x.value), [m[0]]);
    same(sb.members(gid), m);
  });

  test('no-discovery, no-resource-types, filter-500, no-members-on-get, case-insensitive-ids, capped-group-read', async () => {
    await fresh('no-discovery');
    for (const p of ['/ServiceProviderConfig', '/ResourceTypes', '/Schemas']) assert.equal((await req('GET', p)).status, 404);
    await fresh('no-resource-types');
    assert.equal((await req('GET', '/ServiceProviderConfig')).status, 200);
    assert.equal((await req('GET', '/ResourceTypes')).status, 404);
    await fresh('filter-500');
    assert.equal((await req('GET', `/Groups?filter=${encodeURIComponent(`members.value eq "${m[0]}"`)}`)).status, 500);
    await fresh('no-members-on-get');
    assert.equal((await req('GET', `/Groups/${gid}?attributes=members`)).json['members'], undefined);
    await fresh('case-insensitive-ids');
    const g = await req('GET', `/Groups/${gid.toUpperCase()}`);
    assert.equal(g.status, 200);
    assert.deepEqual((g.json['members'] as Array<{ value: string }>).map((x) => x.value), m.map((id) => id.toUpperCase()));
    await patch([rm(m[0]!.toUpperCase())]);
    same(sb.members(gid), m.slice(1));
    await fresh('capped-group-read');
    const more = Array.from({ length: 120 }, (_, i) => sb.userIdByName(`user${String(i + 6).padStart(4, '0')}`)!);
    for (const id of more) sb.addMemberDirect(gid, id);
    const capped = await req('GET', `/Groups/${gid}`);
    assert.deepEqual((capped.json['members'] as Array<{ value: string }>).map((x) => x.value), more.slice(-100), 'the last 100 of 125');
    const list = await req('GET', '/Users?count=2');
    assert.equal(list.json['totalResults'], undefined);
    assert.equal((await req('GET', `/Groups?filter=${encodeURIComponent('displayName eq "group-01"')}`)).status, 400);
  });
});
