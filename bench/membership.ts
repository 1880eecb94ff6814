// Benchmark 1: one membership change (add one member, remove one member) on a group of 100 and on a group of
// 50,000 members, through the client's PATCH path and PUT path, against a naive connector baseline (GET the
// whole group, PUT the whole member list back) written with raw undici. Requests, bytes on the wire both ways
// (head + body), wall time. Ratios are measured side by side in this run.
// Then the same change, through the client's default path (writes: auto), on each third-party server of the
// interop matrix (test/helpers/third-party/), behind the same gateway, on the biggest group it can hold: what
// it cost and what became of the group, read from the server's storage.
import { BETTER_AUTH_MAX_MEMBERS } from '../test/helpers/third-party/better-auth';
import { startChildServer } from '../test/helpers/third-party/child';
import type { ServerName } from '../test/helpers/third-party/types';
import { sandboxProfile } from '../test/helpers/profile';
import { ScimClient } from '../src/core/scim/client';
import type { MembershipReport } from '../src/core/scim/types';
import { Trace } from '../src/core/trace';
import { goal, header, kb, median, ms, printGoals, ratio, RawClient, REPEAT, startChildSandbox, table, timed } from './lib';

const BIG = 50_000;
const SMALL = 100;
const USERS = 50_200;
const WIDTH = 5; // user00001..user50200

interface Sample { requests: number; sent: number; received: number; ms: number }
interface Row { size: number; path: string; op: string; samples: Sample[] }

