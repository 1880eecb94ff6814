// Connector check (issue 14, point 4), the pure parts: the request each connector sends (as documented, the
// non-standard forms kept as they are), the checks on the re-read state, the --as parser, the CLI table and the
// webview page (every server-provided string escaped).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONNECTOR_STEPS, oneimGroup, parseConnectors, SOURCES, type Scratch } from '../../src/core/scim/compat-shapes';
import type { CompatReport, CompatRow } from '../../src/core/scim/compat';
import { compatSummary } from '../../src/core/scim/compat';
import { formatCompat } from '../../src/cli/commands/compat';
import { compatHtml } from '../../src/extension/compat-html';

const s: Scratch = {
  users: 'Users', groups: 'Groups', baseUrl: 'https://gw.example.com/scim/v2/', userName: 'scimx-compat-abc123-entra-user',
  groupName: 'scimx-compat-abc123-entra-group', externalId: 'ext-1', userId: 'U1', groupId: 'G1', bystanderId: 'B1',
};

function step(connector: keyof typeof CONNECTOR_STEPS, operation: string, n = 0) {
  const found = CONNECTOR_STEPS[connector].filter((x) => x.operation === operation)[n];
  assert.ok(found, `${connector} has a ${operation} step #${n}`);
  return found;
}

test('Entra: its documented PATCH forms, the non-standard ones as sent by default', () => {
  const disable = step('entra', 'user deactivate', 0).build(s);
  assert.deepEqual(disable, { method: 'PATCH', url: 'Users/U1', body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] } });
  const flagged = step('entra', 'user deactivate', 1);
  assert.deepEqual(flagged.build(s).body.Operations, [{ op: 'replace', path: 'active', value: false }]);
  assert.deepEqual(flagged.before, { active: true });
  assert.deepEqual(step('entra', 'members remove', 0).build(s).body.Operations, [{ op: 'Remove', path: 'members', value: [{ value: 'U1' }] }]);
  assert.deepEqual(step('entra', 'members remove', 1).build(s).body.Operations, [{ op: 'remove', path: 'members[value eq "U1"]' }]);
  assert.deepEqual(step('entra', 'members add').build(s).body.Operations, [{ op: 'Add', path: 'members', value: [{ $ref: null, value: 'U1' }] }]);
  const update = step('entra', 'user update').build(s).body.Operations as Array<{ op: string; path: string }>;
  assert.deepEqual(update.map((o) => `${o.op} ${o.path}`), ['Replace emails[type eq "work"].value', 'Replace name.familyName']);
  for (const x of CONNECTOR_STEPS.entra) assert.match(x.source, /^https:\/\/learn\.microsoft\.com\/en-us\/entra\/identity\/app-provisioning\//);
  assert.ok(CONNECTOR_STEPS.entra.some((x) => x.source.startsWith(SOURCES.entraKnownIssues)));
});

test('Okta: deactivate as a replace without a path; Group Push membership; update as GET then PUT', () => {
  assert.deepEqual(step('okta', 'user deactivate').build(s).body.Operations, [{ op: 'replace', value: { active: false } }]);
  assert.deepEqual(step('okta', 'members remove').build(s).body.Operations, [{ op: 'remove', path: 'members[value eq "U1"]' }]);
  assert.deepEqual(step('okta', 'group create').build(s).body, { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: s.groupName, members: [] });
  const update = step('okta', 'user update');
  assert.equal(update.readFirst, 'user');
  const put = update.build(s, { id: 'U1', userName: s.userName, name: { givenName: 'Compat', familyName: 'User', middleName: 'M' }, meta: { version: 'x' } });
  assert.equal(put.method, 'PUT');
  assert.deepEqual(put.body, { id: 'U1', userName: s.userName, name: { givenName: 'Compat', familyName: 'Compat-Updated', middleName: 'M' } }, 'written back whole, meta left out');
  assert.ok(!JSON.stringify(CONNECTOR_STEPS.okta.map((x) => x.build(s, {}).body)).includes('password'), 'no password in any body');
});

