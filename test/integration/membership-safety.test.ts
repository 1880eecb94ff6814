// The membership safety net, on real sockets against the sandbox's quirk modes (each modelled on a real
// server's bug): a server's 2xx is a claim, not a fact. After every write the change itself AND the members it
// did not name are checked; a loss stops the change with exit 1 naming every lost member; the journal lets
// `restore` put back exactly what was lost and `undo` reverse a change; a PUT goes out only when an independent
// count confirms the read; a server that ignores a removal is named as such; no write carries a projection; one
// Retry-After policy for every path; adding one member costs 3 requests on a warm profile.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ScimxError } from '../../src/core/errors';
import { FileJournal } from '../../src/core/journal';
import { membershipFailureReport } from '../../src/core/scim/membership';
import { ScimClient } from '../../src/core/scim/client';
import { Trace } from '../../src/core/trace';
import type { Profile } from '../../src/core/profile';
import { sandboxProfile } from '../helpers/profile';
import { startTestSandbox, type Sandbox } from '../helpers/sandbox';

const root = join(__dirname, '..', '..');

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(root, 'dist', 'cli.js'), ...args], { env: { ...process.env, SCIMX_CACHE_DIR: 'off', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c.toString(); });
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe('membership safety net (sandbox quirks)', () => {
  let sb: Sandbox;
  let dir: string;
  let users: string[];
  let gid: string;
  let profileFile: string;
  const env = (): Record<string, string> => ({ SCIMX_STATE_DIR: join(dir, 'state'), SCIM_TEST_KEY: sb.key, SCIM_TEST_PW: 'scim-test-password' });

  before(async () => {
    sb = await startTestSandbox({ users: 40, groups: 3 });
    dir = mkdtempSync(join(tmpdir(), 'scimx-safety-'));
    gid = sb.groupIdByName('group-01')!;
    const client = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    users = (await client.listAll('Users', { attributes: ['userName'] })).map((u) => u.id);
    await client.close();
    profileFile = join(dir, 'scim-profiles.yaml');
    writeFileSync(profileFile, [
      'profiles:',
      '  sb:',
      `    baseUrl: ${sb.gatewayUrl}`,
      '    auth: { type: basic, username: scim-test, password: "${env:SCIM_TEST_PW}" }',
      '    gateway: { subscriptionKey: "${env:SCIM_TEST_KEY}" }',
      '',
    ].join('\n'));
  });
  after(async () => {
    await sb?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The group holds exactly `ids` (direct, not through the client under test). */
  function setMembers(ids: string[]): void {
    for (const id of sb.members(gid)) if (!ids.includes(id)) sb.removeMemberDirect(gid, id);
    for (const id of ids) if (!sb.members(gid).includes(id)) sb.addMemberDirect(gid, id);
  }

  function client(overrides: Partial<Profile> = {}, journal?: FileJournal): ScimClient {
    return new ScimClient(sandboxProfile(sb, overrides), { trace: new Trace(), ...(journal ? { journal } : {}) });
  }

  test('a PATCH that silently drops other members: exit 1 naming every lost member, "restore" puts back exactly them (CLI)', async () => {
    const start = users.slice(0, 8);
    setMembers(start);
    sb.setFaults(['drops-members']);
    try {
      const add = users[20]!;
      const r = await cli(['--config', profileFile, 'members', 'add', gid, add], env());
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const now = sb.members(gid);
      const lost = start.filter((id) => !now.includes(id));
      assert.equal(lost.length, 2, 'the quirk dropped two members');
      assert.match(r.stderr, /The server answered 2xx to a PATCH that added 1 and removed 0 member\(s\).*2 other members are gone/);
      for (const id of lost) assert.ok(r.stderr.includes(id), `lost member ${id} named on stderr`);
      assert.match(r.stderr, /restore: scimx members restore --from \S+/);
      assert.doesNotMatch(r.stdout + r.stderr, /\bverified\b/);

      // the journal holds the change, with no secret
      const journalText = readFileSync(join(dir, 'state', 'membership-journal.jsonl'), 'utf8');
      assert.ok(!journalText.includes(sb.key) && !journalText.includes('scim-test-password'), 'no secret in the journal');
      const entry = JSON.parse(journalText.trim().split('\n').at(-1)!) as { outcome: string; lost: string[]; before: { members?: string[] } };
      assert.equal(entry.outcome, 'lost');
      assert.deepEqual(new Set(entry.lost), new Set(lost));
      assert.deepEqual(new Set(entry.before.members), new Set(start));

      sb.setFaults([]);
      const back = await cli(['--config', profileFile, 'members', 'restore'], env());
      assert.equal(back.code, 0, back.stdout + back.stderr);
      assert.match(back.stdout, /members restore of \S+ .*verified/);
      assert.deepEqual(new Set(sb.members(gid)), new Set([...start, add]));
      // nothing left to restore
      const again = await cli(['--config', profileFile, 'members', 'restore'], env());
      assert.equal(again.code, 2, again.stderr);
      assert.match(again.stderr, /No membership change of profile sb lost members that are not restored yet/);
    } finally {
      sb.setFaults([]);
    }
  });

  test('undo reverses the last change (CLI), and the journal lists both', async () => {
    const start = users.slice(0, 5);
    setMembers(start);
    const r = await cli(['--config', profileFile, 'members', 'remove', gid, start[0]!, start[1]!], env());
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /journal: \S+ \(scimx members undo --from \S+\)/);
    assert.deepEqual(new Set(sb.members(gid)), new Set(start.slice(2)));
    const u = await cli(['--config', profileFile, 'members', 'undo'], env());
    assert.equal(u.code, 0, u.stdout + u.stderr);
    assert.deepEqual(new Set(sb.members(gid)), new Set(start));
    const j = await cli(['--config', profileFile, '--json', 'members', 'journal'], env());
    assert.equal(j.code, 0, j.stderr);
    const doc = JSON.parse(j.stdout) as { entries: Array<{ kind: string; of?: string; id: string }> };
    assert.equal(doc.entries[0]!.kind, 'undo');
    assert.equal(doc.entries[0]!.of, doc.entries[1]!.id);
  });

  test('adding one member on a warm profile: 3 requests (read before with a sample, the PATCH, the read after); no projection on the write', async () => {
    setMembers(users.slice(0, 30));
    const c = client();
    try {
      await c.discover();
      sb.clearReceived();
      const report = await c.changeMembers(gid, { add: [users[35]!], remove: [] }, { mode: 'patch' });
      assert.equal(report.verified, true);
      assert.equal(report.collateral.method, 'full');
      assert.equal(report.collateral.checked, 30);
      assert.equal(report.requests, 3, sb.received.map((r) => `${r.method} ${r.url}`).join('\n'));
      const writes = sb.received.filter((r) => r.method === 'PATCH' || r.method === 'PUT');
      for (const w of writes) assert.doesNotMatch(w.url, /attributes=|excludedAttributes=/i, `${w.method} ${w.url}: no projection on a write`);
    } finally {
      await c.close();
    }
    // the opt-in for servers known to apply a projection to the answer only: the PATCH leaves members out
    const opted = client({ excludeMembersOnWrite: true });
    try {
      sb.clearReceived();
      const r = await opted.changeMembers(gid, { add: [], remove: [users[35]!] }, { mode: 'patch' });
      assert.equal(r.verified, true);
      const patch = sb.received.find((x) => x.method === 'PATCH')!;
      assert.match(patch.url, /excludedAttributes=members/);
    } finally {
      await opted.close();
    }
  });

  test('a big group (100 members): the sample (at least 20) is checked in the same request as the change; a loss among it is caught', async () => {
    const sb2 = await startTestSandbox({ users: 120, groups: 1 });
    const c = new ScimClient(sandboxProfile(sb2), { trace: new Trace() });
    try {
      const g = sb2.groupIdByName('group-01')!;
      const all = (await c.listAll('Users', { attributes: ['userName'] })).map((u) => u.id);
      for (const id of sb2.members(g)) sb2.removeMemberDirect(g, id);
      for (const id of all.slice(0, 100)) sb2.addMemberDirect(g, id);
      // a clean add first: verified by the sample, 4 requests cold (first read, id check, PATCH, check after)
      sb2.clearReceived();
      const ok = await c.changeMembers(g, { add: [all[110]!], remove: [] }, { mode: 'patch' });
      assert.equal(ok.verified, true);
      assert.equal(ok.collateral.method, 'sample');
      assert.ok(ok.collateral.checked >= 20, `sampled ${ok.collateral.checked}`);
      const after = sb2.received.filter((r) => r.method === 'GET').at(-1)!;
      assert.match(decodeURIComponent(after.url), new RegExp(`id eq "${all[110]}"`), 'the change and the sample in one request');
      // warm: the members seen are the next change's sample candidates: 3 requests
      sb2.clearReceived();
      const warm = await c.changeMembers(g, { add: [all[111]!], remove: [] }, { mode: 'patch' });
      assert.equal(warm.verified, true);
      assert.equal(warm.requests, 3, sb2.received.map((r) => `${r.method} ${decodeURIComponent(r.url)}`).join('\n'));
      sb2.setFaults(['drops-members']);
      await assert.rejects(c.changeMembers(g, { add: [all[112]!], remove: [] }, { mode: 'patch' }), (e: unknown) => {
        assert.ok(e instanceof ScimxError && e.code === 'lost', String(e));
        const report = membershipFailureReport(e)!;
        assert.ok(report.lost.length >= 1, 'the loss is caught by the sample');
        for (const id of report.lost) assert.ok(!sb2.members(g).includes(id), `${id} is really gone`);
        assert.equal(report.verified, false);
        assert.match(e.message, /other members checked (is|are) gone/);
        return true;
      });
    } finally {
      await c.close();
      await sb2.stop();
    }
  });

  test('PUT from a capped group read (last 100 of 150, no filter, no totalResults): refused, nothing written, the risk named', async () => {
    const sb2 = await startTestSandbox({ users: 160, groups: 1, faults: ['capped-group-read', 'no-patch'] });
    const c = new ScimClient(sandboxProfile(sb2), { trace: new Trace() });
    try {
      const g = sb2.groupIdByName('group-01')!;
      const all = (await c.listAll('Users', { attributes: ['userName'] })).map((u) => u.id);
      for (const id of all.slice(0, 150)) sb2.addMemberDirect(g, id);
      const before = sb2.members(g);
      sb2.clearReceived();
      await assert.rejects(c.changeMembers(g, { add: [all[155]!], remove: [] }), (e: unknown) => {
        assert.ok(e instanceof ScimxError && e.code === 'unsupported', String(e));
        assert.match(e.message, /the read returned 100 members and nothing independent confirms that is all of them.*Nothing was written/);
        return true;
      });
      assert.deepEqual(sb2.received.filter((r) => r.method !== 'GET').map((r) => r.method), []);
      assert.deepEqual(new Set(sb2.members(g)), new Set(before), 'no member lost');
    } finally {
      await c.close();
      await sb2.stop();
    }
  });

  test('a PUT the server accepts but that keeps the removed member: named as the server ignoring the removal, not "someone else"; nothing re-sent', async () => {
    setMembers(users.slice(0, 6));
    sb.setFaults(['put-keeps-members']);
    const c = client();
    try {
      sb.clearReceived();
      const report = await c.changeMembers(gid, { add: [], remove: [users[0]!] }, { mode: 'put' });
      assert.deepEqual(report.missing, [users[0]]);
      assert.equal(report.verified, false);
      assert.equal(report.concurrentChange, false);
      assert.ok(report.warnings.some((w) => /the server accepted the PUT but kept the member .*it may not support removing members this way; try writes: patch/.test(w)), report.warnings.join('\n'));
      assert.ok(!report.warnings.some((w) => /someone else/.test(w)), report.warnings.join('\n'));
      assert.equal(sb.received.filter((r) => r.method === 'PUT').length, 1, 'sent once');
      assert.deepEqual(new Set(sb.members(gid)), new Set(users.slice(0, 6)));
    } finally {
      sb.setFaults([]);
      await c.close();
    }
  });

  test('filtered checks that answer 500: one fallback to reading the group, remembered; the change is exact and verified', async () => {
    setMembers(users.slice(0, 6));
    sb.setFaults(['filter-500']);
    const c = client();
    try {
      sb.clearReceived();
      const r1 = await c.changeMembers(gid, { add: [users[10]!], remove: [] }, { mode: 'patch' });
      assert.deepEqual([r1.added, r1.missing, r1.verified], [[users[10]], [], true]);
      const failed = sb.received.filter((r) => r.status === 500);
      assert.equal(failed.length, 1, `one failing filtered read: ${failed.map((r) => r.url).join(', ')}`);
      sb.clearReceived();
      const r2 = await c.changeMembers(gid, { add: [], remove: [users[10]!] }, { mode: 'patch' });
      assert.deepEqual([r2.removed, r2.verified], [[users[10]], true]);
      assert.equal(sb.received.filter((r) => r.status === 500).length, 0, 'the fallback is remembered');
    } finally {
      sb.setFaults([]);
      await c.close();
    }
  });

  test('a membership PATCH answered 429 with a 10-year Retry-After fails at once, like a GET; nothing re-sent', async () => {
    setMembers(users.slice(0, 4));
    const c = client();
    try {
      await c.discover();
      sb.setFaults([], { retryAfterSeconds: 315_360_000 });
      sb.scriptFault('PATCH', '429');
      sb.clearReceived();
      const t0 = Date.now();
      await assert.rejects(c.changeMembers(gid, { add: [users[12]!], remove: [] }, { mode: 'patch' }), (e: unknown) => {
        assert.ok(e instanceof ScimxError, String(e));
        assert.match(e.message, /asked to wait \d+ min \(Retry-After: 315360000\), longer than the 60 s limit, so nothing more was sent/);
        return true;
      });
      assert.ok(Date.now() - t0 < 5_000, `failed at once (${Date.now() - t0} ms)`);
      assert.equal(sb.received.filter((r) => r.method === 'PATCH').length, 1);
    } finally {
      sb.setFaults([]);
      await c.close();
    }
  });

  test('restore and undo through the core client, journal bounded, entries of another profile ignored', async () => {
    const journal = new FileJournal(join(dir, 'core-journal'), { maxEntries: 3, maxBytes: 1_000_000 });
    setMembers(users.slice(0, 4));
    const c = client({}, journal);
    try {
      for (const id of users.slice(20, 24)) await c.changeMembers(gid, { add: [id], remove: [] }, { mode: 'patch' });
      assert.equal(journal.entries().length, 3, 'bounded to the newest 3');
      const u = await c.undoChange();
      assert.deepEqual(u.removed, [users[23]]);
      assert.equal(u.entry.asked.add[0], users[23]);
      const other = new ScimClient({ ...sandboxProfile(sb), name: 'other' }, { trace: new Trace(), journal });
      await assert.rejects(other.undoChange(), /No membership change of profile other to undo/);
      await other.close();
    } finally {
      await c.close();
    }
  });
});
