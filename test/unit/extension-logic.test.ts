// Pure logic behind the extension: trace batching for the panel, messages (PUT diff, results, failures,
// output-channel lines), VS Code proxy settings, secret references, filter validation, the sandbox profile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScimxError } from '../../src/core/errors';
import { profileSecrets, type Profile } from '../../src/core/profile';
import { Trace, type Exchange } from '../../src/core/trace';
import type { MembershipReport } from '../../src/core/scim/types';
import { filterProblem } from '../../src/extension/filter-input';
import { lostLine, membershipFailureReport, membershipSummary, putConfirmation, removeConfirmation } from '../../src/extension/command-messages';
import { exchangeLogLine, failureLine, isCancellation } from '../../src/extension/messages';
import { bypassesProxy, envProxy, isLoopback, withVsCodeProxy } from '../../src/extension/proxy';
import { SANDBOX_KEY_SECRET, sandboxProfileYaml } from '../../src/extension/sandbox-profile';
import { isValidSecretName, secretRefs } from '../../src/extension/secret-refs';
import { TraceBatcher, exRow, isWebviewMessage, snapshot, type HostMessage } from '../../src/extension/trace-protocol';

function addExchange(trace: Trace, op: ReturnType<Trace['startOperation']>, method = 'GET'): Exchange {
  return trace.addExchange(op, {
    state: 'pending', attempt: 1, keySentAs: 'header', warnings: [], timings: { start: Date.now() },
    request: { method, url: 'https://gw.example.com/scim/Groups/1?subscription-key=••••abcd', line: `${method} /scim/Groups/1 HTTP/1.1`, headers: [['Ocp-Apim-Subscription-Key', '••••abcd']], wire: true, bodySize: 0 },
  });
}

test('TraceBatcher: many events become one update with one row per exchange; never the whole trace', () => {
  const trace = new Trace();
  const posted: HostMessage[] = [];
  const timers: Array<() => void> = [];
  const batcher = new TraceBatcher((m) => posted.push(m), 50, (fn) => { timers.push(fn); return 0 as unknown as ReturnType<typeof setTimeout>; });
  const old = trace.startOperation('List Users', 'dev');
  addExchange(trace, old);
  trace.endOperation(old, 'ok');
  const off = trace.onEvent((e) => batcher.handle(e));
  const op = trace.startOperation('Add 1 member to Admins', 'dev');
  const ex = addExchange(trace, op, 'PATCH');
  ex.state = 'done';
  ex.response = { status: 204, statusText: 'No Content', headers: [], bodySize: 0, truncated: false, answeredBy: 'backend' };
  ex.timings.end = 12;
  trace.touchExchange(ex);
  trace.endOperation(op, 'ok', { summary: 'added 1' });
  assert.equal(posted.length, 0, 'nothing is sent before the batch interval');
  assert.equal(timers.length, 1, 'one timer per batch');
  timers[0]!();
  assert.equal(posted.length, 1);
  const m = posted[0]!;
  assert.equal(m.type, 'update');
  if (m.type !== 'update') return;
  assert.deepEqual(m.ops.map((o) => [o.title, o.state, o.summary]), [['Add 1 member to Admins', 'ok', 'added 1']]);
  assert.equal(m.exchanges.length, 1, 'the old operation is not re-sent');
  assert.deepEqual({ ...m.exchanges[0], id: undefined, op: undefined }, {
    id: undefined, op: undefined, seq: 1, method: 'PATCH', path: '/scim/Groups/1?subscription-key=••••abcd', host: 'gw.example.com',
    status: 204, state: 'done', ms: 12, attempt: 1, diagnosis: undefined, error: undefined,
  });
  trace.clear();
  timers[1]!();
  assert.equal(posted[1]?.type === 'update' && posted[1].cleared, true);
  off();
  const snap = snapshot(trace.operations());
  assert.equal(snap.type, 'snapshot');
});

test('exRow and snapshot carry summaries only: no headers, no bodies', () => {
  const trace = new Trace();
  const op = trace.startOperation('x', 'dev');
  const ex = addExchange(trace, op);
  const row = exRow(ex) as unknown as Record<string, unknown>;
  assert.equal(row['headers'], undefined);
  assert.doesNotMatch(JSON.stringify(snapshot(trace.operations())), /Ocp-Apim/);
});

