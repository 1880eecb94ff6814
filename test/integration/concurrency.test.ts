// Concurrent writers on one group (issue 5, item 2). The "other writer" acts at a chosen moment, between our
// read and our write, through the confirmPut callback (asked after the read, before the PUT): deterministic.
// With ETags (sandbox ['no-patch', 'etag']) our stale If-Match gets 412, we re-read and re-apply: no update of
// either writer is lost. Without ETags (['no-patch']) the PUT path must see the change and say so.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ScimClient } from '../../src/core/scim/client';
import type { MembershipReport } from '../../src/core/scim/types';
import { Trace } from '../../src/core/trace';
import { prng } from '../../src/sandbox/types';
import { sandboxProfile } from '../helpers/profile';
import { startTestSandbox, type Sandbox } from '../helpers/sandbox';

const ROUNDS = 50;
const CLI = join(process.cwd(), 'dist', 'cli.js');

/** Users of the sandbox, by id, read once through the client (names differ between seeds). */
async function allUsers(client: ScimClient): Promise<string[]> {
  const users = await client.listAll('Users', { attributes: ['userName'] });
  return users.map((u) => u.id);
}

function count412(sb: Sandbox): number {
  return sb.received.filter((r) => r.method === 'PUT' && r.status === 412).length;
}

function pick<T>(rnd: () => number, xs: T[]): T {
  return xs[Math.floor(rnd() * xs.length)]!;
}

describe('concurrent writers, PUT-only provider with ETags', () => {
  let sb: Sandbox;
  let users: string[];
  let groupId: string;
  before(async () => {
    sb = await startTestSandbox({ users: 40, groups: 2, faults: ['no-patch', 'etag'] });
    const c = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    users = await allUsers(c);
    groupId = (await c.listPage('Groups', {})).resources[0]!.id;
    await c.close();
  });
  after(() => sb?.stop());

  test(`${ROUNDS} rounds: the other writer (sandbox) changes the group between our read and our PUT; nothing is lost`, async () => {
    const rnd = prng(11);
    const client = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    const before412 = count412(sb);
    let lost = 0;
    let concurrent = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const members = new Set(sb.members(groupId));
      const outside = users.filter((u) => !members.has(u));
      const ours = { add: [pick(rnd, outside)], remove: [pick(rnd, [...members])] };
      const candidates = outside.filter((u) => u !== ours.add[0]);
      const theirAdd = pick(rnd, candidates);
      const theirRemove = pick(rnd, [...members].filter((u) => u !== ours.remove[0]));
      let hooked = 0;
      const report = await client.changeMembers(groupId, ours, {
        mode: 'put',
        confirmPut: async () => {
          hooked++;
          sb.addMemberDirect(groupId, theirAdd);
          if (round % 2 === 0) sb.removeMemberDirect(groupId, theirRemove);
          return true;
        },
      });
      assert.equal(hooked, 1, 'confirmPut is asked once per change');
      const now = new Set(sb.members(groupId));
      const expectations: Array<[string, boolean]> = [[ours.add[0]!, true], [ours.remove[0]!, false], [theirAdd, true]];
      if (round % 2 === 0) expectations.push([theirRemove, false]);
      for (const [id, present] of expectations) if (now.has(id) !== present) lost++;
      // members nobody touched are all still there
      for (const m of members) if (![ours.remove[0], theirRemove].includes(m)) assert.ok(now.has(m), `round ${round}: untouched member ${m} kept`);
      assert.deepEqual(report.missing, [], `round ${round}: ${report.warnings.join('; ')}`);
      assert.equal(report.concurrentChange, true, `round ${round}: the 412 is reported`);
      if (report.concurrentChange) concurrent++;
    }
    const n412 = count412(sb) - before412;
    console.log(`concurrency (ETag, sandbox writer): rounds ${ROUNDS}, 412s ${n412}, concurrent changes reported ${concurrent}, lost updates ${lost}`);
    assert.equal(lost, 0);
    assert.ok(n412 >= ROUNDS, 'every round met a 412');
    await client.close();
  });

  test(`${ROUNDS} rounds: a second ScimClient writes in between; neither loses an update`, async () => {
    const rnd = prng(12);
    const ours = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    const theirs = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    const before412 = count412(sb);
    let lost = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const members = new Set(sb.members(groupId));
      const outside = users.filter((u) => !members.has(u));
      const a = pick(rnd, outside);
      const b = pick(rnd, outside.filter((u) => u !== a));
      const r = pick(rnd, [...members]);
      const r2 = pick(rnd, [...members].filter((u) => u !== r));
      let theirReport: MembershipReport | undefined;
      const report = await ours.changeMembers(groupId, { add: [a], remove: [r] }, {
        mode: 'put',
        confirmPut: async () => {
          theirReport = await theirs.changeMembers(groupId, { add: [b], remove: [r2] }, { mode: 'put' });
          return true;
        },
      });
      const now = new Set(sb.members(groupId));
      for (const [id, want] of [[a, true], [b, true], [r, false], [r2, false]] as const) if (now.has(id) !== want) lost++;
      assert.deepEqual(theirReport?.added, [b]);
      assert.deepEqual(theirReport?.removed, [r2]);
      assert.deepEqual(report.added, [a]);
      assert.deepEqual(report.removed, [r]);
      assert.equal(report.concurrentChange, true);
    }
    const n412 = count412(sb) - before412;
    console.log(`concurrency (ETag, second client): rounds ${ROUNDS}, 412s ${n412}, lost updates ${lost}`);
    assert.equal(lost, 0);
    assert.ok(n412 >= ROUNDS);
    await ours.close();
    await theirs.close();
  });

  test('both writers at once, without a hook (real interleaving): every update of both lands', async () => {
    const rnd = prng(13);
    const a = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    const b = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    let lost = 0;
    for (let round = 0; round < 20; round++) {
      const members = [...sb.members(groupId)];
      const outside = users.filter((u) => !members.includes(u));
      const [x, y] = [pick(rnd, outside), pick(rnd, outside)];
      if (x === y) continue;
      const [rx, ry] = [members[0]!, members[1]!];
      const [ra, rb] = await Promise.allSettled([
        a.changeMembers(groupId, { add: [x], remove: [rx] }, { mode: 'put' }),
        b.changeMembers(groupId, { add: [y], remove: [ry] }, { mode: 'put' }),
      ]);
      assert.equal(ra.status, 'fulfilled', ra.status === 'rejected' ? String(ra.reason) : '');
      assert.equal(rb.status, 'fulfilled', rb.status === 'rejected' ? String(rb.reason) : '');
      const now = new Set(sb.members(groupId));
      for (const [id, want] of [[x, true], [y, true], [rx, false], [ry, false]] as const) if (now.has(id) !== want) lost++;
    }
    assert.equal(lost, 0);
    await a.close();
    await b.close();
  });

  test('a second OS process (scimx members add) writes between our read and our PUT; both updates land', { skip: !existsSync(CLI) && 'dist/cli.js not built' }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scimx-conc-'));
    const config = join(dir, 'scim-profiles.yaml');
    writeFileSync(config, sb.profileYaml('sandbox'));
    const client = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    const rnd = prng(14);
    let lost = 0;
    const before412 = count412(sb);
    const rounds = 5;
    try {
      for (let round = 0; round < rounds; round++) {
        const members = new Set(sb.members(groupId));
        const outside = users.filter((u) => !members.has(u));
        const ours = pick(rnd, outside);
        const theirs = pick(rnd, outside.filter((u) => u !== ours));
        const remove = pick(rnd, [...members]);
        let cli = { code: -1, out: '', err: '' };
        const report = await client.changeMembers(groupId, { add: [ours], remove: [remove] }, {
          mode: 'put',
          confirmPut: async () => {
            cli = await runCli(['--config', config, 'members', 'add', groupId, theirs, '--mode', 'put']);
            return true;
          },
        });
        assert.equal(cli.code, 0, `scimx: ${cli.out}${cli.err}`);
        const now = new Set(sb.members(groupId));
        for (const [id, want] of [[ours, true], [theirs, true], [remove, false]] as const) if (now.has(id) !== want) lost++;
        assert.equal(report.concurrentChange, true);
        assert.deepEqual(report.missing, []);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await client.close();
    }
    console.log(`concurrency (ETag, second process): rounds ${rounds}, 412s ${count412(sb) - before412}, lost updates ${lost}`);
    assert.equal(lost, 0);
  });
});

