import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseListResponse } from '../../src/core/scim/list-response';
import { capabilitiesOf, parseDiscovery, parseResource } from '../../src/core/scim/parse';
import { validateFilter } from '../../src/core/scim/filter';
import { ScimxError } from '../../src/core/errors';

test('list: stops on totalResults, tolerates a capped count, reads Entra lowercase resources', () => {
  const p1 = parseListResponse({ totalResults: 5, startIndex: 1, Resources: [{ id: 'a' }, { id: 'b' }] }, { requested: { startIndex: 1, count: 100 } });
  assert.deepEqual(p1.next, { startIndex: 3 }); // the server capped count at 2: advance by what came
  const last = parseListResponse({ totalResults: 5, startIndex: 5, resources: [{ id: 'e' }] }, { requested: { startIndex: 5, count: 2 } });
  assert.equal(last.resources.length, 1);
  assert.equal(last.next, undefined);
  const empty = parseListResponse({ totalResults: 0 }, { requested: {} });
  assert.deepEqual(empty.resources, []);
});

test('list: cursor paging follows nextCursor and stops without it', () => {
  const p = parseListResponse({ Resources: [{ id: 'a' }], nextCursor: 'c2' }, { requested: { cursor: '' } });
  assert.deepEqual(p.next, { cursor: 'c2' });
  assert.equal(parseListResponse({ Resources: [{ id: 'a' }] }, { requested: { cursor: 'c2' } }).next, undefined);
});

test('list: a nextCursor in the answer is the next page even when we asked by startIndex (a cursor-only server)', () => {
  const p = parseListResponse({ totalResults: 50, Resources: [{ id: 'a' }, { id: 'b' }], nextCursor: 'c3' }, { requested: { startIndex: 1, count: 2 } });
  assert.deepEqual(p.next, { cursor: 'c3' });
  assert.equal(p.nextCursor, 'c3');
  // asked by cursor, answered without one: the last page, whatever totalResults says
  assert.equal(parseListResponse({ totalResults: 50, Resources: [{ id: 'y' }, { id: 'z' }] }, { requested: { cursor: 'c49', count: 2 } }).next, undefined);
  // no cursor at all: index paging as before
  assert.deepEqual(parseListResponse({ totalResults: 50, Resources: [{ id: 'a' }, { id: 'b' }] }, { requested: { startIndex: 1, count: 2 } }).next, { startIndex: 3 });
});

test('list: items without id are skipped with a warning, a missing Resources array is an error', () => {
  const p = parseListResponse({ totalResults: 2, Resources: [{ id: 'a' }, { name: 'x' }] }, { requested: {} }) as { resources: unknown[]; warnings?: string[] };
  assert.equal(p.resources.length, 1);
  assert.match(p.warnings![0]!, /no "id"/);
  assert.throws(() => parseListResponse({ totalResults: 3 }, { requested: {} }), (e: unknown) => e instanceof ScimxError && e.code === 'response');
});

test('resource without id is a clear response error', () => {
  assert.throws(() => parseResource({ displayName: 'x' }, 'Groups/1'), /Groups\/1: the answer has no "id"/);
});

test('discovery: capabilities from ServiceProviderConfig, RFC 9865 pagination, bare-array ResourceTypes', () => {
  const d = parseDiscovery(
    { patch: { supported: false }, etag: { supported: true }, filter: { supported: true, maxResults: 200 }, pagination: { cursor: true, index: false, maxPageSize: 500 } },
    [{ id: 'User', name: 'User', endpoint: '/Users', schema: 'urn:ietf:params:scim:schemas:core:2.0:User' }],
  );
  assert.equal(d.capabilities.patch, false);
  assert.equal(d.capabilities.etag, true);
  assert.equal(d.capabilities.maxResults, 200);
  assert.equal(d.capabilities.cursor, true);
  assert.equal(d.capabilities.index, false);
  assert.equal(d.resourceTypes[0]!.endpoint, 'Users');
});

test('discovery: a missing or unreadable filter block is unknown (filtered reads tried), only supported=false is a no', () => {
  const cases: Array<[unknown, boolean, string]> = [
    [{ supported: true, maxResults: 10 }, true, 'yes'],
    [{ supported: 'true' }, true, 'yes'],
    [{ supported: false, maxResults: 10 }, false, 'no'],
    [{ supported: 'false' }, false, 'no'],
    [undefined, true, 'unknown'],
    [{ maxResults: 10 }, true, 'unknown'],
    [{ supported: 1 }, true, 'unknown'],
    ['yes', true, 'unknown'],
  ];
  for (const [block, filter, said] of cases) {
    const warnings: string[] = [];
    const c = capabilitiesOf(block === undefined ? {} : { filter: block }, warnings);
    assert.deepEqual([c.filter, c.filterSupport], [filter, said], JSON.stringify(block));
    assert.equal(warnings.some((w) => /filter\.supported is missing/.test(w)), said === 'unknown', JSON.stringify(block));
  }
  // the same reading through parseDiscovery
  assert.equal(parseDiscovery({ patch: { supported: true } }, []).capabilities.filter, true);
});

test('filters are validated by the library', () => {
  validateFilter('userName sw "j" and displayName co "ops"');
  assert.throws(() => validateFilter('userName eq'), (e: unknown) => e instanceof ScimxError && e.code === 'usage');
  assert.throws(() => validateFilter('  '), /empty/);
});
