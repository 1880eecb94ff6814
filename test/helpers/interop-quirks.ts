// The sandbox's quirk modes (src/sandbox/types.ts FAULT_MODE_INFO), each with the scenarios it affects, under the
// rule of ./interop.ts: the right state and exit 0, or exit 1 naming every lost member; never a member lost
// silently. Where the server cannot do the thing at all (`cannot`), exit 1 and nothing changed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FaultMode } from '../../src/sandbox/index';
import { assertKeyOnEveryRequest, fromSandbox, membershipScenario, outsiders, Scimx, type Target } from './interop';
import { ensureBuilt } from './interop-matrix';
import { startTestSandbox, type Sandbox } from './sandbox';

export type Scenario = 'browse' | 'add-patch' | 'remove-patch' | 'add-put' | 'remove-put' | 'add-auto' | 'remove-auto'
  | 'remove2-patch' | 'remove-all-patch' | 'remove-all-put' | 'big-add-put' | 'big-add-auto' | 'big-remove-auto';

/** mode → the scenarios it affects; `cannot`: scenarios the server cannot do at all (a failure changes nothing) */
export interface Quirk { mode: FaultMode; scenarios: Scenario[]; cannot?: Scenario[] }

/** mode → the scenarios it affects (lean: the ones where the quirk bites) */
export const QUIRKS: Quirk[] = [
  { mode: 'no-discovery', scenarios: ['browse', 'add-auto'] },
  { mode: 'no-resource-types', scenarios: ['browse', 'add-auto'] },
  { mode: 'patch-replace-only', scenarios: ['add-patch', 'remove-auto'], cannot: ['add-patch'] },
  { mode: 'put-keeps-members', scenarios: ['add-put', 'remove-put'], cannot: ['remove-put'] },
  { mode: 'filter-500', scenarios: ['add-patch', 'remove-put'] },
  { mode: 'attributes-before-patch', scenarios: ['add-patch', 'remove-patch'] },
  { mode: 'drops-members', scenarios: ['add-patch', 'remove-patch'] },
  { mode: 'patch-returns-group', scenarios: ['add-patch', 'remove-patch'] },
  { mode: 'no-members-on-get', scenarios: ['add-patch', 'remove-put'], cannot: ['remove-put'] },
  { mode: 'case-insensitive-ids', scenarios: ['browse', 'remove-patch', 'remove-put'] },
  { mode: 'remove-wipes-all', scenarios: ['remove-patch', 'remove2-patch'] },
  { mode: 'remove-by-index', scenarios: ['remove2-patch'] },
  { mode: 'filtered-remove-ignored', scenarios: ['remove-patch', 'remove2-patch'] },
  { mode: 'replace-keeps-stale', scenarios: ['add-patch', 'remove-put'] },
  { mode: 'replace-empty-refused', scenarios: ['remove-all-patch', 'remove-all-put'] },
  { mode: 'capped-group-read', scenarios: ['big-add-put', 'big-remove-auto'], cannot: ['big-add-put'] },
];

const USERS = 170;
const BIG = 150;

export function quirkMatrix(title: string, quirks: Quirk[]): void {
describe(title, () => {
  let sb: Sandbox;
  let t: Target;
  let x: Scimx;
  const baseline: Record<string, string[]> = {};
  before(async () => {
    ensureBuilt();
    sb = await startTestSandbox({ users: USERS, groups: 3, bigGroupMembers: BIG });
    t = fromSandbox(sb, 'sandbox', USERS, 3);
    x = new Scimx(t);
    for (const [name, id] of Object.entries(t.groups)) baseline[name] = await t.members(id);
  });
  after(async () => {
    x?.close();
    await sb?.stop();
  });

  async function reset(): Promise<void> {
    sb.setFaults([]);
    for (const [name, id] of Object.entries(t.groups)) await t.setMembers(id, baseline[name]!);
  }

  async function run(mode: FaultMode, scenario: Scenario, cannot: boolean): Promise<void> {
    const label = `${mode} / ${scenario}`;
    const gid = t.groups['group-01']!;
    const members = await t.members(gid);
    if (scenario === 'browse') {
      t.clearReceived();
      const d = await x.run(['--json', 'discover']);
      assert.equal(d.code, 0, `${label}: discover works on defaults where documents are missing: ${d.stderr}`);
      const l = await x.run(['--json', 'list', 'Groups']);
      assert.equal(l.code, 0, `${label}: list Groups: ${l.stderr}`);
      const g = await x.run(['get', 'Groups', gid, '--attributes', 'displayName,members']);
      assert.equal(g.code, 0, `${label}: get: ${g.stderr}`);
      const got = ((JSON.parse(g.stdout) as { members?: Array<{ value: string }> }).members ?? []).map((m) => m.value.toLowerCase());
      assert.deepEqual(new Set(got), new Set(members.map((m) => m.toLowerCase())), `${label}: the group's members as stored`);
      assertKeyOnEveryRequest(t, 'header');
      return;
    }
    const [, action, how] = /^(?:big-)?(add|remove2|remove-all|remove)-(patch|put|auto)$/.exec(scenario)!;
    const mode2 = how as 'patch' | 'put' | 'auto';
    if (scenario.startsWith('big-')) {
      const big = t.groups['big-group']!;
      const ids = action === 'add' ? await outsiders(t, big, 1) : [(await t.members(big))[0]!];
      await membershipScenario(x, t, { groupId: big, action: action === 'add' ? 'add' : 'remove', ids, mode: mode2, label, unchangedOnFailure: cannot });
      return;
    }
    const ids = action === 'add' ? await outsiders(t, gid, 2)
      : action === 'remove' ? [members[2]!]
        : action === 'remove2' ? [members[1]!, members[3]!]
          : [...members];
    await membershipScenario(x, t, { groupId: gid, action: action === 'add' ? 'add' : 'remove', ids, mode: mode2, label, unchangedOnFailure: cannot });
  }

  for (const q of quirks) {
    describe(q.mode, () => {
      for (const scenario of q.scenarios) {
        test(scenario, async () => {
          await reset();
          sb.setFaults([q.mode]);
          try {
            await run(q.mode, scenario, q.cannot?.includes(scenario) ?? false);
          } finally {
            sb.setFaults([]);
          }
        });
      }
    });
  }
});
}
