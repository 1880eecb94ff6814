// The minimal PatchOp of an edit (src/core/edit/patch-diff.ts): the forms it writes, what it refuses, and the
// property that matters: applying it with an independent RFC 7644 applier (the `scim-patch` package) to the
// version read yields the edited version, for generated users and groups.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { diffResource, equivalent, type PatchOperation } from '../../src/core/edit/patch-diff';
import { planEdit, putBody, rebase, verify, type EditBase } from '../../src/core/edit/edit';
import { ENTERPRISE_USER, GROUP_SCHEMA, resourceSchema, USER_SCHEMA } from '../../src/core/edit/schema';
import type { ScimClient } from '../../src/core/scim/client';
import type { Discovery } from '../../src/core/scim/types';
import { applyPatch, membershipOperations } from '../helpers/patch-apply';

const userSchema = resourceSchema(USER_SCHEMA, undefined);
const groupSchema = resourceSchema(GROUP_SCHEMA, undefined);
const RUNS = { seed: 1414, numRuns: 400 };

const meta = { resourceType: 'User', created: '2026-01-01T00:00:00Z', lastModified: '2026-01-02T00:00:00Z', location: 'https://x/Users/u1', version: 'W/"3"' };
const alice = () => ({
  schemas: [USER_SCHEMA, ENTERPRISE_USER],
  id: 'u1',
  userName: 'alice',
  displayName: 'Alice',
  name: { givenName: 'Alice', familyName: 'Liddell', formatted: 'Alice Liddell' },
  emails: [{ value: 'alice@work.example', type: 'work', primary: true }, { value: 'alice@home.example', type: 'home' }],
  active: true,
  groups: [{ value: 'g1', display: 'ops', type: 'direct' }],
  [ENTERPRISE_USER]: { employeeNumber: '42', manager: { value: 'boss-id', displayName: 'The Boss' } },
  meta,
});

function ops(base: object, edited: object, kind: 'user' | 'group' = 'user') {
  return diffResource(base as Record<string, unknown>, edited as Record<string, unknown>, kind === 'user' ? userSchema : groupSchema, kind);
}

