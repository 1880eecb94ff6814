// scimx get: one resource, by id or by name.
import type { ScimClient } from '../../core/scim/client';
import { json } from '../format';
import { resolveRefs } from '../names';
import { csv, resolveType, str, usage, type CommandContext } from './context';

export async function get(client: ScimClient, ctx: CommandContext): Promise<number> {
  const [type, ref] = ctx.args as [string, string];
  if (!ref.trim()) throw usage('ID is empty', 'get');
  const rt = await resolveType(client, ctx, type, 'get');
  const opts: { attributes?: string[]; excludedAttributes?: string[] } = {};
  const attributes = csv(str(ctx, 'attributes'));
  const excluded = csv(str(ctx, 'excluded-attributes'));
  if (attributes) opts.attributes = attributes;
  if (excluded) opts.excludedAttributes = excluded;
  // One filtered read finds it by id or name; asked as `get` would ask, its answer is the resource itself.
  const asGet = !attributes && !excluded;
  const [found] = await resolveRefs(client, rt.endpoint, rt.kind, [ref], {
    signal: ctx.signal, what: rt.kind === 'group' ? 'groups' : rt.kind === 'user' ? 'users' : rt.endpoint, attributes: asGet ? 'default' : ['id'],
  });
  const id = found?.id ?? ref;
  const resource = asGet && found?.resource
    ? found.resource
    : await client.get(rt.endpoint, id, opts, { signal: ctx.signal, title: `get ${rt.endpoint}/${id}` });
  if (found && found.by !== 'id' && found.by !== 'as-given') ctx.err(`scimx: "${ref}" is ${rt.endpoint}/${id} (by ${found.by})\n`);
  ctx.out(json(resource));
  const membersAsked = [...(attributes ?? []), ...(excluded ?? [])].some((a) => a.toLowerCase().startsWith('members'));
  if (rt.kind === 'group' && !membersAsked && !Array.isArray(resource['members'])) {
    ctx.err('scimx: members left out (a group is read without its member list); add --attributes members to read them, '
      + `or run: scimx list Users --filter 'groups.value eq "${id}"'\n`);
  }
  return 0;
}
