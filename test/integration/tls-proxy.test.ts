// TLS and proxies against real local servers on 127.0.0.1 (issue 5, item 5). Certificates are made at test
// time with openssl (test/helpers/certs.ts); the proxy is Debian's tinyproxy started by the test
// (test/helpers/proxy.ts). Without openssl or tinyproxy the tests skip with one line; under CI=true they fail.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ScimClient } from '../../src/core/scim/client';
import { Trace } from '../../src/core/trace';
import { ConfigError, ScimxError } from '../../src/core/errors';
import { tlsOptions } from '../../src/core/http/dispatcher';
import type { Profile } from '../../src/core/profile';
import { viewOf, profileTooltip } from '../../src/extension/tree-model';
import { sandboxProfile } from '../helpers/profile';
import { makeCerts, opensslSkipReason, type TestCerts } from '../helpers/certs';
import { startTinyproxy, tinyproxySkipReason, VIA_NAME, type TestProxy } from '../helpers/proxy';

const KEY = 'tls-test-subscription-key-0123456789';

interface Seen { method: string; url: string; headers: Array<[string, string]>; clientCert?: string }
interface TestServer { origin: string; seen: Seen[]; close(): Promise<void> }

function record(req: http.IncomingMessage, seen: Seen[], res: http.ServerResponse): void {
  const headers: Array<[string, string]> = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i]!, req.rawHeaders[i + 1]!]);
  const sock = req.socket as TLSSocket;
  const peer = typeof sock.getPeerCertificate === 'function' ? sock.getPeerCertificate() : undefined;
  const cn = peer?.subject?.CN;
  seen.push({ method: req.method ?? '', url: req.url ?? '', headers, clientCert: Array.isArray(cn) ? cn.join(',') : cn });
  req.resume();
  req.on('end', () => {
    const body = JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, Resources: [] });
    res.writeHead(200, { 'content-type': 'application/scim+json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
}

async function listen(server: http.Server | https.Server, scheme: 'http' | 'https', seen: Seen[]): Promise<TestServer> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    origin: `${scheme}://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

function startHttps(opts: https.ServerOptions): Promise<TestServer> {
  const seen: Seen[] = [];
  return listen(https.createServer(opts, (req, res) => record(req, seen, res)), 'https', seen);
}

function startHttp(): Promise<TestServer> {
  const seen: Seen[] = [];
  return listen(http.createServer((req, res) => record(req, seen, res)), 'http', seen);
}

function profileFor(origin: string, patch: Partial<Profile> = {}): Profile {
  return sandboxProfile({ gatewayUrl: `${origin}/scim/v2`, key: KEY, keyHeader: 'Ocp-Apim-Subscription-Key', keyQuery: 'subscription-key' }, patch);
}

const clients: ScimClient[] = [];
async function get(profile: Profile): Promise<{ trace: Trace; status: number; client: ScimClient }> {
  const trace = new Trace();
  const client = new ScimClient(profile, { trace });
  clients.push(client);
  const res = await client.run('GET Users', undefined, (call) => client.request(call, { method: 'GET', url: 'Users' }));
  return { trace, status: res.status, client };
}

async function getFails(profile: Profile): Promise<{ error: ScimxError; trace: Trace }> {
  const trace = new Trace();
  const client = new ScimClient(profile, { trace });
  clients.push(client);
  try {
    await client.run('GET Users', undefined, (call) => client.request(call, { method: 'GET', url: 'Users' }));
  } catch (e) {
    assert.ok(e instanceof ScimxError, `a ScimxError, got ${String(e)}`);
    return { error: e, trace };
  }
  throw new Error('the request should have failed');
}

function header(h: Array<[string, string]>, name: string): string | undefined {
  return h.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

const sslSkip = opensslSkipReason();
if (sslSkip) console.log(`# SKIP tls-proxy: ${sslSkip}`);
const proxySkip = tinyproxySkipReason();
if (proxySkip) console.log(`# SKIP tls-proxy: ${proxySkip}`);

let certs: TestCerts;
const servers: TestServer[] = [];
before(() => { if (!sslSkip) certs = makeCerts(); });
after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.close()));
  certs?.cleanup();
});

async function server(kind: 'self' | 'ca' | 'mtls'): Promise<TestServer> {
  const s = kind === 'self'
    ? await startHttps({ cert: certs.read(certs.selfSignedCertFile), key: certs.read(certs.selfSignedKeyFile) })
    : await startHttps({
        cert: certs.read(certs.serverCertFile), key: certs.read(certs.serverKeyFile),
        ...(kind === 'mtls' ? { ca: certs.read(certs.caFile), requestCert: true, rejectUnauthorized: true } : {}),
      });
  servers.push(s);
  return s;
}

