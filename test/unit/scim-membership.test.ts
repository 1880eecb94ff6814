import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'scim2-parse-filter';
import { ScimxError } from '../../src/core/errors';
import { Pipeline } from '../../src/core/http/pipeline';
import type { HttpResponse, RequestSpec } from '../../src/core/http/types';
import { DEFAULTS, DEFAULT_KEY_HEADER, DEFAULT_KEY_QUERY, type Profile } from '../../src/core/profile';
import { ScimClient } from '../../src/core/scim/client';
import { chunks, memberIds, patchBodies, patchConcurrency, patchLimits } from '../../src/core/scim/membership';
import { formatBytes, reportParts, summarizeReport, trafficPart } from '../../src/core/scim/report';
import { SCHEMA, type MembershipReport } from '../../src/core/scim/types';
import { Trace, type Exchange, type Operation } from '../../src/core/trace';

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

test('PATCH parts go out profile.concurrency at a time, except with If-Match (ETags) and for Google', () => {
  assert.equal(patchConcurrency('generic', 4, false), 4);
  assert.equal(patchConcurrency('entra', 4, false), 4);
  assert.equal(patchConcurrency('generic', 4, true), 1);
  assert.equal(patchConcurrency('google', 4, false), 1);
  assert.equal(patchConcurrency('aws', 0, false), 1);
});

