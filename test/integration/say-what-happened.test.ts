// Discovery, the probe, "who answered" and location rewrites, on real sockets: the sandbox, and the sandbox's
// APIM-like gateway in front of Express backends of our own (test/helpers/custom-backend.ts) that answer as real
// services do (no /ResourceTypes, Express's "Cannot POST" page, 405 on PATCH). Issue 9 part B, issue 11 points 1-3.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/run';
import { ScimClient } from '../../src/core/scim/client';
import { Trace } from '../../src/core/trace';
import { isScimxError } from '../../src/core/errors';
import { exRow, opRow } from '../../src/extension/trace-protocol';
import { locationNotice } from '../../src/extension/command-messages';
import { failureLine } from '../../src/extension/messages';
import { sandboxProfile } from '../helpers/profile';
import { startTestSandbox, type Sandbox } from '../helpers/sandbox';
import { forwardTo, startCustomStack, type CustomStack } from '../helpers/custom-backend';

const DISCOVERY = /^\/scim\/v2\/(ServiceProviderConfig|ResourceTypes|Schemas)\b/;

async function scimx(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; }, env });
  return { code, stdout, stderr };
}

function flagsFor(sb: Sandbox, url: string): { argv: string[]; env: NodeJS.ProcessEnv } {
  const a = sb.auth as { username: string; password: string };
  return {
    argv: ['--base-url', url, '--user', a.username, '--password-env', 'PW', '--subscription-key-env', 'KEY'],
    env: { PW: a.password, KEY: sb.key },
  };
}

function stackProfile(sb: Sandbox, stack: CustomStack) {
  return sandboxProfile({ ...sb, gatewayUrl: stack.gatewayUrl });
}

