// The provider cache's parts without a network: where it lives, the key, the record's shape, what a damaged or
// unwritable file does, and the quirks and members it keeps (test/integration/provider-cache*.test.ts run it for real).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import {
  CACHE_GROUPS, CACHE_MEMBERS_PER_GROUP, clearCacheDir, defaultCacheDir, FileCacheStore, parseRecord, ProviderCache, providerKey, type CacheStore,
} from '../../src/core/scim/cache';
import { KnownMembers } from '../../src/core/scim/client/known-members';
import { ProviderQuirks } from '../../src/core/scim/quirks';

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'scimx-cache-unit-'));
  dirs.push(d);
  return d;
};
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const doc = (fetchedAt: number) => ({ body: { schemas: ['x'] }, etag: 'W/"1"', fetchedAt });
const discovery = (at = 1000) => ({ ServiceProviderConfig: doc(at), ResourceTypes: doc(at), Schemas: { reason: '404 from the SCIM service', fetchedAt: at } });

test('where the CLI keeps it: SCIMX_CACHE_DIR (off turns it off), XDG_CACHE_HOME, the home the environment names, else none', () => {
  assert.equal(defaultCacheDir({ SCIMX_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' }, 'linux'), '/c');
  for (const off of ['off', 'OFF', 'none', '0', 'false']) assert.equal(defaultCacheDir({ SCIMX_CACHE_DIR: off, HOME: '/h' }, 'linux'), undefined);
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' }, 'linux'), join('/x', 'scimx'));
  assert.equal(defaultCacheDir({ HOME: '/h' }, 'linux'), join('/h', '.cache', 'scimx'));
  assert.equal(defaultCacheDir({ HOME: '/h' }, 'darwin'), join('/h', 'Library', 'Caches', 'scimx'));
  assert.equal(defaultCacheDir({ LOCALAPPDATA: 'C:\\L' }, 'win32'), join('C:\\L', 'scimx', 'cache'));
  assert.equal(defaultCacheDir({}, 'linux'), undefined, 'no home in the environment (an in-process run with a bare env): no cache');
});

test('the key: origin + base path hashed; the query, user info, fragment and a trailing slash do not count', () => {
  const k = providerKey('https://api.example.com/scim/v2');
  assert.match(k.key, /^[0-9a-f]{32}$/);
  assert.equal(k.origin, 'https://api.example.com');
  assert.equal(providerKey('https://api.example.com/scim/v2/').key, k.key);
  assert.equal(providerKey('https://u:secret@api.example.com/scim/v2?subscription-key=SECRET#x').key, k.key);
  assert.notEqual(providerKey('https://api.example.com/scim/v1').key, k.key);
  assert.notEqual(providerKey('https://api.example.com:8443/scim/v2').key, k.key);
});

test('quirks: toJSON leaves out what was not learnt, restore() takes a snapshot in place, restore({}) forgets', () => {
  const q = new ProviderQuirks();
  assert.deepEqual(q.toJSON(), {});
  assert.equal(q.empty, true);
  q.memberPaging = 'group-read';
  q.memberTypeFilter = 'unsupported';
  q.groupFilterRefused = true;
  q.andTestsBroken = true;
  q.learnPageCap(50);
  q.rememberFailedFilter('Users?filter=groups.value and id', '500 from the SCIM service');
  const snap = JSON.parse(JSON.stringify(q)) as unknown;
  const r = new ProviderQuirks();
  r.restore(snap);
  assert.deepEqual(r.toJSON(), q.toJSON());
  assert.equal(r.failedFilter('Users?filter=groups.value and id'), '500 from the SCIM service');
  r.restore({ memberPaging: 'sideways', pageCap: -3, groupFilterRefused: 'yes', failedFilters: { a: 1, b: 'why' } });
  assert.deepEqual(r.toJSON(), { failedFilters: { b: 'why' } }, 'shapes this version does not know are "not learnt"');
  r.restore({});
  assert.equal(r.empty, true);
});

test(`members kept: ${CACHE_MEMBERS_PER_GROUP} ids a group (newest first), ${CACHE_GROUPS} groups (oldest touched dropped), sizes with them`, () => {
  const k = new KnownMembers();
  for (let g = 0; g < CACHE_GROUPS + 10; g++) k.remember(`g${g}`, Array.from({ length: 30 }, (_, i) => `u${g}-${i}`));
  k.remember('g0', ['fresh']);
  k.remember('sized', ['a', 'b'], 2);
  const snap = k.snapshot(CACHE_MEMBERS_PER_GROUP, CACHE_GROUPS);
  assert.equal(snap.length, CACHE_GROUPS);
  assert.ok(snap.every(([, ids]) => ids.length <= CACHE_MEMBERS_PER_GROUP));
  assert.deepEqual(snap.at(-1), ['sized', ['a', 'b'], 2], 'the group touched last is last');
  assert.equal(snap.at(-2)?.[1][0], 'fresh', 'newest id first');
  const r = new KnownMembers();
  r.remember('mine', ['m1']);
  r.restore(snap);
  assert.deepEqual(r.of('mine'), ['m1'], 'what this client saw is kept, and counts as newer');
  assert.deepEqual(r.of('sized'), ['a', 'b']);
  assert.equal(r.sizeOf('sized'), 2);
});

test('the record: parsed back as written; anything else is refused with a reason', () => {
  const r = parseRecord(JSON.stringify({ v: 1, origin: 'https://a', savedAt: 5, discovery: discovery(), quirks: { memberPaging: 'group-read' }, members: [['g', ['a', 7, 'b'], 3], ['h', []], 'junk'] }));
  assert.equal(r.discovery?.Schemas.reason, '404 from the SCIM service');
  assert.equal(r.discovery?.ServiceProviderConfig.etag, 'W/"1"');
  assert.deepEqual(r.members, [['g', ['a', 'b'], 3], ['h', []]]);
  assert.throws(() => parseRecord('{'), SyntaxError);
  assert.throws(() => parseRecord('[]'), /not a JSON object/);
  assert.throws(() => parseRecord('{"v":2}'), /format 2/);
  assert.throws(() => parseRecord(JSON.stringify({ v: 1, discovery: { ServiceProviderConfig: { fetchedAt: 1 } } })), /neither a body nor a reason/);
});

test('the file: written through a temporary file (none left), 0600 in a 0700 folder, masked; unchanged: not rewritten', () => {
  const dir = join(tmp(), 'nested', 'cache');
  const writes: string[] = [];
  const store = new FileCacheStore(dir);
  const counting: CacheStore = { read: (k) => store.read(k), write: (k, t) => { writes.push(t); store.write(k, t); }, remove: (k) => store.remove(k) };
  const c = new ProviderCache(counting, 'https://api.example.com/scim/v2', (t) => t.replaceAll('TOPSECRET', '***'));
  c.save({ discovery: discovery(), quirks: { memberPaging: 'group-read' }, members: [['g', ['TOPSECRET']]] }, 10);
  c.save({ discovery: discovery(), quirks: { memberPaging: 'group-read' }, members: [['g', ['TOPSECRET']]] }, 20);
  assert.equal(writes.length, 1, 'the same content is not written again');
  assert.deepEqual(readdirSync(dir), [`${c.key}.json`]);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(statSync(store.file(c.key)).mode & 0o777, 0o600);
  const text = readFileSync(store.file(c.key), 'utf8');
  assert.ok(!text.includes('TOPSECRET') && text.includes('***'));
  const again = new ProviderCache(store, 'https://api.example.com/scim/v2/', (t) => t);
  assert.equal(again.load()?.quirks?.memberPaging, 'group-read');
  again.save({}, 30);
  assert.equal(existsSync(store.file(c.key)), false, 'nothing learnt: no file');
});

test('a damaged file is ignored and said once; an unreadable store and an unwritable one are said, never thrown', () => {
  const dir = tmp();
  const store = new FileCacheStore(dir);
  const c = new ProviderCache(store, 'https://a.example.com/scim', (t) => t);
  writeFileSync(store.file(c.key), '{"v":1,');
  assert.equal(c.load(), undefined);
  assert.equal(c.load(), undefined);
  assert.equal(c.notes.length, 1);
  assert.match(c.notes[0]!, /^the provider cache file is damaged and is ignored \(/);
  c.save({ quirks: { groupFilterRefused: true } }, 1);
  assert.equal(parseRecord(readFileSync(store.file(c.key), 'utf8')).quirks?.groupFilterRefused, true, 'rewritten whole');
  const broken: CacheStore = { read: () => { throw new Error('EACCES'); }, write: () => { throw new Error('EROFS'); }, remove: () => undefined };
  const b = new ProviderCache(broken, 'https://a.example.com/scim', (t) => t);
  assert.equal(b.load(), undefined);
  assert.doesNotThrow(() => b.save({ quirks: { andTestsBroken: true } }, 1));
  assert.deepEqual(b.notes, ['the provider cache could not be read and is ignored (EACCES)', 'the provider cache could not be written (EROFS)']);
});

test('clearCacheDir drops every provider file and nothing else', () => {
  const dir = tmp();
  const c = new ProviderCache(new FileCacheStore(dir), 'https://a.example.com/scim', (t) => t);
  c.save({ quirks: { andTestsBroken: true } }, 1);
  writeFileSync(join(dir, 'journal.jsonl'), '');
  clearCacheDir(dir);
  assert.deepEqual(readdirSync(dir), ['journal.jsonl']);
  assert.doesNotThrow(() => clearCacheDir(join(dir, 'missing')));
});
