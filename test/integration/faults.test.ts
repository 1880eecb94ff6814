// Faults (issue 5, item 1): 429 with Retry-After (waits as told, bounded, countdown notices, cancellable),
// 503, connection resets and timeouts, against the sandbox's gateway. Reads retry; writes are never re-sent
// blindly: a write sent twice must have a re-read in between, and must not have reached the backend before.
// Then a soak: a few hundred random membership changes under a mixed fault rate.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ScimxError } from '../../src/core/errors';
import type { WaitNotice } from '../../src/core/http/types';
import type { Profile } from '../../src/core/profile';
import { ScimClient } from '../../src/core/scim/client';
import { membershipFailureReport } from '../../src/core/scim/membership';
import type { MembershipReport } from '../../src/core/scim/types';
import { Trace } from '../../src/core/trace';
import type { ReceivedRequest } from '../../src/sandbox';
import { prng } from '../../src/sandbox/types';
import { TestClock } from '../helpers/clock';
import { sandboxProfile } from '../helpers/profile';
import { startTestSandbox, type Sandbox } from '../helpers/sandbox';

const isWrite = (r: ReceivedRequest) => r.method !== 'GET' && r.method !== 'HEAD';
const pathOf = (url: string) => url.split('?')[0]!;

/**
 * Writes are never blindly re-sent: among `gateway` (what the gateway received during one change) every write
 * sent more than once has a GET between each two sends, and reached the backend at most once (a re-send of a
 * write the backend had applied would show up there twice).
 */
function assertNoBlindResend(gateway: ReceivedRequest[], backend: ReceivedRequest[], what: string): number {
  const key = (r: ReceivedRequest) => `${r.method} ${pathOf(r.url)} ${r.body}`;
  const lastSend = new Map<string, number>();
  let resent = 0;
  gateway.forEach((r, i) => {
    if (!isWrite(r)) return;
    const k = key(r);
    const prev = lastSend.get(k);
    if (prev !== undefined) {
      resent++;
      assert.ok(gateway.slice(prev + 1, i).some((x) => x.method === 'GET'), `${what}: ${r.method} ${r.url} re-sent without a re-read in between`);
    }
    lastSend.set(k, i);
  });
  const atBackend = new Map<string, number>();
  for (const r of backend) if (isWrite(r)) atBackend.set(key(r), (atBackend.get(key(r)) ?? 0) + 1);
  for (const [k, n] of atBackend) assert.ok(n <= 1, `${what}: the backend applied the same write ${n} times: ${k.slice(0, 200)}`);
  return resent;
}

async function firstGroup(client: ScimClient, sb: Sandbox): Promise<{ groupId: string; outside: string[]; inside: string[] }> {
  const groups = await client.listPage('Groups', {});
  const groupId = groups.resources[0]!.id;
  const users = await client.listAll('Users', { attributes: ['userName'] });
  const inside = sb.members(groupId);
  return { groupId, inside, outside: users.map((u) => u.id).filter((id) => !inside.includes(id)) };
}

