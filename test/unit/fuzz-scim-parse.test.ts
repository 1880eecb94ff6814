// Property-based tests of SCIM answer parsing: whatever JSON a server sends, parsing ends in a value or a
// ScimxError, never in a TypeError or anything else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { ScimxError } from '../../src/core/errors';
import { readMembers } from '../../src/core/scim/client';
import { parseListResponse } from '../../src/core/scim/list-response';
import { capabilitiesOf, parseDiscovery, parseResource } from '../../src/core/scim/parse';

const RUNS = { seed: 424242, numRuns: 500 };

function onlyScimxErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ScimxError, `only ScimxError may be thrown, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    assert.doesNotMatch(e.message, /[\r\n]/);
  }
}

const json = fc.jsonValue({ maxDepth: 4 });
const obj = fc.dictionary(fc.string({ maxLength: 8 }), json, { maxKeys: 6 });
/** Objects shaped like SCIM answers, with every field of the wrong type now and then. */
const listish = fc.record({
  Resources: fc.oneof(json, fc.array(fc.oneof(json, fc.record({ id: json, meta: json, members: json }, { requiredKeys: [] })), { maxLength: 5 })),
  resources: json,
  totalResults: fc.oneof(json, fc.nat(), fc.constantFrom('12', '-1', 'NaN', '1e3', '')),
  startIndex: fc.oneof(json, fc.integer({ min: -5, max: 100 })),
  itemsPerPage: json,
  nextCursor: json,
}, { requiredKeys: [] });
const requested = fc.record({ startIndex: fc.option(fc.integer({ min: -2, max: 50 }), { nil: undefined }), count: fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }), cursor: fc.option(fc.string({ maxLength: 5 }), { nil: undefined }) }, { requiredKeys: [] });

test('parseListResponse: arbitrary JSON objects give a page or a ScimxError', () => {
  fc.assert(fc.property(fc.oneof(obj, listish), requested, (body, req) => {
    onlyScimxErrors(() => {
      const page = parseListResponse(body, { requested: req });
      assert.ok(Array.isArray(page.resources));
      for (const r of page.resources) assert.equal(typeof r.id, 'string');
      // (past 2^53 `start + n` cannot grow; the client's paging stops on a startIndex that does not advance)
      if (page.next?.startIndex !== undefined && Number.isSafeInteger(page.next.startIndex)) assert.ok(page.next.startIndex > (page.startIndex ?? 1) - 1, 'next page starts after this one');
    });
  }), RUNS);
});

test('parseResource and readMembers: arbitrary JSON gives a resource or a ScimxError', () => {
  const resourceish = fc.record({ id: json, meta: fc.oneof(json, obj), members: fc.oneof(json, fc.array(fc.oneof(json, fc.record({ value: json, type: json }, { requiredKeys: [] })))) }, { requiredKeys: [] });
  fc.assert(fc.property(fc.oneof(obj, resourceish), (body) => {
    onlyScimxErrors(() => {
      const r = parseResource(body, 'Groups/x');
      assert.equal(typeof r.id, 'string');
      for (const m of readMembers(r)) assert.equal(typeof m.value, 'string');
    });
  }), RUNS);
});

test('parseDiscovery and capabilitiesOf: arbitrary JSON never throws', () => {
  fc.assert(fc.property(obj, fc.oneof(obj, fc.array(json, { maxLength: 4 })), fc.option(fc.oneof(obj, fc.array(json, { maxLength: 4 })), { nil: undefined }), (spc, rt, schemas) => {
    onlyScimxErrors(() => {
      const d = parseDiscovery(spc, rt, schemas);
      assert.ok(d.resourceTypes.length > 0);
      for (const t of d.resourceTypes) assert.equal(typeof t.endpoint, 'string');
      const c = capabilitiesOf(spc);
      assert.equal(typeof c.patch, 'boolean');
    });
  }), RUNS);
});
