// Property-based tests of filter building: any id or search text becomes a filter whose compValue is that
// exact value. Checked two ways: the JSON string we write (RFC 7644 §3.4.2.2: compValue is a JSON string)
// decodes to the value; and scim2-parse-filter parses the filter back to the same value, for every value the
// library can represent (0.2.10 re-escapes a backslash it reads, so values with `\` or control characters do
// not come back from ITS parser unchanged; what we send is still correct JSON, checked first).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { parse } from 'scim2-parse-filter';
import { ScimxError } from '../../src/core/errors';
import { and, co, eq, or, sw, toFilterString, validateFilter } from '../../src/core/scim/filter';

const RUNS = { seed: 777, numRuns: 1000 };
const anyText = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 }), fc.constantFrom('"', '\\', '\\"', '") or (id pr', 'a" or "1" eq "1', '%22', '\u2028', '\uD800', '😀', ''));
/** Values the library's parser gives back unchanged. */
// eslint-disable-next-line no-control-regex -- control characters are what it leaves out
const libraryText = anyText.filter((s) => !/[\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(s) && !/[\uD800-\uDFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '')));

/** The quoted compValues of a filter we built, decoded as JSON. */
function jsonValues(filter: string): string[] {
  return [...filter.matchAll(/"(?:[^"\\]|\\.)*"/g)].map((m) => JSON.parse(m[0]) as string);
}

test('what we write is a JSON string of exactly the value (any string)', () => {
  fc.assert(fc.property(anyText, fc.constantFrom('id', 'members.value', 'userName'), (v, attr) => {
    const f = toFilterString(eq(attr, v));
    assert.ok(f.startsWith(`${attr} eq "`));
    assert.deepEqual(jsonValues(f), [v]);
    // validation of our own filters: passes, or (library limits) a usage ScimxError, never anything else
    try {
      validateFilter(f);
    } catch (e) {
      assert.ok(e instanceof ScimxError && e.code === 'usage');
    }
  }), RUNS);
});

test('scim2-parse-filter parses our filters back to the same values', () => {
  fc.assert(fc.property(libraryText, (v) => {
    const one = parse(toFilterString(eq('id', v))) as { compValue: unknown };
    assert.equal(one.compValue, v);
  }), RUNS);
});

test('compound membership filters keep every id apart (no injection through a value)', () => {
  fc.assert(fc.property(fc.string({ maxLength: 12 }).filter((s) => s.length > 0), fc.array(libraryText, { minLength: 1, maxLength: 6 }), (group, ids) => {
    // eslint-disable-next-line no-control-regex -- control characters are what it leaves out
    fc.pre(!/[\\\u0000-\u001f\u007f-\u009f]/.test(group));
    const f = toFilterString(and(eq('groups.value', group), or(...ids.map((id) => eq('id', id)))));
    validateFilter(f);
    const parsed = parse(f) as { op: string; filters: Array<{ compValue?: unknown; op: string; filters?: Array<{ compValue: unknown }> }> };
    assert.equal(parsed.op, 'and');
    assert.equal(parsed.filters[0]!.compValue, group);
    const second = parsed.filters[1]!;
    const values = ids.length === 1 ? [second.compValue] : second.filters!.map((x) => x.compValue);
    assert.deepEqual(values, ids);
    const search = toFilterString(or(sw('userName', ids[0]!), co('displayName', ids[0]!)));
    assert.deepEqual((parse(search) as { filters: Array<{ compValue: unknown }> }).filters.map((x) => x.compValue), [ids[0], ids[0]]);
  }), RUNS);
});
