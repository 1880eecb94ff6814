// Create, delete and the connector check (issue 14, points 2 and 4) against the sandbox behind its APIM-like
// gateway, on real sockets: the core (src/core/scim/lifecycle.ts, compat.ts) and `scimx` in process (run()).
// Every write is judged by re-reading the server's state; every scratch resource of the connector check is gone
// afterwards, also after a failing step, a gateway that refuses PATCH, a server that wipes a group, and a cancel.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ScimClient } from '../../src/core/scim/client';
import { runCompat, type CompatReport } from '../../src/core/scim/compat';
import { createResource, deleteResource } from '../../src/core/scim/lifecycle';
import { Trace } from '../../src/core/trace';
import { run } from '../../src/cli/run';
import { sandboxProfile } from '../helpers/profile';
import { call, startTestSandbox, type Sandbox } from '../helpers/sandbox';

let sb: Sandbox;
let dir: string;
let configFile: string;

before(async () => {
  sb = await startTestSandbox({ users: 10, groups: 2 });
  dir = mkdtempSync(join(tmpdir(), 'scimx-create-'));
  configFile = join(dir, 'scim-profiles.yaml');
  writeFileSync(configFile, [
    'profiles:', '  sb:', `    baseUrl: ${sb.gatewayUrl}`,
    '    auth: { type: basic, username: scim-test, password: "${env:SB_PW}" }',
    '    gateway: { subscriptionKey: "${env:SB_KEY}" }', '',
  ].join('\n'));
});
after(async () => {
  await sb.stop();
  rmSync(dir, { recursive: true, force: true });
});

function client(): ScimClient {
  return new ScimClient(sandboxProfile(sb), { trace: new Trace() });
}