describe('discovery documents stand on their own', () => {
  let sb: Sandbox;
  let partial: CustomStack;
  let none: CustomStack;
  let refusing: CustomStack;
  let bare: CustomStack;
  before(async () => {
    sb = await startTestSandbox({ faults: ['no-filter'] });
    // no /ResourceTypes, no /Schemas (Express's own 404 page); a good ServiceProviderConfig (filter.supported false)
    partial = await startCustomStack(sb, (app) => {
      app.use((req, res, next) => (/^\/scim\/v2\/(ResourceTypes|Schemas)\b/.test(req.path) ? next() : forwardTo(sb)(req, res, next)));
    });
    // none of the three
    none = await startCustomStack(sb, (app) => {
      app.use((req, res, next) => (DISCOVERY.test(req.path) ? next() : forwardTo(sb)(req, res, next)));
    });
    // ServiceProviderConfig refused with 403: discovery fails, and the failure is kept
    refusing = await startCustomStack(sb, (app) => {
      app.get('/scim/v2/ServiceProviderConfig', (_req, res) => {
        res.status(403).type('application/scim+json').send(JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '403', detail: 'not for you' }));
      });
      app.use(forwardTo(sb));
    });
    // ResourceTypes as a bare JSON array, with a type of its own
    bare = await startCustomStack(sb, (app) => {
      app.get('/scim/v2/ResourceTypes', (_req, res) => {
        res.type('application/json').send(JSON.stringify([
          { name: 'User', endpoint: '/Users', schema: 'urn:ietf:params:scim:schemas:core:2.0:User' },
          { name: 'Group', endpoint: '/Groups', schema: 'urn:ietf:params:scim:schemas:core:2.0:Group' },
          { name: 'Device', endpoint: '/Devices', schema: 'urn:example:Device' },
        ]));
      });
      app.use(forwardTo(sb));
    });
  });
  after(async () => {
    await Promise.all([partial?.stop(), none?.stop(), refusing?.stop(), bare?.stop()]);
    await sb?.stop();
  });

  it('a 404 on /ResourceTypes and /Schemas keeps a good ServiceProviderConfig; the defaults are named, in the trace too', async () => {
    const trace = new Trace();
    const c = new ScimClient(stackProfile(sb, partial), { trace });
    const d = await c.discover();
    assert.equal(d.capabilities.filter, false, 'filter.supported false is kept');
    assert.equal(d.capabilities.filterSupport, 'no');
    assert.deepEqual(d.defaults?.map((x) => x.document), ['ResourceTypes', 'Schemas']);
    assert.match(d.defaults[0]!.reason, /^404 from the SCIM service$/);
    assert.deepEqual(d.resourceTypes.map((r) => r.endpoint), ['Users', 'Groups']);
    const op = trace.operations()[0]!;
    assert.equal(op.state, 'ok');
    assert.match(op.summary ?? '', /RFC 7643 defaults for ResourceTypes, Schemas/);
    const rt = op.exchanges.find((e) => e.request.url.endsWith('/ResourceTypes'))!;
    assert.equal(rt.response?.status, 404);
    assert.equal(rt.response?.answeredBy, 'backend', 'Express wrote it, the gateway forwarded it');
    assert.match(rt.response?.answeredWhy ?? '', /X-Powered-By: Express/);
    assert.match(rt.expected ?? '', /optional/);
    assert.ok(rt.warnings.some((w) => /RFC 7643 defaults used/.test(w)));
    assert.equal(rt.diagnosis, undefined, 'not an error');
    assert.equal(exRow(rt).expected, rt.expected, 'the panel draws it as expected, not red');

    // the CLI names the defaults
    const { argv, env } = flagsFor(sb, partial.gatewayUrl);
    const r = await scimx([...argv, 'discover'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^default: ResourceTypes not offered \(404 from the SCIM service\): assumed User at \/Users and Group at \/Groups/m);
    assert.match(r.stdout, /^default: Schemas not offered/m);
    assert.match(r.stdout, /filter no/);
    await c.close();
  });

  it('a service with none of them still browses and writes, and one members command asks ServiceProviderConfig once', async () => {
    const c = new ScimClient(stackProfile(sb, none), { trace: new Trace() });
    const d = await c.discover();
    assert.deepEqual(d.defaults?.map((x) => x.document), ['ServiceProviderConfig', 'ResourceTypes', 'Schemas']);
    assert.equal(d.capabilities.patch, true);
    assert.equal(d.capabilities.filterSupport, 'unknown');
    const users = await c.listPage('Users', { count: 5 });
    assert.equal(users.resources.length, 5);
    const gid = sb.groupIdByName('group-02')!;
    const group = await c.get('Groups', gid);
    assert.equal(group.id, gid);
    const [a, b] = users.resources.map((u) => u.id).filter((id) => !sb.members(gid).includes(id));
    const report = await c.changeMembers(gid, { add: [a!, b!], remove: [] }, { mode: 'patch' });
    assert.deepEqual(report.missing, []);
    assert.ok(sb.members(gid).includes(a!) && sb.members(gid).includes(b!));
    await c.changeMembers(gid, { add: [], remove: [a!] }, { mode: 'patch' });
    assert.ok(!sb.members(gid).includes(a!) && sb.members(gid).includes(b!));
    await c.close();

    const before = none.backendHits.length;
    const { argv, env } = flagsFor(sb, none.gatewayUrl);
    const r = await scimx([...argv, 'members', 'add', gid, a!], env);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(sb.members(gid).includes(a!));
    const spc = none.backendHits.slice(before).filter((h) => h.url.includes('ServiceProviderConfig'));
    assert.equal(spc.length, 1, `ServiceProviderConfig asked ${spc.length} times in one members command`);
  });

  it('a failed discovery is kept per client: asked once, again only on refresh', async () => {
    const c = new ScimClient(stackProfile(sb, refusing), { trace: new Trace() });
    const before = refusing.backendHits.length;
    await assert.rejects(c.discover(), (e: unknown) => isScimxError(e) && /403/.test(e.message));
    assert.equal(await c.filtersUsable(), true);
    assert.equal(await c.groupsEndpoint(), 'Groups');
    assert.equal(await c.usersEndpoint(), 'Users');
    await c.listPage('Users', { count: 1 });
    await assert.rejects(c.discover());
    const spc = () => refusing.backendHits.slice(before).filter((h) => h.url.includes('ServiceProviderConfig')).length;
    assert.equal(spc(), 1);
    await assert.rejects(c.discover({ refresh: true }));
    assert.equal(spc(), 2);
    await c.close();
  });

  it('ResourceTypes answered as a bare JSON array is read, not replaced by defaults', async () => {
    const c = new ScimClient(stackProfile(sb, bare), { trace: new Trace() });
    const d = await c.discover();
    assert.deepEqual(d.resourceTypes.map((r) => r.endpoint), ['Users', 'Groups', 'Devices']);
    assert.equal(d.defaults, undefined);
    await c.close();
  });

  it('rememberFailedFilter keeps what failed, per client', () => {
    const c = new ScimClient(stackProfile(sb, partial), { trace: new Trace() });
    assert.equal(c.failedFilter('Users?filter=groups.value and id'), undefined);
    c.rememberFailedFilter('Users?filter=groups.value and id', '500 from the SCIM service');
    c.rememberFailedFilter('Users?filter=groups.value and id', 'later reason');
    assert.equal(c.failedFilter('Users?filter=groups.value and id'), '500 from the SCIM service');
    assert.equal(new ScimClient(stackProfile(sb, partial), { trace: new Trace() }).failedFilter('Users?filter=groups.value and id'), undefined);
  });
});

