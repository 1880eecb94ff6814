// Interop matrix, the sandbox's quirk modes: each mode (src/sandbox/types.ts FAULT_MODE_INFO) modelled on a
// real provider's behaviour or public bug, with the scenarios it affects. Every membership scenario asserts the
// rule (test/helpers/interop.ts): the right state and exit 0, or exit 1 naming every lost member; never a
// member lost silently. Where the server cannot do the thing at all, exit 1 and nothing changed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FaultMode } from '../../src/sandbox/index';
import { assertKeyOnEveryRequest, fromSandbox, membershipScenario, outsiders, Scimx, type Target } from '../helpers/interop';
import { ensureBuilt } from '../helpers/interop-matrix';
import { call, startTestSandbox, type Sandbox } from '../helpers/sandbox';

type Scenario = 'browse' | 'add-patch' | 'remove-patch' | 'add-put' | 'remove-put' | 'add-auto' | 'remove-auto'
  | 'remove2-patch' | 'remove-all-patch' | 'remove-all-put' | 'big-add-put' | 'big-add-auto' | 'big-remove-auto';

/** mode → the scenarios it affects; `cannot`: scenarios the server cannot do at all (a failure changes nothing) */
const QUIRKS: Array<{ mode: FaultMode; scenarios: Scenario[]; cannot?: Scenario[] }> = [
  { mode: 'no-discovery', scenarios: ['browse', 'add-auto', 'remove-auto'] },
  { mode: 'no-resource-types', scenarios: ['browse', 'add-auto', 'remove-auto'] },
  { mode: 'patch-replace-only', scenarios: ['add-patch', 'remove-patch', 'add-auto', 'remove-auto'], cannot: ['add-patch', 'remove-patch'] },
  { mode: 'put-keeps-members', scenarios: ['add-put', 'remove-put'], cannot: ['remove-put'] },
  { mode: 'filter-500', scenarios: ['add-patch', 'remove-patch', 'add-put', 'remove-put'] },
  { mode: 'attributes-before-patch', scenarios: ['add-patch', 'remove-patch', 'add-auto'] },
  { mode: 'drops-members', scenarios: ['add-patch', 'remove-patch'] },
  { mode: 'patch-returns-group', scenarios: ['add-patch', 'remove-patch'] },
  { mode: 'no-members-on-get', scenarios: ['add-patch', 'remove-patch', 'add-put', 'remove-put'], cannot: ['add-put', 'remove-put'] },
  { mode: 'case-insensitive-ids', scenarios: ['browse', 'add-patch', 'remove-patch', 'add-put', 'remove-put'] },
  { mode: 'remove-wipes-all', scenarios: ['remove-patch', 'remove2-patch'] },
  { mode: 'remove-by-index', scenarios: ['remove2-patch'] },
  { mode: 'filtered-remove-ignored', scenarios: ['remove-patch', 'remove2-patch'] },
  { mode: 'replace-keeps-stale', scenarios: ['add-patch', 'remove-patch', 'remove-put'] },
  { mode: 'replace-empty-refused', scenarios: ['remove-all-patch', 'remove-all-put'] },
  { mode: 'capped-group-read', scenarios: ['big-add-put', 'big-add-auto', 'big-remove-auto'], cannot: ['big-add-put'] },
];

const USERS = 170;
const BIG = 150;

describe('interop matrix: sandbox quirk modes', () => {
  let sb: Sandbox;
  let t: Target;
  let x: Scimx;
  const baseline: Record<string, string[]> = {};
  before(async () => {
    ensureBuilt();
    sb = await startTestSandbox({ users: USERS, groups: 3, bigGroupMembers: BIG });
    t = fromSandbox(sb, 'sandbox', USERS, 3);
    x = new Scimx(t);
    for (const [name, id] of Object.entries(t.groups)) baseline[name] = await t.members(id);
  });
  after(async () => {
    x?.close();
    await sb?.stop();
  });

  async function reset(): Promise<void> {
    sb.setFaults([]);
    for (const [name, id] of Object.entries(t.groups)) await t.setMembers(id, baseline[name]!);
  }

  async function run(mode: FaultMode, scenario: Scenario, cannot: boolean): Promise<void> {
    const label = `${mode} / ${scenario}`;
    const gid = t.groups['group-01']!;
    const members = await t.members(gid);
    if (scenario === 'browse') {
      t.clearReceived();
      const d = await x.run(['--json', 'discover']);
      assert.equal(d.code, 0, `${label}: discover works on defaults where documents are missing: ${d.stderr}`);
      const l = await x.run(['--json', 'list', 'Groups']);
      assert.equal(l.code, 0, `${label}: list Groups: ${l.stderr}`);
      const g = await x.run(['get', 'Groups', gid, '--attributes', 'displayName,members']);
      assert.equal(g.code, 0, `${label}: get: ${g.stderr}`);
      const got = ((JSON.parse(g.stdout) as { members?: Array<{ value: string }> }).members ?? []).map((m) => m.value.toLowerCase());
      assert.deepEqual(new Set(got), new Set(members.map((m) => m.toLowerCase())), `${label}: the group's members as stored`);
      assertKeyOnEveryRequest(t, 'header');
      return;
    }
    const [, action, how] = /^(?:big-)?(add|remove2|remove-all|remove)-(patch|put|auto)$/.exec(scenario)!;
    const mode2 = how as 'patch' | 'put' | 'auto';
    if (scenario.startsWith('big-')) {
      const big = t.groups['big-group']!;
      const ids = action === 'add' ? await outsiders(t, big, 1) : [(await t.members(big))[0]!];
      await membershipScenario(x, t, { groupId: big, action: action === 'add' ? 'add' : 'remove', ids, mode: mode2, label, unchangedOnFailure: cannot });
      return;
    }
    const ids = action === 'add' ? await outsiders(t, gid, 2)
      : action === 'remove' ? [members[2]!]
        : action === 'remove2' ? [members[1]!, members[3]!]
          : [...members];
    await membershipScenario(x, t, { groupId: gid, action: action === 'add' ? 'add' : 'remove', ids, mode: mode2, label, unchangedOnFailure: cannot });
  }

  for (const q of QUIRKS) {
    describe(q.mode, () => {
      for (const scenario of q.scenarios) {
        test(scenario, async () => {
          await reset();
          sb.setFaults([q.mode]);
          try {
            await run(q.mode, scenario, q.cannot?.includes(scenario) ?? false);
          } finally {
            sb.setFaults([]);
          }
        });
      }
    });
  }
});

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
