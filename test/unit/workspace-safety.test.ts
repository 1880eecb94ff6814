// The pure rules behind "a workspace file cannot send your stored secrets to a new host without asking" and
// "an untrusted workspace's profiles files are not used" (src/extension/workspace-safety.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  approve, askText, decideSecretUse, deniedKey, deniedMessage, readApprovals, secretDestinations, secretUses, workspaceSources,
  UNTRUSTED_NOTICE, type DecideContext,
} from '../../src/extension/workspace-safety';
import { parseProfiles } from '../../src/core/profiles';

const none = new Set<string>();
const ws = (patch: Partial<DecideContext> = {}): DecideContext => ({ source: 'workspace', enteredNow: none, denied: none, ...patch });

test('untrusted workspace: workspace profiles files are neither read nor watched, and the tree says why', () => {
  assert.deepEqual(workspaceSources({ trusted: false, folders: 1 }), { readWorkspaceFiles: false, watch: false, notice: UNTRUSTED_NOTICE });
  assert.deepEqual(workspaceSources({ trusted: true, folders: 2 }), { readWorkspaceFiles: true, watch: true });
  assert.deepEqual(workspaceSources({ trusted: true, folders: 0 }), { readWorkspaceFiles: false, watch: false });
  assert.deepEqual(workspaceSources({ trusted: false, folders: 0 }), { readWorkspaceFiles: false, watch: false });
});

test('a secret approved for an origin goes there; a new origin from a workspace file is asked, naming both', () => {
  let a = approve({}, 'APIM_KEY', 'https://gw.example.com');
  assert.deepEqual(decideSecretUse(a, { secret: 'APIM_KEY', origin: 'https://gw.example.com' }, ws()), { kind: 'allowed' });
  const d = decideSecretUse(a, { secret: 'APIM_KEY', origin: 'https://evil.example.net' }, ws());
  assert.deepEqual(d, { kind: 'ask', approvedFor: ['https://gw.example.com'] });
  // another port is another origin
  assert.equal(decideSecretUse(a, { secret: 'APIM_KEY', origin: 'https://gw.example.com:8443' }, ws()).kind, 'ask');
  const t = askText({ secret: 'APIM_KEY', origin: 'https://evil.example.net' }, { name: 'dev', source: { file: '/w/scim-profiles.yaml', line: 3 } }, ['https://gw.example.com']);
  assert.equal(t.message, 'Send secret APIM_KEY to https://evil.example.net?');
  assert.match(t.detail, /Profile "dev" \(\/w\/scim-profiles\.yaml:3\)/);
  assert.match(t.detail, /approved for https:\/\/gw\.example\.com only/);
  a = approve(a, 'APIM_KEY', 'https://evil.example.net');
  assert.deepEqual(a, { APIM_KEY: ['https://gw.example.com', 'https://evil.example.net'] });
  assert.equal(approve(a, 'APIM_KEY', 'https://evil.example.net'), a, 'approving twice changes nothing');
});

test('never-approved secret: asked for a workspace file, unless the user has just entered it; user settings and session record silently', () => {
  const use = { secret: 'K', origin: 'https://gw.test' };
  assert.equal(decideSecretUse({}, use, ws()).kind, 'ask');
  assert.equal(decideSecretUse({}, use, ws({ enteredNow: new Set(['K']) })).kind, 'record');
  // entered now, but already approved elsewhere: a second host still asks
  assert.equal(decideSecretUse({ K: ['https://a.test'] }, use, ws({ enteredNow: new Set(['K']) })).kind, 'ask');
  assert.equal(decideSecretUse({ K: ['https://a.test'] }, use, ws({ source: 'user' })).kind, 'record');
  assert.equal(decideSecretUse({ K: ['https://a.test'] }, use, ws({ source: 'session' })).kind, 'record');
  // refused in this session: not asked again, still refused
  assert.equal(decideSecretUse({ K: ['https://a.test'] }, use, ws({ denied: new Set([deniedKey(use)]) })).kind, 'denied');
  assert.match(deniedMessage(use), /secret K was not approved for https:\/\/gw\.test/);
});

test('destinations: base URL origin, OAuth token URL origin, and a proxy for plain-http destinations', () => {
  assert.deepEqual(secretDestinations({ baseUrl: 'https://gw.test/scim/v2', auth: { type: 'none' } }), ['https://gw.test']);
  assert.deepEqual(secretDestinations({ baseUrl: 'https://gw.test/scim/v2', auth: { type: 'oauth2', tokenUrl: 'https://login.test/t', clientId: 'c', clientSecret: 's' } }),
    ['https://gw.test', 'https://login.test']);
  assert.deepEqual(secretDestinations({ baseUrl: 'https://gw.test/scim', auth: { type: 'none' }, proxy: 'http://proxy.test:3128' }), ['https://gw.test'], 'https is tunnelled: the proxy sees no secret');
  assert.deepEqual(secretDestinations({ baseUrl: 'http://gw.test/scim', auth: { type: 'none' }, proxy: 'http://proxy.test:3128' }), ['http://gw.test', 'http://proxy.test:3128']);
});

