// The SCIM tree's model: labels, descriptions, contextValues (the e2e contract) and paging/membership updates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Profile } from '../../src/core/profile';
import { SCHEMA, type MembershipReport, type ResourceTypeInfo } from '../../src/core/scim/types';
import { HttpStatusError } from '../../src/core/errors';
import {
  applyMembershipReport, applyPage, childrenWithMore, emptyPaging, failPage, idHints, memberNodes, membersNodeOf, personLabel, resourceNodes,
  unnamedMembers, viewOf, type ResourceTypeNode,
} from '../../src/extension/tree-model';
import { parseDocPath, resourcePath, serviceDocPath } from '../../src/extension/resource-path';
import { PICKER_PAGE, membersAmongFilter, moreLabel, pickerRow, searchFilter } from '../../src/extension/picker-model';

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
  assert.equal(viewOf(alice).description, 'Alice A', 'the displayName beside the userName; no id prefix (it is in the tooltip)');
  assert.match(viewOf(alice).tooltip ?? '', /^id: u-123456789$/m);
  assert.equal(viewOf(alice).command?.command, 'scim.openResource');
  assert.equal(viewOf(admins).label, 'Admins');
  assert.equal(viewOf(admins).contextValue, 'group');
  assert.equal(viewOf(admins).collapsible, 'collapsed');
  assert.equal(viewOf(admins).command, undefined);
  // the e2e test reads the group name before " · " (no id prefix any more: a group row with no count has no description)
  assert.match(viewOf(admins).ariaLabel, /^Admins( · |$)/, 'the e2e test reads the group name before " · "');
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
    groupId: 'g-1', mode: 'patch', added: ['u9'], removed: ['u1'], alreadyPresent: [], alreadyAbsent: [], missing: [], lost: [], collateral: { method: 'full', checked: 3 },
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

test('applyPage: the next page is what the server said (its cursor), until it says nothing more', () => {
  const u = rtNode(users);
  const page1 = { resources: [{ id: '1', userName: 'a' }, { id: '2', userName: 'b' }], totalResults: 3, next: { cursor: 'c2' } };
  applyPage(u.paging, resourceNodes('dev', users, page1.resources, u.paging.items), page1, undefined);
  assert.deepEqual(u.paging.next, { cursor: 'c2' });
  assert.equal(u.paging.loaded, true);
  assert.equal(viewOf(u).description, '2 of 3');
  const page2 = { resources: [{ id: '3', userName: 'c' }], totalResults: 3 };
  applyPage(u.paging, resourceNodes('dev', users, page2.resources, u.paging.items), page2, u.paging.next);
  assert.equal(u.paging.next, undefined);
  assert.equal(u.paging.error, undefined);
  assert.deepEqual(childrenWithMore(u, u.paging.items).map((k) => viewOf(k).label), ['a', 'b', 'c']);
});

test('applyPage: "Load more" that brings the same page again stops with a message (startIndex ignored, cursor repeated)', () => {
  const u = rtNode(users);
  const page = { resources: [{ id: '1', userName: 'a' }, { id: '2', userName: 'b' }], totalResults: 9, next: { startIndex: 3 } };
  applyPage(u.paging, resourceNodes('dev', users, page.resources, u.paging.items), page, undefined);
  const again = { ...page, next: { startIndex: 5 } };
  applyPage(u.paging, resourceNodes('dev', users, again.resources, u.paging.items), again, u.paging.next);
  assert.equal(u.paging.next, undefined, 'no "Load more" that fetches page 1 forever');
  assert.match(u.paging.error ?? '', /from startIndex 3, the server answered the same page again/);
  const kids = childrenWithMore(u, u.paging.items);
  assert.deepEqual(kids.map((k) => k.kind), ['resource', 'resource', 'message']);

  // the server says startIndex 1 again: its next page is the one just asked for
  const s = rtNode(users);
  applyPage(s.paging, resourceNodes('dev', users, page.resources, []), page, undefined);
  const moved = { resources: [{ id: '3', userName: 'c' }, { id: '4', userName: 'd' }], totalResults: 9, next: { startIndex: 3 } };
  applyPage(s.paging, resourceNodes('dev', users, moved.resources, s.paging.items), moved, { startIndex: 3 });
  assert.equal(s.paging.next, undefined);
  assert.equal(s.paging.items.length, 4);

  // a last page of members already shown (added from a membership report) is just the end
  const e = rtNode(users);
  applyPage(e.paging, resourceNodes('dev', users, page.resources, []), page, undefined);
  const last = { resources: [{ id: '2', userName: 'b' }], totalResults: 2 };
  applyPage(e.paging, resourceNodes('dev', users, last.resources, e.paging.items), last, { startIndex: 3 });
  assert.equal(e.paging.error, undefined);
  assert.equal(e.paging.next, undefined);

  const c = rtNode(users);
  const first = { resources: [{ id: '1' }], next: { cursor: 'x' } };
  applyPage(c.paging, resourceNodes('dev', users, first.resources, []), first, undefined);
  const repeat = { resources: [{ id: '2' }], next: { cursor: 'x' } };
  applyPage(c.paging, resourceNodes('dev', users, repeat.resources, c.paging.items), repeat, c.paging.next);
  assert.equal(c.paging.items.length, 2, 'what came is kept');
  assert.equal(c.paging.next, undefined);
  assert.match(c.paging.error ?? '', /by its cursor/);
});

