// Secrets never leave their profile's origin and never appear unmasked anywhere (issue 5, item 4), against the
// sandbox on 127.0.0.1. (a) With `backend-locations` the sandbox's meta.location URLs point at the backend's
// own origin: under `follow` the backend gets no key, no auth and no secret header; under `rewrite` the gateway
// gets everything. (d) A full session — discover, list, get, members add/remove via PATCH and via PUT, a 401, a
// retry, probe, errors, and the CLI with --har, --json and --curl — then every artifact (the trace serialized,
// HAR, curl, CLI stdout/stderr, error messages, the output channel's lines) is scanned for each raw secret
// (gateway key, password, basic token, bearer token, secret header) in plain, URL-encoded and JSON-escaped form.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScimClient } from '../../src/core/scim/client';
import { Pipeline } from '../../src/core/http/pipeline';
import { Trace, type Operation } from '../../src/core/trace';
import { toHar } from '../../src/core/http/har';
import { toCurl } from '../../src/core/http/curl';
import { isScimxError } from '../../src/core/errors';
import type { Profile } from '../../src/core/profile';
import { run } from '../../src/cli/run';
import { exchangeLogLine, failureLine } from '../../src/extension/messages';
import { TestClock } from '../helpers/clock';
import { startTestSandbox, type Sandbox } from '../helpers/sandbox';
import { sandboxProfile, receivedHeader } from '../helpers/profile';

// Secrets with characters that change under URL and JSON encoding.
const KEY = 'k3y+/=&"\\ 0123456789abcdef';
const PASSWORD = 'p@ss w0rd:"\\/+&=é-long';
const TOKEN = 'tok.en+/="\\ abcdefghijklmnop';
const SECRET_HEADER = 'hdr-s3cret "\\ value+/=';
const BASIC = Buffer.from(`scim-test:${PASSWORD}`).toString('base64');

let sb: Sandbox;
let sbBearer: Sandbox;
let dir: string;
before(async () => {
  sb = await startTestSandbox({ key: KEY, auth: { type: 'basic', username: 'scim-test', password: PASSWORD } });
  sbBearer = await startTestSandbox({ key: KEY, auth: { type: 'bearer', token: TOKEN } });
  dir = mkdtempSync(join(tmpdir(), 'scimx-secrets-'));
});
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await sb?.stop();
  await sbBearer?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const clients: ScimClient[] = [];
function client(profile: Profile, trace: Trace, maxRetries?: number): ScimClient {
  const pipeline = new Pipeline(profile, { trace, maxRetries, maxRetryAfterMs: 5_000, clock: new TestClock() });
  const c = new ScimClient(profile, { trace, pipeline });
  clients.push(c);
  return c;
}

function profileOf(s: Sandbox, patch: Parameters<typeof sandboxProfile>[1] = {}): Profile {
  return sandboxProfile(s, {
    headers: { 'X-Request-Source': 'scim-explorer-tests', 'X-Tenant-Secret': SECRET_HEADER },
    secretHeaders: ['x-tenant-secret'],
    ...patch,
  });
}

test('follow: backend locations get no credentials; rewrite keeps them on the gateway', async () => {
  sb.setFaults(['backend-locations']);
  try {
    const trace = new Trace();
    const follow = client(profileOf(sb, { locations: 'follow', gateway: { sendAs: 'both' } }), trace);
    const groups = await follow.listPage('Groups', { count: 2 });
    const g = groups.resources[0]!;
    const location = g.meta?.location ?? '';
    assert.ok(location.startsWith(sb.backendUrl), `meta.location points at the backend: ${location}`);
    sb.clearReceived();
    // the backend itself wants auth, and rightly gets none: its 401 is the proof, so any status is accepted here
    await follow.run('follow', undefined, (call) => follow.request(call, { method: 'GET', url: location, fromServer: true }, () => true));
    const direct = sb.backendReceived.filter((r) => !sb.received.some((x) => x.seq === r.seq));
    assert.ok(direct.length >= 1, 'the backend was called directly');
    for (const r of sb.backendReceived) {
      const h = r.rawHeaders as unknown as Array<[string, string]> | string[];
      const flat = JSON.stringify(h) + r.url;
      for (const s of [KEY, encodeURIComponent(KEY), BASIC, SECRET_HEADER]) assert.ok(!flat.includes(s), 'no secret reached the backend origin');
    }
    const ex = trace.operations().at(-1)!.exchanges.at(-1)!;
    assert.equal(ex.location?.credentialsWithheld, true);
    assert.equal(ex.keySentAs, 'none');

    const rw = client(profileOf(sb, { locations: 'rewrite' }), new Trace());
    sb.clearReceived();
    await rw.run('rewrite', undefined, (call) => rw.request(call, { method: 'GET', url: location, fromServer: true }));
    assert.equal(sb.received.length, 1, 'went to the gateway');
    assert.equal(receivedHeader(sb.received[0]!.rawHeaders as never, sb.keyHeader), KEY);
  } finally {
    sb.setFaults([]);
  }
});

