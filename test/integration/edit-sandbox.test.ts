// Editing a resource as a minimal PATCH (issue 14, point 1) against the sandbox behind its APIM-like gateway,
// over real sockets on 127.0.0.1: what goes on the wire (the PatchOp, If-Match), what the service holds after
// (read straight from it, not through the client under test), refusals that send nothing, conflicts that
// overwrite nothing (412 with ETags, a changed version without), PUT for a service without PATCH, members through
// the membership path. And the CLI: `scimx apply --dry-run`, `scimx apply`, `scimx edit` with $EDITOR.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { applyEdit, planEdit, readForEdit } from '../../src/core/edit/edit';
import type { Profile } from '../../src/core/profile';
import { ScimClient } from '../../src/core/scim/client';
import { Trace } from '../../src/core/trace';
import { sandboxProfile } from '../helpers/profile';
import { call, goodHeaders, PATCH_OP, startTestSandbox, type Sandbox } from '../helpers/sandbox';

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');

type Json = Record<string, unknown>;

describe('edit a resource, saved as a minimal PATCH (sandbox)', () => {
  let sb: Sandbox;
  let uid: string;
  let gid: string;
  let clients: ScimClient[] = [];
  const client = (over: Partial<Profile> = {}) => {
    const c = new ScimClient(sandboxProfile(sb, over), { trace: new Trace() });
    clients.push(c);
    return c;
  };
  /** The service's state, read with a plain request (not through the client under test). */
  const stored = async (path: string): Promise<Json> => {
    const res = await call(sb, 'GET', path);
    assert.equal(res.status, 200, `GET ${path}: ${res.text}`);
    return res.json() as Json;
  };
  /** Another writer, through the gateway. */
  const otherWriter = async (path: string, ops: unknown[], ifMatch?: string) => {
    const res = await call(sb, 'PATCH', path, { headers: goodHeaders(sb, ifMatch ? { 'if-match': ifMatch } : {}), body: { schemas: [PATCH_OP], Operations: ops } });
    assert.ok(res.status < 300, `the other writer's PATCH: ${res.status} ${res.text}`);
  };
  const writes = () => sb.received.filter((r) => r.method === 'PATCH' || r.method === 'PUT');

  before(async () => {
    sb = await startTestSandbox({ users: 12, groups: 2 });
    uid = sb.userIdByName('user0003')!;
    gid = sb.groupIdByName('group-01')!;
  });
  after(() => sb.stop());
  beforeEach(() => { sb.setFaults([]); sb.clearReceived(); });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    clients = [];
  });

  test('emails[type eq "work"].value and displayName: one PATCH of 2 operations, verified; the service has them', async () => {
    const c = client();
    const base = await readForEdit(c, 'Users', uid);
    const yours = structuredClone(base.resource) as Json;
    (yours.emails as Json[])[0]!.value = 'renamed@example.test';
    yours.displayName = 'User Three';
    const plan = await planEdit(c, base, yours);
    sb.clearReceived();
    const out = await applyEdit(c, plan);
    assert.equal(out.kind, 'applied');
    if (out.kind !== 'applied') return;
    assert.ok(out.verified, JSON.stringify(out));
    const sent = writes();
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.method, 'PATCH');
    assert.deepEqual(JSON.parse(sent[0]!.body), { schemas: [PATCH_OP], Operations: [
      { op: 'replace', path: 'displayName', value: 'User Three' },
      { op: 'replace', path: 'emails[type eq "work"].value', value: 'renamed@example.test' },
    ] });
    assert.equal(sent[0]!.rawHeaders.find(([k]) => k.toLowerCase() === 'if-match'), undefined, 'no ETags: no If-Match');
    const now = await stored(`/Users/${uid}`);
    assert.equal(now.displayName, 'User Three');
    assert.equal((now.emails as Json[])[0]!.value, 'renamed@example.test');
    assert.equal((now.name as Json).familyName, '0003', 'untouched attributes as they were');
  });

  test('a readOnly attribute is refused, named, and nothing is sent', async () => {
    const c = client();
    const base = await readForEdit(c, 'Users', uid);
    sb.clearReceived();
    await assert.rejects(planEdit(c, base, { ...base.resource, id: 'someone-else', displayName: 'x' }), /Nothing sent: the edit changes id \(readOnly\)/);
    assert.equal(writes().length, 0);
  });

  test('ETags: the PATCH carries If-Match; another writer in between → 412 → a conflict with the server\'s now, nothing overwritten', async () => {
    sb.setFaults(['etag']);
    const c = client();
    const base = await readForEdit(c, 'Users', uid);
    assert.match(base.etag ?? '', /^W\/"\d+"$/);
    const plan = await planEdit(c, base, { ...base.resource, title: 'Mine' });
    assert.equal(plan.ifMatch, base.etag);
    await otherWriter(`/Users/${uid}`, [{ op: 'replace', path: 'title', value: 'Theirs' }], base.etag);
    sb.clearReceived();
    const out = await applyEdit(c, plan);
    assert.equal(out.kind, 'conflict', JSON.stringify(out));
    if (out.kind !== 'conflict') return;
    assert.equal(out.reason, '412');
    assert.equal(out.server.title, 'Theirs');
    assert.equal(out.yours.title, 'Mine');
    assert.equal((out.base as Json).title, undefined);
    const patch = writes();
    assert.equal(patch.length, 1);
    assert.equal(patch[0]!.rawHeaders.find(([k]) => k.toLowerCase() === 'if-match')?.[1], base.etag);
    assert.equal((await stored(`/Users/${uid}`)).title, 'Theirs', 'not overwritten');

    // with the version read now, it goes through
    const again = await readForEdit(c, 'Users', uid);
    const ok = await applyEdit(c, await planEdit(c, again, { ...again.resource, title: 'Mine' }));
    assert.equal(ok.kind, 'applied');
    assert.ok(ok.kind === 'applied' && ok.verified && !ok.unconditional);
    assert.equal((await stored(`/Users/${uid}`)).title, 'Mine');
  });

  test('no ETags: a different version read right before the write → a conflict, and nothing is sent', async () => {
    const c = client();
    const base = await readForEdit(c, 'Users', uid);
    const plan = await planEdit(c, base, { ...base.resource, nickName: 'mine' });
    await new Promise((r) => setTimeout(r, 5));
    await otherWriter(`/Users/${uid}`, [{ op: 'replace', path: 'nickName', value: 'theirs' }]);
    sb.clearReceived();
    const out = await applyEdit(c, plan);
    assert.equal(out.kind, 'conflict');
    assert.ok(out.kind === 'conflict' && out.reason === 'changed' && out.server.nickName === 'theirs');
    assert.equal(writes().length, 0, 'nothing sent');
    assert.equal((await stored(`/Users/${uid}`)).nickName, 'theirs');
  });

  test('a group: displayName by PATCH, members added and removed through the membership path', async () => {
    const c = client();
    const base = await readForEdit(c, 'Groups', gid);
    const members = base.resource.members as Json[];
    assert.ok(members.length >= 2, 'read with its members');
    const removed = members[0]!.value as string;
    const added = sb.userIdByName('user0012')!;
    const yours = { ...base.resource, displayName: 'group-01-renamed', members: [...members.slice(1), { value: added }] };
    const plan = await planEdit(c, base, yours);
    assert.deepEqual(plan.diff.members, { add: [added], remove: [removed] });
    sb.clearReceived();
    const out = await applyEdit(c, plan);
    assert.ok(out.kind === 'applied' && out.verified && out.membership?.verified, JSON.stringify(out));
    const bodies = writes().map((r) => JSON.parse(r.body) as { Operations: Array<{ op: string; path: string }> });
    assert.ok(bodies.every((b) => b.Operations.every((o) => !(o.op === 'replace' && /^members/i.test(o.path)))), 'never a replace of members');
    assert.ok(bodies.some((b) => b.Operations.some((o) => o.op === 'remove' && o.path === `members[value eq "${removed}"]`)));
    const now = sb.members(gid);
    assert.ok(now.includes(added) && !now.includes(removed));
    assert.equal((await stored(`/Groups/${gid}?excludedAttributes=members`)).displayName, 'group-01-renamed');
    // put back
    const back = await readForEdit(c, 'Groups', gid);
    await applyEdit(c, await planEdit(c, back, { ...back.resource, displayName: 'group-01' }));
  });

  test('a service without PATCH: a PUT of the whole resource, readOnly attributes left out, verified', async () => {
    sb.setFaults(['no-patch']);
    const c = client();
    const base = await readForEdit(c, 'Users', uid);
    const plan = await planEdit(c, base, { ...base.resource, title: 'Put' });
    assert.equal(plan.method, 'put');
    sb.clearReceived();
    const out = await applyEdit(c, plan);
    assert.ok(out.kind === 'applied' && out.method === 'put' && out.verified, JSON.stringify(out));
    const sent = writes();
    assert.deepEqual(sent.map((r) => r.method), ['PUT']);
    const body = JSON.parse(sent[0]!.body) as Json;
    assert.equal(body.title, 'Put');
    assert.equal(body.meta, undefined);
    assert.equal(body.groups, undefined);
    assert.equal((await stored(`/Users/${uid}`)).title, 'Put');
  });

  describe('the CLI', () => {
    let dir: string;
    before(() => { dir = mkdtempSync(join(tmpdir(), 'scimx-edit-test-')); });
    after(() => rmSync(dir, { recursive: true, force: true }));
    const run = (args: string[], env: NodeJS.ProcessEnv = {}) => new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const config = join(dir, 'profiles.yaml');
      writeFileSync(config, sb.profileYaml('sandbox'));
      execFile(process.execPath, [cli, '--config', config, ...args], { env: { PATH: process.env.PATH, HOME: dir, SCIMX_STATE_DIR: join(dir, 'state'), SCIMX_CACHE_DIR: 'off', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
      });
    });

    test('apply --dry-run prints the PatchOp and sends nothing; apply sends it, verified', async () => {
      const file = join(dir, 'user.json');
      const current = await stored(`/Users/${uid}`);
      writeFileSync(file, JSON.stringify({ ...current, displayName: 'Dry Run', emails: [...(current.emails as Json[]), { value: 'home@example.test', type: 'home' }] }));
      sb.clearReceived();
      const dry = await run(['apply', 'Users', 'user0003', file, '--dry-run']);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stdout, /would send: PATCH Users\//);
      assert.match(dry.stdout, /"path": "displayName"/);
      assert.match(dry.stdout, /"op": "add",\s+"path": "emails"/);
      assert.match(dry.stdout, /dry run: nothing sent/);
      assert.equal(writes().length, 0);
      const real = await run(['apply', 'Users', 'user0003', file]);
      assert.equal(real.code, 0, real.stderr + real.stdout);
      assert.match(real.stdout, /PATCH 2 operation\(s\), verified/);
      assert.equal((await stored(`/Users/${uid}`)).displayName, 'Dry Run');
    });

    test('edit opens $EDITOR on the resource and sends what was changed', async () => {
      const script = join(dir, 'editor.js');
      writeFileSync(script, "const fs=require('fs');const f=process.argv[2];const r=JSON.parse(fs.readFileSync(f,'utf8'));r.title='Edited in EDITOR';fs.writeFileSync(f,JSON.stringify(r,null,2));\n");
      sb.clearReceived();
      const res = await run(['edit', 'Users', 'user0003'], { EDITOR: `${JSON.stringify(process.execPath)} ${JSON.stringify(script)}` });
      assert.equal(res.code, 0, res.stderr + res.stdout);
      assert.match(res.stdout, /"path": "title"/);
      assert.equal((await stored(`/Users/${uid}`)).title, 'Edited in EDITOR');
      const unchanged = await run(['edit', 'Users', 'user0003'], { EDITOR: 'true' });
      assert.equal(unchanged.code, 0, unchanged.stderr);
      assert.match(unchanged.stdout, /not changed in the editor; nothing sent/);
    });

    test('a readOnly attribute in the file: exit 2, named, nothing sent', async () => {
      const file = join(dir, 'bad.json');
      writeFileSync(file, JSON.stringify({ ...(await stored(`/Users/${uid}`)), meta: { version: 'x' } }));
      sb.clearReceived();
      const res = await run(['apply', 'Users', uid, file]);
      assert.equal(res.code, 2);
      assert.match(res.stderr, /meta \(readOnly\)/);
      assert.equal(writes().length, 0);
    });
  });
});