test('chunks splits evenly with a short tail', () => {
  assert.deepEqual(chunks([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  assert.deepEqual(chunks([], 3), []);
});

// ------------------------------------------------------------------------------------------- member ids

test('member ids are checked for type first and kept as given: a non-string is a usage error naming it, spaces are not trimmed', async () => {
  assert.deepEqual(memberIds([' u1 ', 'u1', ' u1 ', 'a/b'], 'add'), [' u1 ', 'u1', 'a/b']);
  assert.deepEqual(memberIds(undefined, 'remove'), []);
  const usage = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ScimxError, String(e));
    assert.equal(e.code, 'usage');
    assert.match(e.message, re);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
  usage(() => memberIds(['u1', 42], 'add'), /id 2 to add is the number 42/);
  usage(() => memberIds([null], 'remove'), /id 1 to remove is null/);
  usage(() => memberIds([{ value: 'u1' }], 'add'), /id 1 to add is an object/);
  usage(() => memberIds(['u1', ''], 'add'), /must not be empty: id 2 to add is ""/);
  usage(() => memberIds(['  '], 'remove'), /must not be empty: id 1 to remove is " {2}"/);
  usage(() => memberIds('u1', 'add'), /must be a list, got "u1"/);

  // through the client: the same usage errors before anything is sent, and an id with spaces goes out as given
  const fake = new FakeProvider({ filter: true, users: ['u1', ' u2 '], members: ['u1'], filtersWork: true });
  const client = fake.client();
  await assert.rejects(client.changeMembers('g1', { add: ['u3', 7 as unknown as string], remove: [] }), (e: unknown) => e instanceof ScimxError && e.code === 'usage' && /the number 7/.test(e.message));
  assert.equal(fake.sent.length, 0, 'nothing sent for a usage error');
  const report = await client.changeMembers('g1', { add: [' u2 '], remove: [] }, { mode: 'patch' });
  assert.deepEqual(report.added, [' u2 ']);
  assert.ok(fake.members.has(' u2 ') && !fake.members.has('u2'));
  const patch = fake.sent.find((s) => s.method === 'PATCH')!;
  assert.deepEqual((patch.body as { Operations: Array<{ value: unknown }> }).Operations[0]!.value, [{ value: ' u2 ' }]);
});

// ------------------------------------------------------------------------------------------- capabilities

for (const provider of ['generic', 'entra'] as const) {
  test(`${provider}: ServiceProviderConfig says filter.supported=false: membership checks read the group, no filtered read is tried`, async () => {
    const fake = new FakeProvider({ filter: false, users: ['u1', 'u2', 'u3', 'u4'], members: ['u1', 'u2'] });
    // Without an independent member count, a PUT is refused by default (a capped read would drop members): the
    // profile must say its group reads are complete. Refused first, nothing written:
    await assert.rejects(fake.client({ provider }).changeMembers('g1', { add: ['u4'], remove: [] }, { mode: 'put' }), (e: unknown) => {
      assert.ok(e instanceof ScimxError && e.code === 'unsupported', String(e));
      assert.match(e.message, /nothing independent confirms that is all of them.*Nothing was written/);
      assert.match(e.hint ?? '', /writes: patch.*groupReads: complete/);
      return true;
    });
    assert.equal(fake.sent.filter((s) => s.method !== 'GET').length, 0, 'nothing written');
    const client = fake.client({ provider, groupReads: 'complete' });
    for (const mode of ['patch', 'put'] as const) {
      const report = await client.changeMembers('g1', { add: mode === 'patch' ? ['u3', 'u1'] : ['u4'], remove: mode === 'patch' ? ['u2', 'u9'] : ['u3'] }, { mode });
      assert.equal(report.verified, true, mode);
      if (mode === 'patch') {
        assert.deepEqual([report.added, report.removed, report.alreadyPresent, report.alreadyAbsent, report.missing], [['u3'], ['u2'], ['u1'], ['u9'], []]);
      } else {
        assert.deepEqual([report.added, report.removed, report.missing], [['u4'], ['u3'], []]);
      }
    }
    assert.deepEqual([...fake.members].sort(), ['u1', 'u4']);
    assert.deepEqual(fake.sent.filter((s) => s.query?.filter !== undefined).map((s) => `${s.method} ${s.url}`), [], 'no filtered read');
    assert.equal(client.memberPaging, 'group-read', 'the tree pages members from the group too');
  });
}

test('filter.supported=false on a provider that returns no members with a group (Entra): a clear error, nothing written', async () => {
  const fake = new FakeProvider({ filter: false, users: ['u1', 'u2'], members: ['u1'], groupWithoutMembers: true });
  const client = fake.client({ provider: 'entra' });
  await assert.rejects(client.changeMembers('g1', { add: ['u2'], remove: [] }, { mode: 'patch' }), (e: unknown) => {
    assert.ok(e instanceof ScimxError && e.code === 'unsupported', String(e));
    assert.match(e.message, /supports no filter.*cannot be checked/);
    assert.match(e.message, /Nothing was written/);
    return true;
  });
  assert.equal(fake.sent.filter((s) => s.method !== 'GET').length, 0);
});

test('a ServiceProviderConfig that says nothing about filters does not stop filtered checks', async () => {
  const fake = new FakeProvider({ filter: undefined, users: ['u1', 'u2'], members: ['u1'], filtersWork: true });
  const client = fake.client();
  const report = await client.changeMembers('g1', { add: ['u2'], remove: [] }, { mode: 'patch' });
  assert.deepEqual(report.added, ['u2']);
  assert.ok(fake.sent.some((s) => s.query?.filter !== undefined), 'filtered checks are still used');
});

test('a ServiceProviderConfig without a filter block: filtered checks are tried, a 400 falls back to reading the group, the report is exact', async () => {
  const fake = new FakeProvider({ filter: undefined, users: ['u1', 'u2', 'u3'], members: ['u1', 'u2'] });
  const client = fake.client();
  const d = await client.discover();
  assert.deepEqual([d.capabilities.filter, d.capabilities.filterSupport], [true, 'unknown']);
  const report = await client.changeMembers('g1', { add: ['u3', 'u1'], remove: ['u2'] }, { mode: 'patch' });
  assert.deepEqual([report.added, report.removed, report.alreadyPresent, report.missing], [['u3'], ['u2'], ['u1'], []]);
  const filtered = fake.sent.filter((s) => s.query?.filter !== undefined);
  // the users filter is tried; refused, the group is read whole, which answers the changed ids and is the
  // snapshot the check after compares with (no group filter needed)
  assert.deepEqual([...new Set(filtered.map((s) => s.url))], ['Users'], 'the users filter tried');
  const firstWrite = fake.sent.findIndex((s) => s.method === 'PATCH');
  assert.ok(fake.sent.slice(firstWrite).every((s) => s.query?.filter === undefined), 'once refused, not tried again: the group is read');
  assert.equal(client.memberPaging, 'group-read');
  assert.deepEqual([...fake.members].sort(), ['u1', 'u3']);
});

test('a users-filter check answered short without totalResults (a page cap the provider does not state): the ids not found are asked again in sets that fit', async () => {
  const users = Array.from({ length: 60 }, (_, i) => `u${i}`);
  const fake = new FakeProvider({ filter: true, users, members: users.slice(0, 30), filtersWork: true, pageCap: 7, noTotal: true });
  const client = fake.client();
  const add = [...users.slice(30, 50), ...users.slice(0, 12)]; // 20 new, 12 present
  const remove = [...users.slice(12, 16), ...users.slice(55, 60)]; // 4 members, 5 not
  const report = await client.changeMembers('g1', { add, remove }, { mode: 'patch' });
  assert.deepEqual(new Set(report.added), new Set(users.slice(30, 50)));
  assert.deepEqual(new Set(report.alreadyPresent), new Set(users.slice(0, 12)));
  assert.deepEqual(new Set(report.removed), new Set(users.slice(12, 16)));
  assert.deepEqual(new Set(report.alreadyAbsent), new Set(users.slice(55, 60)));
  assert.deepEqual(report.missing, []);
  const adds = fake.sent.filter((s) => s.method === 'PATCH').flatMap((s) => (s.body as { Operations: Array<{ op: string; value?: Array<{ value: string }> }> }).Operations)
    .flatMap((op) => (op.op === 'add' ? (op.value ?? []).map((v) => v.value) : []));
  assert.deepEqual(new Set(adds), new Set(users.slice(30, 50)), 'no present member re-added');
});

test('a provider that ignores filters (answers users and groups the filter cannot match): not trusted, the group is read, the report is exact', async () => {
  const fake = new FakeProvider({ filter: undefined, users: ['u1', 'u2', 'u3', 'u4', 'u5'], members: ['u1', 'u2'], filtersWork: true, ignoresFilter: true });
  const client = fake.client();
  const report = await client.changeMembers('g1', { add: ['u3', 'u1'], remove: ['u2', 'u4'] }, { mode: 'patch' });
  assert.deepEqual([report.added, report.removed, report.alreadyPresent, report.alreadyAbsent, report.missing], [['u3'], ['u2'], ['u1'], ['u4'], []]);
  assert.equal(client.memberPaging, 'group-read');
  assert.deepEqual([...fake.members].sort(), ['u1', 'u3']);
  const firstWrite = fake.sent.findIndex((s) => s.method === 'PATCH');
  assert.ok(fake.sent.slice(firstWrite).every((s) => s.query?.filter === undefined), 'not tried again after the writes');
});

// ------------------------------------------------------------------------------------------- report

test('report summary: the bytes the PUT path moved, when asked for and when it ran; the default line is unchanged', () => {
  const base: MembershipReport = {
    groupId: 'g', mode: 'put', added: ['u1'], removed: [], alreadyPresent: [], alreadyAbsent: [], missing: [], lost: [], collateral: { method: 'full', checked: 3 },
    verified: true, concurrentChange: false, requests: 5, bytesSent: 9_600_000, bytesReceived: 10_400_000, warnings: [], putPath: true,
  };
  assert.equal(trafficPart(base), 'PUT moved 19.1 MB (9.2 MB sent, 9.9 MB received)');
  assert.equal(summarizeReport(base, { traffic: true }), 'PUT: added 1, PUT moved 19.1 MB (9.2 MB sent, 9.9 MB received) (verified)');
  assert.equal(summarizeReport(base), 'PUT: added 1 (verified)');
  assert.deepEqual(reportParts(base, { traffic: true }), ['added 1', 'PUT moved 19.1 MB (9.2 MB sent, 9.9 MB received)']);
  // the PATCH path, a PUT-capable change with nothing to write, or nothing measured: no traffic line
  assert.equal(trafficPart({ ...base, mode: 'patch', putPath: undefined }), undefined);
  assert.equal(trafficPart({ ...base, putPath: undefined }), undefined);
  assert.equal(trafficPart({ ...base, bytesSent: 0, bytesReceived: 0 }), undefined);
  assert.deepEqual([formatBytes(512), formatBytes(2765), formatBytes(20_000_000)], ['512 B', '2.7 KB', '19.1 MB']);
});

test('through the client: a PUT change says what it moved in its trace summary; a PATCH change does not', async () => {
  const fake = new FakeProvider({ filter: false, users: ['u1', 'u2', 'u3'], members: ['u1'] });
  const client = fake.client({ groupReads: 'complete' }); // no filter: a PUT needs the profile to vouch for complete reads
  const put = await client.changeMembers('g1', { add: ['u2'], remove: [] }, { mode: 'put' });
  assert.equal(put.putPath, true);
  const patch = await client.changeMembers('g1', { add: ['u3'], remove: [] }, { mode: 'patch' });
  assert.equal(patch.putPath, undefined);
  const [putOp, patchOp] = client.trace.operations().filter((o) => o.title.startsWith('Members of g1'));
  assert.match(putOp!.summary!, /^PUT: added 1, .*, PUT moved \d+ B \(0 B sent, \d+ B received\) \(verified\)$/);
  assert.equal(patchOp!.summary, 'PATCH: added 1 (verified)');
});

/** A tiny in-memory SCIM provider behind the client's pipeline (no sockets): one group `g1`, PATCH and PUT
 * of its members, `filter.supported` as told, and a filtered read answered 400 unless `filtersWork` (then at
 * most `pageCap` resources an answer, without totalResults when `noTotal`; every resource when `ignoresFilter`). */
class FakeProvider extends Pipeline {
  readonly sent: RequestSpec[] = [];
  readonly members: Set<string>;
  private readonly users: Set<string>;
  private modified = 1;

  constructor(private readonly opts: { filter: boolean | undefined; users: string[]; members: string[]; groupWithoutMembers?: boolean; filtersWork?: boolean; pageCap?: number; noTotal?: boolean; ignoresFilter?: boolean }) {
    super(fakeProfile(), { trace: new Trace() });
    this.users = new Set(opts.users);
    this.members = new Set(opts.members);
  }

  client(overrides: Partial<Profile> = {}): ScimClient {
    const trace = new Trace();
    return new ScimClient({ ...fakeProfile(), ...overrides }, { trace, pipeline: this });
  }

  override async send(_operation: Operation, spec: RequestSpec): Promise<HttpResponse> {
    this.sent.push(spec);
    const path = spec.url.replace(/^\/+/, '');
    const q = spec.query ?? {};
    const group = () => ({
      schemas: [SCHEMA.group], id: 'g1', displayName: 'group one',
      meta: { resourceType: 'Group', lastModified: new Date(this.modified).toISOString() },
      ...(this.opts.groupWithoutMembers || q.excludedAttributes === 'members' ? {} : { members: [...this.members].map((value) => ({ value })) }),
    });
    if (spec.method === 'GET' && path === 'ServiceProviderConfig') {
      return answer(spec, 200, {
        schemas: [SCHEMA.serviceProviderConfig], patch: { supported: true }, etag: { supported: false }, bulk: { supported: false }, sort: { supported: false },
        ...(this.opts.filter === undefined ? {} : { filter: { supported: this.opts.filter, maxResults: 100 } }),
      });
    }
    if (spec.method === 'GET' && path === 'ResourceTypes') {
      return answer(spec, 200, { Resources: [{ id: 'User', name: 'User', endpoint: '/Users', schema: SCHEMA.user }, { id: 'Group', name: 'Group', endpoint: '/Groups', schema: SCHEMA.group }] });
    }
    if (spec.method === 'GET' && path === 'Schemas') return answer(spec, 200, { Resources: [] });
    if (spec.method === 'GET' && q.filter !== undefined) {
      if (!this.opts.filtersWork) return answer(spec, 400, { schemas: [SCHEMA.error], status: '400', scimType: 'invalidFilter', detail: 'filtering is not supported' });
      // just enough for the users-by-group check: `groups.value eq "g1" and (id eq "a" or …)`
      const filter = String(q.filter);
      const values = (attr: string) => [...filter.matchAll(new RegExp(`(?<![\\w.])${attr.replace('.', '\\.')} eq "((?:[^"\\\\]|\\\\.)*)"`, 'g'))].map((m) => JSON.parse(`"${m[1]}"`) as string);
      const ids = values('id');
      if (this.opts.ignoresFilter) {
        const all = path === 'Groups' ? [{ id: 'g0' }, { id: 'g1' }] : [...this.users].map((id) => ({ id }));
        return answer(spec, 200, { schemas: [SCHEMA.listResponse], totalResults: all.length, startIndex: 1, itemsPerPage: all.length, Resources: all });
      }
      if (path === 'Groups') {
        // `id eq "g1" and members.value eq "a" and …` (all) or `id eq "g1" and (members.value eq "a" or …)` (any)
        const asked = values('members.value');
        const hit = ids.includes('g1') && (/ or /.test(filter) ? asked.some((id) => this.members.has(id)) : asked.every((id) => this.members.has(id)));
        return answer(spec, 200, { schemas: [SCHEMA.listResponse], totalResults: hit ? 1 : 0, startIndex: 1, itemsPerPage: hit ? 1 : 0, Resources: hit ? [{ id: 'g1' }] : [] });
      }
      // users: `groups.value eq "g1"` (every user member) or `groups.value eq "g1" and (id eq "a" or …)`
      const hits = (ids.length ? ids : [...this.members]).filter((id) => this.members.has(id) && this.users.has(id));
      if (!ids.length) {
        const count = Number(q.count ?? hits.length);
        const shown = hits.slice(0, Math.min(count, this.opts.pageCap ?? hits.length));
        return answer(spec, 200, { schemas: [SCHEMA.listResponse], ...(this.opts.noTotal ? {} : { totalResults: hits.length }), startIndex: 1, itemsPerPage: shown.length, Resources: shown.map((id) => ({ id, groups: [{ value: 'g1' }] })) });
      }
      const shown = hits.slice(0, this.opts.pageCap ?? hits.length);
      return answer(spec, 200, { schemas: [SCHEMA.listResponse], ...(this.opts.noTotal ? {} : { totalResults: hits.length }), startIndex: 1, itemsPerPage: shown.length, Resources: shown.map((id) => ({ id })) });
    }
    if (path === 'Groups/g1' && spec.method === 'GET') return answer(spec, 200, group());
    if (path === 'Groups/g1' && spec.method === 'PATCH') {
      for (const op of (spec.body as { Operations: Array<{ op: string; path: string; value?: Array<{ value: string }> }> }).Operations) {
        if (op.op === 'add') for (const v of op.value ?? []) if (this.users.has(v.value)) this.members.add(v.value);
        const m = /^members\[value eq (".*")\]$/.exec(op.path);
        if (op.op === 'remove' && m) this.members.delete(JSON.parse(m[1]!) as string);
      }
      this.modified++;
      return answer(spec, 200, group());
    }
    if (path === 'Groups/g1' && spec.method === 'PUT') {
      const members = (spec.body as { members: Array<{ value: string }> }).members;
      this.members.clear();
      for (const m of members) this.members.add(m.value);
      this.modified++;
      return answer(spec, 200, group());
    }
    return answer(spec, 404, { schemas: [SCHEMA.error], status: '404', detail: `no ${spec.method} ${path}` });
  }
}

function fakeProfile(): Profile {
  return {
    name: 'fake', baseUrl: 'http://127.0.0.1:9/scim/v2', auth: { type: 'none' },
    gateway: { header: DEFAULT_KEY_HEADER, query: DEFAULT_KEY_QUERY, sendAs: 'header' },
    headers: {}, secretHeaders: [], writes: 'auto', locations: 'rewrite', provider: 'generic', timeoutMs: 1000,
    pageSize: DEFAULTS.pageSize, concurrency: DEFAULTS.concurrency, maxOperationsPerPatch: DEFAULTS.maxOperationsPerPatch, tls: { insecure: false },
  };
}

function answer(spec: RequestSpec, status: number, json: unknown): HttpResponse {
  const text = JSON.stringify(json);
  const exchange = { id: `fake-${spec.method}-${spec.url}`, request: { method: spec.method, url: spec.url, headers: [] }, timings: { start: Date.now() }, warnings: [] } as unknown as Exchange;
  return { status, headers: { 'content-type': 'application/scim+json' }, text, json, url: spec.url, exchange, bytesSent: 0, bytesReceived: text.length };
}