interface Artifact { name: string; text: string }

function encodings(s: string): Array<[string, string]> {
  return [['plain', s], ['url-encoded', encodeURIComponent(s)], ['json-escaped', JSON.stringify(s).slice(1, -1)],
    ['form-encoded', new URLSearchParams({ x: s }).toString().slice(2)]];
}

test('a full session leaves no raw secret in any artifact', async () => {
  const artifacts: Artifact[] = [];
  const errors: string[] = [];
  const trace = new Trace();
  const logLines: string[] = [];
  const unlog = trace.onEvent((e) => { if (e.type === 'exchange' && e.exchange.state !== 'pending') logLines.push(exchangeLogLine(e.operation, e.exchange)); });
  const fail = async (p: Promise<unknown>): Promise<void> => {
    try { await p; } catch (e) { errors.push(isScimxError(e) ? `${e.message} | ${e.hint ?? ''} | ${JSON.stringify(e.diagnosis ?? {})} | ${e.stack ?? ''}` : String(e), failureLine(e)); return; }
    throw new Error('expected a failure');
  };

  // basic auth + key in header and query + a secret header
  const c = client(profileOf(sb, { gateway: { sendAs: 'both' } }), trace, 1);
  await c.discover();
  const users = await c.listPage('Users', { count: 5 });
  const groups = await c.listPage('Groups', { count: 3 });
  const group = groups.resources[0]!;
  await c.get('Groups', group.id);
  await c.get('Users', users.resources[0]!.id);
  const [u1, u2] = [users.resources[1]!.id, users.resources[2]!.id];
  await c.changeMembers(group.id, { add: [u1, u2], remove: [] }, { mode: 'patch' });
  await c.changeMembers(group.id, { add: [], remove: [u1] }, { mode: 'patch' });
  await c.changeMembers(group.id, { add: [u1], remove: [u2] }, { mode: 'put', confirmPut: async () => true });
  await c.probe();
  await fail(c.get('Users', 'no-such-user-id'));
  // a retry, then an error: 429 with Retry-After on every request
  sb.setFaults(['ratelimit'], { faultRate: 1, retryAfterSeconds: 1 });
  await fail(c.listPage('Users', { count: 1 }));
  sb.setFaults([]);
  assert.ok(trace.operations().some((o) => o.exchanges.some((e) => e.attempt > 1)), 'a retry happened');
  // a 401: the key under a name the gateway does not read
  const wrong = client(profileOf(sb, { gateway: { header: 'X-Not-The-Key', sendAs: 'header' } }), trace);
  await fail(wrong.listPage('Users', { count: 1 }));
  assert.ok(trace.operations().some((o) => o.exchanges.some((e) => e.response?.status === 401)), 'a 401 happened');
  // a network error with the key in the query
  const dead = client(profileOf(sb, { baseUrl: 'http://127.0.0.1:9/scim/v2', gateway: { sendAs: 'both' } }), trace, 0);
  await fail(dead.listPage('Users', { count: 1 }));
  // bearer auth
  const b = client(profileOf(sbBearer), trace);
  await b.listPage('Users', { count: 2 });
  const bad = client(profileOf(sbBearer, { auth: { type: 'bearer', token: `${TOKEN}-wrong` } }), trace);
  await fail(bad.listPage('Users', { count: 1 }));
  unlog();

  const ops: Operation[] = trace.operations();
  artifacts.push({ name: 'trace (JSON)', text: JSON.stringify(ops) });
  artifacts.push({ name: 'HAR', text: JSON.stringify(toHar(ops), null, 2) });
  const profiles = new Map(clients.map((x) => [x.profile.name, x.profile]));
  artifacts.push({ name: 'curl', text: ops.flatMap((o) => o.exchanges).map((e) => toCurl(e, profiles.get(o2(e.operationId))!)).join('\n') });
  function o2(id: string): string { return trace.operation(id)?.profile ?? 'sandbox'; }
  artifacts.push({ name: 'error messages', text: errors.join('\n') });
  artifacts.push({ name: 'output channel', text: logLines.join('\n') });

  // the CLI, in-process: a profiles file with ${env:…} secrets, every global output option
  const config = join(dir, 'scim-profiles.yaml');
  writeFileSync(config, [
    'profiles:',
    '  sb:',
    `    baseUrl: ${sb.gatewayUrl}`,
    '    auth: { type: basic, username: scim-test, password: "${env:SB_PASSWORD}" }',
    '    gateway: { subscriptionKey: "${env:SB_KEY}", sendAs: both }',
    '    headers: { X-Tenant-Secret: "${env:SB_HEADER}" }',
    '  bad:',
    `    baseUrl: ${sb.gatewayUrl}`,
    '    auth: { type: basic, username: scim-test, password: "${env:SB_PASSWORD}" }',
    '    gateway: { subscriptionKey: "${env:SB_KEY}", header: X-Wrong }',
  ].join('\n'));
  const env = { SB_PASSWORD: PASSWORD, SB_KEY: KEY, SB_HEADER: SECRET_HEADER, PATH: process.env.PATH ?? '' };
  const cli = async (args: string[]): Promise<number> => {
    let out = '';
    let err = '';
    const code = await run(['--config', config, ...args], { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, env, cwd: dir });
    artifacts.push({ name: `CLI stdout: ${args.join(' ')}`, text: out }, { name: `CLI stderr: ${args.join(' ')}`, text: err });
    return code;
  };
  const har = join(dir, 'session.har');
  const [g1, ua, ub] = [group.id, users.resources[3]!.id, users.resources[4]!.id];
  const codes = [
    await cli(['-p', 'sb', '--json', '--curl', '--har', har, 'discover']),
    await cli(['-p', 'sb', '--json', '--curl', 'list', 'Users', '--count', '3']),
    await cli(['-p', 'sb', '--curl', 'get', 'Groups', g1]),
    await cli(['-p', 'sb', '--json', '--curl', '--har', `${har}.2`, 'members', 'add', g1, ua, ub]),
    await cli(['-p', 'sb', '--curl', 'members', 'remove', g1, ua, '--mode', 'put']),
    await cli(['-p', 'sb', '--json', 'probe']),
    await cli(['-p', 'bad', '--json', '--curl', '--har', `${har}.3`, 'list', 'Users']),
    await cli(['-p', 'bad', 'get', 'Users', 'x']),
    await cli(['-p', 'sb', 'get', 'Users', 'no-such-id']),
  ];
  assert.deepEqual(codes.slice(0, 4), [0, 0, 0, 0], 'the CLI session ran');
  assert.ok(codes.slice(6).every((c2) => c2 === 1), `failures exit 1: ${codes.join(',')}`);
  for (const f of [har, `${har}.2`, `${har}.3`]) artifacts.push({ name: `CLI HAR ${f}`, text: readFileSync(f, 'utf8') });

  // the session really carried the secrets on the wire (so the scan below means something)
  assert.ok(sb.received.some((r) => receivedHeader(r.rawHeaders as never, sb.keyHeader) === KEY));
  assert.ok(sb.received.some((r) => receivedHeader(r.rawHeaders as never, 'authorization') === `Basic ${BASIC}`));
  assert.ok(sbBearer.received.some((r) => receivedHeader(r.rawHeaders as never, 'authorization') === `Bearer ${TOKEN}`));

  const secrets: Array<[string, string]> = [['gateway key', KEY], ['password', PASSWORD], ['basic token', BASIC], ['bearer token', TOKEN], ['secret header', SECRET_HEADER]];
  let bytes = 0;
  let checks = 0;
  const found: string[] = [];
  for (const a of artifacts) {
    bytes += Buffer.byteLength(a.text);
    for (const [what, s] of secrets) {
      for (const [enc, v] of encodings(s)) {
        checks += 1;
        if (a.text.includes(v)) found.push(`${what} (${enc}) in ${a.name}`);
      }
    }
  }
  assert.deepEqual(found, [], 'no raw secret anywhere');
  // positive control: the same scan finds each needle when it is there
  for (const [, s] of secrets) for (const [, v] of encodings(s)) assert.ok(`x${JSON.stringify({ v })}${encodeURIComponent(v)}${v}`.includes(v));
  const exchanges = ops.reduce((n, o) => n + o.exchanges.length, 0);
  assert.ok(exchanges >= 25 && logLines.length >= 25 && errors.length >= 8, `${exchanges} exchanges, ${logLines.length} lines, ${errors.length} errors`);
  console.log(`# secrets scan: ${artifacts.length} artifacts, ${bytes} bytes, ${exchanges} exchanges traced in-process, ${logLines.length} output-channel lines, ` +
    `${secrets.length} secrets x 4 encodings = ${secrets.length * 4} needles, ${checks} artifact x needle checks, 0 hits`);
});