describe('the PatchOp of an edit', () => {
  test('a multi-valued attribute is edited element by element, through a value filter', () => {
    const b = alice();
    const e = alice();
    e.emails[0]!.value = 'alice@new.example';
    const d = ops(b, e);
    assert.deepEqual(d.operations, [{ op: 'replace', path: 'emails[type eq "work"].value', value: 'alice@new.example' }]);
    assert.deepEqual(d.refused, []);
  });

  test('an element removed, one added, a sub-attribute removed; order alone is no change', () => {
    const b = alice();
    const e = alice();
    e.emails = [{ value: 'alice@work.example', type: 'work' } as never, { value: 'a@other.example', type: 'other' } as never];
    const d = ops(b, e);
    assert.deepEqual(d.operations, [
      { op: 'remove', path: 'emails[type eq "home"]' },
      { op: 'remove', path: 'emails[type eq "work"].primary' },
      { op: 'add', path: 'emails', value: [{ value: 'a@other.example', type: 'other' }] },
    ]);
    const reordered = alice();
    reordered.emails.reverse();
    assert.deepEqual(ops(b, reordered).operations, []);
  });

  test('the enterprise extension by its URN path; a complex attribute sub-attribute by sub-attribute', () => {
    const b = alice();
    const e = alice();
    e[ENTERPRISE_USER].manager.value = 'new-boss';
    e.name.givenName = 'Alicia';
    delete (e.name as Partial<typeof e.name>).formatted;
    const d = ops(b, e);
    assert.deepEqual(d.operations, [
      { op: 'replace', path: 'name.givenName', value: 'Alicia' },
      { op: 'remove', path: 'name.formatted' },
      { op: 'replace', path: `${ENTERPRISE_USER}:manager.value`, value: 'new-boss' },
    ]);
  });

  test('attribute names are case-insensitive: the server\'s spelling is kept in paths', () => {
    const b = alice();
    const { displayName: _d, ...rest } = alice();
    assert.deepEqual(ops(b, { ...rest, DISPLAYNAME: 'Alice' }).operations, [], 'same value, other case: no change');
    assert.deepEqual(ops(b, { ...rest, DisplayName: 'Al' }).operations, [{ op: 'replace', path: 'displayName', value: 'Al' }]);
    assert.throws(() => ops(b, { ...alice(), DisplayName: 'x' }), /given twice/);
  });

  test('null, [] and absent are the same state; a value removed is a remove', () => {
    const b = alice();
    assert.deepEqual(ops(b, { ...alice(), nickName: null, x509Certificates: [] }).operations, []);
    assert.deepEqual(ops(b, { ...alice(), displayName: null }).operations, [{ op: 'remove', path: 'displayName' }]);
    assert.deepEqual(ops(b, { ...alice(), title: 'Queen' }).operations, [{ op: 'add', path: 'title', value: 'Queen' }]);
  });

  test('no sub-attribute tells the elements apart: the whole attribute is replaced, and a note says so', () => {
    const b = { ...alice(), emails: [{ value: 'a@x', type: 'work' }, { value: 'b@x', type: 'work' }] };
    const e = { ...alice(), emails: [{ value: 'a@x', type: 'work' }, { value: 'c@x', type: 'work' }] };
    // type repeats, value tells them apart
    assert.deepEqual(ops(b, e).operations, [{ op: 'remove', path: 'emails[value eq "b@x"]' }, { op: 'add', path: 'emails', value: [{ value: 'c@x', type: 'work' }] }]);
    const same = { ...alice(), emails: [{ value: 'a@x', type: 'work' }, { value: 'A@X', type: 'Work' }] };
    const d = ops(b, same);
    assert.deepEqual(d.operations, [{ op: 'replace', path: 'emails', value: same.emails }]);
    assert.match(d.notes.join('\n'), /emails: no sub-attribute \(type, value, display\) tells its elements apart/);
  });

  test('readOnly and immutable attributes are refused, each named; left out, they are not given', () => {
    const b = alice();
    const d = ops(b, { ...alice(), id: 'u2', meta: { ...meta, version: 'W/"9"' }, groups: [], [ENTERPRISE_USER]: { employeeNumber: '42', manager: { value: 'boss-id', displayName: 'Someone' } } });
    assert.deepEqual(d.refused.map((r) => `${r.path} ${r.mutability}`).sort(), ['groups readOnly', 'id readOnly', 'meta readOnly', `${ENTERPRISE_USER}:manager.displayName readOnly`].sort());
    const { id: _i, meta: _m, groups: _g, schemas: _s, ...desired } = alice();
    const left = ops(b, desired);
    assert.deepEqual(left.refused, []);
    assert.deepEqual(left.operations, []);
    // immutable: may be added when it has no value, never changed
    const g = { schemas: [GROUP_SCHEMA], id: 'g1', displayName: 'ops', members: [{ value: 'u1', type: 'User' }] };
    assert.deepEqual(ops(g, { ...g, members: [{ value: 'u1', type: 'Group' }] }, 'group').refused, [], 'a member\'s sub-attributes are not sent');
  });

  test('a Group\'s members never go into the PatchOp: ids added and removed, for the membership path', () => {
    const g = { schemas: [GROUP_SCHEMA], id: 'g1', displayName: 'ops', members: [{ value: 'u1', display: 'Alice' }, { value: 'u2' }] };
    const d = ops(g, { ...g, displayName: 'ops-2', members: [{ value: 'u1', display: 'Alice' }, { value: 'u3' }] }, 'group');
    assert.deepEqual(d.operations, [{ op: 'replace', path: 'displayName', value: 'ops-2' }]);
    assert.deepEqual(d.members, { add: ['u3'], remove: ['u2'] });
    const { members: _m, ...noMembers } = g;
    assert.equal(ops(g, noMembers, 'group').members, undefined, 'members left out: not given, nothing removed');
    assert.deepEqual(ops(g, { ...g, members: [] }, 'group').members, { add: [], remove: ['u1', 'u2'] });
    assert.throws(() => ops(g, { ...g, members: ['u1'] }, 'group'), /every member in the edited version needs a "value"/);
  });
});

// ------------------------------------------------------------------------------------------------ properties

const word = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,9}$/);
const typeWord = fc.constantFrom('work', 'home', 'other', 'Work', 'mobile');
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const strip = <T extends object>(o: T): T => JSON.parse(JSON.stringify(o)) as T;

