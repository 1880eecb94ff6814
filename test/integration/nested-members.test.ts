// A group's members that are groups (nested groups), listed with the cheap users-filter paging: found with one
// small filtered read when the provider can say, and correctly when it cannot (no members.type filter, untyped
// members, Entra's group GET without members). Against the sandbox over real sockets on 127.0.0.1.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { Profile } from '../../src/core/profile';
import { ScimClient, readMembers } from '../../src/core/scim/client';
import { SCHEMA, type Member, type ResourceTypeInfo } from '../../src/core/scim/types';
import { Trace } from '../../src/core/trace';
import {
  applyMembershipReport, applyPage, childrenWithMore, memberNodes, membersNodeOf, resourceNodes, viewOf, type MembersNode,
} from '../../src/extension/tree-model';
import type { FaultMode } from '../../src/sandbox/index';
import { TestClock } from '../helpers/clock';
import { sandboxProfile } from '../helpers/profile';
import { startTestSandbox, type Sandbox } from '../helpers/sandbox';

const GROUPS: ResourceTypeInfo = { id: 'Group', name: 'Group', endpoint: 'Groups', schema: SCHEMA.group };
const query = (url: string) => new URL(url, 'http://x').searchParams;

describe('nested groups in a group\'s Members', () => {
  let sb: Sandbox;
  let gid: string;
  let nested: string[];
  before(async () => {
    sb = await startTestSandbox({ users: 30, groups: 6, bigGroupMembers: 0 });
    gid = sb.groupIdByName('group-01')!;
    nested = [sb.groupIdByName('group-03')!, sb.groupIdByName('group-04')!];
  });
  after(() => sb.stop());
  beforeEach(() => {
    sb.setFaults([]);
    for (const g of nested) sb.addMemberDirect(gid, g);
  });

  const client = (over: Partial<Profile> = {}) => new ScimClient(sandboxProfile(sb, { pageSize: 3, ...over }), { trace: new Trace(), clock: new TestClock() });

  /** Every page, the way the tree loads them: the member values, and the total each page reported. */
  async function allMembers(c: ScimClient, groupId = gid): Promise<{ node: MembersNode; members: Member[]; totals: Array<number | undefined> }> {
    const [group] = resourceNodes('sandbox', GROUPS, [{ id: groupId, displayName: 'group-01' }], []);
    const node = membersNodeOf(group!);
    const totals: Array<number | undefined> = [];
    for (let n = 0; n === 0 || node.paging.next; n++) {
      assert.ok(n < 30, 'bounded paging');
      const next = node.paging.next;
      const page = await c.membersPage(groupId, { ...(next ?? {}) });
      totals.push(page.totalResults);
      applyPage(node.paging, memberNodes(node, page.resources, new Map()), page, next);
    }
    return { node, members: node.paging.items.map((n) => n.member), totals };
  }

  function assertAll(members: Member[], totals: Array<number | undefined>): void {
    const want = sb.members(gid);
    assert.equal(want.length, 7, '5 users and 2 groups');
    assert.deepEqual(new Set(members.map((m) => m.value)), new Set(want));
    assert.equal(members.length, want.length, 'each member once');
    assert.ok(totals.every((t) => t === want.length), `totals ${totals.join(',')}`);
    for (const m of members) assert.equal(m.type, nested.includes(m.value) ? 'Group' : 'User', m.value);
  }

  test('the review\'s case: after adding two groups, the members pages hold all 7 and say 7', async () => {
    const c = client();
    sb.clearReceived();
    const { node, members, totals } = await allMembers(c);
    const received = [...sb.received];
    assertAll(members, totals);
    // the groups come first, labelled by displayName
    assert.deepEqual(members.slice(0, 2).map((m) => m.display).sort(), ['group-03', 'group-04']);
    const read = readMembers(await c.get('Groups', gid, { members: true }));
    assert.equal(node.paging.total, read.length);
    assert.equal(viewOf(node).description, '7');
    const groupNode = node.paging.items.find((n) => n.member.value === nested[0])!;
    assert.equal(viewOf(groupNode).icon.id, 'organization');
    assert.equal(viewOf(groupNode).contextValue, 'member', 'a nested group can be removed like any member');
    // one small filtered read says there are groups among the members; only then the member list is read, once
    const groupReads = received.filter((r) => r.url.includes('/Groups'));
    assert.equal(query(groupReads[0]!.url).get('filter'), `id eq "${gid}" and members.type eq "Group"`);
    assert.equal(query(groupReads[0]!.url).get('count'), '1');
    assert.deepEqual(groupReads.slice(1).map((r) => r.url), [`/scim/v2/Groups/${gid}?attributes=members`]);
    await c.close();
  });

  test('a group without nested groups costs one small read more than its users page (after the first proves the filter)', async () => {
    const c = client({ pageSize: 10 });
    const plain = sb.groupIdByName('group-02')!;
    await c.membersPage(gid, {});
    sb.clearReceived();
    const page = await c.membersPage(plain, {});
    assert.equal(page.totalResults, sb.members(plain).length);
    assert.deepEqual(sb.received.map((r) => r.url.split('?')[0]), ['/scim/v2/Users', '/scim/v2/Groups']);
    await c.close();
  });

  test('removing a nested group from the tree: the PATCH removes it and the loaded members update', async () => {
    const c = client();
    const { node } = await allMembers(c);
    const report = await c.changeMembers(gid, { add: [], remove: [nested[0]!] }, { mode: 'patch' });
    assert.deepEqual(report.removed, [nested[0]]);
    assert.deepEqual(report.missing, []);
    assert.ok(!sb.members(gid).includes(nested[0]!));
    applyMembershipReport(node, report, new Map());
    assert.equal(node.paging.total, 6);
    assert.ok(!node.paging.items.some((n) => n.member.value === nested[0]));
    const again = await allMembers(c);
    assert.equal(again.node.paging.total, 6);
    assert.equal(again.members.length, 6);
    await c.close();
  });

  for (const fault of ['409', '503-before'] as const) {
    test(`removing a nested group whose PATCH answers ${fault}: re-read on the group itself, sent again, reported only once in effect`, async () => {
      const c = client();
      sb.clearReceived();
      sb.scriptFault('PATCH', fault); // nothing applied: the group is still a member after this answer
      const report = await c.changeMembers(gid, { add: [], remove: [nested[0]!] }, { mode: 'patch' });
      const patches = sb.received.filter((r) => r.method === 'PATCH');
      assert.equal(patches.length, 2, 'the remove was sent again after the re-read found the group still a member');
      assert.ok(!sb.members(gid).includes(nested[0]!), 'removed on the server');
      assert.deepEqual(report.removed, [nested[0]]);
      assert.deepEqual(report.missing, []);
      await c.close();
    });
  }

  test('a nested group still a member after the change is reported missing, not removed', async () => {
    const c = client();
    // the other writer puts it back between our PATCH and our verification
    const pipeline = c.pipeline as unknown as { send: (...a: unknown[]) => Promise<unknown> };
    const send = pipeline.send.bind(pipeline);
    pipeline.send = async (...a: unknown[]) => {
      const res = await send(...a);
      if ((a[1] as { method?: string }).method === 'PATCH') sb.addMemberDirect(gid, nested[0]!);
      return res;
    };
    const report = await c.changeMembers(gid, { add: [], remove: [nested[0]!] }, { mode: 'patch' });
    assert.deepEqual(report.removed, []);
    assert.deepEqual(report.missing, [nested[0]]);
    await c.close();
  });

  for (const [faults, provider, why] of [
    [['untyped-members'], 'generic', 'no members.type filter and untyped members: the member list is read, users told apart'],
    [['entra'], 'entra', 'Entra (no members on a group GET): the other groups are tested with members.value filters'],
    [['entra'], 'generic', 'a group GET without members, provider not declared: the same, from the counts'],
    [['entra', 'untyped-members'], 'generic', 'neither a type filter nor members on GET'],
  ] as Array<[FaultMode[], Profile['provider'], string]>) {
    test(`${faults.join('+')} / ${provider}: ${why}`, async () => {
      sb.setFaults(faults);
      const c = client({ provider });
      const { members, totals } = await allMembers(c);
      // an untyped provider gives no type: the client names what it found
      assertAll(members, totals);
      await c.close();
    });
  }
});