async function main(): Promise<void> {
  // BENCH_MEMBERSHIP_PART=third-party runs only the third-party servers' part
  if (process.env.BENCH_MEMBERSHIP_PART === 'third-party') {
    await thirdParty();
    return;
  }
  header('membership: add one / remove one member, PATCH vs PUT vs naive GET+PUT');
  const sb = await startChildSandbox({ users: USERS, groups: 1, bigGroupMembers: BIG, seed: 1 });
  try {
    console.log(`sandbox: ${USERS} users, big-group ${BIG} members (seeded in ${sb.seedMs} ms, pid ${sb.pid})`);
    const big = await sb.call<string>('groupIdByName', 'big-group');
    const small = await sb.call<string>('groupIdByName', 'group-01');
    // group-1 starts with a few members: make it exactly SMALL, with users the big group does not have
    const have = await sb.call<number>('memberCount', small);
    await sb.call('addMembers', small, await sb.call<string[]>('userIds', BIG + 1, BIG + SMALL - have, WIDTH));
    const groups: Record<number, string> = { [SMALL]: small, [BIG]: big };
    for (const [size, gid] of Object.entries(groups)) {
      const n = await sb.call<number>('memberCount', gid);
      if (n !== Number(size)) throw new Error(`group of ${size} has ${n} members`);
    }
    // users to add: members of neither group; to remove: the one we just added (the state is restored each round)
    const spare = await sb.call<string[]>('userIds', USERS - 9, USERS, WIDTH);

    const trace = new Trace();
    const client = new ScimClient(sb.profile(), { trace });
    await client.discover(); // discovery is cached per client: not part of a change
    // The sandbox answers a PATCH with the whole group (RFC 7644 §3.5.2 allows it) unless asked for
    // `excludedAttributes=members`, which the client sends only with `excludeMembersOnWrite: true` (SCIMMY applies
    // it before patching). The PATCH path's own cost is measured with it; the default's price is a row of its own.
    const lean = new ScimClient(sb.profile({ excludeMembersOnWrite: true }), { trace });
    await lean.discover();
    const raw = new RawClient(sb, sb.profile());

    const rows: Row[] = [];
    const rowOf = (size: number, path: string, op: string): Row => {
      let r = rows.find((x) => x.size === size && x.path === path && x.op === op);
      if (!r) rows.push((r = { size, path, op, samples: [] }));
      return r;
    };

    const viaClient = async (gid: string, mode: 'patch' | 'put', add: string[], remove: string[], via: ScimClient = client): Promise<Sample> => {
      const { ms: t, value: rep } = await timed(() => via.changeMembers(gid, { add, remove }, { mode }));
      check(rep, add, remove, mode);
      return { requests: rep.requests, sent: rep.bytesSent, received: rep.bytesReceived, ms: t };
    };

    const naive = async (gid: string, add: string[], remove: string[]): Promise<Sample> => {
      const before = raw.bytes();
      const { ms: t, value: requests } = await timed(async () => {
        const got = await raw.send('GET', `Groups/${gid}`);
        if (got.status !== 200) throw new Error(`naive GET answered ${got.status}`);
        const group = JSON.parse(got.text) as Record<string, unknown> & { members?: Array<{ value: string; type?: string }> };
        const drop = new Set(remove);
        const members = (group.members ?? []).filter((m) => !drop.has(m.value)).map((m) => ({ value: m.value, ...(m.type ? { type: m.type } : {}) }));
        for (const id of add) members.push({ value: id });
        const { meta: _meta, ...rest } = group;
        const put = await raw.send('PUT', `Groups/${gid}`, JSON.stringify({ ...rest, members }));
        if (put.status !== 200) throw new Error(`naive PUT answered ${put.status}: ${put.text.slice(0, 200)}`);
        return 2;
      });
      const after = raw.bytes();
      return { requests, sent: after.sent - before.sent, received: after.received - before.received, ms: t };
    };

    for (let round = 0; round < REPEAT; round++) {
      for (const size of [SMALL, BIG]) {
        const gid = groups[size]!;
        const user = spare[round % spare.length]!;
        // the order of the three paths rotates each round, so none always runs on a warmer process
        const paths = ['PATCH', 'PATCH, group in answer', 'PUT', 'naive GET+PUT'];
        const order = paths.slice(round % paths.length).concat(paths.slice(0, round % paths.length));
        for (const path of order) {
          const via = path === 'PATCH' ? lean : client;
          const mode = path.startsWith('PATCH') ? 'patch' : 'put';
          const add = path === 'naive GET+PUT' ? await naive(gid, [user], []) : await viaClient(gid, mode, [user], [], via);
          if (!(await sb.call<boolean>('hasMember', gid, user))) throw new Error(`${path}: ${user} not added`);
          const rem = path === 'naive GET+PUT' ? await naive(gid, [], [user]) : await viaClient(gid, mode, [], [user], via);
          if (await sb.call<boolean>('hasMember', gid, user)) throw new Error(`${path}: ${user} not removed`);
          rowOf(size, path, 'add 1').samples.push(add);
          rowOf(size, path, 'remove 1').samples.push(rem);
        }
        const n = await sb.call<number>('memberCount', gid);
        if (n !== size) throw new Error(`group of ${size} now has ${n} members`);
      }
    }
    await raw.close();
    await client.close();
    await lean.close();

    const fig = (r: Row) => ({
      requests: median(r.samples.map((s) => s.requests)),
      sent: median(r.samples.map((s) => s.sent)),
      received: median(r.samples.map((s) => s.received)),
      ms: median(r.samples.map((s) => s.ms)),
    });
    table(rows.map((r) => {
      const f = fig(r);
      return { group: r.size.toLocaleString('en'), path: r.path, change: r.op, requests: f.requests, 'bytes sent': kb(f.sent), 'bytes received': kb(f.received), 'bytes total': kb(f.sent + f.received), 'wall (median)': ms(f.ms) };
    }));

    console.log('\nRatios (same run)');
    for (const op of ['add 1', 'remove 1']) {
      const p100 = fig(rowOf(SMALL, 'PATCH', op));
      const p50k = fig(rowOf(BIG, 'PATCH', op));
      const n50k = fig(rowOf(BIG, 'naive GET+PUT', op));
      const u50k = fig(rowOf(BIG, 'PUT', op));
      const tot = (f: typeof p100) => f.sent + f.received;
      const growth = tot(p50k) / tot(p100);
      goal(`PATCH ${op}: bytes at ${BIG.toLocaleString('en')} vs ${SMALL} within 10%`, Math.abs(growth - 1) <= 0.1, `${kb(tot(p50k))} / ${kb(tot(p100))} = ${growth.toFixed(3)}`);
      const below = tot(n50k) / tot(p50k);
      goal(`PATCH ${op}: bytes ≥ 100× below naive at ${BIG.toLocaleString('en')}`, below >= 100, `naive ${kb(tot(n50k))} / PATCH ${kb(tot(p50k))} = ${ratio(below)}`);
      console.log(`      PATCH ${op} wall at ${BIG.toLocaleString('en')}: naive / PATCH = ${ratio(n50k.ms / p50k.ms)}; PATCH 50,000 / PATCH 100 = ${ratio(p50k.ms / p100.ms)}`);
      const a50k = fig(rowOf(BIG, 'PATCH, group in answer', op));
      console.log(`      PATCH ${op} at ${BIG.toLocaleString('en')} with the default profile: ${kb(tot(a50k))}, of which the server's answer (the whole group) is most: the price of not sending excludedAttributes=members (see excludeMembersOnWrite)`);
      console.log(`      PUT path ${op} at ${BIG.toLocaleString('en')}: moved ${kb(tot(u50k))} in ${u50k.requests} requests (naive / PUT path bytes = ${ratio(tot(n50k) / tot(u50k))}, wall = ${ratio(n50k.ms / u50k.ms)})`);
    }
  } finally {
    await sb.stop();
  }
  await thirdParty();
  printGoals();
}

