// `scimx create TYPE FILE`, `scimx create TYPE --template`, `scimx delete TYPE ID|NAME [--yes]` (issue 14, point 2).
// Thin: read the file, ask, call the core (src/core/scim/lifecycle.ts), print. Every write is read back there.
import { readFileSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { HttpStatusError, ScimxError } from '../../core/errors';
import type { ScimClient } from '../../core/scim/client';
import { createResource, deleteResource, missingRequired, resourceTemplate } from '../../core/scim/lifecycle';
import type { ResourceTypeInfo, ScimResource } from '../../core/scim/types';
import { json } from '../format';
import { resolveRefs } from '../names';
import { resolveType, usage, type CommandContext } from './context';

/** The resource type a TYPE names, as discovery lists it (RFC 7643 defaults without ResourceTypes). */
async function typeInfo(client: ScimClient, ctx: CommandContext, endpoint: string): Promise<ResourceTypeInfo> {
  const d = await client.discover({ signal: ctx.signal, title: 'discover' });
  const rt = d.resourceTypes.find((r) => r.endpoint.replace(/^\/+|\/+$/g, '').toLowerCase() === endpoint.toLowerCase());
  if (rt) return rt;
  const schema = /^groups$/i.test(endpoint) ? 'urn:ietf:params:scim:schemas:core:2.0:Group' : 'urn:ietf:params:scim:schemas:core:2.0:User';
  return { id: endpoint, name: endpoint, endpoint, schema };
}

/** "Users/ID (userName "a", displayName "A")": how a resource is named in questions and results. */
export function describeResource(endpoint: string, r: ScimResource): string {
  const names = ['userName', 'displayName'].map((k) => (typeof r[k] === 'string' && r[k] ? `${k} "${r[k]}"` : '')).filter(Boolean);
  return `${endpoint}/${r.id}${names.length ? ` (${names.join(', ')})` : ''}`;
}

export async function create(client: ScimClient, ctx: CommandContext): Promise<number> {
  const [type, file] = ctx.args as [string, string | undefined];
  const rt0 = await resolveType(client, ctx, type, 'create');
  const rt = await typeInfo(client, ctx, rt0.endpoint);
  const d = await client.discover({ signal: ctx.signal, title: 'discover' });
  if (ctx.values.template === true) {
    if (file !== undefined) throw usage('--template prints a template: give no FILE', 'create');
    ctx.out(json(resourceTemplate(rt, d.schemas)));
    return 0;
  }
  if (file === undefined) throw usage('missing FILE: scimx create TYPE FILE (or --template to print one)', 'create');
  const path = resolvePath(ctx.io.cwd ?? process.cwd(), file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw usage(`cannot read ${file}: ${(e as Error).message}`, 'create');
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw usage(`${file} is not JSON: ${(e as Error).message}`, 'create');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw usage(`${file} must hold one JSON object (the resource)`, 'create');
  const missing = missingRequired(rt, d.schemas, body as Record<string, unknown>);
  if (missing.length) {
    throw usage(`${file} leaves required attribute${missing.length === 1 ? '' : 's'} empty: ${missing.join(', ')} (per the service's /Schemas${d.defaults?.some((x) => x.document === 'Schemas') ? ', RFC 7643 defaults' : ''}); nothing was sent`, 'create');
  }
  const r = await createResource(client, rt0.endpoint, body as Record<string, unknown>, { signal: ctx.signal, title: `create in ${rt0.endpoint}` });
  const ok = r.verified;
  if (ctx.json) {
    ctx.out(json({ ok, verified: r.verified, differences: r.differences, notVerified: r.notVerified, exchangeIds: r.exchangeIds, resource: r.resource }));
    return ok ? 0 : 1;
  }
  ctx.out(`created ${describeResource(rt0.endpoint, r.resource)}, ${ok ? 'verified (read back: every attribute sent is stored)' : 'NOT verified'}\n`);
  if (r.notVerified) ctx.out(`  not verified: ${r.notVerified}\n`);
  for (const x of r.differences) ctx.out(`  differs: ${x}\n`);
  ctx.out(`  exchanges: ${r.exchangeIds.write}${r.exchangeIds.read ? ` (POST), ${r.exchangeIds.read} (read back)` : ''}\n`);
  if (!ok) ctx.err(`scimx: the service answered ${r.resource.id ? 'with an id' : '2xx'} but what it stores is not what was sent; see above\n`);
  return ok ? 0 : 1;
}

export async function remove(client: ScimClient, ctx: CommandContext): Promise<number> {
  const [type, ref] = ctx.args as [string, string];
  if (!ref.trim()) throw usage('ID is empty', 'delete');
  const rt = await resolveType(client, ctx, type, 'delete');
  const [found] = await resolveRefs(client, rt.endpoint, rt.kind, [ref], {
    signal: ctx.signal, what: rt.kind === 'group' ? 'groups' : rt.kind === 'user' ? 'users' : rt.endpoint, attributes: ['id'],
  });
  const id = found?.id ?? ref;
  // read it first: the question names what will be deleted, and a resource that does not exist is said so
  const resource = await client.get(rt.endpoint, id, { attributes: ['id', 'userName', 'displayName'] }, { signal: ctx.signal, title: `read ${rt.endpoint}/${id} before deleting it` })
    .catch((e: unknown) => {
      if (e instanceof HttpStatusError && e.status === 404 && e.code !== 'gateway') {
        throw new ScimxError('usage', `${rt.endpoint}/${id} does not exist (GET answered 404); nothing was deleted`);
      }
      throw e;
    });
  const what = describeResource(rt.endpoint, resource);
  if (ctx.values.yes !== true) {
    const confirm = ctx.io.confirm;
    if (!confirm) throw usage(`delete asks before deleting ${what}: run it in a terminal, or pass --yes`, 'delete');
    const ok = await confirm(`Delete ${what} on ${ctx.profile.name} (${ctx.profile.baseUrl})? This cannot be undone. [y/N] `);
    if (!ok) {
      ctx.err('scimx: not deleted\n');
      return 1;
    }
  }
  const r = await deleteResource(client, rt.endpoint, id, { signal: ctx.signal, title: `delete ${rt.endpoint}/${id}` });
  if (ctx.json) {
    ctx.out(json({ ok: r.verified, ...r, resource }));
    return r.verified ? 0 : 1;
  }
  if (r.verified) ctx.out(`deleted ${what}, verified: ${r.readBack}${r.status === 404 ? ' (it was already gone)' : ''}\n`);
  else ctx.out(`DELETE ${rt.endpoint}/${id} answered ${r.status}, NOT verified: ${r.readBack}\n`);
  ctx.out(`  exchanges: ${r.exchangeIds.write} (DELETE)${r.exchangeIds.read ? `, ${r.exchangeIds.read} (read after)` : ''}\n`);
  return r.verified ? 0 : 1;
}
