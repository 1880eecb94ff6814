// Benchmark: what one membership change costs in round trips, the figure users feel through a gateway in another
// region (issue 13). For the sandbox and each third-party server of the interop matrix, behind the same gateway:
//  - requests per change, cold (a new profile: nothing cached) and warm (a new client, as a new `scimx` run or a
//    VS Code restart, with the profile's cache left by an earlier run): add 1 member, remove 1 member, and the
//    discovery requests among them;
//  - wall time on the sandbox's `latency` mode (every gateway answer 50 ms later): add 1 member against one bare
//    round trip (a raw undici GET through the same gateway), measured side by side in this run.
// Every change is checked on the server's own storage: the member added or removed, nobody else lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startChildServer, type ChildServer } from '../test/helpers/third-party/child';
import type { ServerName } from '../test/helpers/third-party/types';
import { sandboxProfile } from '../test/helpers/profile';
import type { Profile } from '../src/core/profile';
import { ScimClient } from '../src/core/scim/client';
import type { MembershipChange } from '../src/core/scim/types';
import { Trace } from '../src/core/trace';
import { goal, header, median, ms, printGoals, ratio, RawClient, REPEAT, startChildSandbox, table, timed, type ChildSandbox } from './lib';

const LATENCY_MS = 50;
const DISCOVERY = /\/(ServiceProviderConfig|ResourceTypes|Schemas)(\?|$)/;

/** One server under test, as this benchmark needs it: a profile, the group, and its storage. */
interface Subject {
  label: string;
  profile: Profile;
  groupId: string;
  /** users that are not members of the group */
  outsiders: string[];
  members(): Promise<string[]>;
  setMembers(ids: string[]): Promise<void>;
  stop(): Promise<void>;
}

interface Cost { requests: number; discovery: number; writes: number; ms: number }

/** One change through a new client (a new CLI run) using the profile's cache in `cacheDir`, checked on storage. */
async function change(s: Subject, cacheDir: string, ch: MembershipChange): Promise<Cost> {
  const trace = new Trace();
  let discovery = 0;
  let writes = 0;
  trace.onEvent((e) => {
    if (e.type !== 'exchange' || e.exchange.state === 'pending' || seen.has(e.exchange.id)) return;
    seen.add(e.exchange.id);
    if (e.exchange.attempt === 1 && DISCOVERY.test(e.exchange.request.url)) discovery++;
    if (e.exchange.request.method !== 'GET') writes++;
  });
  const seen = new Set<string>();
  const before = await s.members();
  const { ms: t, value: requests } = await timed(async () => {
    const client = new ScimClient(s.profile, { trace, cacheDir });
    try {
      const rep = await client.changeMembers(s.groupId, ch);
      if (!rep.verified) throw new Error(`${s.label}: change not verified: ${rep.warnings.join('; ')}`);
      return client.pipeline.stats.requests;
    } finally {
      await client.close();
    }
  });
  const after = new Set(await s.members());
  const want = new Set(before.filter((id) => !ch.remove.includes(id)).concat(ch.add));
  const wrong = [...want].filter((id) => !after.has(id)).length + [...after].filter((id) => !want.has(id)).length;
  if (wrong) throw new Error(`${s.label}: the group is not as intended after the change (${wrong} members differ)`);
  return { requests, discovery, writes, ms: t };
}

interface Row { server: string; group: number; cold: Cost; warmAdd: Cost[]; warmRemove: Cost[] }

