import { test } from 'node:test';
import assert from 'node:assert/strict';
import { patchBodies, patchLimits, chunks } from '../../src/core/scim/membership';
import { parse } from 'scim2-parse-filter';

type Op = { op: string; path?: string; value?: unknown };
const opsOf = (b: Record<string, unknown>) => b.Operations as Op[];

test('adds are one `add` on members with a value array; removes are filtered, never bare, never replace', () => {
  const bodies = patchBodies({ add: ['a', 'b'], remove: ['c', 'd"quote'] }, patchLimits('generic', 100));
  assert.equal(bodies.length, 2);
  const [adds, removes] = bodies;
  assert.deepEqual(opsOf(adds!.body), [{ op: 'add', path: 'members', value: [{ value: 'a' }, { value: 'b' }] }]);
  for (const op of opsOf(removes!.body)) {
    assert.equal(op.op, 'remove');
    assert.match(op.path!, /^members\[value eq ".*"\]$/);
    // The filter inside the brackets parses back to the same id (quotes escaped by the library).
    const inner = op.path!.slice('members['.length, -1);
    const ast = parse(inner) as { compValue: string };
    assert.ok(['c', 'd"quote'].includes(ast.compValue));
  }
  for (const b of bodies) {
    assert.deepEqual(b.body.schemas, ['urn:ietf:params:scim:api:messages:2.0:PatchOp']);
    for (const op of opsOf(b.body)) {
      assert.notEqual(op.op, 'replace');
      if (op.op === 'remove') assert.notEqual(op.path, 'members');
    }
  }
});

test('provider limits: entra 20 adds and 1 remove per request, never mixed; aws 100; google 1; generic configurable', () => {
  const ids = Array.from({ length: 45 }, (_, i) => `u${i}`);
  const entra = patchBodies({ add: ids, remove: ['x', 'y', 'z'] }, patchLimits('entra', 100));
  assert.deepEqual(entra.map((b) => [b.kind, b.ids.length]), [['add', 20], ['add', 20], ['add', 5], ['remove', 1], ['remove', 1], ['remove', 1]]);
  for (const b of entra) assert.equal(new Set(opsOf(b.body).map((o) => o.op)).size, 1);
  assert.equal(patchBodies({ add: Array.from({ length: 250 }, (_, i) => `u${i}`), remove: [] }, patchLimits('aws', 100)).length, 3);
  assert.equal(patchBodies({ add: ['a', 'b', 'c'], remove: [] }, patchLimits('google', 100)).length, 3);
  assert.equal(patchBodies({ add: ids, remove: [] }, patchLimits('generic', 10)).length, 5);
  assert.equal(patchBodies({ add: ids, remove: [] }, patchLimits('sap', 100)).length, 1);
});

test('chunks splits evenly with a short tail', () => {
  assert.deepEqual(chunks([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  assert.deepEqual(chunks([], 3), []);
});
