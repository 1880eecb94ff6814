// Request files (`*.scim`): the parser (blocks, names, headers, bodies, problems with line:column), the checks
// made against a profile before anything is sent (origin, base path, headers the profile owns, masked), and what
// a raw group write asks of its members.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRequestFile, selectBlocks } from '../../src/core/request-files/parse';
import { prepareRequest } from '../../src/core/request-files/send';
import { membersIntent } from '../../src/core/request-files/members-intent';
import { formatSendResult } from '../../src/core/request-files/format';
import type { Profile } from '../../src/core/profile';
import { DEFAULTS } from '../../src/core/profile';

const FILE = `# requests for the dev tenant
### list users
GET Users?filter=userName sw "b"
  &count=5
If-None-Match: W/"1"

### add a member
# @name ignored-because-separator-named-first
PATCH /Groups/g1
Content-Type: application/json

{
  "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
  "Operations": [{ "op": "add", "path": "members", "value": [{ "value": "u1" }] }]
}

###
// @name by-directive
DELETE Users/u9 HTTP/1.1
`;

test('blocks: names from ### and @name, query continuation, headers, JSON body, lines', () => {
  const f = parseRequestFile(FILE);
  assert.deepEqual(f.problems, []);
  assert.equal(f.blocks.length, 3);
  const [a, b, c] = f.blocks as [NonNullable<typeof f.blocks[0]>, NonNullable<typeof f.blocks[0]>, NonNullable<typeof f.blocks[0]>];
  assert.equal(a.name, 'list users');
  assert.equal(a.method, 'GET');
  assert.equal(a.target, 'Users?filter=userName sw "b"&count=5');
  assert.deepEqual(a.headers.map((h) => [h.name, h.value, h.line]), [['If-None-Match', 'W/"1"', 5]]);
  assert.equal(a.requestLine, 3);
  assert.equal(a.body, undefined);
  assert.equal(b.name, 'ignored-because-separator-named-first', '@name inside the block wins over the separator text');
  assert.equal(b.method, 'PATCH');
  assert.equal(b.target, '/Groups/g1');
  assert.equal(b.body?.line, 12);
  assert.deepEqual((b.body?.json as { Operations: unknown[] }).Operations.length, 1);
  assert.equal(c.name, 'by-directive');
  assert.equal(c.target, 'Users/u9', 'HTTP/1.1 is not part of the path');
  assert.deepEqual(selectBlocks(f, 'LIST USERS').map((x) => x.index), [0]);
  assert.deepEqual(selectBlocks(f, '3').map((x) => x.index), [2]);
  assert.deepEqual(selectBlocks(f, 'nope'), []);
});

test('a file without ###, CRLF line ends and a BOM is one request', () => {
  const f = parseRequestFile('\uFEFFGET ServiceProviderConfig\r\nAccept: application/json\r\n');
  assert.deepEqual(f.problems, []);
  assert.equal(f.blocks.length, 1);
  assert.equal(f.blocks[0]!.target, 'ServiceProviderConfig');
  assert.equal(f.blocks[0]!.headers.length, 1);
});

test('problems carry line:column: a bad method, a missing path, a bad header, JSON errors, duplicate names', () => {
  const f = parseRequestFile([
    '### one', // 1
    'FETCH Users', // 2
    '### two', // 3
    'GET', // 4
    '### three', // 5
    'POST Users', // 6
    'Bad Header Line', // 7
    '', // 8
    '{ "userName": "x", }', // 9
    '### one', // 10
    'GET Users', // 11
    '### five', // 12
    'POST Users', // 13
    '{"a": 1}', // 14
  ].join('\n'));
  const at = (line: number) => f.problems.filter((p) => p.line === line).map((p) => `${p.column} ${p.message}`);
  assert.match(at(2)[0] ?? '', /^1 "FETCH" is not a method/);
  assert.match(at(4)[0] ?? '', /^4 GET needs a path/);
  assert.match(at(7)[0] ?? '', /^1 Expected a header "Name: value"/);
  assert.match(at(9)[0] ?? '', /^20 The body is not JSON: /, 'the trailing comma, at its column');
  assert.match(at(10)[0] ?? '', /already named "one" \(line 1\)/);
  assert.match(at(14)[0] ?? '', /A body must follow a blank line/);
  assert.equal(f.blocks[4]!.body?.line, 14, 'the body is still read for its own problems');
  assert.ok(f.blocks.every((b) => b.index === f.blocks.indexOf(b)));
});

