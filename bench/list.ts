// Benchmark 2: list 100,000 users through the gateway with tracing on (ScimClient.listAll), sequentially and
// with bounded parallel index paging, against the floor: a minimal raw-undici loop that fetches the same pages
// with the same headers, one after the other, and parses each. Wall-time ratios side by side in this run;
// the client's peak memory; what the trace keeps (bodies capped) against the data size.
import { readFileSync } from 'node:fs';
import { ScimClient } from '../src/core/scim/client';
import { Trace } from '../src/core/trace';
import { gc, goal, header, mb, median, ms, printGoals, RawClient, REPEAT, startChildSandbox, table, timed, withMemory } from './lib';

/** Listings are ~2-3 s each and noisy: more rounds than the other benches (BENCH_LIST_REPEAT). */
const ROUNDS = Math.max(1, Number(process.env.BENCH_LIST_REPEAT ?? Math.max(REPEAT, 5)));

const USERS = 100_000;
const PAGE = 1000; // the sandbox's default cap on count
const CONCURRENCY = 4; // the profile default

async function main(): Promise<void> {
  header(`list: ${USERS.toLocaleString('en')} users, page size ${PAGE}, trace on`, ROUNDS);
  const sb = await startChildSandbox({ users: USERS, groups: 0, seed: 1 });
  try {
    console.log(`sandbox: ${USERS} users (seeded in ${sb.seedMs} ms, pid ${sb.pid})`);
    const pages = Math.ceil(USERS / PAGE);

    // the floor: same pages, same headers, one after the other, each body parsed and its users kept (what
    // listAll returns), nothing else: no trace, no masking, no checks
    const floor = async (): Promise<{ n: number; bytes: number }> => {
      const raw = new RawClient(sb, sb.profile());
      const out: unknown[] = [];
      for (let s = 1; s <= USERS; s += PAGE) {
        const r = await raw.send('GET', `Users?count=${PAGE}&startIndex=${s}`);
        if (r.status !== 200) throw new Error(`floor: ${r.status}`);
        out.push(...(JSON.parse(r.text) as { Resources: unknown[] }).Resources);
      }
      const bytes = raw.bytes().received;
      await raw.close();
      return { n: out.length, bytes };
    };
    const viaClient = async (concurrency: number): Promise<{ n: number; bytes: number; trace: Trace; firstUrl: string; peakRss: number; peakHeap: number }> => {
      const trace = new Trace();
      const client = new ScimClient(sb.profile({ pageSize: PAGE, concurrency }), { trace });
      const m = await withMemory(() => client.listAll('Users', { count: PAGE }));
      const bytes = client.pipeline.stats.bytesReceived;
      await client.close();
      const ex = trace.operations().flatMap((o) => o.exchanges).find((e) => e.request.url.includes('/Users?'));
      return { n: m.value.length, bytes, trace, firstUrl: ex?.request.url ?? '', peakRss: m.peakRss, peakHeap: m.peakHeap };
    };

    // warm-up (JIT, sockets, the sandbox's caches), not counted
    await floor();
    const first = await viaClient(1);
    const wantPath = `/Users?count=${PAGE}&startIndex=1`;
    if (!first.firstUrl.endsWith(wantPath)) throw new Error(`the client asked ${first.firstUrl}, the floor asks …${wantPath}`);

    const t: Record<string, number[]> = { floor: [], seq: [], par: [] };
    // CPU of this process (the client's side: the sandbox runs in its own), which the host's load hardly changes
    const cpu: Record<string, number[]> = { floor: [], seq: [], par: [] };
    const stealAtStart = stealSeconds();
    let rss = 0;
    let heap = 0;
    const bytes = { floor: 0, client: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const runs: Array<[keyof typeof t, () => Promise<unknown>]> = [
        ['floor', async () => { const r = await floor(); bytes.floor = r.bytes; check(r.n); }],
        ['seq', async () => { const r = await viaClient(1); check(r.n); bytes.client = r.bytes; rss = Math.max(rss, r.peakRss); heap = Math.max(heap, r.peakHeap); }],
        ['par', async () => { const r = await viaClient(CONCURRENCY); check(r.n); rss = Math.max(rss, r.peakRss); heap = Math.max(heap, r.peakHeap); }],
      ];
      const order = runs.slice(round % 3).concat(runs.slice(0, round % 3));
      for (const [name, fn] of order) {
        gc();
        const before = process.cpuUsage();
        t[name]!.push((await timed(fn)).ms);
        const used = process.cpuUsage(before);
        cpu[name]!.push((used.user + used.system) / 1000);
      }
    }
    const f = median(t.floor!);
    const s = median(t.seq!);
    const p = median(t.par!);
    table([
      { run: `raw undici loop, sequential (floor)`, pages, 'wall (median)': ms(f), 'vs floor': '1.00', 'bytes received': mb(bytes.floor) },
      { run: `ScimClient.listAll, concurrency 1, trace on`, pages, 'wall (median)': ms(s), 'vs floor': (s / f).toFixed(3), 'bytes received': mb(bytes.client) },
      { run: `ScimClient.listAll, concurrency ${CONCURRENCY}, trace on`, pages, 'wall (median)': ms(p), 'vs floor': (p / f).toFixed(3), 'bytes received': '' },
    ]);
    console.log(`all runs (ms): floor ${t.floor!.map((x) => x.toFixed(0)).join(', ')}; seq ${t.seq!.map((x) => x.toFixed(0)).join(', ')}; par ${t.par!.map((x) => x.toFixed(0)).join(', ')}`);
    console.log(`client peak while listing (all rounds): rss ${mb(rss)}, heapUsed ${mb(heap)} (listAll returns all ${USERS.toLocaleString('en')} users, so the result itself is in that figure)`);
    // each round runs the three one after the other, so a round's ratio compares runs made under the same load: on a
    // host that lends this machine's CPUs to others (steal), it varies less than the ratio of the medians
    const paired = median(t.seq!.map((x, i) => x / t.floor![i]!));
    const steal = stealSeconds();
    console.log(`the same, round by round: median of (client / floor) in each round = ${paired.toFixed(3)}`
      + (steal !== undefined && stealAtStart !== undefined ? `; CPU time stolen by the host during these rounds: ${(steal - stealAtStart).toFixed(1)} s` : ''));
    console.log(`CPU of the client's side per run (median): floor ${ms(median(cpu.floor!))}, concurrency 1 ${ms(median(cpu.seq!))}, concurrency ${CONCURRENCY} ${ms(median(cpu.par!))}: ${((median(cpu.seq!) - median(cpu.floor!)) / pages).toFixed(2)} ms a page more than the floor`);
    goal('listing, sequential, vs raw loop ≤ 1.10', s / f <= 1.1, `${ms(s)} / ${ms(f)} = ${(s / f).toFixed(3)}`);
    goal(`listing, concurrency ${CONCURRENCY}, beats raw sequential loop (< 1)`, p / f < 1, `${ms(p)} / ${ms(f)} = ${(p / f).toFixed(3)}`);

    // ---- memory: what the trace keeps does not grow with the tenant -----------------------------------
    console.log('\nMemory of the trace (pages streamed and dropped, trace kept, after GC)');
    const rows: Array<Record<string, string | number>> = [];
    for (const n of [10, pages]) {
      gc();
      const base = process.memoryUsage().heapUsed;
      const trace = new Trace();
      const client = new ScimClient(sb.profile({ pageSize: PAGE, concurrency: CONCURRENCY }), { trace });
      let users = 0;
      await client.run('List users (streamed)', undefined, async (call) => {
        let k = 0;
        for await (const page of client.pages(call, 'Users', { count: PAGE })) {
          users += page.resources.length;
          if (++k >= n) break;
        }
      });
      const data = client.pipeline.stats.bytesReceived;
      await client.close();
      gc();
      const kept = process.memoryUsage().heapUsed - base;
      const exchanges = trace.operations().flatMap((o) => o.exchanges);
      const bodyChars = exchanges.reduce((a, e) => a + (e.response?.body?.length ?? 0) + (e.request.body?.length ?? 0), 0);
      rows.push({ pages: n, users, exchanges: exchanges.length, 'data received': mb(data), 'trace bodies (capped)': mb(bodyChars), 'heap kept by trace': mb(kept), 'kept / data': (kept / data).toFixed(3) });
      (globalThis as { keep?: unknown }).keep = trace; // hold it across the GC above
    }
    table(rows);
    const [a, b] = rows as Array<{ 'heap kept by trace': string }>;
    const ka = parseFloat(a!['heap kept by trace']);
    const kb_ = parseFloat(b!['heap kept by trace']);
    console.log(`trace heap at ${pages} pages / at 10 pages = ${(kb_ / ka).toFixed(2)} (data grew ${(pages / 10).toFixed(0)}×; per exchange the trace keeps at most ${mb(new Trace().bodyCap)} of body text)`);
  } finally {
    await sb.stop();
  }
  printGoals();
}

/** CPU time the hypervisor gave to others (Linux /proc/stat `steal`, all CPUs), in seconds; undefined elsewhere. */
function stealSeconds(): number | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
    return Number(cpu[8]) / 100; // USER_HZ: 100 on Linux
  } catch {
    return undefined;
  }
}

function check(n: number): void {
  if (n !== USERS) throw new Error(`listed ${n} users, expected ${USERS}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