describe('429 Retry-After: waits as told, bounded, cancellable', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startTestSandbox({ users: 20, groups: 2 });
  });
  after(() => sb?.stop());

  test('a read waits the Retry-After the gateway gave; the notice carries the ms for a countdown', async () => {
    const notices: WaitNotice[] = [];
    const trace = new Trace();
    const clock = new TestClock();
    const client = new ScimClient(sandboxProfile(sb), { trace, onWait: (n) => notices.push(n), clock });
    sb.setFaults([], { retryAfterSeconds: 1 });
    sb.scriptFault('GET', '429');
    const page = await client.listPage('Users', { count: 5 });
    assert.equal(page.resources.length, 5);
    assert.equal(notices.length, 1);
    assert.equal(notices[0]!.ms, 1000);
    assert.deepEqual(clock.slept, [1000], 'waited the 1 s the gateway asked, once');
    assert.match(notices[0]!.reason, /429 Retry-After/);
    const ex = trace.operations().at(-1)!.exchanges;
    assert.deepEqual(ex.map((e) => e.response?.status), [429, 200]);
    assert.equal(ex[1]!.retryOf, ex[0]!.id);
    assert.equal(ex[1]!.timings.waited, 1000);
    await client.close();
  });

  test('a Retry-After longer than the limit fails at once with a clear message, and nothing is written', async () => {
    const client = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    const { groupId, outside } = await firstGroup(client, sb);
    sb.clearReceived();
    sb.setFaults(['ratelimit'], { faultRate: 1, retryAfterSeconds: 7200 });
    try {
      await assert.rejects(client.changeMembers(groupId, { add: [outside[0]!], remove: [] }, { mode: 'patch' }), (e: unknown) => {
        assert.ok(e instanceof ScimxError);
        assert.match(e.message, /asked to wait 120 min/);
        assert.doesNotMatch(e.message, /\n/);
        assert.match(e.message, /Nothing was written/);
        return true;
      });
    } finally {
      sb.setFaults([], { faultRate: 0.3, retryAfterSeconds: 1 });
    }
    assert.equal(sb.received.filter(isWrite).length, 0, 'no write was sent');
    await client.close();
  });

  test('cancelling during a read\'s Retry-After wait ends promptly with "cancelled"', { timeout: 10_000 }, async () => {
    const ac = new AbortController();
    const notices: WaitNotice[] = [];
    const client = new ScimClient(sandboxProfile(sb), { trace: new Trace(), onWait: (n) => { notices.push(n); setImmediate(() => ac.abort()); } });
    sb.setFaults(['ratelimit'], { faultRate: 1, retryAfterSeconds: 30 });
    try {
      await assert.rejects(client.listPage('Users', {}, { signal: ac.signal }), (e: unknown) => e instanceof ScimxError && e.code === 'cancelled');
    } finally {
      sb.setFaults([], { faultRate: 0.3, retryAfterSeconds: 1 });
    }
    assert.equal(notices.length, 1);
    assert.equal(notices[0]!.ms, 30_000, 'the countdown starts at what the gateway asked');
    await client.close();
  });

  test('cancelling while a 429\'d write waits to be re-applied: cancelled, sent once, group untouched', { timeout: 10_000 }, async () => {
    const ac = new AbortController();
    const notices: WaitNotice[] = [];
    const client = new ScimClient(sandboxProfile(sb), { trace: new Trace(), onWait: (n) => { notices.push(n); setImmediate(() => ac.abort()); } });
    const { groupId, outside } = await firstGroup(client, sb);
    const before = sb.members(groupId);
    sb.clearReceived();
    sb.setFaults([], { retryAfterSeconds: 30 });
    sb.scriptFault('PATCH', '429');
    try {
      await assert.rejects(client.changeMembers(groupId, { add: [outside[0]!], remove: [] }, { mode: 'patch' }, { signal: ac.signal }), (e: unknown) => {
        assert.ok(e instanceof ScimxError && e.code === 'cancelled', String(e));
        assert.match(e.message, /unknown/);
        assert.ok(membershipFailureReport(e), 'the error carries the report');
        return true;
      });
    } finally {
      sb.setFaults([], { retryAfterSeconds: 1 });
    }
    assert.equal(notices.length, 1);
    assert.equal(notices[0]!.ms, 30_000);
    assert.match(notices[0]!.reason, /re-applying/);
    assert.equal(sb.received.filter((r) => r.method === 'PATCH').length, 1);
    assert.deepEqual(sb.members(groupId), before);
    await client.close();
  });
});