describe('a group\'s PUT (no PATCH) carries its members as read: only when nothing can be lost', () => {
  let sb: Sandbox;
  let c: ScimClient;
  before(async () => {
    sb = await startTestSandbox({ users: 130, groups: 1, bigGroupMembers: 120 });
  });
  after(async () => {
    await c?.close();
    await sb.stop();
  });

  test('a whole read, counted by the users filter: the PUT goes, members intact, verified', async () => {
    sb.setFaults(['no-patch']);
    c = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    const gid = sb.groupIdByName('group-01')!;
    const before = [...sb.members(gid)].sort();
    const base = await readForEdit(c, 'Groups', gid);
    sb.clearReceived();
    const out = await applyEdit(c, await planEdit(c, base, { ...base.resource, displayName: 'group-01-put' }));
    assert.ok(out.kind === 'applied' && out.method === 'put' && out.verified, JSON.stringify(out));
    const put = sb.received.filter((r) => r.method === 'PUT');
    assert.equal(put.length, 1);
    assert.deepEqual(((JSON.parse(put[0]!.body) as Json).members as Json[]).map((m) => m.value).sort(), before);
    assert.deepEqual([...sb.members(gid)].sort(), before);
    await c.close();
  });

  test('a capped group read with nothing to count it by: refused, nothing written, no member lost', async () => {
    sb.setFaults(['no-patch', 'capped-group-read']);
    c = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    const gid = sb.groupIdByName('big-group')!;
    const before = [...sb.members(gid)].sort();
    const base = await readForEdit(c, 'Groups', gid);
    assert.ok((base.resource.members as Json[]).length < before.length, 'the read is capped');
    sb.clearReceived();
    await assert.rejects(applyEdit(c, await planEdit(c, base, { ...base.resource, displayName: 'big-put' })), /Nothing sent: a PUT of group .* carries its 100 members as read, and nothing independent confirms that is all of them/);
    assert.equal(sb.received.filter((r) => r.method === 'PUT' || r.method === 'PATCH').length, 0);
    assert.deepEqual([...sb.members(gid)].sort(), before);
  });
});