test('messages from the webview are checked before use', () => {
  assert.ok(isWebviewMessage({ type: 'ready' }));
  assert.ok(isWebviewMessage({ type: 'detail', exchangeId: 'e', slot: 'a' }));
  assert.ok(isWebviewMessage({ type: 'reveal', exchangeId: 'e', index: 2 }));
  assert.ok(!isWebviewMessage({ type: 'reveal', exchangeId: 'e', index: '2' }));
  assert.ok(isWebviewMessage({ type: 'exportHar' }) && isWebviewMessage({ type: 'exportHar', operationId: 'op1' }));
  assert.ok(!isWebviewMessage({ type: 'exportHar', operationId: 7 }), 'an operation id is a string');
  assert.ok(!isWebviewMessage({ type: 'detail', exchangeId: 'e', slot: 'x' }));
  assert.ok(!isWebviewMessage({ type: 'run', command: 'rm -rf' }));
  assert.ok(!isWebviewMessage(null));
});

test('PUT confirmation shows the membership diff with names; summaries and failures are one line', () => {
  const labels = new Map([['u1', 'alice'], ['u2', 'bob']]);
  const c = putConfirmation('Admins', { groupId: 'g', add: ['u1'], remove: ['u2', 'u3'], memberCount: 40 }, labels);
  assert.match(c.message, /Admins.*PUT/);
  assert.match(c.detail, /40 members now, 39 after/);
  assert.match(c.detail, /Add \(1\): alice/);
  assert.match(c.detail, /Remove \(2\): bob, u3/);
  const report: MembershipReport = {
    groupId: 'g', mode: 'put', added: ['u1'], removed: [], alreadyPresent: ['u4'], alreadyAbsent: [], missing: [], lost: [], collateral: { method: 'full', checked: 3 },
    verified: true, concurrentChange: false, requests: 3, bytesSent: 0, bytesReceived: 0, warnings: [],
  };
  // the notification names the users affected (issue 11.6), by label when known
  assert.equal(membershipSummary('Admins', report), 'Admins: added 1, already present 1 (PUT, verified, 3 requests): added u1.');
  assert.equal(membershipSummary('Admins', report, new Map([['u1', 'alice']])), 'Admins: added 1, already present 1 (PUT, verified, 3 requests): added alice.');
  const unchecked: MembershipReport = { ...report, verified: false, collateral: { method: 'none', checked: 0, why: 'no member of this group was read before' } };
  assert.equal(membershipSummary('Admins', unchecked), 'Admins: added 1, already present 1 (PUT, not verified, 3 requests): added u1. Other members not checked: no member of this group was read before.');
  const lost: MembershipReport = { ...report, mode: 'patch', verified: false, lost: ['u7', 'u8'] };
  assert.equal(lostLine('Admins', lost, new Map([['u7', 'carol']])), 'Admins: the server accepted the change but 2 other members are gone: carol, u8. Nothing more was sent.');
  const failure = Object.assign(new ScimxError('lost', 'gone'), { report: lost });
  assert.equal(membershipFailureReport(failure), lost);
  assert.equal(membershipFailureReport(new ScimxError('http', 'x')), undefined);
  const rc = removeConfirmation('Admins', [{ value: 'u1', display: 'Alice' }, { value: 'u2' }], new Map([['u2', 'bob']]));
  assert.equal(rc.message, 'Remove 2 members from "Admins"?');
  assert.match(rc.detail, /^Alice, bob\n/);
  const e = new ScimxError('gateway', 'HTTP 401', {
    diagnosis: { severity: 'error', source: 'gateway', code: 'gateway.key-missing', summary: 'gateway rejected PATCH: subscription key missing (sent on GET; not on PATCH)', fix: 'Set gateway.sendAs: header' },
  });
  assert.equal(failureLine(e), 'gateway rejected PATCH: subscription key missing (sent on GET; not on PATCH). Set gateway.sendAs: header');
  // a summary that ends its sentence gets no second period before the fix
  const ended = new ScimxError('http', 'HTTP 401', { diagnosis: { severity: 'error', source: 'location', code: 'location.credentials-withheld', summary: 'PUT went elsewhere. This is how a connector loses the gateway.', fix: 'Set `locations: rewrite`.' } });
  assert.equal(failureLine(ended), 'PUT went elsewhere. This is how a connector loses the gateway. Set `locations: rewrite`.');
  assert.equal(failureLine(new Error('a\nb')), 'a');
  assert.ok(isCancellation(new ScimxError('cancelled', 'Cancelled.')));
});

