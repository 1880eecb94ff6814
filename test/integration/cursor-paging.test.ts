// RFC 9865 cursor paging for single pages (the tree's "Load more", a group's Members, `scimx list`), against the
// sandbox in its cursor-only mode (startIndex ignored), and the page size capped by ServiceProviderConfig.
// Everything is asserted on what the sandbox received over real sockets on 127.0.0.1.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ScimClient } from '../../src/core/scim/client';
import { SCHEMA, type ListPage, type ResourceTypeInfo } from '../../src/core/scim/types';
import { Trace } from '../../src/core/trace';
import { failureLine } from '../../src/extension/messages';
import {
  applyPage, childrenWithMore, emptyPaging, failPage, memberNodes, membersNodeOf, resourceNodes, viewOf,
  type MembersNode, type ResourceTypeNode,
} from '../../src/extension/tree-model';
import { scimxInProcess } from '../helpers/cli';
import { sandboxProfile } from '../helpers/profile';
import { startTestSandbox, type Sandbox } from '../helpers/sandbox';

const USERS: ResourceTypeInfo = { id: 'User', name: 'User', endpoint: 'Users', schema: SCHEMA.user };
const GROUPS: ResourceTypeInfo = { id: 'Group', name: 'Group', endpoint: 'Groups', schema: SCHEMA.group };

function usersNode(): ResourceTypeNode {
  return { kind: 'resourceType', key: 'sandbox/Users', profile: 'sandbox', rt: USERS, paging: emptyPaging() };
}

function membersNode(groupId: string): MembersNode {
  const [group] = resourceNodes('sandbox', GROUPS, [{ id: groupId, displayName: 'g' }], []);
  return membersNodeOf(group!);
}

/** What the tree does on expand and on each "Load more…" (ScimTree.loadPage), until no "Load more…" is left. */
async function loadUsers(c: ScimClient, node: ResourceTypeNode, max = 50): Promise<number> {
  let pages = 0;
  do {
    const next = node.paging.next;
    try {
      const page = await c.listPage('Users', { ...(next ?? {}) });
      applyPage(node.paging, resourceNodes('sandbox', USERS, page.resources, node.paging.items), page, next);
    } catch (e) {
      failPage(node.paging, e, failureLine(e), next);
    }
    assert.ok(++pages <= max, `more than ${max} pages`);
  } while (node.paging.next && !node.paging.error);
  return pages;
}

async function loadMembers(c: ScimClient, node: MembersNode, max = 50): Promise<number> {
  let pages = 0;
  do {
    const next = node.paging.next;
    const page = await c.membersPage(node.group.resource.id, { ...(next ?? {}) });
    applyPage(node.paging, memberNodes(node, page.resources, new Map()), page, next);
    assert.ok(++pages <= max, `more than ${max} pages`);
  } while (node.paging.next && !node.paging.error);
  return pages;
}

const query = (url: string) => new URL(url, 'http://x').searchParams;
const usersGets = (sb: Sandbox) => sb.received.filter((r) => r.method === 'GET' && /^\/scim\/v2\/Users\?/.test(r.url));

