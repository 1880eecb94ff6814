// Benchmark 3: add 5,000 members to a group in one change, split by the provider's limits (generic: 100 adds a
// PATCH; entra: 20, enforced by the sandbox's `entra` fault), with the gateway rate-limiting a small share of
// requests (429, Retry-After 1). Requests sent, 429s met, wall time; ratio against one member per request (a raw
// undici PATCH per member that honours Retry-After), measured on a subset and extrapolated per member.
import { ScimClient } from '../src/core/scim/client';
import type { ProviderKind } from '../src/core/profile';
import { Trace } from '../src/core/trace';
import { goal, header, median, ms, printGoals, ratio, RawClient, REPEAT, startChildSandbox, table, timed, type ChildSandbox } from './lib';

const ADD = 5_000;
const SUBSET = Number(process.env.BENCH_BULK_SUBSET ?? 500);
const USERS = ADD + 100;
const WIDTH = 4; // user0001..user5100
const RATE = Number(process.env.BENCH_BULK_429_RATE ?? 0.01);
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface Figure { requests: number; r429: number; ms: number; members: number }

async function count429(sb: ChildSandbox): Promise<{ total: number; r429: number }> {
  const st = await sb.call<Record<string, number>>('receivedStatuses');
  return { total: Object.values(st).reduce((a, b) => a + b, 0), r429: st['429'] ?? 0 };
}

async function main(): Promise<void> {
  const bulkRepeat = Math.max(1, Number(process.env.BENCH_BULK_REPEAT ?? 1));
  header(`bulk: add ${ADD.toLocaleString('en')} members, 429 on ${(RATE * 100).toFixed(1)}% of requests (Retry-After 1)`, bulkRepeat);
  if (bulkRepeat === 1) console.log('one run per figure to stay within the time budget (BENCH_BULK_REPEAT=3 for medians)\n');
  const sb = await startChildSandbox({ users: USERS, groups: 2, seed: 3 });
  try {
    const ids = await sb.call<string[]>('userIds', 101, 100 + ADD, WIDTH); // none in the seeded groups (their members are among the first 100)
    const rows: Array<Record<string, string | number>> = [];
    const verdicts: Array<[string, number]> = [];

    for (const provider of ['generic', 'entra'] as ProviderKind[]) {
      const gid = (await sb.call<string>('groupIdByName', provider === 'generic' ? 'group-01' : 'group-02'))!;
      const faults = provider === 'entra' ? (['entra', 'ratelimit'] as const) : (['ratelimit'] as const);
      const start = await sb.call<number>('memberCount', gid);
      const reset = async () => {
        await sb.setFaults([]);
        await sb.call('removeMembers', gid, ids);
        if ((await sb.call<number>('memberCount', gid)) !== start) throw new Error('reset failed');
      };
      await reset();

      // ---- the client: one change of 5,000 adds ----
      const batched: Figure[] = [];
      let limit = 0;
      for (let round = 0; round < bulkRepeat; round++) {
        const trace = new Trace({ maxExchanges: 100_000 });
        const client = new ScimClient(sb.profile({ provider }), { trace });
        await client.discover();
        limit = provider === 'entra' ? 20 : client.profile.maxOperationsPerPatch;
        await sb.setFaults([...faults], { faultRate: RATE, retryAfterSeconds: 1 });
        await sb.call('clearReceived');
        const { ms: t, value: rep } = await timed(() => client.changeMembers(gid, { add: ids, remove: [] }, { mode: 'patch' }));
        const c = await count429(sb);
        await client.close();
        if (rep.added.length !== ADD || rep.missing.length) throw new Error(`${provider}: added ${rep.added.length}, missing ${rep.missing.length}: ${rep.warnings.join('; ')}`);
        const kinds = countKinds(trace);
        batched.push({ requests: c.total, r429: c.r429, ms: t, members: ADD });
        console.log(`${provider} round ${round + 1}: ${c.total} requests at the gateway (${c.r429} answered 429), client counted ${rep.requests}; ${kinds}; ${ms(t)}`);
        await reset();
      }

      // ---- one member per request, on a subset, extrapolated per member ----
      const single: Figure[] = [];
      for (let round = 0; round < bulkRepeat; round++) {
        const raw = new RawClient(sb, sb.profile());
        await sb.setFaults([...faults], { faultRate: RATE, retryAfterSeconds: 1 });
        await sb.call('clearReceived');
        const { ms: t } = await timed(async () => {
          for (const id of ids.slice(0, SUBSET)) {
            for (;;) {
              const r = await raw.send('PATCH', `Groups/${gid}?excludedAttributes=members`, JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }] }));
              if (r.status === 429) {
                await new Promise((res) => setTimeout(res, 1000)); // Retry-After: 1
                continue;
              }
              if (r.status !== 200) throw new Error(`single PATCH answered ${r.status}: ${r.text.slice(0, 200)}`);
              break;
            }
          }
        });
        const c = await count429(sb);
        await raw.close();
        single.push({ requests: c.total, r429: c.r429, ms: t, members: SUBSET });
        await reset();
      }

      const b = { requests: median(batched.map((f) => f.requests)), r429: median(batched.map((f) => f.r429)), ms: median(batched.map((f) => f.ms)) };
      const s = { requests: median(single.map((f) => f.requests)), r429: median(single.map((f) => f.r429)), ms: median(single.map((f) => f.ms)) };
      const scale = ADD / SUBSET;
      rows.push({ provider, how: `one change, ${limit} adds/PATCH, writes sequential`, members: ADD, requests: b.requests, '429s': b.r429, wall: ms(b.ms), 'ms/member': (b.ms / ADD).toFixed(2) });
      rows.push({ provider, how: `one PATCH per member (measured on ${SUBSET})`, members: SUBSET, requests: s.requests, '429s': s.r429, wall: ms(s.ms), 'ms/member': (s.ms / SUBSET).toFixed(2) });
      rows.push({ provider, how: `one PATCH per member, extrapolated ×${scale}`, members: ADD, requests: Math.round(s.requests * scale), '429s': Math.round(s.r429 * scale), wall: ms(s.ms * scale), 'ms/member': (s.ms / SUBSET).toFixed(2) });
      verdicts.push([provider, (s.ms * scale) / b.ms]);
    }
    table(rows);
    console.log('\nRatios (same run; one-per-member wall extrapolated from the subset)');
    for (const [provider, r] of verdicts) {
      goal(`bulk ${provider}: one change beats one PATCH per member`, r > 1, `one-per-member / batched wall = ${ratio(r)}`);
    }
  } finally {
    await sb.stop();
  }
  printGoals();
}

/** What the client's requests were, by kind: presence checks, PATCHes, others. */
function countKinds(trace: Trace): string {
  const ex = trace.operations().flatMap((o) => o.exchanges);
  const patches = ex.filter((e) => e.request.method === 'PATCH').length;
  const checks = ex.filter((e) => e.request.method === 'GET' && /filter=/.test(e.request.url)).length;
  const retries = ex.filter((e) => e.attempt > 1).length;
  return `${patches} PATCH, ${checks} filtered GETs (membership checks), ${ex.length - patches - checks} other, ${retries} retries`;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
