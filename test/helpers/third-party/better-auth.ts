// better-auth (1.7.5) with its SCIM plugin (@better-auth/scim 1.7.5) and its memory adapter, served by
// better-auth's own node handler, unmodified. Seeded through better-auth's own SCIM endpoints (auth.api, no
// HTTP), since its storage keys (orderKey, userNameKey, ...) are the plugin's business. Its state is read from
// the memory adapter's tables: scimGroupMember rows of the group.
// Limits, from the plugin itself: at most 1,000 direct members per group (SCIM_MAX_GROUP_MEMBERS), and
// members must be Users (no nested groups). And found here: a POST or PUT naming more than 100 members answers
// 400 "One or more Group members are invalid" (its member check reads the users with the adapter's default
// limit of 100 rows), so bigger groups are built with PATCH adds of 100.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pad, type SeedOptions, type ThirdPartyServer } from './types';

type Row = Record<string, unknown> & { id: string };

export const BETTER_AUTH_MAX_MEMBERS = 1000;

export async function startBetterAuthServer(seed: SeedOptions = {}): Promise<ThirdPartyServer> {
  const { betterAuth } = await import('better-auth');
  const { memoryAdapter } = await import('better-auth/adapters/memory');
  const { toNodeHandler } = await import('better-auth/node');
  const { scim } = await import('@better-auth/scim');

  // set once better-auth is built; the server is created first (its port goes into better-auth's options)
  let handler: ((req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>) | undefined = undefined;
  const server = http.createServer((req, res) => {
    if (handler) void handler(req, res);
    else { res.writeHead(503); res.end(); }
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  const origin = `http://127.0.0.1:${port}`;
  const token = randomBytes(24).toString('hex');
  const plugin = scim({ connections: [{ id: 'interop', credentials: [{ type: 'bearer', id: 'interop-token', token }] }] });
  // the memory adapter wants every table to exist: better-auth's core ones and the plugin's
  const db: Record<string, Row[]> = {};
  for (const model of ['user', 'session', 'account', 'verification', ...Object.keys(plugin.schema ?? {})]) db[model] = [];
  const auth = betterAuth({
    baseURL: origin,
    secret: randomBytes(32).toString('hex'),
    database: memoryAdapter(db),
    logger: { disabled: true },
    telemetry: { enabled: false },
    plugins: [plugin],
  });
  handler = toNodeHandler(auth);
  const baseUrl = `${origin}/api/auth/scim/v2`;

  // seed through the plugin's own endpoints, over loopback HTTP (its request hooks run as for any client)
  const call = async (method: string, path: string, body?: unknown): Promise<Row> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', accept: 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`better-auth seed ${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : {}) as Row;
  };
  const n = seed.users ?? 30;
  const width = Math.max(4, String(n).length);
  const userIds: string[] = [];
  for (let i = 1; i <= n; i++) {
    const name = `user${pad(i, width)}`;
    const u = await call('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: name, externalId: `ext-${name}`, displayName: `User ${pad(i, width)}`,
      name: { givenName: 'User', familyName: pad(i, width) }, emails: [{ value: `${name}@example.test`, type: 'work', primary: true }], active: true,
    });
    userIds.push(u.id);
  }
  const groups: Record<string, string> = {};
  const size = Math.min(seed.groupSize ?? 6, userIds.length);
  const limits = [
    `at most ${BETTER_AUTH_MAX_MEMBERS.toLocaleString('en')} members per group, Users only (@better-auth/scim SCIM_MAX_GROUP_MEMBERS)`,
    'a POST or PUT naming more than 100 members answers 400 "One or more Group members are invalid" (member check capped at 100 rows)',
    'a `remove` of path `members` without a filter removes only 100 members (the same 100-row read)',
  ];
  const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
  const memberRows = (gid: string): Row[] => (db['scimGroupMember'] ?? []).filter((r) => r['groupId'] === gid);
  /** members set through its own PATCH, 100 changes at a time (a bare `remove` of members removes only 100 of
   * them: the same 100-row read) */
  const setMembers = async (gid: string, ids: string[]): Promise<void> => {
    const want = new Set(ids);
    const have = new Set(memberRows(gid).map((r) => String(r['scimUserId'])));
    const drop = [...have].filter((id) => !want.has(id));
    const add = ids.filter((id) => !have.has(id));
    for (let i = 0; i < drop.length; i += 100) {
      await call('PATCH', `/Groups/${gid}`, { schemas: [PATCH_OP], Operations: drop.slice(i, i + 100).map((id) => ({ op: 'remove', path: `members[value eq "${id}"]` })) });
    }
    for (let i = 0; i < add.length; i += 100) {
      await call('PATCH', `/Groups/${gid}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: add.slice(i, i + 100).map((value) => ({ value })) }] });
    }
  };
  for (let k = 1; k <= (seed.groups ?? 3); k++) {
    const ms = Array.from({ length: size }, (_, j) => userIds[(k * 5 + j) % userIds.length]!);
    const g = await call('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `group-${pad(k, 2)}`, members: ms.map((value) => ({ value })) });
    groups[`group-${pad(k, 2)}`] = g.id;
  }
  if (seed.bigGroupMembers) {
    const want = Math.min(seed.bigGroupMembers, BETTER_AUTH_MAX_MEMBERS, userIds.length);
    const g = await call('POST', '/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'big-group' });
    groups['big-group'] = g.id;
    await setMembers(g.id, userIds.slice(0, want));
  }

  return {
    implementation: 'better-auth 1.7.5 + @better-auth/scim 1.7.5 (memory adapter)',
    baseUrl,
    auth: { type: 'bearer', token },
    userIds,
    groups,
    limits,
    members: async (gid) => memberRows(gid).map((r) => String(r['scimUserId'])),
    // through its own endpoints: the membership rows carry keys only the plugin computes
    setMembers,
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