async function cli(args: string[], opts: { confirm?: (q: string) => Promise<boolean>; signal?: AbortSignal } = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await run(['--config', configFile, ...args], {
    stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, cwd: dir,
    env: { SB_PW: 'scim-test-password', SB_KEY: sb.key, SCIMX_STATE_DIR: join(dir, 'state') },
    ...(opts.confirm ? { confirm: opts.confirm } : {}), ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return { code, out, err };
}

/** Scratch resources still in the sandbox, read through the gateway with a plain client (not the one under test). */
async function scratchLeft(prefix = 'scimx-compat-'): Promise<string[]> {
  const u = await call(sb, 'GET', `/Users?filter=${encodeURIComponent(`userName sw "${prefix}"`)}&count=200`);
  const g = await call(sb, 'GET', `/Groups?filter=${encodeURIComponent(`displayName sw "${prefix}"`)}&count=200&excludedAttributes=members`);
  const names = (a: { json(): unknown }, k: string) => ((a.json() as { Resources?: Array<Record<string, string>> }).Resources ?? []).map((r) => r[k]!);
  return [...names(u, 'userName'), ...names(g, 'displayName')];
}

describe('create and delete', () => {
  test('core: a created user is read back and compared; a deleted one answers 404', async () => {
    const c = client();
    await c.discover(); // warm, as every face is: the create is then its POST and its read back
    const r = await createResource(c, 'Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'created-1', displayName: 'Created One', active: true });
    assert.equal(r.verified, true, `differences: ${r.differences.join('; ')} ${r.notVerified ?? ''}`);
    assert.equal(sb.userIdByName('created-1'), r.resource.id);
    const ops = c.trace.operations();
    assert.deepEqual(ops.at(-1)!.exchanges.map((x) => x.request.method), ['POST', 'GET'], 'the POST and the read back, in the trace');
    const d = await deleteResource(c, 'Users', r.resource.id);
    assert.equal(d.verified, true);
    assert.equal(d.readBack, 'GET answered 404');
    assert.equal(sb.userIdByName('created-1'), undefined);
    const again = await deleteResource(c, 'Users', r.resource.id);
    assert.equal(again.status, 404, 'already gone');
    assert.equal(again.verified, true);
    await c.close();
  });

  test('core: a group with members is compared with its members', async () => {
    const c = client();
    const member = sb.userIdByName('user0001')!;
    const r = await createResource(c, 'Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'created-group', members: [{ value: member }] });
    assert.equal(r.verified, true, r.differences.join('; '));
    assert.deepEqual(sb.members(r.resource.id), [member]);
    assert.equal((await deleteResource(c, 'Groups', r.resource.id)).verified, true);
    assert.equal(sb.groupIdByName('created-group'), undefined);
    await c.close();
  });

  test('scimx create: --template from /Schemas, required attributes checked before sending, the result read back', async () => {
    const t = await cli(['create', 'Users', '--template']);
    assert.equal(t.code, 0, t.err);
    const template = JSON.parse(t.out) as Record<string, unknown>;
    assert.equal(template.userName, '');
    assert.deepEqual(template.schemas, ['urn:ietf:params:scim:schemas:core:2.0:User']);
    writeFileSync(join(dir, 'empty.json'), JSON.stringify(template));
    sb.clearReceived();
    const refused = await cli(['create', 'Users', 'empty.json']);
    assert.equal(refused.code, 2, refused.err);
    assert.match(refused.err, /required attribute empty: userName .*nothing was sent/);
    assert.ok(!sb.received.some((x) => x.method === 'POST'), 'no POST went out');
    writeFileSync(join(dir, 'u.json'), JSON.stringify({ ...template, userName: 'cli-created', displayName: 'CLI Created' }));
    const made = await cli(['create', 'users', 'u.json']);
    assert.equal(made.code, 0, made.err);
    assert.match(made.out, /^created Users\/\S+ \(userName "cli-created", displayName "CLI Created"\), verified/);
    assert.match(made.out, /exchanges: ex\S+ \(POST\), ex\S+ \(read back\)/);
    assert.ok(sb.userIdByName('cli-created'));
  });

  test('scimx delete: by name, asks naming the resource, refuses without a terminal and without --yes', async () => {
    const id = sb.userIdByName('cli-created')!;
    const noTty = await cli(['delete', 'Users', 'cli-created']);
    assert.equal(noTty.code, 2);
    assert.match(noTty.err, /delete asks before deleting Users\/\S+ \(userName "cli-created", displayName "CLI Created"\): run it in a terminal, or pass --yes/);
    assert.ok(sb.userIdByName('cli-created'), 'nothing deleted');
    const questions: string[] = [];
    const no = await cli(['delete', 'Users', 'cli-created'], { confirm: async (q) => { questions.push(q); return false; } });
    assert.equal(no.code, 1);
    assert.match(questions[0]!, new RegExp(`^Delete Users/${id} \\(userName "cli-created", displayName "CLI Created"\\) on sb \\(http://127\\.0\\.0\\.1:\\d+/scim/v2\\)\\? This cannot be undone\\. \\[y/N\\] $`));
    assert.ok(sb.userIdByName('cli-created'), 'answered no: nothing deleted');
    const yes = await cli(['delete', 'Users', 'cli-created'], { confirm: async () => true });
    assert.equal(yes.code, 0, yes.err);
    assert.match(yes.out, /^deleted Users\/\S+ \(userName "cli-created".*\), verified: GET answered 404/);
    assert.equal(sb.userIdByName('cli-created'), undefined);
    const gone = await cli(['delete', 'Users', id, '--yes']);
    assert.equal(gone.code, 2);
    assert.match(gone.err, /does not exist \(GET answered 404\); nothing was deleted/);
  });
});

describe('connector check (compat)', () => {
  function assertClean(r: CompatReport): void {
    assert.deepEqual(r.leftovers, [], 'nothing left');
    for (const c of r.cleanup) assert.notEqual(c.result, 'left', `${c.kind} ${c.name}: ${c.detail}`);
  }

  test('every connector × operation on a well-behaved service: through the gateway, each write re-read, all cleaned up', async () => {
    const c = client();
    const seen: number[] = [];
    const r = await runCompat(c, { connectors: ['entra', 'okta', 'sap-ips', 'oneim'], onProgress: (p) => seen.push(p.done) });
    assert.equal(r.cancelled, false);
    assert.equal(r.error, undefined);
    assert.equal(r.rows.length, 8 + 6 + 6 + 6);
    for (const row of r.rows) {
      assert.equal(row.gateway, 'passed', `${row.connector} ${row.operation}: ${row.gatewayDetail}`);
      assert.ok(row.exchangeId && c.trace.findExchange(row.exchangeId), `${row.connector} ${row.operation} names its exchange`);
      assert.ok(['yes', 'no'].includes(row.verified), `${row.connector} ${row.operation} was re-read: ${row.differs.join('; ')}`);
      assert.equal(row.outcome === 'pass', row.verified === 'yes' && row.status !== undefined && row.status < 300);
    }
    // a membership write that passes left the other member alone: proven by the re-read
    for (const row of r.rows.filter((x) => x.operation.startsWith('members') && x.outcome === 'pass')) assert.deepEqual(row.differs, []);
    assert.ok(seen.length > 20 && seen.at(-1) === Math.max(...seen));
    assertClean(r);
    assert.ok(r.cleanup.filter((x) => x.result === 'deleted').length >= 9, '4 users, 4 groups and the bystander deleted');
    assert.deepEqual(await scratchLeft(r.prefix), []);
    console.log(r.rows.map((x) => `sandbox | ${x.connector} | ${x.operation} | ${x.form} | ${x.gateway} | ${x.status ?? '-'} ${x.scimType ?? ''} | ${x.verified} | ${x.outcome} | ${x.differs.join('; ')}`).join('\n'));
    await c.close();
  });

  test('a server whose `remove` of members with a value list wipes the group: Entra\'s default form is shown losing the other member', async () => {
    sb.setFaults(['remove-wipes-all']);
    const c = client();
    try {
      const r = await runCompat(c, { connectors: ['entra'] });
      const legacy = r.rows.find((x) => x.operation === 'members remove' && x.form.includes('"Remove"'))!;
      assert.equal(legacy.status !== undefined && legacy.status < 300, true, 'the server claims success');
      assert.equal(legacy.verified, 'no');
      assert.match(legacy.differs.join('; '), /the other member \(\S+\), not named by the write, is gone/);
      assert.equal(legacy.outcome, 'fail');
      const flagged = r.rows.find((x) => x.operation === 'members remove' && x.form.includes('members[value eq'))!;
      assert.equal(flagged.outcome, 'pass', `${flagged.differs.join('; ')} ${flagged.notes.join('; ')}`);
      assertClean(r);
      assert.deepEqual(await scratchLeft(r.prefix), []);
    } finally {
      sb.setFaults([]);
      await c.close();
    }
  });

  test('a gateway without a PATCH operation: the PATCH rows say the gateway refused (its own 404), the rest passes, all cleaned up', async () => {
    sb.setFaults(['patch-not-routed']);
    const c = client();
    try {
      const r = await runCompat(c, { connectors: ['okta'] });
      const patches = r.rows.filter((x) => x.request.startsWith('PATCH'));
      assert.ok(patches.length >= 3);
      for (const p of patches) {
        assert.equal(p.gateway, 'refused', `${p.operation}`);
        assert.match(p.gatewayDetail ?? '', /gateway has no operation for PATCH/);
        assert.equal(p.status, undefined, 'the service was not reached');
      }
      assert.equal(r.rows.find((x) => x.operation === 'user update')!.outcome, 'pass', 'a PUT gets through');
      assertClean(r);
      assert.deepEqual(await scratchLeft(r.prefix), []);
    } finally {
      sb.setFaults([]);
      await c.close();
    }
  });

  test('a step whose answer is lost (connection reset after the write): the row says so, later steps run, cleanup still happens', async () => {
    const c = client();
    sb.scriptFault('PUT', 'reset-after');
    try {
      const r = await runCompat(c, { connectors: ['sap-ips'] });
      const update = r.rows.find((x) => x.operation === 'user update')!;
      assert.equal(update.gateway, 'no answer');
      assert.equal(update.outcome, 'fail');
      assert.ok(r.rows.filter((x) => x.outcome !== 'skipped').length >= 5, 'later steps ran');
      assertClean(r);
      assert.deepEqual(await scratchLeft(r.prefix), []);
    } finally {
      sb.setFaults([]);
      await c.close();
    }
  });

  test('a create whose answer is lost: the cleanup finds the resource by its name and deletes it', async () => {
    const c = client();
    // the first POST is the bystander's; the second the connector's user create
    let posts = 0;
    const unsub = c.trace.onEvent((e) => {
      if (e.type === 'exchange' && e.exchange.request.method === 'POST' && e.exchange.state === 'pending') {
        posts += 1;
        if (posts === 2) sb.scriptFault('POST', 'reset-after');
      }
    });
    try {
      const r = await runCompat(c, { connectors: ['okta'] });
      const create = r.rows.find((x) => x.operation === 'user create')!;
      assert.equal(create.gateway, 'no answer');
      const found = r.cleanup.find((x) => x.name.endsWith('-okta-user'))!;
      assert.equal(found.result, 'deleted', found.detail);
      assertClean(r);
      assert.deepEqual(await scratchLeft(r.prefix), []);
    } finally {
      unsub();
      sb.setFaults([]);
      await c.close();
    }
  });

  test('cancelled midway: the run stops, the cleanup still deletes every scratch resource with its own exchanges', async () => {
    const c = client();
    const ac = new AbortController();
    let patches = 0;
    const unsub = c.trace.onEvent((e) => {
      if (e.type === 'exchange' && e.exchange.request.method === 'PATCH' && e.exchange.state === 'pending' && ++patches === 2) ac.abort();
    });
    try {
      const r = await runCompat(c, { connectors: ['entra', 'okta'], signal: ac.signal });
      assert.equal(r.cancelled, true);
      assert.ok(r.rows.length < 14, 'stopped early');
      assert.ok(r.cleanup.length >= 2);
      assertClean(r);
      assert.deepEqual(await scratchLeft(r.prefix), []);
      const cleanupOp = c.trace.operations().find((o) => o.title.endsWith(': cleanup'))!;
      assert.ok(cleanupOp.exchanges.some((x) => x.request.method === 'DELETE'));
    } finally {
      unsub();
      await c.close();
    }
  });

  test('scimx compat: refuses without a terminal and without --yes; --json gives the rows with exchange ids', async () => {
    sb.clearReceived();
    const refused = await cli(['compat', '--as', 'okta']);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /compat creates scratch users and groups named scimx-compat-… on sb .*: run it in a terminal to be asked, or pass --yes/);
    assert.equal(sb.received.filter((x) => x.method !== 'GET').length, 0, 'nothing written');
    const bad = await cli(['compat', '--as', 'ping', '--yes']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--as: unknown connector "ping"/);
    const text = await cli(['compat', '--as', 'okta,oneim', '--yes']);
    assert.ok(text.code === 0 || text.code === 1, text.err);
    assert.match(text.out, /#\s+CONNECTOR\s+OPERATION\s+REQUEST\s+GATEWAY\s+SERVICE\s+VERIFIED\s+RESULT\s+EXCHANGE/);
    assert.match(text.out, /One Identity Manager\s+members add\s+GET, then PUT of the whole group/);
    assert.match(text.out, /compat: \d+ of 12 steps pass/);
    const j = await cli(['compat', '--as', 'okta', '--yes', '--json']);
    const report = JSON.parse(j.out) as CompatReport & { ok: boolean };
    assert.equal(report.rows.length, 6);
    assert.ok(report.rows.every((x) => /^ex[0-9a-z]+$/.test(x.exchangeId ?? '')));
    assert.equal(j.code, report.ok ? 0 : 1);
    assert.deepEqual(await scratchLeft(), []);
  });
});