describe('unknown outcomes of writes: re-read, then send only what is missing', () => {
  let sb: Sandbox;
  let profile: Profile;
  before(async () => {
    sb = await startTestSandbox({ users: 20, groups: 2, retryAfterSeconds: 0 });
    profile = sandboxProfile(sb);
  });
  after(() => sb?.stop());

  const cases = [
    { mode: 'patch', fault: '503-after', applied: true },
    { mode: 'patch', fault: 'reset-after', applied: true },
    { mode: 'patch', fault: '503-before', applied: false },
    { mode: 'patch', fault: 'reset-before', applied: false },
    { mode: 'patch', fault: '429', applied: false },
    { mode: 'put', fault: '503-after', applied: true },
    { mode: 'put', fault: 'reset-after', applied: true },
    { mode: 'put', fault: '503-before', applied: false },
    { mode: 'put', fault: 'reset-before', applied: false },
  ] as const;
  for (const c of cases) {
    test(`${c.mode.toUpperCase()} answered ${c.fault}: ${c.applied ? 'seen applied, not re-sent' : 'seen missing, re-sent once'}`, async () => {
      const client = new ScimClient(profile, { trace: new Trace(), clock: new TestClock() });
      const { groupId, outside, inside } = await firstGroup(client, sb);
      const change = { add: [outside[0]!], remove: [inside[0]!] };
      sb.setFaults(c.mode === 'put' ? ['no-patch'] : []);
      sb.clearReceived();
      sb.scriptFault(c.mode === 'put' ? 'PUT' : 'PATCH', c.fault);
      const report = await client.changeMembers(groupId, c.mode === 'put' ? change : { add: change.add, remove: [] }, { mode: c.mode });
      const method = c.mode === 'put' ? 'PUT' : 'PATCH';
      const writes = sb.received.filter((r) => r.method === method);
      assert.equal(writes.length, c.applied ? 1 : 2, writes.map((w) => `${w.method} ${w.status}`).join(', '));
      assertNoBlindResend(sb.received, sb.backendReceived, c.fault);
      assert.deepEqual(report.added, change.add);
      if (c.mode === 'put') assert.deepEqual(report.removed, change.remove);
      assert.deepEqual(report.missing, []);
      const now = sb.members(groupId);
      assert.ok(now.includes(outside[0]!));
      // every other member kept
      for (const m of inside.slice(1)) assert.ok(now.includes(m), `member ${m} kept`);
      // restore
      sb.setFaults([]);
      await client.changeMembers(groupId, { add: c.mode === 'put' ? change.remove : [], remove: change.add }, { mode: 'patch' });
      await client.close();
    });
  }

  test('a write that times out (the gateway applied it, the answer came too late) is re-read, not re-sent', async () => {
    const client = new ScimClient({ ...profile, timeoutMs: 300 }, { trace: new Trace(), clock: new TestClock() });
    const { groupId, outside } = await firstGroup(client, sb);
    sb.setFaults([], { slowMs: 1500 });
    sb.clearReceived();
    sb.scriptFault('PATCH', 'slow-after');
    const report = await client.changeMembers(groupId, { add: [outside[1]!], remove: [] }, { mode: 'patch' });
    assert.deepEqual(report.added, [outside[1]!]);
    assert.equal(sb.received.filter((r) => r.method === 'PATCH').length, 1);
    const op = client.trace.operations().at(-1)!;
    assert.ok(op.exchanges.some((e) => e.request.method === 'PATCH' && e.error?.code === 'timeout' && /outcome is unknown/.test(e.error.message)));
    sb.setFaults([], { slowMs: 200 });
    await client.close();
  });

  test('reads that time out are retried, then fail with a clear timeout error; nothing is written', async () => {
    const notices: WaitNotice[] = [];
    const client = new ScimClient({ ...profile, timeoutMs: 100 }, { trace: new Trace(), onWait: (n) => notices.push(n), clock: new TestClock() });
    sb.setFaults(['slow'], { slowMs: 400 });
    sb.clearReceived();
    try {
      await assert.rejects(client.changeMembers('no-such-group', { add: ['x'], remove: [] }, { mode: 'patch' }), (e: unknown) => {
        assert.ok(e instanceof ScimxError && e.code === 'timeout', String(e));
        assert.match(e.message, /within 100 ms/);
        return true;
      });
    } finally {
      sb.setFaults([], { slowMs: 200 });
    }
    assert.equal(sb.received.filter(isWrite).length, 0);
    assert.ok(notices.length >= 3, 'reads were retried');
    assert.ok(notices.every((n) => n.reason === 'timeout'));
    await client.close();
  });

  test('503 and resets on reads are retried with backoff and the read succeeds', async () => {
    const notices: WaitNotice[] = [];
    const client = new ScimClient(profile, { trace: new Trace(), onWait: (n) => notices.push(n), clock: new TestClock() });
    sb.scriptFault('GET', '503-before');
    sb.scriptFault('GET', 'reset-before');
    sb.scriptFault('GET', '503-before');
    const page = await client.listPage('Users', { count: 3 });
    assert.equal(page.resources.length, 3);
    assert.deepEqual(notices.map((n) => n.reason), ['503', 'connection dropped', '503']);
    await client.close();
  });
});