test('failPage: a cursor the server no longer takes drops "Load more"; other failures keep it to try again', () => {
  const u = rtNode(users);
  u.paging.next = { cursor: 'old' };
  const expired = new HttpStatusError('scim', 400, 'SCIM service rejected GET …/Users: 400 expiredCursor', { scimType: 'expiredCursor' });
  failPage(u.paging, expired, 'SCIM service rejected GET …/Users: 400 expiredCursor. The paging cursor expired: start the listing again.', { cursor: 'old' });
  assert.equal(u.paging.next, undefined);
  assert.match(u.paging.error ?? '', /expiredCursor.*refresh to list from the first page/);
  assert.deepEqual(childrenWithMore(u, u.paging.items).map((k) => k.kind), ['message']);

  const v = rtNode(users);
  v.paging.next = { startIndex: 11 };
  failPage(v.paging, new HttpStatusError('gateway', 429, 'rate limited'), 'rate limited', { startIndex: 11 });
  assert.deepEqual(v.paging.next, { startIndex: 11 });
  assert.equal(v.paging.error, 'rate limited');
  assert.deepEqual(childrenWithMore(v, v.paging.items).map((k) => k.kind), ['message', 'loadMore']);
});

test('nested groups among Members: group icon, counted in the total, a warning shown when they could not be listed', () => {
  const [g] = resourceNodes('dev', groups, [{ id: 'g-1', displayName: 'Admins' }], []);
  const members = membersNodeOf(g!);
  const page = {
    resources: [{ value: 'g-3', display: 'Ops', type: 'Group' }, { value: 'u1', display: 'alice', type: 'User' }, { value: 'u2', display: 'bob', type: 'User' }],
    totalResults: 4, next: { startIndex: 3 },
  };
  applyPage(members.paging, memberNodes(members, page.resources, new Map()), page, undefined);
  assert.equal(viewOf(members).description, '3 of 4');
  const [ops] = members.paging.items;
  assert.equal(viewOf(ops!).label, 'Ops');
  assert.equal(viewOf(ops!).icon.id, 'organization');
  assert.equal(viewOf(ops!).description, 'Group');
  assert.match(viewOf(ops!).tooltip ?? '', /^value: g-3$/m);
  assert.equal(viewOf(ops!).contextValue, 'member');
  const report: MembershipReport = {
    groupId: 'g-1', mode: 'patch', added: [], removed: ['g-3'], alreadyPresent: [], alreadyAbsent: [], missing: [], lost: [], collateral: { method: 'full', checked: 3 },
    verified: true, concurrentChange: false, requests: 2, bytesSent: 1, bytesReceived: 1, warnings: [],
  };
  applyMembershipReport(members, report, new Map());
  assert.equal(viewOf(members).description, '2 of 3');

  const other = membersNodeOf(resourceNodes('dev', groups, [{ id: 'g-2', displayName: 'Devs' }], [])[0]!);
  const partial = { resources: [{ value: 'u1', type: 'User' }], totalResults: 1, warnings: ['Members that are groups could not be listed: timeout'] };
  applyPage(other.paging, memberNodes(other, partial.resources, new Map()), partial, undefined);
  const kids = childrenWithMore(other, other.paging.items);
  const warning = kids.find((k) => k.kind === 'message');
  assert.ok(warning && warning.kind === 'message');
  assert.equal(warning.severity, 'warning');
  assert.match(warning.text, /could not be listed/);
});

test('members are named alike however they were learnt: displayName, else userName, else the id', () => {
  assert.equal(personLabel({ id: 'u1', userName: 'alice', displayName: 'Alice A' }), 'Alice A');
  assert.equal(personLabel({ id: 'u1', userName: 'alice' }), 'alice');
  assert.equal(personLabel({ id: 'u1', userName: '  ' }), 'u1');
  assert.equal(personLabel({ id: 'g1', displayName: 'Ops' }), 'Ops');
});