test('stored approvals are validated: junk is ignored, never trusted', () => {
  assert.deepEqual(readApprovals(undefined), {});
  assert.deepEqual(readApprovals('x'), {});
  assert.deepEqual(readApprovals([1]), {});
  assert.deepEqual(readApprovals({ A: ['https://a.test', 'https://a.test', 'https://a.test/path', 5, 'nonsense'], B: 'https://b.test', C: [] }), { A: ['https://a.test'] });
});

test('the parser records which secrets each profile resolved, so the check is per profile', async () => {
  const text = [
    'profiles:',
    '  good:',
    '    baseUrl: https://gw.example.com/scim/v2',
    '    gateway: { subscriptionKey: "${secret:APIM_KEY}" }',
    '  moved:',
    '    baseUrl: https://evil.example.net/scim/v2',
    '    auth: { type: bearer, token: "${secret:TOKEN}" }',
    '    gateway: { subscriptionKey: "${secret:APIM_KEY}" }',
    '  plain:',
    '    baseUrl: https://other.example.org/scim',
  ].join('\n');
  const store: Record<string, string> = { APIM_KEY: 'k-123', TOKEN: 't-456' };
  const pf = await parseProfiles(text, '/w/scim-profiles.yaml', { secrets: { get: async (n) => store[n] } });
  const by = new Map(pf.profiles.map((p) => [p.name, p]));
  assert.deepEqual(by.get('good')?.secretRefs, ['APIM_KEY']);
  assert.deepEqual(by.get('moved')?.secretRefs?.sort(), ['APIM_KEY', 'TOKEN']);
  assert.equal(by.get('plain')?.secretRefs, undefined);
  const approvals = approve({}, 'APIM_KEY', 'https://gw.example.com');
  const asks = [...by.values()].flatMap((p) => secretUses(p)).filter((u) => decideSecretUse(approvals, u, ws()).kind === 'ask');
  assert.deepEqual(asks, [{ secret: 'TOKEN', origin: 'https://evil.example.net' }, { secret: 'APIM_KEY', origin: 'https://evil.example.net' }].sort((a, b) => (by.get('moved')!.secretRefs!.indexOf(a.secret) - by.get('moved')!.secretRefs!.indexOf(b.secret))));
});

test('an ${env:} value a workspace file sends to a host is asked about like a stored secret (issue 10)', async () => {
  const ok = await parseProfiles('profiles:\n  p:\n    baseUrl: https://gw.example.com/scim/${env:TENANT}\n    gateway:\n      subscriptionKey: ${env:APIM_KEY}\n', '/w/scim-profiles.yaml',
    { env: { TENANT: 't1', APIM_KEY: 'k-0123456789abcdef' } });
  const p = ok.profiles[0]!;
  assert.deepEqual(p.envRefs, ['TENANT', 'APIM_KEY']);
  const uses = secretUses(p);
  assert.deepEqual(uses, [{ secret: 'env:TENANT', origin: 'https://gw.example.com' }, { secret: 'env:APIM_KEY', origin: 'https://gw.example.com' }]);
  assert.equal(decideSecretUse({}, uses[1]!, ws()).kind, 'ask');
  assert.equal(decideSecretUse({}, uses[1]!, ws({ source: 'user' })).kind, 'record');
  assert.equal(decideSecretUse(approve({}, 'env:APIM_KEY', 'https://gw.example.com'), uses[1]!, ws()).kind, 'allowed');
  assert.equal(decideSecretUse(approve({}, 'APIM_KEY', 'https://gw.example.com'), uses[1]!, ws()).kind, 'ask', 'a secret of the same name is another approval');
  const t = askText(uses[1]!, { name: 'p', source: { file: '/w/scim-profiles.yaml', line: 2 } }, []);
  assert.equal(t.message, 'Send environment variable APIM_KEY to https://gw.example.com?');
  assert.match(t.detail, /sends the value of \$\{env:APIM_KEY\} to https:\/\/gw\.example\.com\. It was not approved for any host yet\./);
  assert.match(deniedMessage(uses[1]!), /^environment variable APIM_KEY was not approved for https:\/\/gw\.example\.com/);
  // the tenant (a path segment) is masked; the host is not
  assert.deepEqual(p.maskedValues, ['t1', 'k-0123456789abcdef']);
});