/** add 1 / remove 1 on each third-party server's biggest group, client default path; the group restored after each */
async function thirdParty(): Promise<void> {
  header('membership on third-party servers: add one / remove one member, writes: auto (group restored after each change)');
  const servers: Array<{ name: ServerName; size: number }> = [
    { name: 'scimmy', size: BIG },
    // at most 1,000 members a group; seeding goes through its own SCIM API at ~0.15 s a user, so 500
    { name: 'better-auth', size: Math.min(BIG, BETTER_AUTH_MAX_MEMBERS / 2) },
  ];
  const rows: Array<Record<string, string | number>> = [];
  for (const { name, size } of servers) {
    const s = await startChildServer(name, { users: size + 10, groups: 1, groupSize: 3, bigGroupMembers: size });
    try {
      console.log(`${s.implementation}: ${size.toLocaleString('en')}-member group seeded in ${ms(s.seedMs)} (pid ${s.pid})${s.limits.length ? `; limits: ${s.limits.join('; ')}` : ''}`);
      const gid = s.groups['big-group']!;
      const baseline = await s.call<string[]>('members', gid);
      if (baseline.length !== size) throw new Error(`${name}: big-group has ${baseline.length} members, not ${size}`);
      // the README's profile default timeout (30 s): SCIMMY answers slowly on a 50,000-member group
      const client = new ScimClient(sandboxProfile({ ...s, auth: s.auth }, { timeoutMs: 30_000 }), { trace: new Trace() });
      await client.discover().catch(() => undefined);
      const spare = s.userIds.slice(size, size + 10);
      const samples: Record<string, Array<Sample & { outcome: string }>> = { 'add 1': [], 'remove 1': [] };
      for (let round = 0; round < REPEAT; round++) {
        for (const op of ['add 1', 'remove 1'] as const) {
          const id = op === 'add 1' ? spare[round % spare.length]! : baseline[round]!;
          const change = op === 'add 1' ? { add: [id], remove: [] } : { add: [], remove: [id] };
          const t0 = performance.now();
          let sample: Sample & { outcome: string };
          const stats = () => ({ requests: client.pipeline.stats.requests, sent: client.pipeline.stats.bytesSent, received: client.pipeline.stats.bytesReceived });
          const before = stats();
          try {
            const rep = await client.changeMembers(gid, change, { mode: 'auto' });
            const after = await s.call<string[]>('members', gid);
            const set = new Set(after);
            const lost = baseline.filter((m) => !set.has(m) && m !== id).length;
            const right = op === 'add 1' ? set.has(id) : !set.has(id);
            sample = {
              requests: rep.requests, sent: rep.bytesSent, received: rep.bytesReceived, ms: performance.now() - t0,
              outcome: `${rep.mode.toUpperCase()} ${rep.verified ? 'verified' : 'not verified'}; ${right && !lost ? 'group right' : `${right ? '' : 'change not in effect, '}${lost.toLocaleString('en')} other members LOST`}`,
            };
          } catch (e) {
            const now = stats();
            const after = await s.call<string[]>('members', gid);
            const set = new Set(after);
            const lost = baseline.filter((m) => !set.has(m) && m !== id).length;
            sample = {
              requests: now.requests - before.requests, sent: now.sent - before.sent, received: now.received - before.received, ms: performance.now() - t0,
              outcome: `failed (${(e as Error).message.slice(0, 80)})${lost ? `; ${lost.toLocaleString('en')} other members LOST` : ''}`,
            };
          }
          samples[op]!.push(sample);
          await s.call('setMembers', gid, baseline);
        }
      }
      await client.close();
      for (const [op, list] of Object.entries(samples)) {
        rows.push({
          server: name, group: size.toLocaleString('en'), change: op,
          requests: median(list.map((x) => x.requests)), 'bytes sent': kb(median(list.map((x) => x.sent))), 'bytes received': kb(median(list.map((x) => x.received))),
          'bytes total': kb(median(list.map((x) => x.sent + x.received))), 'wall (median)': ms(median(list.map((x) => x.ms))),
          outcome: [...new Set(list.map((x) => x.outcome))].join(' | '),
        });
      }
    } finally {
      await s.stop();
    }
    table(rows.splice(0));
  }
  console.log(`better-auth: measured at ${(BETTER_AUTH_MAX_MEMBERS / 2).toLocaleString('en')} members; @better-auth/scim holds at most ${BETTER_AUTH_MAX_MEMBERS.toLocaleString('en')} in a group, not ${BIG.toLocaleString('en')}`);
}

function check(rep: MembershipReport, add: string[], remove: string[], mode: string): void {
  if (rep.mode !== mode) throw new Error(`asked ${mode}, the client used ${rep.mode}: ${rep.warnings.join('; ')}`);
  if (rep.added.length !== add.length || rep.removed.length !== remove.length || rep.missing.length) {
    throw new Error(`unexpected report: ${JSON.stringify(rep)}`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
