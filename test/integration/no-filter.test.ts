// A provider without filtering (sandbox fault mode `no-filter`: ServiceProviderConfig says filter.supported
// false, and any filtered list answers 400 invalidFilter). The client reads the capability first: the tree's
// members paging and membership changes by PATCH and by PUT read the group instead, and not one filtered
// request is sent (asserted on what the gateway received). Reports stay exact.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ScimxError } from '../../src/core/errors';
import { ScimClient } from '../../src/core/scim/client';
import type { Member } from '../../src/core/scim/types';
import { Trace } from '../../src/core/trace';
import { sandboxProfile } from '../helpers/profile';
import { startTestSandbox, type Sandbox } from '../helpers/sandbox';

const filtered = (sb: Sandbox) => sb.received.filter((r) => new URL(r.url, 'http://x').searchParams.has('filter')).map((r) => `${r.method} ${r.url}`);

describe('no-filter provider: no filtered request, ever', () => {
  let sb: Sandbox;
  let gid: string;
  let users: string[];
  before(async () => {
    sb = await startTestSandbox({ users: 30, groups: 4, faults: ['no-filter'] });
    gid = sb.groupIdByName('group-01')!;
    const c = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    users = (await c.listAll('Users', { attributes: ['userName'] })).map((u) => u.id);
    await c.close();
  });
  after(() => sb.stop());

  test('the tree pages a group\'s members (nested groups included) from the group itself, with exact totals', async () => {
    const nested = sb.groupIdByName('group-03')!;
    sb.addMemberDirect(gid, nested);
    const client = new ScimClient(sandboxProfile(sb, { pageSize: 3 }), { trace: new Trace() });
    try {
      sb.clearReceived();
      const seen: Member[] = [];
      const totals = new Set<number | undefined>();
      let next: { startIndex?: number; cursor?: string } | undefined = {};
      for (let n = 0; next; n++) {
        assert.ok(n < 20, 'bounded paging');
        const page = await client.membersPage(gid, next);
        seen.push(...page.resources);
        totals.add(page.totalResults);
        next = page.next;
      }
      const want = sb.members(gid);
      assert.deepEqual(seen.map((m) => m.value), want, 'every member once, in order');
      assert.deepEqual([...totals], [want.length]);
      assert.equal(seen.find((m) => m.value === nested)?.type, 'Group');
      assert.equal(client.memberPaging, 'group-read');
      assert.deepEqual(filtered(sb), [], 'no filtered request');
      assert.ok(!sb.received.some((r) => r.status === 400), 'nothing refused');
    } finally {
      sb.removeMemberDirect(gid, nested);
      await client.close();
    }
  });

  for (const mode of ['patch', 'put'] as const) {
    test(`${mode.toUpperCase()} add and remove: exact report, every other member kept, no filtered request`, async () => {
      // without filtering nothing independent counts the members, so a PUT needs the profile to vouch for
      // complete group reads (the default refuses: next test)
      const client = new ScimClient(sandboxProfile(sb, mode === 'put' ? { groupReads: 'complete' } : {}), { trace: new Trace() });
      try {
        const before = sb.members(gid);
        const outsiders = users.filter((id) => !before.includes(id));
        const change = { add: [outsiders[0]!, outsiders[1]!, before[0]!], remove: [before[1]!, outsiders[2]!] };
        sb.clearReceived();
        const report = await client.changeMembers(gid, change, { mode });
        assert.equal(report.mode, mode);
        assert.deepEqual(
          [report.added, report.removed, report.alreadyPresent, report.alreadyAbsent, report.missing],
          [[outsiders[0], outsiders[1]], [before[1]], [before[0]], [outsiders[2]], []],
        );
        assert.equal(report.verified, true);
        const now = sb.members(gid);
        assert.deepEqual(new Set(now), new Set([...before.filter((id) => id !== before[1]), outsiders[0]!, outsiders[1]!]));
        assert.deepEqual(filtered(sb), [], 'no filtered request');
        assert.ok(!sb.received.some((r) => r.status >= 400), sb.received.map((r) => `${r.method} ${r.status}`).join(', '));
        assert.equal(sb.received.filter((r) => r.method === (mode === 'patch' ? 'PATCH' : 'PUT')).length, mode === 'patch' ? 2 : 1);
        // restore
        await client.changeMembers(gid, { add: [before[1]!], remove: [outsiders[0]!, outsiders[1]!] }, { mode: 'patch' });
        assert.deepEqual(new Set(sb.members(gid)), new Set(before));
      } finally {
        await client.close();
      }
    });
  }

  test('PUT without an independent member count is refused by default: nothing written, the way out named', async () => {
    const client = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    try {
      const before = sb.members(gid);
      const outsider = users.find((id) => !before.includes(id))!;
      sb.clearReceived();
      await assert.rejects(client.changeMembers(gid, { add: [outsider], remove: [before[0]!] }, { mode: 'put' }), (e: unknown) => {
        assert.ok(e instanceof ScimxError && e.code === 'unsupported', String(e));
        assert.match(e.message, new RegExp(`the read returned ${before.length} members and nothing independent confirms that is all of them`));
        assert.match(e.message, /Nothing was written/);
        assert.match(e.hint ?? '', /writes: patch/);
        return true;
      });
      assert.deepEqual(sb.received.filter((r) => r.method !== 'GET'), [], 'nothing written');
      assert.deepEqual(new Set(sb.members(gid)), new Set(before));
    } finally {
      await client.close();
    }
  });

  test('auto on a provider without filtering nor PATCH: the PUT path, no filtered request, the bytes it moved in the summary', async () => {
    sb.setFaults(['no-filter', 'no-patch']);
    const trace = new Trace();
    const client = new ScimClient(sandboxProfile(sb, { groupReads: 'complete' }), { trace });
    try {
      const before = sb.members(gid);
      const outsider = users.find((id) => !before.includes(id))!;
      sb.clearReceived();
      const report = await client.changeMembers(gid, { add: [outsider], remove: [] });
      assert.equal(report.mode, 'put');
      assert.deepEqual([report.added, report.missing], [[outsider], []]);
      assert.deepEqual(filtered(sb), []);
      assert.equal(report.putPath, true);
      assert.ok(report.bytesReceived > 0 && report.bytesSent > 0);
      const summary = trace.operations().at(-1)!.summary ?? '';
      assert.match(summary, /^PUT: added 1, .*PUT moved \d+(\.\d)? KB \(\d+(\.\d)? (KB|B) sent, \d+(\.\d)? KB received\) \(verified\)$/);
      sb.removeMemberDirect(gid, outsider);
    } finally {
      sb.setFaults(['no-filter']);
      await client.close();
    }
  });
});
