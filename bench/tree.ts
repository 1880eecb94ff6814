// Benchmark 4: the tree on a 50,000-member group. Time and bytes to the first page of members
// (ScimClient.membersPage, what expanding the group's Members node does) against opening the full group (one
// GET with members). Then memory after paging through all members while only a bounded window is displayed.
import { ScimClient } from '../src/core/scim/client';
import type { Member } from '../src/core/scim/types';
import { Trace } from '../src/core/trace';
import { gc, goal, header, kb, mb, median, ms, printGoals, ratio, REPEAT, startChildSandbox, table, timed } from './lib';

const BIG = 50_000;
const PAGE = 100; // the profile's default page size: one "Load more" of the tree
const WINDOW = 500; // members the tree keeps displayed
const SWEEP_PAGE = 1000; // page size of the memory sweep (the server's cap), to keep the run short

async function main(): Promise<void> {
  header(`tree: members of a ${BIG.toLocaleString('en')}-member group`);
  const sb = await startChildSandbox({ users: BIG, groups: 0, bigGroupMembers: BIG, seed: 1 });
  try {
    const gid = await sb.call<string>('groupIdByName', 'big-group');
    const fresh = async (): Promise<ScimClient> => {
      const c = new ScimClient(sb.profile({ pageSize: PAGE }), { trace: new Trace() });
      await c.discover(); // done when the profile node was expanded: not part of opening the group
      return c;
    };
    const first: Array<{ ms: number; bytes: number; requests: number; n: number; total: number }> = [];
    const full: Array<{ ms: number; bytes: number; requests: number; n: number }> = [];
    for (let round = 0; round < REPEAT + 1; round++) {
      const runs = [
        async () => {
          const c = await fresh();
          const s0 = { ...c.pipeline.stats };
          const { ms: t, value: page } = await timed(() => c.membersPage(gid, { startIndex: 1, count: PAGE }));
          const s = c.pipeline.stats;
          if (round > 0) first.push({ ms: t, bytes: s.bytesSent - s0.bytesSent + s.bytesReceived - s0.bytesReceived, requests: s.requests - s0.requests, n: page.resources.length, total: page.totalResults ?? -1 });
          await c.close();
        },
        async () => {
          const c = await fresh();
          const s0 = { ...c.pipeline.stats };
          const { ms: t, value: g } = await timed(() => c.get('Groups', gid, { members: true }));
          const s = c.pipeline.stats;
          if (round > 0) full.push({ ms: t, bytes: s.bytesSent - s0.bytesSent + s.bytesReceived - s0.bytesReceived, requests: s.requests - s0.requests, n: (g.members as unknown[]).length });
          await c.close();
        },
      ];
      if (round % 2) runs.reverse();
      for (const r of runs) {
        gc();
        await r();
      }
    }
    const f = { ms: median(first.map((x) => x.ms)), bytes: median(first.map((x) => x.bytes)) };
    const g = { ms: median(full.map((x) => x.ms)), bytes: median(full.map((x) => x.bytes)) };
    table([
      { open: `first page of members (membersPage, ${PAGE})`, requests: first[0]!.requests, members: `${first[0]!.n} of ${first[0]!.total}`, bytes: kb(f.bytes), 'wall (median)': ms(f.ms) },
      { open: 'the full group (GET with members)', requests: full[0]!.requests, members: full[0]!.n, bytes: kb(g.bytes), 'wall (median)': ms(g.ms) },
    ]);
    goal('first page of members vs full group: faster', g.ms / f.ms > 1, `full / first page wall = ${ratio(g.ms / f.ms)}`);
    goal('first page of members vs full group: fewer bytes', g.bytes / f.bytes > 1, `full / first page bytes = ${ratio(g.bytes / f.bytes)}`);

    // ---- memory: page through every member, display a bounded window -----------------------------------
    console.log(`\nPaging through all ${BIG.toLocaleString('en')} members, ${SWEEP_PAGE} a page, ${WINDOW} displayed (trace on, default caps)`);
    const memRows: Array<Record<string, string | number>> = [];
    for (const keepAll of [false, true]) {
      const c = await fresh();
      gc();
      const base = process.memoryUsage().heapUsed;
      let displayed: Member[] = [];
      let start = 1;
      let pages = 0;
      let peak = 0;
      const { ms: t } = await timed(async () => {
        for (;;) {
          const p = await c.membersPage(gid, { startIndex: start, count: SWEEP_PAGE });
          pages++;
          displayed = keepAll ? displayed.concat(p.resources) : displayed.concat(p.resources).slice(-WINDOW);
          if (pages % 5 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed - base);
          if (!p.next?.startIndex) break;
          start = p.next.startIndex;
        }
      });
      gc();
      const after = process.memoryUsage().heapUsed - base;
      const exchanges = c.trace.size;
      memRows.push({ displayed: keepAll ? `all (${displayed.length})` : `window of ${displayed.length}`, pages, 'trace exchanges': exchanges, 'bytes received': mb(c.pipeline.stats.bytesReceived), wall: ms(t), 'heap after GC (delta)': mb(after), 'heap peak (sampled)': mb(peak) });
      (globalThis as { keep?: unknown }).keep = [displayed, c.trace];
      await c.close();
    }
    table(memRows);
    console.log('The windowed heap is the trace (one exchange per page, bodies capped) plus the window; it does not hold the 50,000 members.');
  } finally {
    await sb.stop();
  }
  printGoals();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
