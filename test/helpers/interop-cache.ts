// The provider cache against a SCIM server we did not write, behind the APIM-like gateway, scimx in the test
// process with the cache in the Scimx's temporary directory: what it learns in one run (filters the server
// refuses) is not tried again in the next, and the warm run sends no discovery.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ReceivedRequest } from '../../src/sandbox/types';
import { fromFronted, outsiders, Scimx, type Target } from './interop';
import { ensureBuilt } from './interop-matrix';
import { startFronted, type FrontedServer, type ServerName } from './third-party/index';

const DISCOVERY = /\/(ServiceProviderConfig|ResourceTypes|Schemas)(\?|$)/;
const discoveryOf = (reqs: ReceivedRequest[]) => reqs.filter((r) => DISCOVERY.test(r.url));
const line = (reqs: ReceivedRequest[]) => reqs.map((r) => `${r.method} ${decodeURIComponent(r.url.replace(/^[^?]*\/scim[^/]*\/(v2\/)?/, ''))} ${r.status}`).join(' | ');

function cacheFile(x: Scimx): string {
  const files = readdirSync(x.cacheDir!).filter((f) => f.endsWith('.json'));
  assert.equal(files.length, 1);
  return join(x.cacheDir!, files[0]!);
}

export function providerCacheScenario(name: ServerName, label: string, warmRequests?: number): void {
  describe(`provider cache: ${label} (a server we did not write)`, () => {
    let f: FrontedServer;
    let t: Target;
    let x: Scimx;
    before(async () => {
      ensureBuilt();
      f = await startFronted(name, { users: 30, groups: 3, groupSize: 6 });
      t = fromFronted(f, name);
      x = new Scimx(t, { cache: true });
    });
    after(async () => {
      x?.close();
      await f?.stop();
    });

    test(`learnt quirks come back: a filter ${label} refused in one run is not sent in the next`, async () => {
      const gid = Object.values(t.groups)[0]!;
      const [a, b] = await outsiders(t, gid, 2);
      t.clearReceived();
      const cold = await x.run(['members', 'add', gid, a!]);
      assert.equal(cold.code, 0, cold.stderr);
      const coldReqs = [...t.received];
      const refused = coldReqs.filter((r) => r.status === 400 && /filter=/.test(r.url));
      const quirks = (JSON.parse(readFileSync(cacheFile(x), 'utf8')) as { quirks?: Record<string, unknown> }).quirks ?? {};
      assert.ok(Object.keys(quirks).length, `something was learnt: ${line(coldReqs)}`);
      t.clearReceived();
      const warm = await x.run(['members', 'add', gid, b!]);
      assert.equal(warm.code, 0, warm.stderr);
      const warmReqs = [...t.received];
      assert.deepEqual(discoveryOf(warmReqs), [], line(warmReqs));
      for (const r of refused) {
        const filter = new URL(r.url, 'http://x').searchParams.get('filter') ?? '';
        const shape = filter.replace(/"[^"]*"/g, '""');
        assert.ok(!warmReqs.some((w) => (new URL(w.url, 'http://x').searchParams.get('filter') ?? '').replace(/"[^"]*"/g, '""') === shape), `the refused filter (${shape}) is not sent again: ${line(warmReqs)}`);
      }
      assert.ok(!warmReqs.some((w) => w.status === 400), `nothing refused on the warm run: ${line(warmReqs)}`);
      if (warmRequests !== undefined) assert.equal(warmReqs.length, warmRequests, `warm: ${warmRequests} requests: ${line(warmReqs)}`);
      const members = await t.members(gid);
      assert.ok(members.includes(a!) && members.includes(b!));
      console.log(`cache | ${name} | members add 1 | cold ${coldReqs.length} requests (${line(coldReqs)}) | warm ${warmReqs.length} requests (${line(warmReqs)}) | quirks ${JSON.stringify(quirks)}`);
    });
  });
}