// ------------------------------------------------------------------------------------------- bulk PATCH

describe('bulk PATCH: parts sent concurrently, some answered 429 or lost: exactly the intended membership', () => {
  let sb: Sandbox;
  // The client waits on this clock and the sandbox stamps what it receives with it: one timeline, waits not slept.
  const clock = new TestClock();
  before(async () => {
    sb = await startTestSandbox({ users: 150, groups: 2, seed: 31, retryAfterSeconds: 1, clock });
  });
  after(() => sb?.stop());

  for (const provider of ['generic', 'entra'] as const) {
    test(`${provider}: ${provider === 'entra' ? '20 adds / 1 remove' : '7 members'} a PATCH, 4 at a time; 429s wait out Retry-After for every part, outcomes reconciled per part`, { timeout: 60_000 }, async () => {
      const faults = provider === 'entra' ? (['entra'] as const) : ([] as const);
      const trace = new Trace({ maxExchanges: 100_000 });
      const client = new ScimClient(sandboxProfile(sb, { provider, maxOperationsPerPatch: 7, concurrency: 4 }), { trace, clock });
      sb.setFaults([]);
      const users = (await client.listAll('Users', { attributes: ['userName'] })).map((u) => u.id);
      const groupId = (await client.listPage('Groups', {})).resources[provider === 'generic' ? 0 : 1]!.id;
      const start = sb.members(groupId);
      const outside = users.filter((u) => !start.includes(u));
      sb.setFaults([...faults]);

      const changes = [
        { add: outside.slice(0, 60), remove: start.slice(0, 2) },
        { add: outside.slice(60, 80), remove: [...outside.slice(0, 25), ...start.slice(2, 3)] },
      ];
      const intended = new Set(start);
      for (const [n, change] of changes.entries()) {
        sb.clearReceived();
        const sleptBefore = clock.sleeps.length;
        // the first four PATCHes (all in flight at once) are rate-limited; two more are applied but their
        // answers lost (503 after the backend applied them, a reset), one is refused before reaching it
        for (let i = 0; i < 4; i++) sb.scriptFault('PATCH', '429');
        sb.scriptFault('PATCH', '503-after');
        sb.scriptFault('PATCH', 'reset-after');
        sb.scriptFault('PATCH', '503-before');
        const report = await client.changeMembers(groupId, change, { mode: 'patch' });
        for (const id of change.add) intended.add(id);
        for (const id of change.remove) intended.delete(id);
        const what = `${provider} change ${n + 1}: ${report.warnings.join('; ')}`;

        assert.deepEqual([...report.added].sort(), [...change.add].sort(), what);
        assert.deepEqual([...report.removed].sort(), [...change.remove].sort(), what);
        assert.deepEqual(report.missing, [], what);
        assert.deepEqual(report.alreadyPresent, [], what);
        assert.deepEqual(sb.members(groupId).sort(), [...intended].sort(), `${what}: exactly the intended membership`);

        const patches = sb.received.filter((r) => r.method === 'PATCH');
        const r429 = patches.filter((r) => r.status === 429);
        assert.equal(r429.length, 4, what);
        assertNoBlindResend(sb.received, sb.backendReceived, what);
        // no part starts a PATCH while the gateway's Retry-After (1 s) runs: only those already in flight
        // when the first 429 came back arrive during it
        const first429 = r429[0]!.at;
        const waits = clock.slept.slice(sleptBefore);
        assert.ok(waits.filter((ms) => ms === 1000).length >= 4, `${what}: each 429'd part waited the 1 s Retry-After: ${waits.join(', ')}`);
        const during = patches.filter((r) => r.at > first429 + 100 && r.at < first429 + 900);
        assert.deepEqual(during.map((r) => r.seq), [], `${what}: PATCHes sent during the Retry-After`);
        // the parts really overlapped
        const op = trace.operations().at(-1)!;
        const spans = op.exchanges.filter((e) => e.request.method === 'PATCH').map((e) => [e.timings.start, e.timings.start + (e.timings.end ?? 0)] as const);
        const overlap = Math.max(...spans.map(([s0]) => spans.filter(([a, b]) => a <= s0 && s0 < b).length));
        assert.ok(overlap > 1, `${what}: PATCHes in flight at once: ${overlap}`);
        const parts = provider === 'entra' ? Math.ceil(change.add.length / 20) + change.remove.length : Math.ceil(change.add.length / 7) + Math.ceil(change.remove.length / 7);
        console.log(`bulk PATCH (${provider}, change ${n + 1}): ${parts} parts, ${patches.length} PATCHes sent (429: ${r429.length}), at most ${overlap} in flight, ${report.requests} requests in all`);
      }
      sb.setFaults([]);
      await client.close();
    });
  }

  test('with ETags (If-Match on PATCH) and for Google, parts stay sequential', async () => {
    try {
      for (const [provider, faults] of [['generic', ['etag']], ['google', []]] as const) {
        sb.setFaults([...faults]);
        const trace = new Trace();
        const client = new ScimClient(sandboxProfile(sb, { provider, maxOperationsPerPatch: 2, concurrency: 4 }), { trace });
        const users = (await client.listAll('Users', { attributes: ['userName'] })).map((u) => u.id);
        const groupId = (await client.listPage('Groups', {})).resources[0]!.id;
        const start = sb.members(groupId);
        const add = users.filter((u) => !start.includes(u)).slice(0, 6);
        const report = await client.changeMembers(groupId, { add, remove: [] }, { mode: 'patch' });
        assert.deepEqual([...report.added].sort(), [...add].sort());
        const spans = trace.operations().at(-1)!.exchanges.filter((e) => e.request.method === 'PATCH').map((e) => [e.timings.start, e.timings.start + (e.timings.end ?? 0)] as const);
        assert.ok(spans.length >= 3, `${provider}: ${spans.length} PATCHes`);
        for (let i = 1; i < spans.length; i++) assert.ok(spans[i]![0] >= spans[i - 1]![1], `${provider}: PATCH ${i + 1} started before PATCH ${i} ended`);
        await client.changeMembers(groupId, { add: [], remove: add }, { mode: 'patch' });
        await client.close();
      }
    } finally {
      sb.setFaults([]);
    }
  });
});

