// SCIMMY (scimmy 1.3.5) served by its own scimmy-routers (1.3.2) on express, with nothing of ours but plain
// storage handlers: ingress stores what it is given, egress returns what is stored (filtered with SCIMMY's own
// Filter), degress deletes. SCIMMY does all of the SCIM work itself, PATCH included (it reads the resource
// through egress, with the request's attributes/excludedAttributes applied, patches it and writes the result
// back through ingress: issue 9 item 1).
// SCIMMY's resource registry is process-wide: one such server per process (the sandbox declares its own
// classes, so this never runs in a process that runs the sandbox; the bench runs it in a child process).
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';
import { pad, type SeedOptions, type ThirdPartyServer } from './types';

type Rec = Record<string, unknown> & { id: string };

let started = false;

export async function startScimmyServer(seed: SeedOptions = {}): Promise<ThirdPartyServer> {
  if (started) throw new Error('one SCIMMY server per process (its resource registry is global)');
  started = true;
  const users = new Map<string, Rec>();
  const groups = new Map<string, Rec>();
  const stamp = (rec: Record<string, unknown>, id: string, created?: unknown): Rec => {
    const now = new Date().toISOString();
    return { ...rec, id, meta: { created: created ?? now, lastModified: now } };
  };
  const handlers = (table: Map<string, Rec>, kind: string) => ({
    ingress: (resource: SCIMMY.Types.Resource, instance: Record<string, unknown>): Rec => {
      const id = resource.id ?? randomUUID();
      const old = resource.id ? table.get(resource.id) : undefined;
      if (resource.id && !old) throw new SCIMMY.Types.Error(404, null as unknown as string, `${kind} ${resource.id} not found`);
      const rec = stamp(JSON.parse(JSON.stringify(instance)) as Record<string, unknown>, id, (old?.['meta'] as Record<string, unknown> | undefined)?.['created']);
      table.set(id, rec);
      return rec;
    },
    egress: (resource: SCIMMY.Types.Resource): Rec | Rec[] => {
      if (resource.id) {
        const rec = table.get(resource.id);
        if (!rec) throw new SCIMMY.Types.Error(404, null as unknown as string, `${kind} ${resource.id} not found`);
        return rec;
      }
      const all = [...table.values()];
      return resource.filter ? (resource.filter.match(all) as Rec[]) : all;
    },
    degress: (resource: SCIMMY.Types.Resource): void => {
      if (!resource.id || !table.delete(resource.id)) throw new SCIMMY.Types.Error(404, null as unknown as string, `${kind} ${resource.id} not found`);
    },
  });
  const u = handlers(users, 'User');
  const g = handlers(groups, 'Group');
  SCIMMY.Resources.declare(SCIMMY.Resources.User).ingress(u.ingress as never).egress(u.egress as never).degress(u.degress as never);
  SCIMMY.Resources.declare(SCIMMY.Resources.Group).ingress(g.ingress as never).egress(g.egress as never).degress(g.degress as never);
  // what a deployment configures: PATCH and filtering on, no bulk; the request body limit (scimmy-routers reads
  // it from bulk.maxPayloadSize, 1 MB by default) raised so a PUT of a big group's member list fits
  SCIMMY.Config.set({ patch: true, filter: true, etag: false, sort: false, changePassword: false, bulk: { supported: false, maxPayloadSize: 64 * 1024 * 1024 } } as never);

  // seed straight into storage
  const n = seed.users ?? 30;
  const width = Math.max(4, String(n).length);
  const userIds: string[] = [];
  for (let i = 1; i <= n; i++) {
    const id = randomUUID();
    const name = `user${pad(i, width)}`;
    users.set(id, stamp({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: name, displayName: `User ${pad(i, width)}`, name: { givenName: 'User', familyName: pad(i, width) }, emails: [{ value: `${name}@example.test`, type: 'work', primary: true }], active: true }, id));
    userIds.push(id);
  }
  const groupIds: Record<string, string> = {};
  const member = (id: string) => ({ value: id, type: 'User' });
  const size = Math.min(seed.groupSize ?? 6, userIds.length);
  for (let k = 1; k <= (seed.groups ?? 3); k++) {
    const id = randomUUID();
    const ms = Array.from({ length: size }, (_, j) => userIds[(k * 5 + j) % userIds.length]!);
    groups.set(id, stamp({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: `group-${pad(k, 2)}`, members: ms.map(member) }, id));
    groupIds[`group-${pad(k, 2)}`] = id;
  }
  if (seed.bigGroupMembers) {
    const id = randomUUID();
    groups.set(id, stamp({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'big-group', members: userIds.slice(0, seed.bigGroupMembers).map(member) }, id));
    groupIds['big-group'] = id;
  }

  const token = randomBytes(16).toString('hex');
  const app = express();
  app.disable('x-powered-by');
  app.use('/scim/v2', new SCIMMYRouters({
    type: 'bearer',
    docUri: 'https://example.test/scim-docs',
    handler: (req: express.Request) => {
      if (req.headers.authorization !== `Bearer ${token}`) throw new Error('Invalid bearer token');
      return 'admin';
    },
    context: () => ({}),
  }) as unknown as express.Router);
  const server = http.createServer(app);
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  const groupRec = (id: string): Rec => {
    const rec = groups.get(id);
    if (!rec) throw new Error(`no group ${id}`);
    return rec;
  };
  return {
    implementation: 'scimmy 1.3.5 + scimmy-routers 1.3.2 (plain storage handlers)',
    baseUrl: `http://127.0.0.1:${port}/scim/v2`,
    auth: { type: 'bearer', token },
    userIds,
    groups: groupIds,
    limits: [],
    members: async (id) => ((groupRec(id)['members'] as Array<{ value: string }> | undefined) ?? []).map((m) => m.value),
    setMembers: async (id, ids) => { groupRec(id)['members'] = ids.map(member); },
    stop: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