test('one masked output line per exchange, without headers', () => {
  const trace = new Trace();
  const op = trace.startOperation('Add 1 member to Admins', 'dev');
  const ex = addExchange(trace, op, 'PATCH');
  ex.response = { status: 204, statusText: 'No Content', headers: [['Set-Cookie', 'secret']], bodySize: 0, truncated: false, answeredBy: 'backend' };
  ex.timings.end = 12.4;
  const line = exchangeLogLine(op, ex);
  assert.equal(line, '[dev] Add 1 member to Admins: PATCH https://gw.example.com/scim/Groups/1?subscription-key=••••abcd → 204 No Content 12 ms (key=header)');
  assert.doesNotMatch(line, /Set-Cookie|secret|Ocp-Apim/);
});

const base: Profile = {
  name: 'dev', baseUrl: 'https://gw.example.com/scim', auth: { type: 'none' },
  gateway: { header: 'Ocp-Apim-Subscription-Key', query: 'subscription-key', sendAs: 'header' },
  headers: {}, secretHeaders: [], writes: 'auto', locations: 'rewrite', provider: 'generic', timeoutMs: 1000, pageSize: 100,
  concurrency: 1, maxOperationsPerPatch: 100, tls: { insecure: false },
};

test('http.proxy applies to profiles without their own proxy; http.noProxy and proxyStrictSSL are honoured', () => {
  assert.equal(withVsCodeProxy(base, {}), base);
  const p = withVsCodeProxy(base, { proxy: 'http://127.0.0.1:3128', strictSSL: true });
  assert.equal(p.proxy, 'http://127.0.0.1:3128');
  assert.equal(p.tls.insecure, false);
  assert.equal(withVsCodeProxy(base, { proxy: 'http://p:1', strictSSL: false }).tls.insecure, true);
  assert.equal(withVsCodeProxy({ ...base, proxy: 'http://own:1' }, { proxy: 'http://p:1', strictSSL: false }).proxy, 'http://own:1');
  assert.equal(withVsCodeProxy(base, { proxy: 'http://p:1', noProxy: ['.example.com'] }).proxy, undefined);
  assert.ok(bypassesProxy('https://gw.example.com/x', ['example.com']));
  assert.ok(bypassesProxy('https://gw.example.com/x', ['*.example.com']));
  assert.ok(bypassesProxy('https://gw.example.com/x', ['gw.example.com:443']));
  assert.ok(!bypassesProxy('https://gw.example.com/x', ['gw.example.com:8443']));
  assert.ok(!bypassesProxy('https://gw.example.org/x', ['example.com']));
  assert.equal(base.proxy, undefined, 'the input profile is not changed');
});

test('http.proxySupport off, http.proxyAuthorization, and HTTPS_PROXY / HTTP_PROXY / NO_PROXY when http.proxy is empty', () => {
  assert.equal(withVsCodeProxy(base, { proxy: 'http://p:1', support: 'off' }), base, 'proxySupport off: no proxy at all');
  assert.equal(withVsCodeProxy(base, { support: 'off', env: { HTTPS_PROXY: 'http://env:1' } }), base);
  const withAuth = withVsCodeProxy(base, { proxy: 'http://p:1', authorization: 'Basic dXNlcjpwdw==' });
  assert.equal(withAuth.proxyAuthorization, 'Basic dXNlcjpwdw==');
  assert.ok(profileSecrets(withAuth).includes('Basic dXNlcjpwdw=='), 'the proxy authorization is masked like any secret');
  assert.equal(withVsCodeProxy(base, { env: { HTTPS_PROXY: 'http://env-s:1', HTTP_PROXY: 'http://env:1' } }).proxy, 'http://env-s:1');
  assert.equal(withVsCodeProxy({ ...base, baseUrl: 'http://gw.example.com/scim' }, { env: { HTTPS_PROXY: 'http://env-s:1', http_proxy: 'http://env:1' } }).proxy, 'http://env:1', 'http: HTTP_PROXY (lower case too)');
  assert.equal(withVsCodeProxy(base, { proxy: 'http://setting:1', env: { HTTPS_PROXY: 'http://env:1' } }).proxy, 'http://setting:1', 'the setting wins');
  assert.equal(withVsCodeProxy(base, { env: { HTTPS_PROXY: 'http://env:1', no_proxy: 'localhost, .example.com' } }).proxy, undefined, 'NO_PROXY');
  assert.ok(profileSecrets({ ...base, proxy: 'http://u:s%40cret-pw@p:1' }).includes('s@cret-pw'), 'a password in the proxy URL is a secret');
});

