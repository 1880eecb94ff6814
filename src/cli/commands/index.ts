// The commands of `scimx`, one file each. Each one is a thin layer: parse its arguments, call the core client,
// print. To add one: its name and options in ../args.ts, a file here, a case below.
import { ScimxError } from '../../core/errors';
import type { ScimClient } from '../../core/scim/client';
import type { CommandName } from '../args';
import { resolveType, type CommandContext } from './context';
import { discover } from './discover';
import { editOrApply } from './edit';
import { get } from './get';
import { list } from './list';
import { members } from './members';
import { probe } from './probe';
import { send } from './send';
import { create, remove } from './lifecycle';
import { compat } from './compat';

export type { CommandContext } from './context';
export { formatDiscovery } from './discover';
export { LIST_ALL_MAX_PAGES } from './list';
export { formatProbe } from './probe';

export async function runCommand(command: CommandName, client: ScimClient, ctx: CommandContext): Promise<number> {
  switch (command) {
    case 'discover': return discover(client, ctx);
    case 'list': return list(client, ctx);
    case 'get': return get(client, ctx);
    case 'members': return members(client, ctx);
    case 'probe': return probe(client, ctx);
    case 'send': return send(client, ctx);
    case 'edit': case 'apply': return editOrApply(client, ctx, command, (type) => resolveType(client, ctx, type, command));
    case 'create': return create(client, ctx);
    case 'delete': return remove(client, ctx);
    case 'compat': return compat(client, ctx);
    default: throw new ScimxError('usage', `${command} is not run through the client`);
  }
}