const userArb = fc.record({
  userName: word,
  displayName: opt(word),
  title: opt(word),
  active: opt(fc.boolean()),
  name: opt(fc.record({ givenName: opt(word), familyName: opt(word), formatted: opt(word) })),
  emails: opt(fc.array(fc.record({ value: word, type: opt(typeWord), primary: opt(fc.boolean()), display: opt(word) }), { maxLength: 4 })),
  phoneNumbers: opt(fc.array(fc.record({ value: word, type: opt(typeWord) }), { maxLength: 3 })),
  roles: opt(fc.array(fc.record({ value: opt(word), display: opt(word), primary: opt(fc.boolean()) }), { maxLength: 3 })),
  // an attribute no schema knows, multi-valued and simple
  tags: opt(fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 4 })),
  ext: opt(fc.record({ employeeNumber: opt(word), department: opt(word), manager: opt(fc.record({ value: opt(word) })) })),
}).map(({ ext, ...u }) => strip({
  schemas: [USER_SCHEMA], id: 'u1', meta, groups: [{ value: 'g1', type: 'direct' }], ...u, ...(ext ? { [ENTERPRISE_USER]: ext } : {}),
}));

/** A variant of `u`: some attributes edited (small edits find more than independent versions do). */
const editOf = (u: Record<string, unknown>) => fc.tuple(userArb, fc.array(fc.constantFrom('displayName', 'title', 'active', 'name', 'emails', 'phoneNumbers', 'roles', 'tags', ENTERPRISE_USER), { maxLength: 4 }))
  .map(([other, keys]) => {
    const out: Record<string, unknown> = structuredClone(u);
    for (const k of keys) {
      if (k in other) out[k] = structuredClone((other as Record<string, unknown>)[k]);
      else delete out[k];
    }
    return out;
  });

function checkApplies(base: Record<string, unknown>, edited: Record<string, unknown>, kind: 'user' | 'group'): void {
  const d = ops(base, edited, kind);
  assert.deepEqual(d.refused, []);
  const all: PatchOperation[] = [...d.operations, ...membershipOperations(d.members)];
  const got = applyPatch(base, all);
  assert.ok(equivalent(got, edited), `applied:\n${JSON.stringify(got)}\nedited:\n${JSON.stringify(edited)}\nops:\n${JSON.stringify(all, null, 1)}`);
  for (const op of d.operations) assert.ok(!/^members\b/i.test(op.path ?? ''), 'members are never in the PatchOp');
}

describe('property: apply(old, diff(old, new)) == new', () => {
  test('users: independent versions', () => {
    fc.assert(fc.property(userArb, userArb, (a, b) => checkApplies(a, b, 'user')), RUNS);
  });

  test('users: small edits', () => {
    fc.assert(fc.property(userArb.chain((a) => fc.tuple(fc.constant(a), editOf(a))), ([a, b]) => checkApplies(a, b, 'user')), RUNS);
  });

  test('the diff of a version with itself is empty', () => {
    fc.assert(fc.property(userArb, (a) => {
      const d = ops(a, structuredClone(a));
      assert.deepEqual([d.operations, d.members, d.refused], [[], undefined, []]);
    }), RUNS);
  });

  test('groups: displayName, externalId and members (through the membership forms)', () => {
    const ids = fc.uniqueArray(fc.constantFrom('u1', 'u2', 'u3', 'u4', 'u5', 'g9'), { maxLength: 5 });
    const groupArb = fc.record({ displayName: word, externalId: opt(word), members: ids })
      .map(({ members, ...g }) => strip({ schemas: [GROUP_SCHEMA], id: 'g1', ...g, members: members.map((value) => ({ value })) }));
    fc.assert(fc.property(groupArb, groupArb, (a, b) => checkApplies(a, b, 'group')), RUNS);
  });
});

// ------------------------------------------------------------------------------------------------ plan and checks

function fakeClient(caps: Partial<Discovery['capabilities']>, writes: 'auto' | 'patch' | 'put' = 'auto'): ScimClient {
  const discovery: Discovery = {
    serviceProviderConfig: {}, resourceTypes: [], schemas: [], warnings: [],
    capabilities: { patch: true, etag: false, filter: true, sort: false, bulk: false, cursor: false, index: true, ...caps },
  };
  return { discover: async () => discovery, profile: { writes } } as unknown as ScimClient;
}

const userBase = (etag?: string): EditBase => ({ endpoint: 'Users', id: 'u1', kind: 'user', schemaId: USER_SCHEMA, resource: alice(), ...(etag ? { etag } : {}) });