describe('cursor-only provider (sandbox "cursor" mode)', () => {
  let sb: Sandbox;
  before(async () => { sb = await startTestSandbox({ users: 23, groups: 3, bigGroupMembers: 17, faults: ['cursor'] }); });
  after(() => sb.stop());

  const client = (pageSize = 5) => new ScimClient(sandboxProfile(sb, { pageSize }), { trace: new Trace() });

  test('the sandbox ignores startIndex in cursor mode (the provider this guards against)', async () => {
    const c = client();
    const first = await c.listPage('Users', { startIndex: 1 });
    const again = await c.listPage('Users', { startIndex: 6 });
    assert.deepEqual(again.resources.map((r) => r.id), first.resources.map((r) => r.id));
    await c.close();
  });

  test('"Load more" reaches every user exactly once, by cursor, the first page asked with cursor=', async () => {
    const c = client();
    await c.discover();
    sb.clearReceived();
    const node = usersNode();
    const pages = await loadUsers(c, node);
    assert.equal(node.paging.error, undefined);
    const ids = node.paging.items.map((n) => n.resource.id);
    assert.equal(ids.length, 23);
    assert.equal(new Set(ids).size, 23);
    assert.equal(pages, 5);
    assert.equal(node.paging.total, 23);
    assert.equal(viewOf(node).description, '23');
    const gets = usersGets(sb);
    assert.equal(gets.length, 5, 'one request a page');
    assert.equal(query(gets[0]!.url).get('cursor'), '', 'RFC 9865: the first page asks for cursor paging');
    for (const r of gets) assert.equal(query(r.url).get('startIndex'), null, r.url);
    for (const r of gets.slice(1)) assert.ok(query(r.url).get('cursor'), r.url);
    assert.deepEqual(childrenWithMore(node, node.paging.items).filter((k) => k.kind === 'loadMore'), []);
    await c.close();
  });

  test('without discovery, the nextCursor of the answer is followed all the same', async () => {
    const c = client(7);
    sb.clearReceived();
    const node = usersNode();
    await loadUsers(c, node);
    assert.equal(new Set(node.paging.items.map((n) => n.resource.id)).size, 23);
    assert.equal(node.paging.items.length, 23);
    assert.equal(usersGets(sb).length, 4);
    await c.close();
  });

  test('a group\'s Members are paged by cursor too: every member once, nested groups included, totals right', async () => {
    const c = client();
    const big = sb.groupIdByName('big-group')!;
    const nested = [sb.groupIdByName('group-01')!, sb.groupIdByName('group-02')!];
    for (const g of nested) sb.addMemberDirect(big, g);
    try {
      sb.clearReceived();
      const node = membersNode(big);
      const pages = await loadMembers(c, node);
      const values = node.paging.items.map((n) => n.member.value);
      assert.deepEqual(new Set(values), new Set(sb.members(big)));
      assert.equal(values.length, 19);
      assert.equal(node.paging.total, 19);
      assert.equal(pages, 4, '17 users by 5, the 2 groups on the first page');
      assert.deepEqual(values.slice(0, 2).sort(), [...nested].sort());
      const userPages = usersGets(sb);
      assert.equal(query(userPages[0]!.url).get('cursor'), '');
      for (const r of userPages.slice(1)) assert.ok(query(r.url).get('cursor'), r.url);
    } finally {
      for (const g of nested) sb.removeMemberDirect(big, g);
      await c.close();
    }
  });

  test('listAll by cursor: every user once', async () => {
    const c = client(6);
    const all = await c.listAll('Users', {});
    assert.equal(new Set(all.map((u) => u.id)).size, 23);
    assert.equal(all.length, 23);
    await c.close();
  });

  test('a cursor the server does not take (400 invalidCursor) ends "Load more" with a clear message', async () => {
    const c = client();
    await c.discover();
    const node = usersNode();
    const first = await c.listPage('Users', {});
    applyPage(node.paging, resourceNodes('sandbox', USERS, first.resources, []), first, undefined);
    assert.ok(node.paging.next?.cursor);
    // a cursor of an earlier run of the service (another nonce): what a restart or a stale tree sends
    node.paging.next = { cursor: Buffer.from('0123456789ab:5').toString('base64url') };
    await loadUsers(c, node);
    assert.match(node.paging.error ?? '', /400 invalidCursor/);
    assert.match(node.paging.error ?? '', /start the listing again/);
    assert.match(node.paging.error ?? '', /refresh/);
    assert.doesNotMatch(node.paging.error ?? '', /[\r\n]|undefined/);
    assert.equal(node.paging.next, undefined, 'no "Load more" that would send the same cursor again');
    const kids = childrenWithMore(node, node.paging.items);
    assert.deepEqual(kids.map((k) => k.kind), [...Array<string>(5).fill('resource'), 'message']);
    assert.equal(node.paging.items.length, 5, 'what was loaded stays');
    await c.close();
  });
});

describe('the page size the client asks for is capped by ServiceProviderConfig', () => {
  let sb: Sandbox;
  before(async () => { sb = await startTestSandbox({ users: 30, groups: 2, maxPageSize: 4 }); });
  after(() => sb.stop());

  test('filter.maxResults caps count on single pages, listAll and members pages', async () => {
    const c = new ScimClient(sandboxProfile(sb, { pageSize: 100 }), { trace: new Trace() });
    const d = await c.discover();
    assert.equal(d.capabilities.maxResults, 4);
    sb.clearReceived();
    const page = await c.listPage('Users', { count: 50 });
    assert.equal(page.resources.length, 4);
    const all = await c.listAll('Users', {});
    assert.equal(all.length, 30);
    await c.membersPage(sb.groupIdByName('group-01')!, {});
    const counts = sb.received.filter((r) => r.method === 'GET' && query(r.url).has('count')).map((r) => Number(query(r.url).get('count')));
    assert.ok(counts.length > 8);
    assert.ok(counts.every((n) => n <= 4), `asked for ${counts.join(',')}`);
    await c.close();
  });
});

describe('scimx list on a cursor-only provider', () => {
  let sb: Sandbox;
  let dir: string;
  before(async () => {
    sb = await startTestSandbox({ users: 12, groups: 2, faults: ['cursor'], maxPageSize: 4 });
    dir = mkdtempSync(join(tmpdir(), 'scimx-cursor-'));
    writeFileSync(join(dir, 'scim-profiles.yaml'), sb.profileYaml('sandbox'));
  });
  after(async () => {
    await sb?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  // in this process (test/helpers/cli.ts: what dist/cli.js runs, without a process start)
  const scimx = (args: string[]) => scimxInProcess(args, { cwd: dir, env: { PATH: process.env.PATH } });

  test('one page: asked with cursor= and at most maxResults; the next page is the server\'s cursor', async () => {
    sb.clearReceived();
    const r = await scimx(['--json', 'list', 'Users', '--count', '10']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as ListPage & { Resources: unknown[] };
    assert.equal(doc.Resources.length, 4);
    assert.ok(doc.next?.cursor, JSON.stringify(doc.next));
    assert.equal(doc.next?.startIndex, undefined);
    const [get] = usersGets(sb);
    assert.equal(query(get!.url).get('cursor'), '');
    assert.equal(query(get!.url).get('count'), '4');
    const text = await scimx(['list', 'Users']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /4 of 12 Users; more pages: add --all/);
    const all = await scimx(['--json', 'list', 'Users', '--all']);
    assert.equal((JSON.parse(all.stdout) as { Resources: unknown[] }).Resources.length, 12);
  });
});