// ------------------------------------------------------------------------------------------- soak

const SOAK_CHANGES = 250;

describe('soak: random membership changes under a mixed fault rate', () => {
  let sb: Sandbox;
  before(async () => {
    sb = await startTestSandbox({ users: 60, groups: 4, seed: 2024, faults: ['flaky', 'ratelimit'], faultRate: 0.1, retryAfterSeconds: 0 });
  });
  after(() => sb?.stop());

  test(`${SOAK_CHANGES} changes (PATCH and PUT): final membership is the intended one and no other member is lost`, { timeout: 120_000 }, async () => {
    const rnd = prng(99);
    let retries = 0;
    let reconciliations = 0;
    const client = new ScimClient(sandboxProfile(sb), {
      trace: new Trace({ bodyCap: 2048 }),
      clock: new TestClock(),
      onWait: (n) => (/^re-applying/.test(n.reason) ? reconciliations++ : retries++),
    });
    // Setup reads without faults
    sb.setFaults([]);
    const users = (await client.listAll('Users', { attributes: ['userName'] })).map((u) => u.id);
    const groups = (await client.listAll('Groups', {})).map((g) => g.id);
    sb.setFaults(['flaky', 'ratelimit'], { faultRate: 0.1, retryAfterSeconds: 0 });
    const model = new Map(groups.map((g) => [g, new Set(sb.members(g))]));
    sb.clearReceived();

    let errors = 0;
    let resent = 0;
    const byMode = { patch: 0, put: 0 };
    for (let i = 0; i < SOAK_CHANGES; i++) {
      const groupId = groups[Math.floor(rnd() * groups.length)]!;
      const intended = model.get(groupId)!;
      const mode = rnd() < 0.5 ? 'patch' : 'put';
      byMode[mode]++;
      const add = new Set<string>();
      const remove = new Set<string>();
      const nAdd = Math.floor(rnd() * 4);
      for (let k = 0; k < nAdd; k++) add.add(users[Math.floor(rnd() * users.length)]!); // some already members
      const members = [...intended];
      const nRemove = add.size === 0 ? 1 + Math.floor(rnd() * 2) : Math.floor(rnd() * 3);
      for (let k = 0; k < nRemove && members.length; k++) {
        const id = rnd() < 0.85 ? members[Math.floor(rnd() * members.length)]! : users[Math.floor(rnd() * users.length)]!;
        if (!add.has(id)) remove.add(id);
      }
      if (!add.size && !remove.size) add.add(users[i % users.length]!);
      const touched = [...add, ...remove];
      const gFrom = sb.received.length;
      const bFrom = sb.backendReceived.length;
      let report: MembershipReport | undefined;
      try {
        report = await client.changeMembers(groupId, { add: [...add], remove: [...remove] }, { mode });
      } catch (e) {
        errors++;
        assert.ok(e instanceof ScimxError, `change ${i}: ${String(e)}`);
        assert.doesNotMatch(e.message, /\n/);
        assert.match(e.message, /Nothing was written|re-read after the failure|unknown/, `change ${i}: the error says what state the group is in: ${e.message}`);
        const r = membershipFailureReport(e);
        assert.ok(r, `change ${i}: the error carries a report`);
        const truth = new Set(sb.members(groupId));
        if (/Nothing was written/.test(e.message)) {
          for (const id of touched) assert.equal(truth.has(id), intended.has(id), `change ${i}: nothing written, ${id} unchanged`);
        } else if (r.verified) {
          for (const id of r.added) assert.ok(truth.has(id), `change ${i}: reported added ${id}`);
          for (const id of r.removed) assert.ok(!truth.has(id), `change ${i}: reported removed ${id}`);
        }
        // the test's model follows the truth, for the ids this change touched only
        for (const id of touched) {
          if (truth.has(id)) intended.add(id);
          else intended.delete(id);
        }
      }
      if (report) {
        assert.deepEqual(report.missing, [], `change ${i}: ${report.warnings.join('; ')}`);
        for (const id of add) intended.add(id);
        for (const id of remove) intended.delete(id);
      }
      resent += assertNoBlindResend(sb.received.slice(gFrom), sb.backendReceived.slice(bFrom), `change ${i}`);
      // every member the change did not touch is as it was: nothing lost, nothing added behind our back
      assert.deepEqual(sb.members(groupId).sort(), [...intended].sort(), `change ${i} (${mode}) on ${groupId}`);
    }
    for (const g of groups) assert.deepEqual(sb.members(g).sort(), [...model.get(g)!].sort(), `final membership of ${g}`);

    const faults = sb.received.filter((r) => r.status === 429 || r.status === 503 || r.status === 0).length;
    console.log(`soak: changes ${SOAK_CHANGES} (patch ${byMode.patch}, put ${byMode.put}), requests ${sb.received.length}, faults injected ${faults}, `
      + `read retries ${retries}, reconciliations ${reconciliations}, writes re-sent after a re-read ${resent}, changes ended in an error ${errors}, lost members 0`);
    assert.ok(faults > 0);
    sb.setFaults([]);
    await client.close();
  });
});

