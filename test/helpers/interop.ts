// The interop matrix's scenarios, shared by every server (third-party ones and the sandbox's quirk modes):
// `scimx` (the bundled dist/cli.js, a real process) against a SCIM service behind the APIM-like gateway, with
// assertions on the server's real state (read from its storage, never through the client under test) and on
// what the gateway received.
//
// The rule every membership scenario asserts: either the group ends in exactly the right state and scimx exits
// 0, or scimx exits 1 and stderr names every member that was lost (a member the change did not name that is
// gone). No member is ever lost silently.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReceivedRequest } from '../../src/sandbox/index';
import type { Sandbox } from './sandbox';
import type { ServerAuth } from './third-party/types';
import type { FrontedServer } from './third-party/index';

const root = join(__dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');

/** A SCIM service behind the gateway, as the matrix sees it. */
export interface Target {
  label: string;
  gatewayUrl: string;
  key: string;
  keyHeader: string;
  keyQuery: string;
  auth: ServerAuth;
  received: ReceivedRequest[];
  clearReceived(): void;
  /** seeded users in seed order, and groups by displayName */
  userIds: string[];
  groups: Record<string, string>;
  /** the group's members, read from the server's storage */
  members(groupId: string): Promise<string[]>;
  setMembers(groupId: string, ids: string[]): Promise<void>;
}

export function fromFronted(f: FrontedServer, label: string): Target {
  return {
    label, gatewayUrl: f.gatewayUrl, key: f.key, keyHeader: f.keyHeader, keyQuery: f.keyQuery, auth: f.auth,
    received: f.received, clearReceived: () => f.clearReceived(), userIds: f.server.userIds, groups: f.server.groups,
    members: (g) => f.server.members(g), setMembers: (g, ids) => f.server.setMembers(g, ids),
  };
}

export function fromSandbox(sb: Sandbox, label: string, users: number, groups: number): Target {
  const userIds = Array.from({ length: users }, (_, i) => sb.userIdByName(`user${String(i + 1).padStart(4, '0')}`)!);
  const named: Record<string, string> = {};
  for (let g = 1; g <= groups; g++) named[`group-${String(g).padStart(2, '0')}`] = sb.groupIdByName(`group-${String(g).padStart(2, '0')}`)!;
  const big = sb.groupIdByName('big-group');
  if (big) named['big-group'] = big;
  return {
    label, gatewayUrl: sb.gatewayUrl, key: sb.key, keyHeader: sb.keyHeader, keyQuery: sb.keyQuery, auth: sb.auth ?? { type: 'none' },
    received: sb.received, clearReceived: () => sb.clearReceived(), userIds, groups: named,
    members: async (g) => sb.members(g),
    setMembers: async (g, ids) => {
      for (const m of sb.members(g)) sb.removeMemberDirect(g, m);
      for (const m of ids) sb.addMemberDirect(g, m);
    },
  };
}

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** Runs scimx with a profiles file for `t` (secrets from the environment), key sent as `sendAs`. */
export class Scimx {
  private readonly dir = mkdtempSync(join(tmpdir(), 'scimx-interop-'));
  /** `cache: true` keeps a provider cache in this run's temporary directory (shared by its runs); otherwise none
   * (SCIMX_CACHE_DIR=off): the quirk matrices switch the sandbox's modes between runs on one profile. */
  constructor(private readonly t: Target, private readonly opts: { cache?: boolean } = {}) {}

  /** The provider cache folder when `cache` is on. */
  get cacheDir(): string | undefined {
    return this.opts.cache ? join(this.dir, 'cache') : undefined;
  }

  private config(sendAs: 'header' | 'query'): string {
    const file = join(this.dir, `profiles-${sendAs}.yaml`);
    const a = this.t.auth;
    const auth = a.type === 'bearer' ? ['    auth:', '      type: bearer', '      token: ${env:IOP_TOKEN}']
      : a.type === 'basic' ? ['    auth:', '      type: basic', `      username: ${a.username}`, '      password: ${env:IOP_TOKEN}']
        : ['    auth:', '      type: none'];
    writeFileSync(file, [
      'profiles:', '  interop:', `    baseUrl: ${this.t.gatewayUrl}`, ...auth,
      '    gateway:', '      subscriptionKey: ${env:IOP_KEY}', `      header: ${this.t.keyHeader}`, `      query: ${this.t.keyQuery}`, `      sendAs: ${sendAs}`,
      '    timeoutMs: 20000', '',
    ].join('\n'));
    return file;
  }

  run(args: string[], sendAs: 'header' | 'query' = 'header'): Promise<CliResult> {
    const a = this.t.auth;
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, IOP_KEY: this.t.key,
      IOP_TOKEN: a.type === 'bearer' ? a.token : a.type === 'basic' ? a.password : '',
      // the journal of membership changes (issue 9 part A) stays in this run's temporary directory
      SCIMX_STATE_DIR: join(this.dir, 'state'), XDG_STATE_HOME: join(this.dir, 'xdg'), HOME: this.dir,
      SCIMX_CACHE_DIR: this.cacheDir ?? 'off',
    };
    return new Promise((resolve) => {
      execFile(process.execPath, [cli, '--config', this.config(sendAs), '--profile', 'interop', ...args], { env, timeout: 90_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Every request the gateway received carried the key where the profile puts it, and none was refused. */
export function assertKeyOnEveryRequest(t: Target, sendAs: 'header' | 'query', reqs: ReceivedRequest[] = t.received): void {
  assert.ok(reqs.length > 0, `${t.label}: the gateway received requests`);
  for (const r of reqs) {
    const where = `${t.label}: ${r.method} ${r.url}`;
    const header = r.rawHeaders.find(([k]) => k.toLowerCase() === t.keyHeader.toLowerCase())?.[1];
    const query = new URL(r.url, 'http://x').searchParams.get(t.keyQuery);
    if (sendAs === 'header') {
      assert.equal(header, t.key, `${where}: key in the header`);
      assert.equal(query, null, `${where}: no key in the query`);
    } else {
      assert.equal(query, t.key, `${where}: key in the query`);
      assert.equal(header, undefined, `${where}: no key header`);
    }
    assert.equal(r.answeredBy, 'backend', `${where}: passed the gateway (answered ${r.status} by the ${r.answeredBy})`);
  }
}

export interface Change { add: string[]; remove: string[] }

export interface Judgement {
  exact: boolean;
  lost: string[];
  notAdded: string[];
  notRemoved: string[];
  unexpected: string[];
}

export function judge(before: string[], change: Change, after: string[]): Judgement {
  const a = new Set(after);
  const removing = new Set(change.remove);
  const expected = new Set([...before.filter((id) => !removing.has(id)), ...change.add]);
  const lost = before.filter((id) => !a.has(id) && !removing.has(id) && !change.add.includes(id));
  const notAdded = change.add.filter((id) => !a.has(id));
  const notRemoved = change.remove.filter((id) => a.has(id));
  const unexpected = after.filter((id) => !expected.has(id));
  return { exact: a.size === expected.size && [...expected].every((id) => a.has(id)), lost, notAdded, notRemoved, unexpected };
}

/**
 * The rule. `opts.unchangedOnFailure`: the server cannot do this at all, so a failure must also leave the group
 * exactly as it was.
 */
export function assertTruthful(label: string, before: string[], change: Change, after: string[], res: CliResult, opts: { unchangedOnFailure?: boolean } = {}): void {
  const j = judge(before, change, after);
  const said = `exit ${res.code}\n--- stdout\n${res.stdout.slice(0, 1500)}\n--- stderr\n${res.stderr.slice(0, 1500)}`;
  const state = `lost [${j.lost.join(', ')}], not added [${j.notAdded.join(', ')}], not removed [${j.notRemoved.join(', ')}], unexpected [${j.unexpected.join(', ')}]`;
  assert.ok(res.code === 0 || res.code === 1, `${label}: scimx exits 0 or 1; ${said}`);
  if (res.code === 0) {
    assert.ok(j.exact, `${label}: scimx reported success but the group is wrong: ${state}; ${said}`);
    return;
  }
  const unnamed = j.lost.filter((id) => !res.stderr.includes(id));
  assert.deepEqual(unnamed, [], `${label}: scimx failed (exit 1) but did not name ${unnamed.length} of ${j.lost.length} lost member(s) on stderr: ${state}; ${said}`);
  if (opts.unchangedOnFailure) {
    assert.deepEqual([...after].sort(), [...before].sort(), `${label}: the server cannot do this, so nothing may change: ${state}; ${said}`);
  }
}

/** Runs one membership command and asserts the rule on the server's real state; returns what happened. */
export async function membershipScenario(
  x: Scimx, t: Target, o: { groupId: string; action: 'add' | 'remove'; ids: string[]; mode: 'patch' | 'put' | 'auto'; sendAs?: 'header' | 'query'; label: string; unchangedOnFailure?: boolean },
): Promise<{ res: CliResult; before: string[]; after: string[]; judgement: Judgement }> {
  const before = await t.members(o.groupId);
  t.clearReceived();
  const res = await x.run(['members', o.action, o.groupId, ...o.ids, '--mode', o.mode], o.sendAs ?? 'header');
  const after = await t.members(o.groupId);
  const change = o.action === 'add' ? { add: o.ids, remove: [] } : { add: [], remove: o.ids };
  if (t.received.length) assertKeyOnEveryRequest(t, o.sendAs ?? 'header');
  const j = judge(before, change, after);
  // one line per scenario for the matrix (server × scenario × result), in the test output
  const first = (res.code === 0 ? res.stdout : res.stderr).split('\n').find((l) => l.trim()) ?? '';
  console.log(`matrix | ${o.label} | exit ${res.code} | ${j.exact ? 'group right' : j.lost.length ? `${j.lost.length} lost` : after.length === before.length && after.every((id) => before.includes(id)) ? 'unchanged' : 'group wrong'} | ${first.trim().slice(0, 160)}`);
  assertTruthful(o.label, before, change, after, res, { unchangedOnFailure: o.unchangedOnFailure });
  return { res, before, after, judgement: j };
}

/** Users of `t` outside the group, in seed order. */
export async function outsiders(t: Target, groupId: string, n: number): Promise<string[]> {
  const inside = new Set(await t.members(groupId));
  const out = t.userIds.filter((id) => !inside.has(id)).slice(0, n);
  assert.equal(out.length, n, `${t.label}: ${n} users outside the group`);
  return out;
}