test('loopback never goes through a VS Code or environment proxy; a proxy variable without a scheme is http; a bad one is not used', () => {
  for (const url of ['http://127.0.0.1:8080/scim/v2', 'http://localhost:3000/scim', 'http://[::1]:9/scim', 'http://127.3.2.1/x']) {
    assert.ok(isLoopback(url), url);
    const local = { ...base, baseUrl: url };
    assert.equal(withVsCodeProxy(local, { proxy: 'http://proxy.corp:3128', env: { HTTP_PROXY: 'http://proxy.corp:3128' } }), local, url);
  }
  assert.ok(!isLoopback('https://127.0.0.1.example.com/x'));
  assert.equal(withVsCodeProxy(base, { env: { https_proxy: 'proxy.corp:3128' } }).proxy, 'http://proxy.corp:3128');
  const bad = envProxy('https://gw.example.com/x', { HTTPS_PROXY: 'ftp://user:pw@proxy.corp' });
  assert.equal(bad.proxy, undefined);
  assert.match(bad.problem ?? '', /^environment variable HTTPS_PROXY is not a proxy URL \(ftp:\/\/••••@proxy\.corp\); it is not used$/);
  assert.equal(withVsCodeProxy(base, { env: { HTTPS_PROXY: 'ftp://proxy.corp' } }).proxy, undefined);
});

test('secret references, names and SCIM filter validation', () => {
  assert.deepEqual(secretRefs('a: ${secret:k1}\nb: ${env:X}\nc: ${secret:k2} ${secret:k1}'), ['k1', 'k2']);
  assert.ok(isValidSecretName('apim-key.dev_1'));
  assert.ok(!isValidSecretName('a b'));
  assert.equal(filterProblem('userName sw "j"'), undefined);
  assert.equal(filterProblem('  '), undefined, 'empty clears the filter');
  assert.match(filterProblem('userName sw') ?? '', /Not a SCIM filter/);
});

test('the sandbox profile refers to its key through SecretStorage, never inline', () => {
  const { yaml, secrets } = sandboxProfileYaml({ gatewayUrl: 'http://127.0.0.1:5000/scim/v2/', key: 'K-123-raw', username: 'u', password: 'p@ss' });
  assert.equal(secrets[SANDBOX_KEY_SECRET], 'K-123-raw');
  assert.doesNotMatch(yaml, /K-123-raw|p@ss/);
  assert.match(yaml, /baseUrl: "http:\/\/127\.0\.0\.1:5000\/scim\/v2"/);
  assert.match(yaml, /subscriptionKey: \$\{secret:scim-sandbox-key\}/);
  assert.match(yaml, /type: basic/);
  // the shape `scimx sandbox --json` prints
  const cli = sandboxProfileYaml({ gatewayUrl: 'http://127.0.0.1:1/scim/v2', key: 'KKK', keyHeader: 'Ocp-Apim-Subscription-Key', auth: { type: 'basic', username: 'scim-sandbox', password: 'PPP' } });
  assert.match(cli.yaml, /username: "scim-sandbox"/);
  assert.match(cli.yaml, /password: \$\{secret:scim-sandbox-password\}/);
  assert.doesNotMatch(cli.yaml, /KKK|PPP/);
});
