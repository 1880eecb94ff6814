// The motivating failure, as a regression: membership add and remove through an APIM-like gateway,
// via PATCH and via PUT, with the key as header, query and both, a renamed key header, and locations on
// the backend origin. Every assertion about credentials is made on what the GATEWAY received.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Sandbox, type ReceivedRequest } from '../../src/sandbox';
import { ScimClient } from '../../src/core/scim/client';
import { Trace } from '../../src/core/trace';
import type { KeyPlacement, Profile } from '../../src/core/profile';
import { receivedHeader, receivedQuery, sandboxProfile } from '../helpers/profile';

function assertCarriesCredentials(sb: Sandbox, profile: Profile, reqs: ReceivedRequest[]): void {
  assert.ok(reqs.length > 0, 'the gateway received requests');
  for (const r of reqs) {
    const where = `${r.method} ${r.url}`;
    const inHeader = receivedHeader(r.rawHeaders, profile.gateway.header);
    const inQuery = receivedQuery(r.url, profile.gateway.query);
    const placement = profile.gateway.sendAs;
    if (placement === 'header' || placement === 'both') assert.equal(inHeader, sb.key, `${where}: key in header ${profile.gateway.header}`);
    if (placement === 'query' || placement === 'both') assert.equal(inQuery, sb.key, `${where}: key in query ${profile.gateway.query}`);
    if (placement === 'header') assert.equal(inQuery, null, `${where}: no key in the query`);
    if (placement === 'query') assert.equal(inHeader, undefined, `${where}: no key header`);
    assert.equal(receivedHeader(r.rawHeaders, 'x-request-source'), 'scim-explorer-tests', `${where}: custom header`);
    assert.match(receivedHeader(r.rawHeaders, 'authorization') ?? '', /^Basic /, `${where}: auth`);
    assert.notEqual(r.status, 401, `${where}: not rejected`);
  }
}

async function pickChange(client: ScimClient, sb: Sandbox): Promise<{ groupId: string; addId: string; removeId: string; keep: string[] }> {
  const groups = await client.listPage('Groups', { count: 50 });
  const group = groups.resources.find((g) => sb.members(g.id).length >= 2);
  assert.ok(group, 'a seeded group with at least two members');
  const members = sb.members(group.id);
  const users = await client.listPage('Users', { count: 100, attributes: ['userName'] });
  const outsider = users.resources.find((u) => !members.includes(u.id));
  assert.ok(outsider, 'a user outside the group');
  return { groupId: group.id, addId: outsider.id, removeId: members[0]!, keep: members.slice(1) };
}

const placements: KeyPlacement[] = ['header', 'query', 'both'];

