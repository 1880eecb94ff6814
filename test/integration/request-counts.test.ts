// Requests per membership change (issue 13), on the sandbox: what each change costs in round trips once the
// profile is warm (discovery done), with the checks before and after kept: one read before (it answers "already
// present?" and is the snapshot), the write, one read after. Bulk changes read the group's user members in one
// request where they fit, instead of asking the changed ids 40 at a time. Each test also asserts the group's
// state in the sandbox's storage, and that a collateral loss is still caught on the cheaper path.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ScimxError } from '../../src/core/errors';
import { ScimClient } from '../../src/core/scim/client';
import { membershipFailureReport } from '../../src/core/scim/membership';
import { Trace } from '../../src/core/trace';
import { sandboxProfile } from '../helpers/profile';
import { startTestSandbox, type Sandbox } from '../helpers/sandbox';

describe('requests per membership change (sandbox, warm profile)', () => {
  let sb: Sandbox;
  let users: string[];
  let gid: string;
  const user = (i: number) => sb.userIdByName(`user${String(i).padStart(4, '0')}`)!;
  const setGroup = (ids: string[]) => {
    for (const m of sb.members(gid)) sb.removeMemberDirect(gid, m);
    for (const m of ids) sb.addMemberDirect(gid, m);
  };
  const client = async () => {
    const c = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    await c.discover();
    return c;
  };
  /** what the gateway received during `f` */
  const counted = async <T>(f: () => Promise<T>): Promise<{ value: T; sent: string[] }> => {
    sb.clearReceived();
    const value = await f();
    return { value, sent: sb.received.map((r) => `${r.method} ${decodeURIComponent(r.url).slice(0, 140)}`) };
  };

  before(async () => {
    sb = await startTestSandbox({ users: 300, groups: 1 });
    users = Array.from({ length: 300 }, (_, i) => user(i + 1));
    gid = sb.groupIdByName('group-01')!;
  });
  after(async () => {
    await sb?.stop();
  });

  test('add 1 and remove 1 on a group of 30: 3 requests each, every other member compared', async () => {
    setGroup(users.slice(0, 30));
    const c = await client();
    try {
      const add = await counted(() => c.changeMembers(gid, { add: [users[200]!], remove: [] }));
      assert.equal(add.value.requests, 3, add.sent.join('\n'));
      assert.deepEqual(add.sent.map((s) => s.split(' ')[0]), ['GET', 'PATCH', 'GET']);
      assert.equal(add.value.collateral?.method, 'full');
      const remove = await counted(() => c.changeMembers(gid, { add: [], remove: [users[0]!] }));
      assert.equal(remove.value.requests, 3, remove.sent.join('\n'));
      assert.ok(remove.value.verified);
      assert.deepEqual(new Set(sb.members(gid)), new Set([...users.slice(1, 30), users[200]!]));
    } finally {
      await c.close();
    }
  });

  test('add 1 on a group of 200 once its members were read: 3 requests (changed id and known members asked in one)', async () => {
    setGroup(users.slice(0, 200));
    const c = await client();
    try {
      await c.changeMembers(gid, { add: [users[250]!], remove: [] }); // the first change reads the first members
      const add = await counted(() => c.changeMembers(gid, { add: [users[251]!], remove: [] }));
      assert.equal(add.value.requests, 3, add.sent.join('\n'));
      assert.equal(add.value.collateral?.method, 'sample');
      assert.ok((add.value.collateral?.checked ?? 0) >= 20, `checked ${add.value.collateral?.checked}`);
      assert.equal(sb.members(gid).length, 202);
    } finally {
      await c.close();
    }
  });

  test('bulk: add 100 to a group of 35 costs 3 requests (one read before, one PATCH, one read after), every member compared', async () => {
    setGroup(users.slice(0, 35));
    const c = await client();
    try {
      const add = await counted(() => c.changeMembers(gid, { add: users.slice(100, 200), remove: [] }));
      assert.equal(add.value.requests, 3, add.sent.join('\n'));
      assert.ok(add.value.verified);
      assert.equal(add.value.added.length, 100);
      assert.deepEqual(add.value.collateral, { method: 'full', checked: 35, before: 35 });
      assert.deepEqual(new Set(sb.members(gid)), new Set([...users.slice(0, 35), ...users.slice(100, 200)]));
    } finally {
      await c.close();
    }
  });

  test('bulk: remove 100 from a group of 135 costs at most 4 requests; the check after is one read of every user member', async () => {
    setGroup([...users.slice(0, 35), ...users.slice(100, 200)]);
    const c = await client();
    try {
      const remove = await counted(() => c.changeMembers(gid, { add: [], remove: users.slice(100, 200) }));
      assert.ok(remove.value.requests <= 4, remove.sent.join('\n'));
      assert.ok(remove.value.verified);
      assert.equal(remove.value.removed.length, 100);
      assert.equal(remove.value.collateral?.method, 'sample');
      assert.ok((remove.value.collateral?.checked ?? 0) >= 20);
      assert.deepEqual(new Set(sb.members(gid)), new Set(users.slice(0, 35)));
    } finally {
      await c.close();
    }
  });

  test('bulk on the cheaper path still catches a collateral loss (drops-members): named, nothing claimed verified', async () => {
    setGroup([...users.slice(0, 35), ...users.slice(100, 200)]);
    const start = sb.members(gid);
    const c = await client();
    sb.setFaults(['drops-members']);
    try {
      await assert.rejects(c.changeMembers(gid, { add: [], remove: users.slice(100, 200) }, { mode: 'patch' }), (e: unknown) => {
        assert.ok(e instanceof ScimxError && e.code === 'lost', String(e));
        const report = membershipFailureReport(e)!;
        const now = new Set(sb.members(gid));
        const gone = start.filter((id) => !now.has(id) && !users.slice(100, 200).includes(id));
        assert.equal(gone.length, 2, 'the quirk dropped two members');
        assert.deepEqual(new Set(report.lost), new Set(gone), 'both losses named');
        assert.equal(report.verified, false);
        return true;
      });
    } finally {
      sb.setFaults([]);
      await c.close();
    }
  });
});
