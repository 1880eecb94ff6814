import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, type ConfigProblem } from '../../src/core/errors';
import {
  MAX_PROFILES_FILE_BYTES, formatProblem, loadProfilesFile, parseProfiles, profileFromFlags, selectProfile,
} from '../../src/core/profiles';
import { DEFAULTS, DEFAULT_KEY_HEADER, DEFAULT_KEY_QUERY, profileSecrets } from '../../src/core/profile';

const F = 'scim-profiles.yaml';

/** Lines joined with \n; keeps line numbers in the tests readable. */
const y = (...lines: string[]) => `${lines.join('\n')}\n`;

function only(problems: ConfigProblem[]): ConfigProblem {
  assert.equal(problems.length, 1, `expected one problem, got:\n${problems.map(formatProblem).join('\n')}`);
  return problems[0] as ConfigProblem;
}

describe('parseProfiles: valid files', () => {
  it('reads the issue example, substitutes env vars and applies defaults', async () => {
    const text = y(
      'profiles:',
      '  sap-cis-dev:',
      '    baseUrl: https://dev.api.example.com/scim/',
      '    auth:',
      '      type: basic',
      '      username: svc-scim',
      '      password: ${env:SCIM_PASSWORD}',
      '    gateway:',
      '      subscriptionKey: ${env:APIM_KEY}',
      '      header: Ocp-Apim-Subscription-Key',
      '      query: subscription-key',
      '      sendAs: header',
      '    headers:',
      '      X-Request-Source: scim-explorer',
      '    writes: auto',
      '    locations: rewrite',
      '    provider: generic',
      '    timeoutMs: 30000',
    );
    const pf = await parseProfiles(text, F, { env: { SCIM_PASSWORD: 'pw-123', APIM_KEY: 'key-abcdef123456' } });
    assert.deepEqual(pf.problems, []);
    assert.equal(pf.profiles.length, 1);
    const p = pf.profiles[0]!;
    assert.equal(p.name, 'sap-cis-dev');
    assert.equal(p.baseUrl, 'https://dev.api.example.com/scim', 'trailing slash normalized away');
    assert.deepEqual(p.auth, { type: 'basic', username: 'svc-scim', password: 'pw-123' });
    assert.deepEqual(p.gateway, { subscriptionKey: 'key-abcdef123456', header: 'Ocp-Apim-Subscription-Key', query: 'subscription-key', sendAs: 'header' });
    assert.deepEqual(p.headers, { 'X-Request-Source': 'scim-explorer' });
    assert.deepEqual(p.secretHeaders, []);
    assert.equal(p.pageSize, DEFAULTS.pageSize);
    assert.equal(p.concurrency, DEFAULTS.concurrency);
    assert.equal(p.maxOperationsPerPatch, DEFAULTS.maxOperationsPerPatch);
    assert.deepEqual(p.tls, { insecure: false });
    assert.deepEqual(p.source, { file: F, line: 2 });
  });

  it('applies every default for a minimal profile', async () => {
    const pf = await parseProfiles(y('profiles:', '  a:', '    baseUrl: http://127.0.0.1:8080'), F, { env: {} });
    assert.deepEqual(pf.problems, []);
    const p = pf.profiles[0]!;
    assert.deepEqual(p.auth, { type: 'none' });
    assert.deepEqual(p.gateway, { header: DEFAULT_KEY_HEADER, query: DEFAULT_KEY_QUERY, sendAs: 'header' });
    assert.equal(p.writes, DEFAULTS.writes);
    assert.equal(p.locations, DEFAULTS.locations);
    assert.equal(p.provider, DEFAULTS.provider);
    assert.equal(p.timeoutMs, DEFAULTS.timeoutMs);
    assert.equal(p.proxy, undefined);
  });

  it('reads bearer and oauth2 auth, tls, proxy and every number', async () => {
    const text = y(
      'profiles:',
      '  b:',
      '    baseUrl: https://x.example.com',
      '    auth: { type: bearer, token: "${env:TOKEN}" }',
      '    pageSize: 50',
      '    concurrency: 2',
      '    maxOperationsPerPatch: 20',
      '    provider: entra',
      '    proxy: http://127.0.0.1:3128',
      '    tls: { insecure: true }',
      '  o:',
      '    baseUrl: https://y.example.com/v2',
      '    auth:',
      '      type: oauth2',
      '      tokenUrl: https://login.example.com/token',
      '      clientId: abc',
      '      clientSecret: ${env:SECRET}',
      '      scope: scim.read',
    );
    const pf = await parseProfiles(text, F, { env: { TOKEN: 'tok', SECRET: 'sec' } });
    assert.deepEqual(pf.problems, []);
    const [b, o] = pf.profiles;
    assert.deepEqual(b!.auth, { type: 'bearer', token: 'tok' });
    assert.equal(b!.pageSize, 50);
    assert.equal(b!.concurrency, 2);
    assert.equal(b!.maxOperationsPerPatch, 20);
    assert.equal(b!.provider, 'entra');
    assert.equal(b!.proxy, 'http://127.0.0.1:3128/');
    assert.equal(b!.tls.insecure, true);
    assert.deepEqual(o!.auth, { type: 'oauth2', tokenUrl: 'https://login.example.com/token', clientId: 'abc', clientSecret: 'sec', scope: 'scim.read' });
  });

  it('discoveryMaxAgeHours: how long cached discovery is used (0-8760, default 24, left out of the profile)', async () => {
    const file = (v: string) => y('profiles:', '  a:', '    baseUrl: http://127.0.0.1:8080', `    discoveryMaxAgeHours: ${v}`);
    for (const [v, want] of [['0', 0], ['2', 2], ['8760', 8760], ['24', undefined]] as const) {
      const pf = await parseProfiles(file(v), F, { env: {} });
      assert.deepEqual(pf.problems, []);
      assert.equal(pf.profiles[0]!.discoveryMaxAgeHours, want, v);
    }
    assert.equal((await parseProfiles(y('profiles:', '  a:', '    baseUrl: http://127.0.0.1:8080'), F, { env: {} })).profiles[0]!.discoveryMaxAgeHours, undefined);
    for (const bad of ['-1', '8761', '1.5', 'soon']) {
      const p = only((await parseProfiles(file(bad), F, { env: {} })).problems);
      assert.match(formatProblem(p), /discoveryMaxAgeHours/, bad);
    }
  });

  it('supports YAML anchors and merge keys for shared settings', async () => {
    const text = y(
      'profiles:',
      '  base: &base',
      '    baseUrl: https://gw.example.com/scim',
      '    gateway: { subscriptionKey: "${env:K}", sendAs: both }',
      '  other:',
      '    <<: *base',
      '    provider: aws',
    );
    const pf = await parseProfiles(text, F, { env: { K: 'k' } });
    assert.deepEqual(pf.problems, []);
    const other = pf.profiles.find((p) => p.name === 'other')!;
    assert.equal(other.baseUrl, 'https://gw.example.com/scim');
    assert.equal(other.gateway.sendAs, 'both');
    assert.equal(other.provider, 'aws');
  });
});