describe('latency: a gateway in another region', () => {
  test('every answer comes latencyMs later, the gateway\'s own 401 too; the requests themselves are unchanged', async () => {
    const sb = await startTestSandbox({ faults: ['latency'], latencyMs: 120 });
    try {
      const client = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
      const timed = async <T>(f: () => Promise<T>): Promise<number> => {
        const t0 = performance.now();
        await f().catch(() => undefined);
        return performance.now() - t0;
      };
      const read = await timed(() => client.discover());
      assert.ok(read >= 3 * 120 - 5, `discovery (3 requests) took ${read.toFixed(0)} ms, expected at least 3 × 120 ms`);
      const keyless = new ScimClient(sandboxProfile(sb, { gateway: { subscriptionKey: '' } }), { trace: new Trace() });
      const before = sb.received.length;
      const refused = await timed(() => keyless.get('Users', 'nobody'));
      assert.ok(refused >= 120 - 5, `the gateway's own 401 came after ${refused.toFixed(0)} ms, expected at least 120 ms`);
      assert.equal(sb.received.slice(before).at(-1)?.status, 401);
      sb.setFaults([]);
      const fast = await timed(() => client.discover({ refresh: true }));
      assert.ok(fast < read, `without the mode discovery took ${fast.toFixed(0)} ms, with it ${read.toFixed(0)} ms`);
      await client.close();
      await keyless.close();
    } finally {
      await sb.stop();
    }
  });
});