describe('TLS', { skip: sslSkip }, () => {
  test('a self-signed certificate without a CA is a clear one-line error naming the host, diagnosed tls.certificate', async () => {
    const s = await server('self');
    const { error, trace } = await getFails(profileFor(s.origin));
    const host = new URL(s.origin).host;
    assert.equal(error.code, 'network');
    assert.ok(error.message.includes(host), error.message);
    assert.match(error.message, /self-signed/);
    assert.doesNotMatch(error.message, /[\r\n]/);
    assert.equal(error.diagnosis?.code, 'tls.certificate');
    assert.equal(error.diagnosis?.source, 'tls');
    assert.match(error.diagnosis?.fix ?? '', /caFile/);
    assert.equal(trace.operations()[0]?.exchanges[0]?.diagnosis?.code, 'tls.certificate');
    assert.equal(s.seen.length, 0, 'no request reached the server');
  });

  test('a certificate from an unknown CA (no caFile) is reported the same way', async () => {
    const s = await server('ca');
    const { error } = await getFails(profileFor(s.origin));
    assert.ok(error.message.includes(new URL(s.origin).host), error.message);
    assert.match(error.message, /verify|issuer|certificate/i);
    assert.equal(error.diagnosis?.code, 'tls.certificate');
  });

  test('insecure: true accepts it, and says so: an exchange warning, the profile node and its tooltip', async () => {
    const s = await server('self');
    const profile = profileFor(s.origin, { tls: { insecure: true } });
    const { trace, status } = await get(profile);
    assert.equal(status, 200);
    assert.equal(header(s.seen[0]!.headers, 'Ocp-Apim-Subscription-Key'), KEY);
    const ex = trace.operations()[0]!.exchanges[0]!;
    assert.ok(ex.warnings.some((w) => /TLS verification off/.test(w)), ex.warnings.join(' | '));
    const view = viewOf({ kind: 'profile', key: 'p', profile });
    assert.match(view.description ?? '', /TLS verification off/);
    assert.match(profileTooltip(profile), /TLS verification off/);
    // and a verified profile says nothing of the kind
    const ok = profileFor(s.origin);
    assert.doesNotMatch(viewOf({ kind: 'profile', key: 'q', profile: ok }).description ?? '', /TLS/);
  });

  test('a custom CA file verifies the server (no warning)', async () => {
    const s = await server('ca');
    const { trace, status } = await get(profileFor(s.origin, { tls: { insecure: false, caFile: certs.caFile } }));
    assert.equal(status, 200);
    assert.equal(s.seen.length, 1);
    const ex = trace.operations()[0]!.exchanges[0]!;
    assert.ok(!ex.warnings.some((w) => /TLS/.test(w)));
    // localhost matches the certificate's DNS name too
    const s2 = new URL(s.origin);
    const { status: st2 } = await get(profileFor(`https://localhost:${s2.port}`, { tls: { insecure: false, caFile: certs.caFile } }));
    assert.equal(st2, 200);
  });

  test('mTLS: a client certificate (encrypted key + passphrase) is accepted; without it the failure is clear', async () => {
    const s = await server('mtls');
    const tls = { insecure: false, caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile, passphrase: certs.clientKeyPassphrase };
    const { status, trace } = await get(profileFor(s.origin, { tls }));
    assert.equal(status, 200);
    assert.equal(s.seen[0]?.clientCert, 'scimx test client');
    assert.ok(!JSON.stringify(trace.operations()).includes(certs.clientKeyPassphrase), 'the passphrase never enters the trace');

    const { error } = await getFails(profileFor(s.origin, { tls: { insecure: false, caFile: certs.caFile } }));
    assert.ok(error.message.includes(new URL(s.origin).host), error.message);
    assert.match(error.message, /client certificate/i);
    assert.equal(error.diagnosis?.code, 'tls.client-certificate');
    assert.match(error.diagnosis?.fix ?? '', /certFile/);
    assert.equal(s.seen.length, 1, 'the request without a certificate never reached the handler');
  });

  test('a wrong passphrase or a missing file is a config error naming the profile and the file', async () => {
    const s = await server('mtls');
    const bad = await getFails(profileFor(s.origin, { tls: { insecure: false, caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile, passphrase: 'wrong' } }));
    assert.doesNotMatch(bad.error.message, /[\r\n]/);
    assert.match(bad.error.message, /key|passphrase|decrypt/i);
    assert.equal(bad.error.code, 'config', bad.error.message);
    assert.ok(bad.error.message.includes(certs.clientKeyFile), bad.error.message);
    assert.equal(s.seen.length, 0, 'nothing was sent with a key that cannot be opened');
    // A wrong passphrase leaves valid padding about once in 256 tries, and OpenSSL then says
    // "DECODER routines::unsupported" instead of "bad decrypt": every one of them is the same config error.
    for (let i = 0; i < 600; i++) {
      assert.throws(() => tlsOptions(profileFor(s.origin, { tls: { insecure: false, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile, passphrase: `wrong-${i}` } })),
        (e: unknown) => e instanceof ConfigError && e.message.includes(certs.clientKeyFile) && /passphrase/.test(e.message));
    }
    const missing = await getFails(profileFor(s.origin, { tls: { insecure: false, caFile: `${certs.dir}/nope.pem` } }));
    assert.equal(missing.error.code, 'config');
    assert.ok(missing.error.message.includes('nope.pem'));
  });
});