async function measure(s: Subject): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'scimx-bench-cache-'));
  try {
    const group = (await s.members()).length;
    const [first, ...rest] = s.outsiders;
    // cold: a profile never used before (discovery and what the client learns about the server cost then)
    const cold = await change(s, dir, { add: [first!], remove: [] });
    await change(s, dir, { add: [], remove: [first!] });
    const warmAdd: Cost[] = [];
    const warmRemove: Cost[] = [];
    for (let round = 0; round < REPEAT; round++) {
      const id = rest[round % rest.length]!;
      warmAdd.push(await change(s, dir, { add: [id], remove: [] }));
      warmRemove.push(await change(s, dir, { add: [], remove: [id] }));
    }
    return { server: s.label, group, cold, warmAdd, warmRemove };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function sandboxSubject(sb: ChildSandbox, label: string, groupName: string, size: number): Promise<Subject> {
  const gid = await sb.call<string>('groupIdByName', groupName);
  const users = await sb.call<string[]>('userIds', 1, 400, 4);
  const members = async () => sb.call<string[]>('members', gid);
  const setMembers = async (ids: string[]) => {
    await sb.call('removeMembers', gid, await members());
    await sb.call('addMembers', gid, ids);
  };
  await setMembers(users.slice(0, size));
  return { label, profile: sb.profile(), groupId: gid, outsiders: users.slice(size, size + 10), members, setMembers, stop: async () => undefined };
}

async function thirdPartySubject(name: ServerName, size: number): Promise<Subject> {
  const s: ChildServer = await startChildServer(name, { users: size + 12, groups: 1, groupSize: 3, bigGroupMembers: size });
  const gid = s.groups['big-group']!;
  return {
    label: `${s.implementation}`,
    profile: sandboxProfile({ ...s, auth: s.auth }, { timeoutMs: 30_000 }),
    groupId: gid,
    outsiders: s.userIds.slice(size, size + 10),
    members: () => s.call<string[]>('members', gid),
    setMembers: (ids) => s.call('setMembers', gid, ids),
    stop: () => s.stop(),
  };
}

function costs(row: Row): Record<string, string | number> {
  const med = (xs: Cost[], k: keyof Cost) => median(xs.map((x) => x[k]));
  return {
    server: row.server, group: row.group,
    'cold add 1 (discovery)': `${row.cold.requests} (${row.cold.discovery})`,
    'warm add 1 (discovery)': `${med(row.warmAdd, 'requests')} (${med(row.warmAdd, 'discovery')})`,
    'warm remove 1 (discovery)': `${med(row.warmRemove, 'requests')} (${med(row.warmRemove, 'discovery')})`,
  };
}

async function main(): Promise<void> {
  header('round trips: requests per membership change, cold and warm profile; wall time 50 ms away');
  const rows: Row[] = [];
  const sb = await startChildSandbox({ users: 400, groups: 2, seed: 3 });
  try {
    // group-01 fits in the first read (50 user members), group-02 does not: a sample is compared
    for (const [name, size] of [['group-01', 30], ['group-02', 200]] as const) {
      const s = await sandboxSubject(sb, `sandbox`, name, size);
      rows.push(await measure(s));
    }
  } finally {
    await sb.stop();
  }
  for (const [name, size] of [['scimmy', 200], ['better-auth', 200]] as const) {
    const s = await thirdPartySubject(name, size);
    try {
      rows.push(await measure(s));
    } finally {
      await s.stop();
    }
  }
  table(rows.map(costs));

  // bulk, warm: one read before and one after the whole change, plus one collateral check per batch of concurrent
  // PATCH parts (profile.concurrency at a time) beyond the first
  const bulk = await startChildSandbox({ users: 400, groups: 2, seed: 3 });
  try {
    const s = await sandboxSubject(bulk, 'sandbox', 'group-01', 35);
    const dir = mkdtempSync(join(tmpdir(), 'scimx-bench-cache-'));
    try {
      await change(s, dir, { add: [s.outsiders[0]!], remove: [] }); // warms the profile
      await change(s, dir, { add: [], remove: [s.outsiders[0]!] });
      const ids = await bulk.call<string[]>('userIds', 200, 399, 4);
      const out: Array<Record<string, string | number>> = [];
      const bulkChanges: Array<[string, MembershipChange]> = [['add 200 to 35', { add: ids, remove: [] }], ['remove 200 from 235', { add: [], remove: ids }]];
      for (const [what, ch] of bulkChanges) {
        const c = await change(s, dir, ch);
        const batches = Math.ceil(c.writes / s.profile.concurrency);
        const budget = 2 + c.writes + (batches - 1);
        out.push({ change: what, requests: c.requests, 'PATCH parts': c.writes, reads: c.requests - c.writes, budget });
        goal(`sandbox bulk ${what}: at most one read before, one after, one check per further batch of ${s.profile.concurrency} parts`, c.requests <= budget, `${c.requests} requests, budget ${budget}`);
      }
      table(out);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await bulk.stop();
  }
  for (const r of rows) {
    const add = median(r.warmAdd.map((x) => x.requests));
    const remove = median(r.warmRemove.map((x) => x.requests));
    const disc = Math.max(...r.warmAdd.concat(r.warmRemove).map((x) => x.discovery));
    goal(`${r.server}, group of ${r.group}: warm add 1 and remove 1 in at most 3 requests`, add <= 3 && remove <= 3, `add ${add}, remove ${remove}`);
    goal(`${r.server}, group of ${r.group}: 0 discovery requests on a warm profile`, disc === 0, `${disc} at most`);
  }

  // wall time on a gateway 50 ms away: add 1 member (warm profile, a new client: a new CLI run) against one bare
  // round trip (raw undici, one kept-alive connection, the same headers)
  const far = await startChildSandbox({ users: 400, groups: 2, seed: 3, faults: ['latency'], latencyMs: LATENCY_MS });
  try {
    const s = await sandboxSubject(far, 'sandbox (latency 50 ms)', 'group-01', 30);
    const dir = mkdtempSync(join(tmpdir(), 'scimx-bench-cache-'));
    const raw = new RawClient(far, s.profile);
    try {
      await change(s, dir, { add: [s.outsiders[0]!], remove: [] }); // warms the profile's cache
      await change(s, dir, { add: [], remove: [s.outsiders[0]!] });
      const bare: number[] = [];
      const add: number[] = [];
      for (let round = 0; round < Math.max(REPEAT, 5); round++) {
        const id = s.outsiders[1 + (round % 9)]!;
        bare.push((await timed(() => raw.send('GET', `Groups/${s.groupId}?attributes=id`))).ms);
        add.push((await change(s, dir, { add: [id], remove: [] })).ms);
        await change(s, dir, { add: [], remove: [id] });
      }
      const b = median(bare);
      const a = median(add);
      table([{ gateway: `+${LATENCY_MS} ms an answer`, 'bare round trip (median)': ms(b), 'add 1 member, warm (median)': ms(a), ratio: ratio(a / b) }]);
      goal(`add 1 member ≤ 3.5× one bare round trip (gateway ${LATENCY_MS} ms away)`, a / b <= 3.5, `${ms(a)} / ${ms(b)} = ${ratio(a / b)}`);
    } finally {
      await raw.close();
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await far.stop();
  }
  printGoals();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