function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill(), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out, err });
    });
  });
}

describe('concurrent writers, PUT-only provider without ETags', () => {
  let sb: Sandbox;
  let users: string[];
  let groupId: string;
  before(async () => {
    sb = await startTestSandbox({ users: 30, groups: 2, faults: ['no-patch'] });
    const c = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    users = await allUsers(c);
    groupId = (await c.listPage('Groups', {})).resources[0]!.id;
    await c.close();
  });
  after(() => sb?.stop());

  test('a change made while the PUT waits for confirmation is seen, kept, and reported', async () => {
    const client = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    const members = sb.members(groupId);
    const outside = users.filter((u) => !members.includes(u));
    const [ours, theirs] = [outside[0]!, outside[1]!];
    const report = await client.changeMembers(groupId, { add: [ours], remove: [] }, {
      mode: 'put',
      confirmPut: async () => {
        sb.addMemberDirect(groupId, theirs);
        return true;
      },
    });
    const now = sb.members(groupId);
    assert.ok(now.includes(ours) && now.includes(theirs), 'both adds in effect');
    assert.equal(report.concurrentChange, true);
    assert.ok(report.warnings.some((w) => /changed while/.test(w)), report.warnings.join('; '));
    await client.close();
  });

  test('a change landing between our PUT and its verification is detected by the verification and reported', async () => {
    const client = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    const members = sb.members(groupId);
    const outside = users.filter((u) => !members.includes(u));
    const [ours, theirs] = [outside[0]!, outside[1]!];
    const gone = members[0]!;
    const report = await client.changeMembers(groupId, { add: [ours], remove: [] }, {
      mode: 'put',
      onProgress: (p) => {
        if (p.message === 'verifying') {
          sb.addMemberDirect(groupId, theirs);
          sb.removeMemberDirect(groupId, gone);
        }
      },
    });
    assert.equal(report.concurrentChange, true, 'not a plain success');
    assert.ok(report.warnings.some((w) => /changed around our PUT/.test(w) && /no ETags/.test(w)), report.warnings.join('; '));
    assert.deepEqual(report.added, [ours]);
    await client.close();
  });

  test('without any other writer the PUT path reports no concurrent change', async () => {
    const client = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    const members = sb.members(groupId);
    const outside = users.filter((u) => !members.includes(u));
    const report = await client.changeMembers(groupId, { add: [outside[3]!], remove: [members[1]!] }, { mode: 'put', confirmPut: async () => true });
    assert.equal(report.concurrentChange, false, report.warnings.join('; '));
    assert.deepEqual(report.missing, []);
    await client.close();
  });
});