describe('HTTP proxy (tinyproxy)', { skip: sslSkip ?? proxySkip }, () => {
  let proxy: TestProxy;
  before(async () => { proxy = await startTinyproxy(); });
  after(async () => { await proxy?.stop(); });

  test('plain http through profile.proxy: the proxy carries it, the server gets the headers written, the trace shows them', async () => {
    const s = await startHttp();
    servers.push(s);
    const { trace, status } = await get(profileFor(s.origin, { proxy: proxy.url }));
    assert.equal(status, 200);
    const host = new URL(s.origin).host;
    await proxy.waitForLog(new RegExp(`(CONNECT|GET) (http://)?${host.replace(/\./g, '\\.')}`));
    const got = s.seen[0]!;
    const ex = trace.operations()[0]!.exchanges[0]!;
    assert.equal(ex.request.wire, true, 'headers from the wire, through the proxy');
    for (const name of ['Ocp-Apim-Subscription-Key', 'X-Request-Source', 'Accept', 'User-Agent']) {
      assert.ok(header(ex.request.headers, name), `trace shows ${name}`);
      assert.ok(header(got.headers, name), `server received ${name}`);
    }
    assert.equal(header(got.headers, 'Ocp-Apim-Subscription-Key'), KEY);
    assert.match(header(ex.request.headers, 'Ocp-Apim-Subscription-Key') ?? '', /••/);
    const via = header(got.headers, 'Via');
    if (via) assert.match(via, new RegExp(VIA_NAME));
  });

  test('https through the proxy via CONNECT to a TLS server (custom CA)', async () => {
    const s = await server('ca');
    const { trace, status } = await get(profileFor(s.origin, { proxy: proxy.url, tls: { insecure: false, caFile: certs.caFile } }));
    assert.equal(status, 200);
    const host = new URL(s.origin).host;
    await proxy.waitForLog(new RegExp(`CONNECT ${host.replace(/\./g, '\\.')}`));
    const ex = trace.operations()[0]!.exchanges[0]!;
    assert.equal(ex.request.wire, true);
    assert.equal(header(s.seen.at(-1)!.headers, 'Ocp-Apim-Subscription-Key'), KEY);
    assert.ok(header(ex.request.headers, 'Ocp-Apim-Subscription-Key'));
    assert.ok(ex.request.url.startsWith(s.origin));
  });

  test('a proxy that is down is a clear error naming the proxy', async () => {
    const s = await startHttp();
    servers.push(s);
    const dead = await startHttp();
    const deadUrl = dead.origin;
    await dead.close();
    const { error } = await getFails(profileFor(s.origin, { proxy: deadUrl }));
    assert.doesNotMatch(error.message, /[\r\n]/);
    assert.match(error.message, /refused|proxy/i);
  });
});

describe('HTTP proxy with credentials (tinyproxy BasicAuth; VS Code http.proxyAuthorization)', { skip: sslSkip ?? proxySkip }, () => {
  const PROXY_PASSWORD = 'proxy-pa55word-0123';
  const proxyToken = `Basic ${Buffer.from(`scimx:${PROXY_PASSWORD}`).toString('base64')}`;
  let proxy: TestProxy;
  before(async () => { proxy = await startTinyproxy({ basicAuth: { user: 'scimx', password: PROXY_PASSWORD } }); });
  after(async () => { await proxy?.stop(); });

  test('without credentials the proxy refuses (407) with a clear one-line message; nothing reaches the server', async () => {
    const s = await server('ca');
    const { error } = await getFails(profileFor(s.origin, { proxy: proxy.url, tls: { insecure: false, caFile: certs.caFile } }));
    assert.doesNotMatch(error.message, /[\r\n]/);
    assert.match(error.message, /^GET https:\/\/127\.0\.0\.1:\d+\/scim\/v2\/Users failed: the proxy http:\/\/127\.0\.0\.1:\d+ refused the tunnel \(407 Proxy Authentication Required\)\.$/, error.message);
    assert.match(error.hint ?? '', /http\.proxyAuthorization/);
    assert.equal(s.seen.length, 0);
  });

  test('with proxyAuthorization (https via CONNECT) and with credentials in the proxy URL: through, and masked everywhere', async () => {
    const s = await server('ca');
    const tls = { insecure: false, caFile: certs.caFile };
    const byToken = await get(profileFor(s.origin, { proxy: proxy.url, proxyAuthorization: proxyToken, tls }));
    assert.equal(byToken.status, 200);
    const inUrl = proxy.url.replace('http://', `http://scimx:${PROXY_PASSWORD}@`);
    const byUrl = await get(profileFor(s.origin, { proxy: inUrl, tls }));
    assert.equal(byUrl.status, 200);
    assert.equal(s.seen.length, 2);
    for (const seen of s.seen) assert.equal(header(seen.headers, 'Proxy-Authorization'), undefined, 'the proxy credentials stop at the proxy');
    const dump = JSON.stringify([...byToken.trace.operations(), ...byUrl.trace.operations()]);
    assert.ok(!dump.includes(PROXY_PASSWORD) && !dump.includes(proxyToken.slice(6)), 'no proxy credential in the trace');
  });
});
