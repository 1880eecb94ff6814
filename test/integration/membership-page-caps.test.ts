// Membership checks against providers that return fewer resources in one answer than the 40 ids a check asks
// about: a page cap stated in ServiceProviderConfig (pagination.maxPageSize, filter.maxResults) or applied
// silently. A check cut short by a page would report present members as missing (and re-add them, or claim
// "missing" in the report): the checks must ask no more ids than a page holds, and a short answer must be
// completed. Against the sandbox over real sockets on 127.0.0.1, asserting on what the gateway received.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ScimClient } from '../../src/core/scim/client';
import { Trace } from '../../src/core/trace';
import type { FaultMode, SandboxOptions } from '../../src/sandbox/index';
import { sandboxProfile } from '../helpers/profile';
import { startTestSandbox, type Sandbox } from '../helpers/sandbox';

/** The number of ids in each users-filter membership check (`groups.value eq "G" and (id eq "a" or …)`). */
function checkSizes(sb: Sandbox): number[] {
  return sb.received.flatMap((r) => {
    const url = new URL(r.url, 'http://x');
    const filter = url.searchParams.get('filter');
    if (r.method !== 'GET' || !url.pathname.endsWith('/Users') || !filter?.startsWith('groups.value eq')) return [];
    return [filter.match(/\bid eq "/g)?.length ?? 0];
  });
}

/** The member ids the PATCH requests received by the gateway added, and removed. */
function patched(sb: Sandbox): { add: string[]; remove: string[] } {
  const out = { add: [] as string[], remove: [] as string[] };
  for (const r of sb.received.filter((x) => x.method === 'PATCH')) {
    for (const op of (JSON.parse(r.body) as { Operations: Array<{ op: string; path: string; value?: Array<{ value: string }> }> }).Operations) {
      if (op.op === 'add') out.add.push(...(op.value ?? []).map((v) => v.value));
      else out.remove.push(...[...op.path.matchAll(/value eq "([^"]+)"/g)].map((m) => m[1]!));
    }
  }
  return out;
}

interface Case {
  name: string;
  options: SandboxOptions;
  faults?: FaultMode[];
  /** the most ids a check may ask about once the cap is known */
  cap: number;
  /** checks sent before the cap was known (one short answer teaches it: the first read of the group's user
   * members, which asks for 50 and gets a page, teaches it before any id is checked) */
  oversized: number;
}

const CASES: Case[] = [
  { name: 'pagination.maxPageSize 10 (stated)', options: { maxPageSize: 10 }, cap: 10, oversized: 0 },
  { name: 'filter.maxResults 5 (stated, pages of 1000)', options: { filterMaxResults: 5 }, cap: 5, oversized: 0 },
  { name: 'pages of 10, no cap stated', options: { maxPageSize: 10, declareCaps: false }, cap: 10, oversized: 0 },
  { name: 'pages of 10 by cursor, no cap stated', options: { maxPageSize: 10, declareCaps: false }, faults: ['cursor'], cap: 10, oversized: 0 },
];

describe('membership checks never cut short by a provider page cap', () => {
  for (const c of CASES) {
    for (const mode of ['patch', 'put'] as const) {
      test(`${c.name}, ${mode.toUpperCase()}: 45 ids checked, every present member seen, the report exact`, async () => {
        const faults: FaultMode[] = [...(c.faults ?? []), ...(mode === 'put' ? ['no-patch' as const] : [])];
        const sb = await startTestSandbox({ users: 80, groups: 2, ...c.options, faults });
        const client = new ScimClient(sandboxProfile(sb), { trace: new Trace() });
        try {
          const gid = sb.groupIdByName('group-01')!;
          const users = (await client.listAll('Users', { attributes: ['userName'] })).map((u) => u.id);
          assert.equal(users.length, 80);
          for (const id of users.slice(0, 30)) sb.addMemberDirect(gid, id);
          const members = sb.members(gid);
          assert.ok(members.length >= 30);
          const outsiders = users.filter((id) => !members.includes(id));
          const present = members.slice(0, 10);
          const leaving = members.slice(10, 15);
          const add = [...outsiders.slice(0, 25), ...present];
          const remove = [...leaving, ...outsiders.slice(25, 30)];
          sb.clearReceived();

          const report = await client.changeMembers(gid, { add, remove }, { mode });
          assert.equal(report.mode, mode);
          assert.deepEqual(new Set(report.added), new Set(outsiders.slice(0, 25)));
          assert.deepEqual(new Set(report.alreadyPresent), new Set(present));
          assert.deepEqual(new Set(report.removed), new Set(leaving));
          assert.deepEqual(new Set(report.alreadyAbsent), new Set(outsiders.slice(25, 30)));
          assert.deepEqual(report.missing, []);
          assert.equal(report.verified, true);
          assert.ok(!report.warnings.some((w) => /not in effect/.test(w)), report.warnings.join('; '));

          const now = new Set(sb.members(gid));
          for (const id of [...members.filter((m) => !leaving.includes(m)), ...outsiders.slice(0, 25)]) assert.ok(now.has(id), `member ${id}`);
          for (const id of [...leaving, ...outsiders.slice(25, 30)]) assert.ok(!now.has(id), `not a member ${id}`);
          if (mode === 'patch') {
            // only what was really missing was written: no present member re-added, no absent one removed
            const sent = patched(sb);
            assert.deepEqual(new Set(sent.add), new Set(outsiders.slice(0, 25)));
            assert.deepEqual(new Set(sent.remove), new Set(leaving));
          }
          const sizes = checkSizes(sb);
          assert.ok(sizes.length > 0, 'membership checked by the users filter');
          assert.equal(sizes.filter((n) => n > c.cap).length, c.oversized, `ids per check: ${sizes.join(', ')}`);
        } finally {
          await client.close();
          await sb.stop();
        }
      });
    }
  }
});