test('a JSON error on a later line of the body is placed on that line', () => {
  const f = parseRequestFile('PUT Groups/g1\n\n{\n  "displayName": "x"\n  "members": []\n}\n');
  assert.equal(f.problems.length, 1);
  assert.deepEqual([f.problems[0]!.line, f.problems[0]!.column], [5, 3]);
  assert.match(f.problems[0]!.message, /comma was expected/);
});

const profile = (over: Partial<Profile> = {}): Profile => ({
  ...DEFAULTS,
  name: 'dev', baseUrl: 'https://gw.example.com/scim/v2',
  auth: { type: 'bearer', token: 'the-profile-token-123456' },
  gateway: { subscriptionKey: 'profile-key-abcdef123456', header: 'Ocp-Apim-Subscription-Key', query: 'subscription-key', sendAs: 'header' },
  headers: { 'X-Tenant': 'dev' }, secretHeaders: [], tls: { insecure: false },
  ...over,
});

test('prepare: relative paths stay relative; an absolute URL on the profile origin under the base path is kept', () => {
  const f = parseRequestFile('### a\nGET /Users?count=1\n### b\nGET https://gw.example.com/scim/v2/Groups/g%2F1\n');
  const a = prepareRequest(profile(), f.blocks[0]!);
  assert.equal(a.spec.url, 'Users?count=1');
  assert.deepEqual(a.segments, ['Users']);
  const b = prepareRequest(profile(), f.blocks[1]!);
  assert.equal(b.spec.url, 'https://gw.example.com/scim/v2/Groups/g%2F1');
  assert.deepEqual(b.segments, ['Groups', 'g/1']);
});

test('prepare: another origin, or a path outside the base URL, is refused before anything is sent', () => {
  const f = parseRequestFile([
    '### other host', 'GET https://evil.example.net/scim/v2/Users',
    '### other port', 'GET https://gw.example.com:8443/scim/v2/Users',
    '### other scheme', 'GET http://gw.example.com/scim/v2/Users',
    '### outside', 'GET https://gw.example.com/admin/Users',
    '### dot segments', 'GET ../../admin',
  ].join('\n'));
  for (const b of f.blocks.slice(0, 3)) {
    assert.throws(() => prepareRequest(profile(), b, 'x.scim'), (e: Error & { code?: string }) =>
      e.code === 'usage' && /is not the origin of profile "dev" \(https:\/\/gw\.example\.com\)/.test(e.message) && /nothing was sent/.test(e.message) && e.message.startsWith(`x.scim:${b.requestLine}:`), b.name);
  }
  for (const b of f.blocks.slice(3)) {
    assert.throws(() => prepareRequest(profile(), b), /leads outside the base URL/, b.name);
  }
});

test('prepare: a block with a problem is refused with FILE:LINE:COLUMN', () => {
  const f = parseRequestFile('GET Users\n\n{ nope');
  assert.throws(() => prepareRequest(profile(), f.blocks[0]!, 'req.scim'), /^ScimxError: req\.scim:3:\d+: The body is not JSON/);
});

test('prepare: headers the profile owns are not sent, each said with its value masked; others pass', () => {
  const f = parseRequestFile([
    'GET Users?subscription-key=block-key-value-987654',
    'Authorization: Bearer block-token-abcdefghijkl',
    'ocp-apim-subscription-key: block-key-value-987654',
    'X-Tenant: other',
    'Content-Type: application/json',
    'If-Match: W/"7"',
    'X-Trace: a',
    'X-Trace: b',
  ].join('\n'));
  const p = prepareRequest(profile(), f.blocks[0]!);
  assert.deepEqual(p.spec.headers, { 'If-Match': 'W/"7"', 'X-Trace': 'a, b' });
  const w = p.warnings.join('\n');
  assert.match(w, /line 1: query parameter subscription-key \(••••7654\) is not sent: the profile's gateway key is \(sent as header\)/);
  assert.match(w, /line 2: Authorization \(Bearer ••••ijkl\) is not sent: the profile's bearer auth is/);
  assert.match(w, /line 3: ocp-apim-subscription-key \(••••7654\) is not sent: the profile's gateway key is/);
  assert.match(w, /line 4: X-Tenant is not sent: the profile's own X-Tenant header is/);
  assert.match(w, /line 5: Content-Type is not sent: the pipeline sets it \(application\/scim\+json\)/);
  assert.doesNotMatch(w, /block-token-abcdefghijkl|block-key-value-987654/, 'no value in clear');
  const none = prepareRequest(profile({ auth: { type: 'none' }, gateway: { ...profile().gateway, subscriptionKey: undefined } }), f.blocks[0]!);
  assert.match(none.warnings.join('\n'), /this profile sends none \(auth: none\)/);
  assert.match(none.warnings.join('\n'), /the gateway key comes from the profile only, and this profile has none/);
});

test('prepare: the body goes as written', () => {
  const text = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],  "userName":"x"}';
  const p = prepareRequest(profile(), parseRequestFile(`POST Users\n\n${text}\n`).blocks[0]!);
  assert.equal((p.spec.body as Buffer).toString('utf8'), text);
});

const PATCH = (ops: unknown[]) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: ops });

