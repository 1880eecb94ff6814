// test-isolation: own process (SCIMMY's resource registry is process-wide: its server and the sandbox cannot share one)
// `scimx send` against SCIMMY (scimmy 1.3.5 + scimmy-routers, third party) behind the APIM-like gateway: every
// block through the profile's key and auth, a raw members PATCH verified. Its own file: SCIMMY's registry is
// process-wide and cannot share a process with the sandbox.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertKeyOnEveryRequest, fromFronted, Scimx, type Target } from '../helpers/interop';
import { ensureBuilt } from '../helpers/interop-matrix';
import { startFronted, type FrontedServer } from '../helpers/third-party/index';

const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('scimx send: SCIMMY (third party)', () => {
  let f: FrontedServer;
  let t: Target;
  let x: Scimx;
  let dir: string;
  before(async () => {
    ensureBuilt();
    f = await startFronted('scimmy', { users: 12, groups: 2, groupSize: 4 });
    t = fromFronted(f, 'scimmy');
    x = new Scimx(t);
    dir = mkdtempSync(join(tmpdir(), 'scimx-send-scimmy-'));
  });
  after(async () => {
    x?.close();
    rmSync(dir, { recursive: true, force: true });
    await f?.stop();
  });

  for (const sendAs of ['header', 'query'] as const) {
    test(`a file of reads and raw members PATCHes, key as ${sendAs}: every request with the profile's key and auth, the group verified`, async () => {
      const gid = t.groups['group-01']!;
      const before = await t.members(gid);
      const uid = t.userIds.find((id) => !before.includes(id))!;
      const file = join(dir, `requests-${sendAs}.scim`);
      writeFileSync(file, [
        '### users', 'GET Users?count=3', 'Authorization: Bearer not-mine-0123456789', '',
        '### add', `PATCH Groups/${gid}`, '', JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: uid }] }] }), '',
        '### remove', `PATCH Groups/${gid}`, '', JSON.stringify({ schemas: [PATCH_OP], Operations: [{ op: 'remove', path: `members[value eq "${uid}"]` }] }), '',
      ].join('\n'));
      t.clearReceived();
      const res = await x.run(['send', file], sendAs);
      assert.equal(res.code, 0, `${res.stdout}\n${res.stderr}`);
      assert.equal(res.stdout.match(/^HTTP 2\d\d /gm)?.length, 3, res.stdout);
      assert.match(res.stdout, /members of group .*: verified; added /);
      assert.match(res.stdout, /members of group .*: verified; removed /);
      assertKeyOnEveryRequest(t, sendAs);
      const auth = t.auth.type === 'bearer' ? `Bearer ${t.auth.token}` : undefined;
      for (const r of t.received) {
        const got = r.rawHeaders.filter(([k]) => k.toLowerCase() === 'authorization').map(([, v]) => v);
        assert.deepEqual(got, auth ? [auth] : [], `${r.method} ${r.url}: the profile's auth only`);
      }
      assert.deepEqual((await t.members(gid)).sort(), [...before].sort());
    });
  }
});
