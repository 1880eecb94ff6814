// The SCIM tree's model: labels, descriptions, contextValues (the e2e contract) and paging/membership updates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Profile } from '../../src/core/profile';
import { SCHEMA, type MembershipReport, type ResourceTypeInfo } from '../../src/core/scim/types';
import {
  applyMembershipReport, childrenWithMore, emptyPaging, memberNodes, membersNodeOf, resourceNodes, unnamedMembers, viewOf,
  type ResourceTypeNode,
} from '../../src/extension/tree-model';

const profile: Profile = {
  name: 'dev', baseUrl: 'https://gw.example.com/scim/v2', auth: { type: 'none' },
  gateway: { header: 'Ocp-Apim-Subscription-Key', query: 'subscription-key', sendAs: 'header', subscriptionKey: 'k' },
  headers: {}, secretHeaders: [], writes: 'auto', locations: 'rewrite', provider: 'generic', timeoutMs: 1000, pageSize: 2,
  concurrency: 1, maxOperationsPerPatch: 100, tls: { insecure: false },
};
const users: ResourceTypeInfo = { id: 'User', name: 'User', endpoint: '/Users', schema: SCHEMA.user };
const groups: ResourceTypeInfo = { id: 'Group', name: 'Group', endpoint: 'Groups', schema: SCHEMA.group };

function rtNode(rt: ResourceTypeInfo): ResourceTypeNode {
  return { kind: 'resourceType', key: `dev/${rt.endpoint}`, profile: 'dev', rt, paging: emptyPaging() };
}

test('profile node: label is the name, description the host, contextValue "profile"', () => {
  const v = viewOf({ kind: 'profile', key: 'profile/dev', profile });
  assert.equal(v.label, 'dev');
  assert.equal(v.description, 'gw.example.com');
  assert.equal(v.contextValue, 'profile');
  assert.equal(v.collapsible, 'collapsed');
  assert.equal(v.command, undefined, 'a click command would make VS Code expand only on the twistie');
  assert.match(v.ariaLabel, /^dev(\s|$)/);
});

test('a broken profiles file shows its error on its node', () => {
  const v = viewOf({
    kind: 'profileError', key: 'error/x', name: 'dev', file: '/w/scim-profiles.yaml',
    problems: [{ file: '/w/scim-profiles.yaml', line: 3, column: 5, key: 'profiles.dev.gateway.sendAs', message: 'expected header | query | both' }],
  });
  assert.equal(v.contextValue, 'profileError');
  assert.equal(v.icon.id, 'error');
  assert.match(v.description ?? '', /3:5 .*sendAs.*expected header/);
  assert.match(v.tooltip ?? '', /scim-profiles\.yaml/);
});

test('resource types are labelled by endpoint; users by userName, groups by displayName', () => {
  const u = rtNode(users);
  const g = rtNode(groups);
  assert.equal(viewOf(u).label, 'Users');
  assert.equal(viewOf(g).label, 'Groups');
  assert.equal(viewOf(u).contextValue, 'resourceType');
  const [alice] = resourceNodes('dev', users, [{ id: 'u-123456789', userName: 'alice', displayName: 'Alice A' }], []);
  const [admins] = resourceNodes('dev', groups, [{ id: 'g-1', displayName: 'Admins' }], []);
  assert.ok(alice && admins);
  assert.equal(viewOf(alice).label, 'alice');
  assert.equal(viewOf(alice).contextValue, 'resource');
  assert.equal(viewOf(alice).description, 'u-123456…');
  assert.equal(viewOf(alice).command?.command, 'scim.openResource');
  assert.equal(viewOf(admins).label, 'Admins');
  assert.equal(viewOf(admins).contextValue, 'group');
  assert.equal(viewOf(admins).collapsible, 'collapsed');
  assert.equal(viewOf(admins).command, undefined);
  assert.match(viewOf(admins).ariaLabel, /^Admins · /, 'the e2e test reads the group name before " · "');
});

test('paging: duplicates dropped, "Load more…" while there is a next page, counts in the description', () => {
  const u = rtNode(users);
  u.paging.items.push(...resourceNodes('dev', users, [{ id: '1', userName: 'a' }, { id: '2', userName: 'b' }], u.paging.items));
  u.paging.items.push(...resourceNodes('dev', users, [{ id: '2', userName: 'b' }, { id: '3', userName: 'c' }], u.paging.items));
  u.paging.loaded = true;
  u.paging.total = 5;
  u.paging.next = { startIndex: 4 };
  const kids = childrenWithMore(u, u.paging.items);
  assert.deepEqual(kids.map((k) => viewOf(k).label), ['a', 'b', 'c', 'Load more…']);
  assert.equal(viewOf(kids[3]!).contextValue, 'loadMore');
  assert.equal(viewOf(kids[3]!).command?.command, 'scim.loadMore');
  assert.equal(viewOf(u).description, '3 of 5');
  u.filter = 'userName sw "a"';
  assert.match(viewOf(u).description ?? '', /filter: userName sw "a"/);
  u.paging.next = undefined;
  assert.equal(childrenWithMore(u, u.paging.items).length, 3);
});

test('a group has one "Members" child; members are labelled by display or resolved name', () => {
  const [g] = resourceNodes('dev', groups, [{ id: 'g-1', displayName: 'Admins' }], []);
  assert.ok(g);
  const members = membersNodeOf(g);
  assert.equal(membersNodeOf(g), members, 'the same node every time (keeps its paging)');
  assert.equal(viewOf(members).label, 'Members');
  assert.equal(viewOf(members).contextValue, 'members');
  const names = new Map([['u2', 'bob']]);
  members.paging.items.push(...memberNodes(members, [{ value: 'u1', display: 'Alice A' }, { value: 'u2' }, { value: 'u3' }], names));
  assert.deepEqual(members.paging.items.map((m) => viewOf(m).label), ['Alice A', 'bob', 'u3']);
  assert.equal(viewOf(members.paging.items[0]!).contextValue, 'member');
  assert.deepEqual(unnamedMembers(members.paging.items).map((m) => m.member.value), ['u3']);
});

test('a verified membership report updates the loaded members without a reload', () => {
  const [g] = resourceNodes('dev', groups, [{ id: 'g-1', displayName: 'Admins' }], []);
  const members = membersNodeOf(g!);
  members.paging.items.push(...memberNodes(members, [{ value: 'u1', display: 'alice' }, { value: 'u2', display: 'bob' }], new Map()));
  members.paging.loaded = true;
  members.paging.total = 2;
  const report: MembershipReport = {
    groupId: 'g-1', mode: 'patch', added: ['u9'], removed: ['u1'], alreadyPresent: [], alreadyAbsent: [], missing: [],
    verified: true, concurrentChange: false, requests: 2, bytesSent: 1, bytesReceived: 1, warnings: [],
  };
  const changed = applyMembershipReport(members, report, new Map([['u9', 'zoe']]));
  assert.equal(changed, 2);
  assert.deepEqual(members.paging.items.map((m) => viewOf(m).label), ['bob', 'zoe']);
  assert.equal(members.paging.total, 2);
});

test('a failed page shows its one-line error in the tree', () => {
  const u = rtNode(users);
  u.paging.loaded = true;
  u.paging.error = 'gateway rejected GET: subscription key missing';
  const kids = childrenWithMore(u, u.paging.items);
  assert.equal(kids.length, 1);
  const v = viewOf(kids[0]!);
  assert.equal(v.label, 'gateway rejected GET: subscription key missing');
  assert.equal(v.icon.id, 'error');
});
