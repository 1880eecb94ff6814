// Benchmark 3: add 5,000 members to a group in one change, split by the provider's limits (generic: 100 adds a
// PATCH; entra: 20, enforced by the sandbox's `entra` fault), with the gateway rate-limiting a small share of
// requests (429, Retry-After 1). The PATCH parts go out sequentially (profile concurrency 1) and with bounded
// concurrency (the profile default, 4), side by side in the same run. Requests sent, 429s met, wall time;
// ratios sequential / concurrent and against one member per request (a raw undici PATCH per member that
// honours Retry-After), measured on a subset and extrapolated per member.
import { DEFAULTS, type ProviderKind } from '../src/core/profile';
import { ScimClient } from '../src/core/scim/client';
import { Trace } from '../src/core/trace';
import { goal, header, median, ms, printGoals, ratio, RawClient, startChildSandbox, table, timed, type ChildSandbox } from './lib';

const ADD = 5_000;
const SUBSET = Number(process.env.BENCH_BULK_SUBSET ?? 500);
const USERS = ADD + 100;
const WIDTH = 4; // user0001..user5100
const RATE = Number(process.env.BENCH_BULK_429_RATE ?? 0.01);
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
/** PATCH parts in flight at once: sequential, and the profile default. */
const CONCURRENCY = [1, Number(process.env.BENCH_BULK_CONCURRENCY ?? DEFAULTS.concurrency)] as const;

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
    const verdicts: Array<{ provider: string; sequential: number; concurrent: number; single: number }> = [];

    for (const provider of ['generic', 'entra'] as ProviderKind[]) {
      const gid = await sb.call<string>('groupIdByName', provider === 'generic' ? 'group-01' : 'group-02');
      const faults = provider === 'entra' ? (['entra', 'ratelimit'] as const) : (['ratelimit'] as const);
      const start = await sb.call<number>('memberCount', gid);
      const reset = async () => {
        await sb.setFaults([]);
        await sb.call('removeMembers', gid, ids);
        if ((await sb.call<number>('memberCount', gid)) !== start) throw new Error('reset failed');
      };
      await reset();

      // ---- the client: one change of 5,000 adds, PATCH parts sequential and concurrent ----
      const batched = new Map<number, Figure[]>();
      let limit = 0;
      for (let round = 0; round < bulkRepeat; round++) {
        for (const concurrency of CONCURRENCY) {
          const trace = new Trace({ maxExchanges: 100_000 });
          const client = new ScimClient(sb.profile({ provider, concurrency }), { trace });
          await client.discover();
          limit = provider === 'entra' ? 20 : client.profile.maxOperationsPerPatch;
          await sb.setFaults([...faults], { faultRate: RATE, retryAfterSeconds: 1 });
          await sb.call('clearReceived');
          const { ms: t, value: rep } = await timed(() => client.changeMembers(gid, { add: ids, remove: [] }, { mode: 'patch' }));
          const c = await count429(sb);
          await client.close();
          if (rep.added.length !== ADD || rep.missing.length) throw new Error(`${provider}: added ${rep.added.length}, missing ${rep.missing.length}: ${rep.warnings.join('; ')}`);
          const kinds = countKinds(trace);
          batched.set(concurrency, [...(batched.get(concurrency) ?? []), { requests: c.total, r429: c.r429, ms: t, members: ADD }]);
          console.log(`${provider} concurrency ${concurrency} round ${round + 1}: ${c.total} requests at the gateway (${c.r429} answered 429), client counted ${rep.requests}; ${kinds}; ${ms(t)}`);
          await reset();
        }
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

      const fig = (fs: Figure[]) => ({ requests: median(fs.map((f) => f.requests)), r429: median(fs.map((f) => f.r429)), ms: median(fs.map((f) => f.ms)) });
      const [seq, par] = CONCURRENCY.map((c) => fig(batched.get(c)!));
      const s = fig(single);
      const scale = ADD / SUBSET;
      for (const [c, b] of [[CONCURRENCY[0], seq!], [CONCURRENCY[1], par!]] as const) {
        rows.push({ provider, how: `one change, ${limit} adds/PATCH, ${c === 1 ? 'PATCHes sequential' : `${c} PATCHes at a time`}`, members: ADD, requests: b.requests, '429s': b.r429, wall: ms(b.ms), 'ms/member': (b.ms / ADD).toFixed(2) });
      }
      rows.push({ provider, how: `one PATCH per member (measured on ${SUBSET})`, members: SUBSET, requests: s.requests, '429s': s.r429, wall: ms(s.ms), 'ms/member': (s.ms / SUBSET).toFixed(2) });
      rows.push({ provider, how: `one PATCH per member, extrapolated ×${scale}`, members: ADD, requests: Math.round(s.requests * scale), '429s': Math.round(s.r429 * scale), wall: ms(s.ms * scale), 'ms/member': (s.ms / SUBSET).toFixed(2) });
      verdicts.push({ provider, sequential: seq!.ms, concurrent: par!.ms, single: s.ms * scale });
    }
    table(rows);
    console.log(`\nRatios (same run; one-per-member wall extrapolated from the subset; concurrent = ${CONCURRENCY[1]} PATCHes at a time)`);
    for (const v of verdicts) {
      goal(`bulk ${v.provider}: concurrent PATCHes beat sequential ones`, v.sequential / v.concurrent > 1, `sequential / concurrent wall = ${ratio(v.sequential / v.concurrent)}`);
      goal(`bulk ${v.provider}: one change beats one PATCH per member`, v.single / v.concurrent > 1,
        `one-per-member / concurrent wall = ${ratio(v.single / v.concurrent)} (/ sequential = ${ratio(v.single / v.sequential)})`);
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