test('members intent: by ids when the body says them', () => {
  assert.equal(membersIntent('PATCH', PATCH([{ op: 'replace', path: 'displayName', value: 'x' }])), undefined);
  assert.equal(membersIntent('PATCH', PATCH([{ op: 'replace', path: 'members[value eq "a"].display', value: 'x' }])), undefined, 'a sub-attribute is no membership change');
  assert.deepEqual(membersIntent('PATCH', PATCH([
    { op: 'add', path: 'members', value: [{ value: 'a' }, { value: 'b' }] },
    { op: 'Remove', path: 'members[value eq "c" or value eq "d"]' },
    { op: 'remove', path: 'urn:ietf:params:scim:schemas:core:2.0:Group:members[value eq "b"]' },
    { op: 'add', value: { members: [{ value: 'e' }] } },
  ])), { kind: 'delta', add: ['a', 'e'], remove: ['c', 'd', 'b'], notes: [] });
  const entra = membersIntent('PATCH', PATCH([{ op: 'Remove', path: 'members', value: [{ value: 'x' }] }]));
  assert.equal(entra?.kind, 'delta');
  assert.match(entra.notes.join(), /not RFC 7644; some servers remove every member/);
  const put = membersIntent('PUT', { displayName: 'g' });
  assert.deepEqual(put && put.kind === 'delta' ? [put.add, put.remove] : undefined, [[], []], 'a PUT without members: checked as unchanged');
});

test('members intent: from the list before when the body depends on it', () => {
  const before = [{ value: 'a', display: 'Ann' }, { value: 'b', display: 'Bob' }, { value: 'c', display: 'Cy' }];
  const desired = (method: string, body: unknown) => {
    const i = membersIntent(method, body);
    assert.equal(i?.kind, 'list');
    return i && i.kind === 'list' ? i.desired(before).sort() : [];
  };
  assert.deepEqual(desired('PUT', { displayName: 'g', members: [{ value: 'a' }, { value: 'z' }] }), ['a', 'z']);
  assert.deepEqual(desired('PATCH', PATCH([{ op: 'replace', path: 'members', value: [{ value: 'q' }] }])), ['q']);
  assert.deepEqual(desired('PATCH', PATCH([{ op: 'remove', path: 'members' }])), []);
  assert.deepEqual(desired('PATCH', PATCH([{ op: 'remove', path: 'members[display eq "Bob"]' }])), ['a', 'c']);
  assert.deepEqual(desired('PATCH', PATCH([{ op: 'replace', value: { members: [{ value: 'c' }] } }])), ['c']);
  assert.deepEqual(desired('PATCH', PATCH([{ op: 'remove', path: 'members[' }])), [], 'an unreadable filter is taken as matching every member');
});

test('the result as text: status, masked headers, pretty body, warnings, the membership verdict', () => {
  const text = formatSendResult({
    index: 1, name: 'add', method: 'PATCH', target: 'Groups/g1', url: 'https://gw/scim/Groups/g1', status: 200, statusText: 'OK',
    headers: [['content-type', 'application/scim+json']], body: '{"id":"g1"}', json: { id: 'g1' }, durationMs: 12.4,
    warnings: ['line 3: Authorization (Bearer ••••abcd) is not sent'], ok: false,
    membership: { groupId: 'g1', mode: 'patch', added: ['u1'], removed: [], alreadyPresent: [], alreadyAbsent: [], missing: [], lost: ['u7'], verified: false,
      collateral: { method: 'full', checked: 3 }, concurrentChange: false, requests: 3, bytesSent: 1, bytesReceived: 1, warnings: [], journalId: 'J1' },
  });
  assert.match(text, /^### add: PATCH Groups\/g1\nPATCH https:\/\/gw\/scim\/Groups\/g1\nwarning: line 3: Authorization \(Bearer ••••abcd\) is not sent\n/);
  assert.match(text, /\nmembers of group g1: 1 LOST; added u1; LOST u7; others checked 3 \(every other member\); journal J1\n/);
  assert.match(text, /\n\nHTTP 200 OK \(12 ms\)\ncontent-type: application\/scim\+json\n\n\{\n {2}"id": "g1"\n\}\n$/);
});