describe('who answered, and the probe, behind a real gateway', () => {
  let sb: Sandbox;
  let stack: CustomStack;
  before(async () => {
    sb = await startTestSandbox();
    stack = await startCustomStack(sb, (app) => {
      // an Express page like Express's own, without its X-Powered-By: the page alone says who wrote it
      app.get('/scim/v2/Plain/:id', (req, res) => {
        res.removeHeader('X-Powered-By');
        res.status(404).type('html').send(`<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot GET ${req.path}</pre>\n</body>\n</html>\n`);
      });
      app.use((req, res, next) => {
        if (req.method === 'PATCH') return void res.status(405).set('Allow', 'GET, PUT, DELETE').end();
        // an empty 501 with nothing saying who wrote it
        if (req.method === 'PUT') { res.removeHeader('X-Powered-By'); return void res.status(501).end(); }
        if (req.method === 'POST' || /^\/scim\/v2\/Nowhere/.test(req.path)) return next(); // Express: 404 "Cannot POST …"
        return forwardTo(sb)(req, res, next);
      });
    });
  });
  after(async () => {
    await stack?.stop();
    await sb?.stop();
  });

  it("Express's \"Cannot GET\" page forwarded by the gateway is the service's answer, not something in front", async () => {
    const trace = new Trace();
    const c = new ScimClient(stackProfile(sb, stack), { trace });
    for (const endpoint of ['Nowhere', 'Plain']) {
      const e = await c.get(endpoint, 'x1').then(() => undefined, (err: unknown) => err);
      assert.ok(isScimxError(e), endpoint);
      const d = e.diagnosis!;
      assert.equal(d.source, 'scim', `${endpoint}: ${d.summary}`);
      assert.match(d.summary, /^the SCIM service itself answered GET \/scim\/v2\/\w+\/x1 with 404 and an HTML page/);
      assert.doesNotMatch(`${d.summary} ${d.fix}`, /in front of the SCIM service/);
      assert.match(d.fix ?? '', /no route for GET/);
      const ex = trace.findExchange(e.exchangeId!)!;
      assert.equal(ex.response?.answeredBy, 'backend');
      assert.match(ex.response?.answeredWhy ?? '', endpoint === 'Nowhere' ? /X-Powered-By: Express/ : /Cannot GET/);
    }
    // the gateway's own answer is still the gateway's
    const noKey = new ScimClient(sandboxProfile({ ...sb, gatewayUrl: stack.gatewayUrl }, { gateway: { subscriptionKey: undefined } }), { trace });
    const e = await noKey.listPage('Users', {}).then(() => undefined, (err: unknown) => err);
    assert.ok(isScimxError(e));
    const ex = trace.findExchange(e.exchangeId!)!;
    assert.equal(ex.response?.answeredBy, 'gateway');
    assert.match(ex.response?.answeredWhy ?? '', /APIM/);
    assert.equal(e.diagnosis?.source, 'gateway');
    await c.close();
    await noKey.close();
  });

  it('probe: every method judged by the gateway, nothing changed; 404 (no POST) and 405 (no PATCH) from the service are "not offered", not failures', async () => {
    const trace = new Trace();
    const c = new ScimClient(stackProfile(sb, stack), { trace });
    const groupsBefore = sb.groupIdByName('group-01');
    const hits = stack.backendHits.length;
    const { rows, findings } = await c.probe();
    assert.deepEqual(rows.map((r) => r.method), ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
    assert.deepEqual(rows.filter((r) => r.verdict === 'fail'), [], JSON.stringify(rows, null, 1));
    const post = rows.find((r) => r.method === 'POST')!;
    assert.equal(post.status, 404);
    assert.equal(post.answeredBy, 'backend');
    assert.equal(post.verdict, 'warn');
    assert.match(post.detail, /reached the SCIM service; this endpoint is not offered \(404 to POST\)/);
    const patch = rows.find((r) => r.method === 'PATCH')!;
    assert.equal(patch.status, 405);
    assert.match(patch.detail, /not offered \(405 to PATCH\)/);
    assert.equal(rows.find((r) => r.method === 'GET')!.verdict, 'ok');
    const put = rows.find((r) => r.method === 'PUT')!;
    assert.deepEqual([put.status, put.answeredBy, put.verdict], [501, 'unknown', 'warn']);
    assert.match(put.detail, /not sure it is the SCIM service\); this endpoint is not offered \(501 to PUT\) \(an empty body/);
    // every probe answer is marked expected in the trace: the panel does not draw it red
    for (const r of rows) {
      const ex = trace.findExchange(r.exchangeId!)!;
      assert.ok(ex.expected, `${r.method} marked expected`);
      assert.ok(exRow(ex).expected);
    }
    // no /.search, a POST body no parser reads, nothing created
    const sent = stack.backendHits.slice(hits);
    assert.ok(!sent.some((h) => h.url.includes('.search')));
    const postSent = stack.received.filter((x) => x.method === 'POST').at(-1)!;
    assert.throws(() => JSON.parse(postSent.body));
    assert.match(postSent.rawHeaders.find(([k]) => k.toLowerCase() === 'if-match')?.[1] ?? '', /-never"$/);
    assert.equal(sb.groupIdByName('group-01'), groupsBefore);
    // the forwarded service writes meta.location with the sandbox's own gateway origin: another origin, said
    assert.deepEqual(findings.map((f) => f.code), ['location.other-origin']);
    assert.match(findings[0]!.message, new RegExp(`^responses point at another origin: ${new URL(sb.gatewayUrl).host.replace(/\./g, '\\.')} \\(\\d+ times?\\)`));
    await c.close();
  });

  it('probe on the sandbox itself: the malformed POST is refused with 400 and nothing is created', async () => {
    const c = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
    const count = async () => (await c.listPage('Groups', { count: 1 })).totalResults;
    const before = await count();
    const { rows } = await c.probe();
    const post = rows.find((r) => r.method === 'POST')!;
    assert.equal(post.status, 400);
    assert.equal(post.verdict, 'ok');
    assert.match(post.detail, /refused the malformed body, as intended: nothing written/);
    assert.ok(rows.every((r) => r.verdict === 'ok'), JSON.stringify(rows, null, 1));
    assert.equal(await count(), before);
    await c.close();
  });
});

describe("the seed's failure: meta.location on the backend origin, key in the query", () => {
  let sb: Sandbox;
  let dir: string;
  before(async () => {
    sb = await startTestSandbox({ faults: ['backend-locations'] });
    dir = mkdtempSync(join(tmpdir(), 'scimx-seed-'));
  });
  after(async () => {
    await sb?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function profileFile(locations: 'follow' | 'rewrite'): string {
    const file = join(dir, `${locations}.yaml`);
    writeFileSync(file, sb.profileYaml('seed').replace('sendAs: header', 'sendAs: query') + `    locations: ${locations}\n    writes: put\n`);
    return file;
  }

  const origins = () => ({ gw: new URL(sb.gatewayUrl).origin, backend: new URL(sb.backendUrl).origin });
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

  it('locations: follow — CLI, notification and trace say first that the PUT left the gateway, name both origins and the fix', async () => {
    const { gw, backend } = origins();
    const gid = sb.groupIdByName('group-01')!;
    const uid = sb.userIdByName('user0015')!;
    const r = await scimx(['--config', profileFile('follow'), 'members', 'add', gid, uid, '--mode', 'put'], {});
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const first = r.stderr.split('\n')[0]!;
    assert.match(first, new RegExp(`^scimx: PUT went to ${esc(backend)}, another origin taken from meta\\.location instead of the gateway ${esc(gw)}; credentials and the gateway key were withheld by design \\(locations: follow\\), and ${esc(backend)} answered 401\\. This is exactly how a connector loses the gateway\\.`));
    assert.match(r.stderr, /^ {2}fix: Set `locations: rewrite` in the profile/m);
    assert.doesNotMatch(r.stderr, /gateway let the request through|check auth in the profile/);
    assert.ok(!sb.members(gid).includes(uid));

    // the same through the core (what the extension's notification and the trace banner show)
    const trace = new Trace();
    const c = new ScimClient(sandboxProfile(sb, { locations: 'follow', writes: 'put', gateway: { sendAs: 'query' } }), { trace });
    const e = await c.changeMembers(gid, { add: [uid], remove: [] }, { mode: 'put', confirmPut: async () => true }).then(() => undefined, (err: unknown) => err);
    assert.ok(isScimxError(e));
    assert.match(failureLine(e), new RegExp(`^PUT went to ${esc(backend)}, another origin taken from meta\\.location instead of the gateway ${esc(gw)}`));
    assert.match(failureLine(e), /Set `locations: rewrite`/);
    const put = trace.operations().flatMap((o) => o.exchanges).find((x) => x.request.method === 'PUT')!;
    assert.equal(put.diagnosis?.code, 'location.credentials-withheld');
    assert.equal(e.diagnosis?.exchangeId, put.id, '"Show Trace" opens the PUT, whose banner says it');
    assert.equal(trace.operation(put.operationId)!.diagnosis?.code, 'location.credentials-withheld', 'the operation header says it too');
    assert.equal(put.keySentAs, 'none');
    assert.ok(!put.request.headers.some(([k]) => k.toLowerCase() === 'authorization'));
    assert.equal(exRow(put).location, 'followed');
    assert.equal(opRow(trace.operation(put.operationId)!).followed, 1);
    await c.close();
  });

  it('locations: rewrite — the change works, and the rewrite is said: CLI note, notification, trace marks, probe finding', async () => {
    const { gw, backend } = origins();
    const gid = sb.groupIdByName('group-02')!;
    const uid = sb.userIdByName('user0016')!;
    const file = profileFile('rewrite');
    const r = await scimx(['--config', file, 'members', 'add', gid, uid, '--mode', 'put'], {});
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(sb.members(gid).includes(uid));
    assert.match(r.stderr, new RegExp(`^note: \\d+ server URLs? \\(meta\\.location\\) pointed at ${esc(new URL(backend).host)}, not at the gateway ${esc(new URL(gw).host)}: rewritten onto the gateway \\(locations: rewrite\\)`, 'm'));

    const trace = new Trace();
    const c = new ScimClient(sandboxProfile(sb, { locations: 'rewrite', gateway: { sendAs: 'query' } }), { trace });
    const uid2 = sb.userIdByName('user0017')!;
    await c.changeMembers(gid, { add: [uid2], remove: [] }, { mode: 'put', confirmPut: async () => true });
    const op = trace.operations().find((o) => o.title.startsWith('Members of'))!;
    const rewritten = op.exchanges.filter((x) => x.location && !x.location.credentialsWithheld);
    assert.ok(rewritten.length >= 1);
    assert.equal(exRow(rewritten[0]!).location, 'rewritten');
    assert.equal(exRow(rewritten[0]!).locationHost, new URL(backend).host);
    assert.equal(opRow(op).rewritten, rewritten.length);
    assert.match(locationNotice([op], sb.gatewayUrl) ?? '', new RegExp(`pointed at ${esc(new URL(backend).host)}`));

    const { findings } = await c.probe();
    assert.equal(findings.length, 1);
    assert.match(findings[0]!.message, new RegExp(`^responses point at another origin: ${esc(new URL(backend).host)} \\(\\d+ times?\\)`));
    const p = await scimx(['--config', file, 'probe'], {});
    assert.equal(p.code, 0, p.stdout + p.stderr);
    assert.match(p.stdout, /^finding: responses point at another origin: /m);
    assert.match(p.stdout, /probe: ok with warnings, 1 finding/);
    await c.close();
  });
});
