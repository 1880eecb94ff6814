// `scimx get` / `members` names: which resource a value names among what one filtered read returned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScimxError } from '../../src/core/errors';
import { pick, refsFilter } from '../../src/cli/names';

const alice = { id: 'u1', userName: 'alice', displayName: 'Alice Smith' };
const alice2 = { id: 'u2', userName: 'asmith', displayName: 'Alice Smith' };
const bob = { id: 'alice', userName: 'bob', displayName: 'Bob' };

test('one filter for a batch: id, userName and displayName for users; id and displayName for groups', () => {
  assert.equal(refsFilter(['alice'], 'user'), 'id eq "alice" or userName eq "alice" or displayName eq "alice"');
  assert.equal(refsFilter(['Ops', 'a"b'], 'group'), 'id eq "Ops" or displayName eq "Ops" or id eq "a\\"b" or displayName eq "a\\"b"');
});

test('an exact id wins; one name match is the one; a userName beats displayName matches; nothing found: used as an id', () => {
  assert.deepEqual(pick('alice', [alice, bob], 'user', 'users'), { ref: 'alice', id: 'alice', resource: bob, by: 'id' });
  assert.equal(pick('ALICE', [alice], 'user', 'users').id, 'u1');
  assert.equal(pick('alice smith', [alice], 'user', 'users').by, 'displayName');
  assert.equal(pick('asmith', [alice, alice2], 'user', 'users').id, 'u2');
  assert.deepEqual(pick('ghost-id', [alice], 'user', 'users'), { ref: 'ghost-id', id: 'ghost-id', by: 'as-given' });
});

test('a name several share is refused, listing each candidate', () => {
  assert.throws(() => pick('Alice Smith', [alice, alice2], 'user', 'users'), (e: unknown) => {
    assert.ok(e instanceof ScimxError);
    assert.equal(e.code, 'usage');
    assert.match(e.message, /^"Alice Smith" names 2 users: u1 \(userName "alice", displayName "Alice Smith"\); u2 \(userName "asmith"/);
    assert.match(e.hint ?? '', /give the id/);
    return true;
  });
});