describe('parseProfiles: substitution', () => {
  it('substitutes inside a larger string and marks the header secret', async () => {
    const text = y(
      'profiles:',
      '  a:',
      '    baseUrl: https://${env:HOST}/scim',
      '    headers:',
      '      Authorization-Extra: "Token ${env:TOK}-x"',
      '      X-Plain: plain',
      '      X-Literal: "cost $${notasub}"',
    );
    const pf = await parseProfiles(text, F, { env: { HOST: 'gw.example.com', TOK: 'abc' } });
    assert.deepEqual(pf.problems, []);
    const p = pf.profiles[0]!;
    assert.equal(p.baseUrl, 'https://gw.example.com/scim');
    assert.equal(p.headers['Authorization-Extra'], 'Token abc-x');
    assert.equal(p.headers['X-Literal'], 'cost ${notasub}');
    assert.deepEqual(p.secretHeaders, ['authorization-extra']);
    assert.ok(profileSecrets(p).includes('Token abc-x'));
  });

  it('a missing env var names the variable, the key and the position', async () => {
    const text = y('profiles:', '  a:', '    baseUrl: https://x.example.com', '    auth:', '      type: bearer', '      token: "Bearer-${env:MISSING_TOKEN}"');
    const pf = await parseProfiles(text, F, { env: {} });
    const p = only(pf.problems);
    assert.equal(p.key, 'profiles.a.auth.token');
    assert.equal(p.line, 6);
    assert.equal(p.column, 22, 'points at the ${ inside the quoted string');
    assert.match(p.message, /MISSING_TOKEN/);
    assert.match(p.message, /not set/);
    assert.deepEqual(pf.profiles, []);
    assert.equal(pf.broken[0]?.name, 'a');
  });

  it('resolves ${secret:NAME} through the resolver and names a missing secret', async () => {
    const text = y(
      'profiles:',
      '  a:',
      '    baseUrl: https://x.example.com',
      '    gateway: { subscriptionKey: "${secret:apim-key}" }',
      '  b:',
      '    baseUrl: https://x.example.com',
      '    gateway: { subscriptionKey: "${secret:nope}" }',
    );
    const secrets = { get: async (n: string) => (n === 'apim-key' ? 'the-key-value' : undefined) };
    const pf = await parseProfiles(text, F, { env: {}, secrets });
    assert.equal(pf.profiles.length, 1);
    assert.equal(pf.profiles[0]!.gateway.subscriptionKey, 'the-key-value');
    const p = only(pf.problems);
    assert.equal(p.key, 'profiles.b.gateway.subscriptionKey');
    assert.match(p.message, /secret nope is not stored/);
  });

  it('${secret:} without a resolver says secrets need VS Code or an env var', async () => {
    const pf = await parseProfiles(y('profiles:', '  a:', '    baseUrl: https://x.example.com', '    auth: {type: basic, username: u, password: "${secret:pw}"}'), F, { env: {} });
    const p = only(pf.problems);
    assert.equal(p.key, 'profiles.a.auth.password');
    assert.match(p.message, /VS Code/);
    assert.match(p.message, /\$\{env:NAME\}/);
  });

  it('rejects an unknown substitution kind', async () => {
    const pf = await parseProfiles(y('profiles:', '  a:', '    baseUrl: https://x.example.com', '    headers: { X-A: "${HOME}" }'), F, { env: { HOME: '/root' } });
    const p = only(pf.problems);
    assert.equal(p.key, 'profiles.a.headers.X-A');
    assert.match(p.message, /unknown substitution/);
  });

  it('a substituted number is accepted, a quoted literal number is a type error', async () => {
    const pf = await parseProfiles(y('profiles:', '  a:', '    baseUrl: https://x.example.com', '    timeoutMs: ${env:T}', '    pageSize: "50"'), F, { env: { T: '1234' } });
    const p = only(pf.problems);
    assert.equal(p.key, 'profiles.a.pageSize');
    assert.match(p.message, /integer/);
  });
});