describe('membership through the gateway', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startSandbox({ users: 40, groups: 4 });
  });
  after(async () => {
    await sb?.stop();
  });

  for (const mode of ['patch', 'put'] as const) {
    for (const sendAs of placements) {
      test(`${mode.toUpperCase()} add and remove, key as ${sendAs}`, async () => {
        sb.setFaults(mode === 'put' ? ['no-patch'] : []);
        const profile = sandboxProfile(sb, { gateway: { sendAs } });
        const client = new ScimClient(profile, { trace: new Trace() });
        try {
          const { groupId, addId, removeId, keep } = await pickChange(client, sb);
          sb.clearReceived();
          const report = await client.changeMembers(groupId, { add: [addId], remove: [removeId] }, { mode: 'auto' });
          assert.equal(report.mode, mode);
          assert.deepEqual(report.added, [addId]);
          assert.deepEqual(report.removed, [removeId]);
          assert.deepEqual(report.missing, []);
          assert.equal(report.verified, true);
          const now = sb.members(groupId);
          assert.ok(now.includes(addId));
          assert.ok(!now.includes(removeId));
          for (const id of keep) assert.ok(now.includes(id), `member ${id} kept`);
          const writes = sb.received.filter((r) => r.method === (mode === 'patch' ? 'PATCH' : 'PUT'));
          assert.ok(writes.length >= 1, `the gateway received the ${mode.toUpperCase()}`);
          assertCarriesCredentials(sb, profile, sb.received);
          if (mode === 'patch') {
            for (const w of writes) {
              const ops = (JSON.parse(w.body) as { Operations: Array<{ op: string; path: string }> }).Operations;
              for (const op of ops) {
                assert.notEqual(op.op.toLowerCase(), 'replace');
                assert.ok(!(op.op.toLowerCase() === 'remove' && op.path === 'members'), 'never a bare remove of members');
              }
            }
          }
        } finally {
          await client.close();
        }
      });
    }
  }

  test('auto falls back to PUT when the gateway has no PATCH operation (APIM 404), keeping every member', async () => {
    sb.setFaults(['patch-not-routed']);
    const profile = sandboxProfile(sb);
    const client = new ScimClient(profile, { trace: new Trace() });
    try {
      const { groupId, addId, removeId, keep } = await pickChange(client, sb);
      const report = await client.changeMembers(groupId, { add: [addId], remove: [removeId] });
      assert.equal(report.mode, 'put');
      assert.match(report.warnings.join(' '), /PATCH refused/);
      for (const id of keep) assert.ok(sb.members(groupId).includes(id));
      assert.ok(sb.members(groupId).includes(addId));
    } finally {
      await client.close();
      sb.setFaults([]);
    }
  });

  test('entra limits: 20 adds and 1 remove per PATCH; membership checks 40 ids a request on the group filter', async () => {
    const big = await startSandbox({ users: 120, groups: 2, faults: ['entra'] });
    const profile = sandboxProfile(big, { provider: 'entra' });
    const client = new ScimClient(profile, { trace: new Trace() });
    try {
      const gid = big.groupIdByName('group-01')!;
      const before = big.members(gid);
      const users = await client.listAll('Users', { attributes: ['userName'], count: 100 });
      const outsiders = users.map((u) => u.id).filter((id) => !before.includes(id)).slice(0, 45);
      const add = [...outsiders, ...before.slice(0, 2)]; // two already present
      const remove = [before[2]!, 'no-such-member'];
      big.clearReceived();
      const report = await client.changeMembers(gid, { add, remove }, { mode: 'patch' });
      assert.deepEqual(new Set(report.added), new Set(outsiders));
      assert.deepEqual(new Set(report.alreadyPresent), new Set(before.slice(0, 2)));
      assert.deepEqual(report.removed, [before[2]]);
      assert.deepEqual(report.alreadyAbsent, ['no-such-member']);
      assert.deepEqual(report.missing, []);
      const patches = big.received.filter((r) => r.method === 'PATCH');
      assert.equal(patches.length, 3 + 1, '45 adds in 3 PATCHes of at most 20, one remove');
      const checks = big.received.filter((r) => r.method === 'GET' && r.url.startsWith(new URL(big.gatewayUrl).pathname + '/Groups?'));
      assert.ok(checks.length < 20, `membership checks by group testing, not one per id (${checks.length})`);
      const now = big.members(gid);
      for (const id of before.slice(3)) assert.ok(now.includes(id), 'other members kept');
    } finally {
      await client.close();
      await big.stop();
    }
  });

  test('a renamed key header and query name are used on every method', async () => {
    const renamed = await startSandbox({ users: 10, groups: 2, keyHeader: 'X-Gateway-Key', keyQuery: 'gwkey' });
    try {
      for (const sendAs of placements) {
        const profile = sandboxProfile(renamed, { gateway: { sendAs, header: 'X-Gateway-Key', query: 'gwkey' } });
        const client = new ScimClient(profile, { trace: new Trace() });
        const { groupId, addId, removeId } = await pickChange(client, renamed);
        renamed.clearReceived();
        await client.changeMembers(groupId, { add: [addId], remove: [removeId] }, { mode: 'patch' });
        assertCarriesCredentials(renamed, profile, renamed.received);
        for (const r of renamed.received) assert.equal(receivedHeader(r.rawHeaders, 'ocp-apim-subscription-key'), undefined);
        await client.close();
      }
    } finally {
      await renamed.stop();
    }
  });

  test('meta.location on the backend origin: rewrite keeps the key (query placement too) and warns in the trace', async () => {
    sb.setFaults(['backend-locations', 'no-patch']);
    const profile = sandboxProfile(sb, { gateway: { sendAs: 'query' }, locations: 'rewrite' });
    const trace = new Trace();
    const client = new ScimClient(profile, { trace });
    try {
      const { groupId, addId } = await pickChange(client, sb);
      sb.clearReceived();
      const report = await client.changeMembers(groupId, { add: [addId], remove: [] });
      assert.deepEqual(report.added, [addId]);
      const put = sb.received.find((r) => r.method === 'PUT');
      assert.ok(put, 'the PUT to meta.location went through the gateway');
      assertCarriesCredentials(sb, profile, sb.received);
      const rewritten = trace.operations().flatMap((o) => o.exchanges).filter((e) => e.location?.policy === 'rewrite');
      assert.ok(rewritten.length >= 1, 'the rewrite is recorded in the trace');
      assert.ok(rewritten[0]!.warnings.length >= 1 || rewritten[0]!.location!.from !== rewritten[0]!.location!.to);
    } finally {
      await client.close();
      sb.setFaults([]);
    }
  });

  test('meta.location on the backend origin: follow sends no credentials there, strict refuses', async () => {
    sb.setFaults(['backend-locations', 'no-patch']);
    for (const policy of ['follow', 'strict'] as const) {
      const profile = sandboxProfile(sb, { locations: policy });
      const client = new ScimClient(profile, { trace: new Trace() });
      try {
        const { groupId, addId } = await pickChange(client, sb);
        const backendBefore = sb.backendReceived.length;
        await assert.rejects(client.changeMembers(groupId, { add: [addId], remove: [] }), (e: Error & { code?: string }) => {
          if (policy === 'strict') assert.equal(e.code, 'location');
          return true;
        });
        const direct = sb.backendReceived.slice(backendBefore).filter((r) => r.method === 'PUT');
        if (policy === 'strict') assert.equal(direct.length, 0, 'strict sends nothing');
        for (const r of direct) {
          assert.equal(receivedHeader(r.rawHeaders, profile.gateway.header), undefined, 'no key to the other origin');
          assert.equal(receivedQuery(r.url, profile.gateway.query), null, 'no key in the query to the other origin');
          assert.equal(receivedHeader(r.rawHeaders, 'authorization'), undefined, 'no auth to the other origin');
        }
        assert.ok(!sb.members(groupId).includes(addId), 'nothing was written');
      } finally {
        await client.close();
      }
    }
    sb.setFaults([]);
  });
});