test('an id prefix every row shares is not shown; rows with the same label get the shortest tail that tells them apart', () => {
  const shared = 'a1b2c3d4-0000-4000-8000-';
  const hints = idHints([
    { label: 'Alice', id: `${shared}000000000001` }, { label: 'Bob', id: `${shared}000000000002` },
    { label: 'Sam', id: `${shared}0000000a1234` }, { label: 'Sam', id: `${shared}0000000b1234` },
  ]);
  assert.equal(hints.get(`${shared}000000000001`), undefined);
  assert.equal(hints.get(`${shared}0000000a1234`), '…a1234');
  assert.equal(hints.get(`${shared}0000000b1234`), '…b1234');
  assert.equal(idHints([{ label: 'x', id: 'ab' }, { label: 'x', id: 'cd' }]).get('ab'), 'ab', 'a short id is shown whole');
});

test('members are sorted (groups first, then by name) with their count; the same name twice is told apart', () => {
  const [g] = resourceNodes('dev', groups, [{ id: 'g-1', displayName: 'Admins' }], []);
  const members = membersNodeOf(g!);
  const page = {
    resources: [
      { value: 'u-0003', display: 'zoe', type: 'User' }, { value: 'u-0001', display: 'Bob', type: 'User' }, { value: 'g-0009', display: 'Ops', type: 'Group' },
      { value: 'u-0010', display: 'bob', type: 'User' }, { value: 'u-0002', display: 'alice', type: 'User' },
    ],
    totalResults: 5,
  };
  applyPage(members.paging, memberNodes(members, page.resources, new Map()), page, undefined);
  const kids = childrenWithMore(members, members.paging.items);
  assert.deepEqual(kids.map((k) => viewOf(k).label), ['Ops', 'alice', 'Bob', 'bob', 'zoe']);
  assert.deepEqual(kids.map((k) => viewOf(k).description), ['Group', undefined, undefined, undefined, undefined], '"Bob" and "bob" are different labels');
  assert.equal(viewOf(members).description, '5');
  const report: MembershipReport = {
    groupId: 'g-1', mode: 'patch', added: ['u-0042'], removed: [], alreadyPresent: [], alreadyAbsent: [], missing: [], lost: [], collateral: { method: 'full', checked: 5 },
    verified: true, concurrentChange: false, requests: 2, bytesSent: 1, bytesReceived: 1, warnings: [],
  };
  applyMembershipReport(members, report, new Map([['u-0042', 'zoe']]));
  const after = childrenWithMore(members, members.paging.items);
  assert.deepEqual(after.map((k) => viewOf(k).label), ['Ops', 'alice', 'Bob', 'bob', 'zoe', 'zoe'], 'a new member takes its place in the order');
  assert.deepEqual(after.slice(4).map((k) => viewOf(k).description), ['…0003', '…0042']);
  assert.equal(viewOf(members).description, '6');
});

test('a resource document is named by its label in the editor tab, and read by its id', () => {
  const id = '2819c223-7f76-453a-919d-413861904646';
  const path = resourcePath('dev', '/Users', id, 'Barbara Jensen');
  assert.match(path, /\/Barbara%20Jensen\.json$/, 'the tab shows the name, not the GUID');
  assert.deepEqual(parseDocPath(path), { kind: 'resource', profile: 'dev', endpoint: 'Users', id });
  const odd = resourcePath('my dev', 'Groups', 'a/b', 'Ops / EMEA\nteam');
  assert.deepEqual(parseDocPath(odd), { kind: 'resource', profile: 'my dev', endpoint: 'Groups', id: 'a/b' });
  assert.match(decodeURIComponent(odd.split('/').pop()!), /^Ops EMEA team\.json$/);
  assert.match(resourcePath('dev', 'Users', 'u1', '   '), /\/u1\/u1\.json$/, 'no name: the id');
  assert.deepEqual(parseDocPath(serviceDocPath('dev', 'Schemas')), { kind: 'service', profile: 'dev', doc: 'Schemas' });
});

test('member picker: the search, the one read that finds the members among the results, marked rows, "Load more"', () => {
  assert.equal(PICKER_PAGE, 25);
  assert.equal(searchFilter('  jo '), 'userName sw "jo" or displayName co "jo"');
  assert.equal(searchFilter(''), undefined);
  assert.equal(membersAmongFilter('g-1', ['u1', 'u2']), 'groups.value eq "g-1" and (id eq "u1" or id eq "u2")');
  assert.equal(membersAmongFilter('g-1', []), undefined);
  const u = { id: 'u1', userName: 'bjensen', displayName: 'Barbara Jensen', emails: [{ value: 'x@example.com' }, { value: 'bj@example.com', primary: true }] };
  assert.deepEqual(pickerRow(u, true), { label: 'bjensen', description: 'already a member · Barbara Jensen · bj@example.com', member: true, user: u });
  assert.equal(pickerRow({ id: 'u2', userName: 'x' }, false).description, undefined);
  assert.equal(moreLabel(25, 140), 'Load more results… (25 of 140 shown)');
});
