// Trace fidelity against the sandbox: for every exchange of a scenario (retries after 429, a PUT to a
// meta.location on the backend origin rewritten onto the gateway, index paging), the traced request line
// and headers — in wire order, with masked values revealed — equal what the gateway received.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { ScimClient } from '../../src/core/scim/client';
import { Trace, type Exchange } from '../../src/core/trace';
import { TestClock } from '../helpers/clock';
import { sandboxProfile } from '../helpers/profile';

let sb: Sandbox;
before(async () => {
  sb = await startSandbox({ users: 30, groups: 3, seed: 7 });
});
after(async () => {
  await sb?.stop();
});

test('every traced exchange equals what the gateway received: line and headers in order', async () => {
  const profile = sandboxProfile(sb, { gateway: { sendAs: 'both' }, pageSize: 10, concurrency: 1 });
  const trace = new Trace();
  const client = new ScimClient(profile, { trace, clock: new TestClock() });
  try {
    sb.clearReceived();
    // Reads under a rate limit: some are answered 429 and retried after Retry-After.
    sb.setFaults(['ratelimit'], { faultRate: 0.3, retryAfterSeconds: 1 });
    const users = await client.listAll('Users', { attributes: ['userName'] });
    assert.equal(users.length, 30);
    // A PUT-path membership change with meta.location on the backend origin (rewritten onto the gateway).
    sb.setFaults(['backend-locations', 'no-patch']);
    const groups = await client.listPage('Groups', {});
    const group = groups.resources[0]!;
    const outsider = users.find((u) => !sb.members(group.id).includes(u.id))!;
    const report = await client.changeMembers(group.id, { add: [outsider.id], remove: [] });
    assert.equal(report.mode, 'put');
    assert.deepEqual(report.added, [outsider.id]);

    const exchanges: Exchange[] = trace.operations().flatMap((o) => o.exchanges);
    assert.ok(exchanges.some((e) => e.attempt > 1), 'the scenario has retries');
    assert.ok(exchanges.some((e) => e.location?.policy === 'rewrite'), 'the scenario has a rewritten location');
    assert.equal(exchanges.length, sb.received.length, 'one exchange per request the gateway received');
    exchanges.forEach((ex, n) => {
      const got = sb.received[n]!;
      assert.equal(ex.request.wire, true, `exchange ${n + 1}: headers from the wire`);
      const revealed = ex.request.headers.map(([name, v], i) => [name, trace.reveal(ex.id, i) ?? v]);
      assert.deepEqual(revealed, got.rawHeaders, `exchange ${n + 1} (${ex.request.line}): headers`);
      const [method, target] = ex.request.line.split(' ');
      assert.equal(method, got.method);
      const unmasked = (target ?? '').replace(/subscription-key=[^&]*/, `subscription-key=${encodeURIComponent(sb.key)}`);
      assert.equal(unmasked, got.url, `exchange ${n + 1}: request target`);
      assert.equal(ex.response?.status, got.status, `exchange ${n + 1}: status`);
    });
    // And the masked view never shows the raw key.
    assert.ok(!JSON.stringify(trace.operations()).includes(sb.key));
  } finally {
    sb.setFaults([]);
    await client.close();
  }
});
