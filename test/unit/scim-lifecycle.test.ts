// Create and delete (issue 14, point 2), the pure parts: the template built from /Schemas, the required attributes a
// body leaves empty, what differs between what was sent and what is stored, and the new resource's id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attributeRules, createdId, differences, missingRequired, resourceTemplate } from '../../src/core/scim/lifecycle';
import type { ResourceTypeInfo } from '../../src/core/scim/types';

const USER_RT: ResourceTypeInfo = { id: 'User', name: 'User', endpoint: 'Users', schema: 'urn:ietf:params:scim:schemas:core:2.0:User' };
const GROUP_RT: ResourceTypeInfo = { id: 'Group', name: 'Group', endpoint: 'Groups', schema: 'urn:ietf:params:scim:schemas:core:2.0:Group' };

/** /Schemas as a service writes them (RFC 7643 §7 shape), with a required complex attribute and a read-only one. */
const SCHEMAS = [
  {
    id: 'urn:ietf:params:scim:schemas:core:2.0:User',
    attributes: [
      { name: 'id', type: 'string', required: false, mutability: 'readOnly' },
      { name: 'userName', type: 'string', required: true, mutability: 'readWrite' },
      { name: 'displayName', type: 'string', required: false, mutability: 'readWrite' },
      { name: 'active', type: 'boolean', required: false },
      { name: 'password', type: 'string', required: false, mutability: 'writeOnly', returned: 'never' },
      {
        name: 'emails', type: 'complex', multiValued: true, required: true,
        subAttributes: [{ name: 'value', type: 'string', required: true }, { name: 'type', type: 'string' }, { name: 'primary', type: 'boolean' }],
      },
      { name: 'groups', type: 'complex', multiValued: true, required: true, mutability: 'readOnly' },
      { name: 'employeeCount', type: 'integer', required: true },
    ],
  },
  {
    id: 'urn:ietf:params:scim:schemas:core:2.0:Group',
    attributes: [
      { name: 'displayName', type: 'string', required: true },
      { name: 'members', type: 'complex', multiValued: true, required: false, subAttributes: [{ name: 'value', type: 'string', mutability: 'immutable' }] },
    ],
  },
];

test('template: schemas, every required attribute the client may write, and the suggested ones; read-only ones left out', () => {
  const t = resourceTemplate(USER_RT, SCHEMAS);
  assert.deepEqual(t, {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName: '', displayName: '', active: true,
    emails: [{ value: '' }],
    employeeCount: 0,
  });
  assert.deepEqual(resourceTemplate(GROUP_RT, SCHEMAS), { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: '', members: [] });
});

test('template without /Schemas: RFC 7643 core schemas (userName for a user, displayName for a group)', () => {
  assert.deepEqual(resourceTemplate(USER_RT, []), { schemas: [USER_RT.schema], userName: '', displayName: '', active: true });
  assert.deepEqual(resourceTemplate(GROUP_RT, []), { schemas: [GROUP_RT.schema], displayName: '', members: [] });
});

test('missingRequired names the required attributes left out or empty; the filled-in template passes', () => {
  const t = resourceTemplate(USER_RT, SCHEMAS);
  assert.deepEqual(missingRequired(USER_RT, SCHEMAS, t), ['userName']);
  assert.deepEqual(missingRequired(USER_RT, SCHEMAS, { ...t, userName: '  ' }), ['userName']);
  const { userName: _unset, ...rest } = t;
  assert.deepEqual(missingRequired(USER_RT, SCHEMAS, { ...rest, username: 'alice' }), [], 'attribute names compare without case');
  assert.deepEqual(missingRequired(USER_RT, SCHEMAS, { userName: 'alice' }), ['emails', 'employeeCount']);
  assert.deepEqual(missingRequired(USER_RT, [], {}), ['userName']);
  assert.deepEqual(missingRequired(GROUP_RT, [], { displayName: 'ops' }), []);
});

test('differences: what was sent and is not stored, one line each; case, $ref/display and never-returned attributes aside', () => {
  const sent = {
    schemas: [USER_RT.schema], userName: 'Alice', displayName: 'Alice A', active: true, password: 'p4ssw0rd-never-returned',
    name: { givenName: 'Alice', familyName: 'A' }, emails: [{ value: 'a@example.com', type: 'work' }],
  };
  const stored = {
    id: 'u1', schemas: [USER_RT.schema], username: 'alice', displayName: 'Alice A', active: true,
    name: { givenName: 'Alice', familyName: 'A' }, emails: [{ value: 'A@example.com', type: 'work', primary: true }], meta: {},
  };
  assert.deepEqual(differences(sent, stored, attributeRules(SCHEMAS, sent)), []);
  const wrong = { ...stored, active: 'false', name: { givenName: 'Alice' }, emails: [{ value: 'b@example.com', type: 'work' }] };
  assert.deepEqual(differences(sent, wrong, attributeRules(SCHEMAS, sent)), [
    'active: sent true, stored "false"',
    'name.familyName: sent "A", not stored',
    'emails: sent item {"value":"a@example.com","type":"work"} not stored',
  ]);
  // a member's value is an id: compared exactly; $ref and display are the server's to fill in
  const g = { displayName: 'ops', members: [{ value: 'U1', $ref: null }] };
  assert.deepEqual(differences(g, { displayName: 'ops', members: [{ value: 'U1', display: 'x', $ref: 'https://h/Users/U1' }] }), []);
  assert.deepEqual(differences(g, { displayName: 'ops', members: [{ value: 'u1' }] }), ['members: sent item {"value":"U1","$ref":null} not stored']);
  assert.deepEqual(differences({ members: [] }, { members: [{ value: 'x' }] }), ['members: sent [], stored [{"value":"x"}]']);
});

test('createdId: the body id, else the Location header, else meta.location', () => {
  assert.equal(createdId({ json: { id: 'a1' }, headers: {} }), 'a1');
  assert.equal(createdId({ json: undefined, headers: { location: 'https://gw/scim/v2/Users/b%202' } }), 'b 2');
  assert.equal(createdId({ json: { meta: { location: 'https://gw/scim/v2/Groups/c3/' } }, headers: {} }), 'c3');
  assert.equal(createdId({ json: {}, headers: {} }), undefined);
});