test('SAP Identity Provisioning: PUT of the whole user and group (its default without patch.operation)', () => {
  const add = step('sap-ips', 'members add').build(s);
  assert.deepEqual(add, { method: 'PUT', url: 'Groups/G1', body: { id: 'G1', schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: s.groupName, members: [{ value: 'B1' }, { value: 'U1' }] } });
  assert.deepEqual(step('sap-ips', 'members remove').build(s).body.members, [{ value: 'B1' }]);
  const off = step('sap-ips', 'user deactivate').build(s);
  assert.equal(off.method, 'PUT');
  assert.equal(off.body.active, false);
  assert.equal(off.body.userName, s.userName);
});

test('One Identity Manager: GET then PUT of the whole group, in the field report\'s shape (absolute $ref, type, value; no id)', () => {
  const add = step('oneim', 'members add');
  assert.equal(add.readFirst, 'group');
  const read = { id: 'G1', displayName: 'SCIM-DEV-1', members: [{ value: 'B1' }], meta: { resourceType: 'Group' } };
  assert.deepEqual(add.build(s, read), {
    method: 'PUT', url: 'Groups/G1', body: {
      displayName: 'SCIM-DEV-1',
      members: [
        { $ref: 'https://gw.example.com/scim/v2/Users/B1', type: 'User', value: 'B1' },
        { $ref: 'https://gw.example.com/scim/v2/Users/U1', type: 'User', value: 'U1' },
      ],
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
    },
  });
  // a GET that returns no members (an Entra-like read) makes the connector PUT only what it adds: shown, not fixed
  assert.deepEqual(oneimGroup(s, { displayName: 'x' }, { add: 'U1' }).members, [{ $ref: 'https://gw.example.com/scim/v2/Users/U1', type: 'User', value: 'U1' }]);
  assert.deepEqual((step('oneim', 'members remove').build(s, { ...read, members: [{ value: 'B1' }, { value: 'U1' }] }).body.members as unknown[]).length, 1);
});

test('every connector covers user create/update/deactivate, group create and membership add/remove, each with a source', () => {
  for (const [id, steps] of Object.entries(CONNECTOR_STEPS)) {
    const ops = new Set(steps.map((x) => x.operation));
    assert.deepEqual([...ops].sort(), ['group create', 'members add', 'members remove', 'user create', 'user deactivate', 'user update'], id);
    for (const x of steps) assert.ok(x.source.length > 10, `${id} ${x.operation} cites its source`);
  }
});

test('checks on the re-read: active must be the boolean, the other member must stay', () => {
  const off = step('entra', 'user deactivate', 0);
  assert.deepEqual(off.check(s, { active: false }), []);
  assert.deepEqual(off.check(s, { active: 'False' }), ['active is stored as the string "False", not the boolean false']);
  assert.deepEqual(off.check(s, { active: true }), ['active is true, not false']);
  const remove = step('entra', 'members remove', 0);
  assert.deepEqual(remove.check(s, { members: [{ value: 'B1' }] }), []);
  assert.deepEqual(remove.check(s, {}), ['the other member (B1), not named by the write, is gone'], 'a wiped group');
  assert.deepEqual(remove.check(s, { members: [{ value: 'B1' }, { value: 'U1' }] }), ['the scratch user is still a member']);
  const add = step('okta', 'members add');
  assert.deepEqual(add.check(s, { members: [{ value: 'U1' }] }), ['the other member (B1), not named by the write, is gone']);
  assert.deepEqual(add.check(s, {}), ['the scratch user is not a member (the group read returned no members list)', 'the other member (B1), not named by the write, is gone']);
});

test('--as: all, one, a list, aliases; an unknown name is refused naming the known ones', () => {
  assert.deepEqual(parseConnectors(undefined), ['entra', 'okta', 'sap-ips', 'oneim']);
  assert.deepEqual(parseConnectors('all'), ['entra', 'okta', 'sap-ips', 'oneim']);
  assert.deepEqual(parseConnectors('okta'), ['okta']);
  assert.deepEqual(parseConnectors('sap, Entra,okta,sap-ips'), ['sap-ips', 'entra', 'okta']);
  assert.throws(() => parseConnectors('ping'), /unknown connector "ping" \(known: entra, okta, sap-ips, oneim, all\)/);
});

