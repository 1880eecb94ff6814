// The editor side of request files, without VS Code: where the Send lenses go, and what is completed where
// (resource paths from /ResourceTypes, attribute names from /Schemas, PatchOp keys and paths).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRequestFile } from '../../src/core/request-files/parse';
import { blockAtLine, bodyCompletions, lensesFor, pathCompletions, whereIs, type SchemaSource } from '../../src/extension/request-files/model';

const src: SchemaSource = {
  resourceTypes: [
    { id: 'User', name: 'User', endpoint: '/Users', schema: 'urn:ietf:params:scim:schemas:core:2.0:User' },
    { id: 'Group', name: 'Group', endpoint: 'Groups', schema: 'urn:ietf:params:scim:schemas:core:2.0:Group' },
  ],
  schemas: [
    { id: 'urn:ietf:params:scim:schemas:core:2.0:User', attributes: [
      { name: 'userName', type: 'string' },
      { name: 'id', type: 'string', mutability: 'readOnly' },
      { name: 'name', type: 'complex', subAttributes: [{ name: 'givenName', type: 'string' }, { name: 'familyName', type: 'string' }] },
      { name: 'emails', type: 'complex', multiValued: true, subAttributes: [{ name: 'value', type: 'string' }, { name: 'type', type: 'string' }] },
    ] },
    { id: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', attributes: [{ name: 'employeeNumber', type: 'string' }] },
    { id: 'urn:ietf:params:scim:schemas:core:2.0:Group', attributes: [{ name: 'displayName', type: 'string' }, { name: 'members', type: 'complex', multiValued: true }] },
  ],
};

const TEXT = [
  '### a', // 0
  'GET Users', // 1
  '', // 2
  '### b', // 3
  'POST Users', // 4
  '', // 5
  '{', // 6
  '  "name": { "giv": 1 },', // 7
  '  "emails": [{ "ty": 1 }],', // 8
  '  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { "emp": 1 },', // 9
  '  "us": 1', // 10
  '}', // 11
  '### c', // 12
  'PATCH Users/u1', // 13
  '', // 14
  '{ "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{ "op": "replace", "path": "na" }] }', // 15
  '### broken', // 16
  'FETCH x', // 17
].join('\n');
const lines = TEXT.split('\n');
const file = parseRequestFile(TEXT);

test('a lens on each request line; a broken request says its problem instead of sending', () => {
  const l = lensesFor(file);
  assert.deepEqual(l.map((x) => [x.line, x.index, x.problem === undefined]), [[1, 0, true], [4, 1, true], [13, 2, true], [17, 3, false]]);
  assert.equal(l[0]!.title, '$(play) Send "a"');
  assert.match(l[3]!.title, /18:1 "FETCH" is not a method/);
  assert.equal(blockAtLine(file, 9)?.index, 1);
  assert.equal(blockAtLine(file, 0)?.index, 0);
});

const at = (line: number, text: string) => {
  const character = (lines[line] ?? '').indexOf(text) + text.length;
  const w = whereIs(file, lines, line, character);
  if (w.at !== 'body') return [] as string[];
  return bodyCompletions(src, w.block, w.text, w.offset).map((e) => e.label);
};

test('paths on a request line: the endpoints of /ResourceTypes and the discovery documents', () => {
  const w = whereIs(file, lines, 1, 4);
  assert.deepEqual(w, { at: 'path', typed: '' });
  assert.deepEqual(pathCompletions(src, '').map((e) => e.label), ['Users', 'Groups', 'ServiceProviderConfig', 'ResourceTypes', 'Schemas']);
  assert.deepEqual(pathCompletions(src, 'Users/'), [], 'nothing after the endpoint');
  assert.equal(whereIs(file, lines, 1, 2).at, 'method');
});

test('attribute names in a body, by the resource type of the path and the JSON position', () => {
  assert.deepEqual(at(7, '"giv'), ['givenName', 'familyName']);
  assert.deepEqual(at(8, '"ty'), ['value', 'type']);
  assert.deepEqual(at(9, '"emp'), ['employeeNumber']);
  const top = at(10, '"us');
  assert.ok(top.includes('userName') && top.includes('schemas') && top.includes('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'), top.join());
});

test('a PATCH body: its keys, and attribute paths (no read-only ones) for "path"', () => {
  const paths = at(15, '"path": "na');
  assert.ok(paths.includes('name.givenName') && paths.includes('userName') && paths.includes('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber'), paths.join());
  assert.ok(!paths.includes('id'), 'read-only attributes are not offered');
  assert.deepEqual(at(15, '"op": "rep'), ['add', 'remove', 'replace']);
});