describe('the plan: If-Match, PUT, refusals before anything is sent', () => {
  test('If-Match with the version read only when the provider gives ETags', async () => {
    const edited = { ...alice(), displayName: 'Al' };
    assert.equal((await planEdit(fakeClient({ etag: true }), userBase('W/"3"'), edited)).ifMatch, 'W/"3"');
    assert.equal((await planEdit(fakeClient({ etag: false }), userBase('W/"3"'), edited)).ifMatch, undefined);
    assert.equal((await planEdit(fakeClient({ etag: true }), userBase(), edited)).ifMatch, undefined);
    const p = await planEdit(fakeClient({ etag: true }), userBase('W/"3"'), edited);
    assert.equal(p.method, 'patch');
    assert.deepEqual(p.body, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'Al' }] });
  });

  test('no PATCH: a PUT of the whole resource, readOnly attributes left out', async () => {
    const p = await planEdit(fakeClient({ patch: false }), userBase(), { ...alice(), displayName: 'Al' });
    assert.equal(p.method, 'put');
    const body = p.body as Record<string, unknown>;
    assert.equal(body.displayName, 'Al');
    assert.equal(body.id, 'u1');
    assert.equal(body.meta, undefined);
    assert.equal(body.groups, undefined);
    assert.deepEqual(body[ENTERPRISE_USER], { employeeNumber: '42', manager: { value: 'boss-id' } }, 'manager.displayName is readOnly');
    assert.equal((await planEdit(fakeClient({ patch: true }, 'put'), userBase(), { ...alice(), displayName: 'Al' })).method, 'put');
  });

  test('a Group\'s PUT carries its members as read, never the edited list', () => {
    const g = { schemas: [GROUP_SCHEMA], id: 'g1', displayName: 'ops', members: [{ value: 'u1', display: 'A', type: 'User' }], meta };
    const base: EditBase = { endpoint: 'Groups', id: 'g1', kind: 'group', schemaId: GROUP_SCHEMA, resource: g };
    assert.deepEqual(putBody(base, { ...g, displayName: 'x', members: [] }, groupSchema).members, [{ value: 'u1', type: 'User' }]);
  });

  test('refused attributes throw, named, before anything is sent', async () => {
    await assert.rejects(planEdit(fakeClient({}), userBase(), { ...alice(), id: 'other', groups: [] }),
      (e: Error) => /Nothing sent: the edit changes id \(readOnly\), groups \(readOnly\)/.test(e.message));
  });

  test('verify: a changed attribute that does not read as edited, an untouched one that changed', async () => {
    const plan = await planEdit(fakeClient({}), userBase(), { ...alice(), displayName: 'Al', title: 'Queen' });
    const after = { ...alice(), displayName: 'Al', nickName: 'Ally', meta: { ...meta, version: 'W/"4"' } };
    assert.deepEqual(verify(plan, after), { notApplied: ['title'], alsoChanged: ['nickName'] });
    assert.deepEqual(verify(plan, { ...alice(), displayName: 'Al', title: 'Queen', groups: [] }), { notApplied: [], alsoChanged: [] }, 'readOnly attributes are the server\'s');
  });

  test('after a conflict, an edit made from the older version is sent against the server\'s now: what the server owns, and members left alone, follow the server', () => {
    const old = { schemas: [GROUP_SCHEMA], id: 'g1', displayName: 'ops', members: [{ value: 'u1' }], meta: { ...meta, version: 'W/"1"' } };
    const now = { ...old, members: [{ value: 'u1' }, { value: 'u2' }], meta: { ...meta, version: 'W/"2"' }, externalId: 'theirs' };
    const base: EditBase = { endpoint: 'Groups', id: 'g1', kind: 'group', schemaId: GROUP_SCHEMA, resource: now };
    const mine = rebase({ ...old, displayName: 'mine' }, old, base, groupSchema);
    const d = diffResource(now, mine, groupSchema, 'group');
    assert.deepEqual(d.refused, [], 'meta follows the server');
    assert.equal(d.members, undefined, 'u2, added by the other writer, is not removed');
    assert.deepEqual(d.operations, [{ op: 'replace', path: 'displayName', value: 'mine' }, { op: 'remove', path: 'externalId' }], 'the rest is yours, as the compare showed');
    const touched = rebase({ ...old, members: [] }, old, base, groupSchema);
    assert.deepEqual(diffResource(now, touched, groupSchema, 'group').members, { add: [], remove: ['u1', 'u2'] }, 'members you edited stand');
  });
});