const P = '<img src=x onerror=alert(1)>';
function row(over: Partial<CompatRow>): CompatRow {
  return {
    connector: 'entra', connectorName: 'Microsoft Entra ID', operation: 'user deactivate', form: '"op":"Replace", active "False"',
    source: SOURCES.entraKnownIssues, request: 'PATCH Users/U1', gateway: 'passed', status: 400, scimType: 'invalidValue',
    serviceDetail: `bad value ${P}`, verified: 'no', differs: ['active is true, not false'], outcome: 'fail', exchangeId: 'ex-7', exchangeIds: ['ex-7', 'ex-8'], notes: [],
    ...over,
  };
}
const report: CompatReport = {
  profile: 'dev', baseUrl: 'https://gw/scim/v2', prefix: 'scimx-compat-abc123', connectors: ['entra'], cancelled: false, leftovers: [],
  rows: [
    row({}),
    row({ operation: 'members add', form: 'Add', gateway: 'refused', gatewayDetail: 'gateway rejected PATCH: subscription key missing', status: undefined, scimType: undefined, serviceDetail: undefined, verified: 'no', exchangeId: 'ex-9' }),
    row({ operation: 'user create', status: 201, scimType: undefined, serviceDetail: undefined, verified: 'yes', differs: [], outcome: 'pass', exchangeId: 'ex-1' }),
  ],
  cleanup: [{ kind: 'user', name: 'scimx-compat-abc123-entra-user', id: 'U1', result: 'deleted', detail: 'DELETE answered 204, GET answers 404', exchangeIds: ['ex-20', 'ex-21'] }],
};

test('the CLI table: one row per request with the gateway\'s and the service\'s verdicts, state, result and exchange id', () => {
  const text = formatCompat(report);
  const lines = text.split('\n');
  assert.match(lines[1]!, /^#\s+CONNECTOR\s+OPERATION\s+REQUEST\s+GATEWAY\s+SERVICE\s+VERIFIED\s+RESULT\s+EXCHANGE$/);
  assert.match(lines[2]!, /^1\s+Microsoft Entra ID\s+user deactivate\s+"op":"Replace", active "False"\s+passed\s+400 invalidValue\s+no\s+FAIL\s+ex-7$/);
  assert.match(lines[3]!, /^2\s+.*members add\s+Add\s+refused\s+-\s+no\s+FAIL\s+ex-9$/);
  assert.match(lines[4]!, /^3\s+.*user create\s+.*passed\s+201\s+yes\s+PASS\s+ex-1$/);
  assert.match(text, /2\. Microsoft Entra ID members add: gateway: gateway rejected PATCH: subscription key missing/);
  assert.match(text, /cleanup:\n {2}user scimx-compat-abc123-entra-user \(U1\): deleted, DELETE answered 204, GET answers 404 \[ex-20, ex-21\]/);
  assert.match(text, /compat: 1 of 3 steps pass; 2 fail; 1 scratch resource\(s\) deleted and checked\n$/);
  assert.equal(compatSummary({ ...report, leftovers: ['Users/U1 (x)'] }).includes('LEFT on the service: Users/U1 (x)'), true);
});

test('the webview page: strict CSP, one nonce\'d script, every server string escaped, each row opens its exchange', () => {
  const html = compatHtml({ cspSource: 'vscode-webview://x', nonce: 'N0NCE', script: 'https://w/compat.js', style: 'https://w/compat.css', report: { ...report, profile: `dev ${P}` }, summary: compatSummary(report) });
  assert.ok(!html.includes(P), 'the payload never appears unescaped');
  assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
  assert.match(html, /content="default-src 'none'; script-src 'nonce-N0NCE'; style-src vscode-webview:\/\/x/);
  assert.equal(html.match(/<script/g)?.length, 1);
  assert.match(html, /<script nonce="N0NCE" src="https:\/\/w\/compat\.js"><\/script>/);
  assert.ok(!/ on[a-z]+=/i.test(html.replace(/&lt;img src=x onerror=alert\(1\)&gt;/g, '')), 'no handler attribute');
  for (const id of ['ex-7', 'ex-9', 'ex-1', 'ex-20']) assert.match(html, new RegExp(`data-exchange="${id}"`));
});