describe('parseProfiles: errors with file, line, column, key', () => {
  it('reports a YAML syntax error at its position', async () => {
    const pf = await parseProfiles(y('profiles:', '  a:', '    baseUrl: "https://x', '  b: [1'), F, { env: {} });
    assert.ok(pf.problems.length >= 1);
    const p = pf.problems[0]!;
    assert.equal(p.file, F);
    assert.match(p.message, /YAML syntax error/);
    assert.ok(p.line >= 3);
  });

  it('a syntax error inside one profile leaves the others usable', async () => {
    const text = y(
      'profiles:',
      '  good:',
      '    baseUrl: https://good.example.com',
      '  bad:',
      '    baseUrl: https://bad.example.com',
      '    headers: { X-A: [1 }',
      '  also-good:',
      '    baseUrl: https://also.example.com',
    );
    const pf = await parseProfiles(text, F, { env: {} });
    assert.deepEqual(pf.profiles.map((p) => p.name), ['good', 'also-good']);
    assert.deepEqual(pf.broken.map((b) => b.name), ['bad']);
    assert.ok(pf.problems.every((p) => p.key.startsWith('profiles.bad')), pf.problems.map(formatProblem).join('\n'));
    assert.equal(pf.problems[0]!.line, 6);
  });

  it('duplicate keys are errors', async () => {
    const pf = await parseProfiles(y('profiles:', '  a:', '    baseUrl: https://x.example.com', '    baseUrl: https://y.example.com'), F, { env: {} });
    const p = only(pf.problems);
    assert.equal(p.line, 4);
    assert.match(p.message, /unique/i);
  });

  it('unknown keys are errors at every level, with a suggestion', async () => {
    const text = y(
      'profiles:',
      '  a:',
      '    baseURL: https://x.example.com',
      '    auth:',
      '      type: none',
      '      colour: red',
      '    gateway:',
      '      sendas: header',
      '    tls:',
      '      insecur: true',
      'extra: 1',
    );
    const pf = await parseProfiles(text, F, { env: {} });
    const byKey = new Map(pf.problems.map((p) => [p.key, p]));
    const top = byKey.get('extra')!;
    assert.deepEqual([top.line, top.column], [11, 1]);
    assert.match(top.message, /unknown key "extra"/);
    const base = byKey.get('profiles.a.baseURL')!;
    assert.deepEqual([base.line, base.column], [3, 5]);
    assert.match(base.message, /did you mean "baseUrl"/);
    assert.deepEqual([byKey.get('profiles.a.auth.colour')!.line, byKey.get('profiles.a.auth.colour')!.column], [6, 7]);
    assert.match(byKey.get('profiles.a.gateway.sendas')!.message, /did you mean "sendAs"/);
    assert.match(byKey.get('profiles.a.tls.insecur')!.message, /did you mean "insecure"/);
    assert.ok(byKey.has('profiles.a.baseUrl'), 'and baseUrl is then missing');
    assert.deepEqual(pf.profiles, []);
  });

  it('explains misplaced keys', async () => {
    const pf = await parseProfiles(y('profiles:', '  a:', '    baseUrl: https://x.example.com', '    subscriptionKey: k'), F, { env: {} });
    assert.match(only(pf.problems).message, /gateway\.subscriptionKey/);
  });

  it('wrong types say what was expected and found', async () => {
    const text = y(
      'profiles:',
      '  a:',
      '    baseUrl: 42',
      '    headers: [a, b]',
      '    timeoutMs: fast',
      '    tls: { insecure: "yes" }',
    );
    const pf = await parseProfiles(text, F, { env: {} });
    const byKey = new Map(pf.problems.map((p) => [p.key, p]));
    assert.match(byKey.get('profiles.a.baseUrl')!.message, /expected a string, found the number 42 \(quote it/);
    assert.deepEqual([byKey.get('profiles.a.baseUrl')!.line, byKey.get('profiles.a.baseUrl')!.column], [3, 14]);
    assert.match(byKey.get('profiles.a.headers')!.message, /expected a map.*found a list/);
    assert.match(byKey.get('profiles.a.timeoutMs')!.message, /expected an integer from 1 to 3600000, found the string "fast"/);
    assert.match(byKey.get('profiles.a.tls.insecure')!.message, /expected true or false/);
  });

  it('bad enum values list the allowed ones', async () => {
    const text = y('profiles:', '  a:', '    baseUrl: https://x.example.com', '    writes: merge', '    provider: okta', '    auth: { type: ntlm }');
    const pf = await parseProfiles(text, F, { env: {} });
    const byKey = new Map(pf.problems.map((p) => [p.key, p]));
    assert.match(byKey.get('profiles.a.writes')!.message, /"merge" is not allowed; expected one of: auto, patch, put/);
    assert.deepEqual([byKey.get('profiles.a.writes')!.line, byKey.get('profiles.a.writes')!.column], [4, 13]);
    assert.match(byKey.get('profiles.a.provider')!.message, /generic, entra, sap, aws, google/);
    assert.match(byKey.get('profiles.a.auth.type')!.message, /none, basic, bearer, oauth2/);
  });

  it('bad URLs: relative, wrong scheme, credentials, query', async () => {
    const text = y(
      'profiles:',
      '  rel: { baseUrl: /scim }',
      '  ftp: { baseUrl: "ftp://x.example.com" }',
      '  cred: { baseUrl: "https://u:p@x.example.com" }',
      '  q: { baseUrl: "https://x.example.com/scim?subscription-key=1" }',
      '  tok:',
      '    baseUrl: https://x.example.com',
      '    auth: { type: oauth2, tokenUrl: not-a-url, clientId: a, clientSecret: b }',
    );
    const pf = await parseProfiles(text, F, { env: {} });
    const byKey = new Map(pf.problems.map((p) => [p.key, p]));
    assert.match(byKey.get('profiles.rel.baseUrl')!.message, /not an absolute URL/);
    assert.match(byKey.get('profiles.ftp.baseUrl')!.message, /http:\/\/ or https:\/\//);
    assert.match(byKey.get('profiles.cred.baseUrl')!.message, /credentials/);
    assert.match(byKey.get('profiles.q.baseUrl')!.message, /query/);
    assert.match(byKey.get('profiles.tok.auth.tokenUrl')!.message, /not an absolute URL/);
    assert.equal(pf.profiles.length, 0);
    assert.equal(pf.broken.length, 5);
  });

  it('missing required keys: baseUrl, auth.type, per-type credentials', async () => {
    const text = y(
      'profiles:',
      '  a:',
      '    auth: { username: u }',
      '  b:',
      '    baseUrl: https://x.example.com',
      '    auth: { type: basic, username: u }',
    );
    const pf = await parseProfiles(text, F, { env: {} });
    const byKey = new Map(pf.problems.map((p) => [p.key, p]));
    assert.match(byKey.get('profiles.a.baseUrl')!.message, /missing required key `baseUrl`/);
    assert.deepEqual([byKey.get('profiles.a.baseUrl')!.line], [3]);
    assert.match(byKey.get('profiles.a.auth.type')!.message, /missing required key `type`/);
    assert.match(byKey.get('profiles.b.auth.password')!.message, /missing required key `password`/);
  });

  it('auth keys that do not apply to the type are errors', async () => {
    const pf = await parseProfiles(y('profiles:', '  a:', '    baseUrl: https://x.example.com', '    auth: { type: bearer, token: t, password: p }'), F, { env: {} });
    const p = only(pf.problems);
    assert.equal(p.key, 'profiles.a.auth.password');
    assert.match(p.message, /does not apply to auth type bearer/);
  });

  it('headers: invalid name, reserved header, gateway key header, multi-line value; secretHeaders must name a header', async () => {
    const text = y(
      'profiles:',
      '  a:',
      '    baseUrl: https://x.example.com',
      '    headers:',
      '      "Bad Name": x',
      '      Host: evil.example.com',
      '      Ocp-Apim-Subscription-Key: k',
      '      X-Ok: ok',
      '    secretHeaders: [X-Ok, X-Nope]',
    );
    const pf = await parseProfiles(text, F, { env: {} });
    const keys = pf.problems.map((p) => p.key);
    assert.deepEqual(keys, [
      'profiles.a.headers.Bad Name', 'profiles.a.headers.Host', 'profiles.a.headers.Ocp-Apim-Subscription-Key', 'profiles.a.secretHeaders[1]',
    ]);
    assert.match(pf.problems[2]!.message, /gateway\.subscriptionKey/);
    assert.match(pf.problems[3]!.message, /X-Nope/);
  });

  it('secretHeaders marks listed headers secret (lower case)', async () => {
    const pf = await parseProfiles(y('profiles:', '  a:', '    baseUrl: https://x.example.com', '    headers: { X-Api-Token: literal-token-value }', '    secretHeaders: [x-api-token]'), F, { env: {} });
    assert.deepEqual(pf.problems, []);
    assert.deepEqual(pf.profiles[0]!.secretHeaders, ['x-api-token']);
    assert.ok(profileSecrets(pf.profiles[0]!).includes('literal-token-value'));
  });

  it('numbers out of range', async () => {
    const pf = await parseProfiles(y('profiles:', '  a:', '    baseUrl: https://x.example.com', '    concurrency: 0'), F, { env: {} });
    const p = only(pf.problems);
    assert.equal(p.key, 'profiles.a.concurrency');
    assert.match(p.message, /from 1 to 64, found 0/);
  });

  it('tls files are resolved next to the profiles file and must exist', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scimx-prof-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), 'x');
      const file = join(dir, F);
      const pf = await parseProfiles(y('profiles:', '  a:', '    baseUrl: https://x.example.com', '    tls: { caFile: ca.pem, certFile: nope.pem, keyFile: key.pem }'), file, { env: {} });
      assert.deepEqual(pf.problems.map((p) => p.key), ['profiles.a.tls.certFile', 'profiles.a.tls.keyFile']);
      assert.match(pf.problems[0]!.message, /file not found/);
      const ok = await parseProfiles(y('profiles:', '  a:', '    baseUrl: https://x.example.com', '    tls: { caFile: ca.pem }'), file, { env: {} });
      assert.equal(ok.profiles[0]!.tls.caFile, join(dir, 'ca.pem'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('file-level problems: empty, not a map, no profiles, empty profiles', async () => {
    assert.match(only((await parseProfiles('', F, {})).problems).message, /empty/);
    assert.match(only((await parseProfiles('- a\n', F, {})).problems).message, /expected a map/);
    assert.match(only((await parseProfiles('other: 1\n', F, {})).problems.filter((p) => p.key === 'profiles')).message, /missing required key `profiles`/);
    assert.match(only((await parseProfiles('profiles: {}\n', F, {})).problems).message, /no profiles/);
    assert.match(only((await parseProfiles('profiles:\n  a: https://x\n', F, {})).problems).message, /expected a profile map/);
  });

  it('rejects files over 1 MiB with a clear message', async () => {
    const big = `# ${'x'.repeat(MAX_PROFILES_FILE_BYTES)}\nprofiles: {}\n`;
    const p = only((await parseProfiles(big, F, {})).problems);
    assert.match(p.message, /at most 1 MiB/);
  });
});

describe('loadProfilesFile and selectProfile', () => {
  it('loads from disk; a missing file is a problem, not a throw', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scimx-prof-'));
    try {
      const file = join(dir, F);
      writeFileSync(file, y('profiles:', '  a:', '    baseUrl: https://a.example.com', '  b:', '    baseUrl: https://b.example.com'));
      const pf = await loadProfilesFile(file, { env: {} });
      assert.deepEqual(pf.profiles.map((p) => p.name), ['a', 'b']);
      assert.equal(selectProfile(pf, 'b').baseUrl, 'https://b.example.com');
      assert.throws(() => selectProfile(pf), (e: unknown) => e instanceof ConfigError && /choose one with --profile/.test(e.message));
      assert.throws(() => selectProfile(pf, 'c'), /no profile "c".*a, b/);
      const missing = await loadProfilesFile(join(dir, 'nope.yaml'));
      assert.match(only(missing.problems).message, /not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('one profile in the file is used without a name; a broken one throws its problems', async () => {
    const one = await parseProfiles(y('profiles:', '  only:', '    baseUrl: https://a.example.com'), F, {});
    assert.equal(selectProfile(one).name, 'only');
    const broken = await parseProfiles(y('profiles:', '  ok:', '    baseUrl: https://a.example.com', '  bad:', '    baseUrl: nope'), F, {});
    assert.equal(selectProfile(broken, 'ok').name, 'ok');
    assert.throws(() => selectProfile(broken, 'bad'), (e: unknown) => e instanceof ConfigError && e.problems.length === 1 && e.problems[0]!.line === 5);
  });
});

describe('profileFromFlags', () => {
  it('builds a profile with basic auth, key and headers from env vars', () => {
    const p = profileFromFlags({
      baseUrl: 'http://127.0.0.1:9000/scim/', user: 'svc', passwordEnv: 'PW', subscriptionKeyEnv: 'KEY',
      keyHeader: 'X-Key', keyQuery: 'k', sendKeyAs: 'both', header: ['X-Source: cli', 'X-Api-Token: abc'], timeoutMs: '5000',
    }, { PW: 'secret-pw', KEY: 'the-key' });
    assert.equal(p.baseUrl, 'http://127.0.0.1:9000/scim');
    assert.deepEqual(p.auth, { type: 'basic', username: 'svc', password: 'secret-pw' });
    assert.deepEqual(p.gateway, { header: 'X-Key', query: 'k', sendAs: 'both', subscriptionKey: 'the-key' });
    assert.deepEqual(p.headers, { 'X-Source': 'cli', 'X-Api-Token': 'abc' });
    assert.deepEqual(p.secretHeaders, ['x-api-token']);
    assert.equal(p.timeoutMs, 5000);
    assert.equal(p.writes, DEFAULTS.writes);
  });

  it('bearer from env; defaults', () => {
    const p = profileFromFlags({ baseUrl: 'https://x.example.com', bearerEnv: 'T' }, { T: 'tok' });
    assert.deepEqual(p.auth, { type: 'bearer', token: 'tok' });
    assert.deepEqual(p.gateway, { header: DEFAULT_KEY_HEADER, query: DEFAULT_KEY_QUERY, sendAs: 'header' });
  });

  for (const [name, flags, env, re] of [
    ['no base url', {}, {}, /--base-url is required/],
    ['relative base url', { baseUrl: 'scim' }, {}, /--base-url scim: .*absolute/],
    ['unset env', { baseUrl: 'https://x', user: 'u', passwordEnv: 'NOPE' }, {}, /--password-env: environment variable NOPE is not set/],
    ['user without password', { baseUrl: 'https://x', user: 'u' }, {}, /--user needs --password-env/],
    ['value instead of a name', { baseUrl: 'https://x', bearerEnv: 'abc def' }, {}, /takes the NAME/],
    ['bad send-as', { baseUrl: 'https://x', subscriptionKeyEnv: 'K', sendKeyAs: 'cookie' }, { K: 'k' }, /header, query, both/],
    ['bad header', { baseUrl: 'https://x', header: ['NoColon'] }, {}, /expected "Name: value"/],
    ['basic and bearer', { baseUrl: 'https://x', user: 'u', passwordEnv: 'P', bearerEnv: 'T' }, { P: 'p', T: 't' }, /cannot be combined/],
    ['bad timeout', { baseUrl: 'https://x', timeoutMs: 'soon' }, {}, /--timeout-ms/],
  ] as const) {
    it(`rejects: ${name}`, () => {
      assert.throws(() => profileFromFlags({ ...flags } as never, env), (e: unknown) => e instanceof ConfigError && re.test(e.message));
    });
  }
});
