// Every "SCIM: …" command, registered by area: one file per area, each with its own `register…Commands(kit)`.
// Commands get their target from the tree (the clicked node, plus the multi-selection for removals), else from
// the tree's selection, else from the active profile (kit.ts). To add a command: its id in ../command-ids.ts,
// its entry in package.json (`contributes.commands`, and `menus` where it shows), its registration in the
// area's file, and its id in the area's row of AREAS below; or a new area file, listed in ./areas.ts and AREAS.
// test/unit/command-ids.test.ts checks they all agree.
// Activation registers every id; an area's code (./areas.ts, a chunk of its own) loads on the first use of one
// of its commands, and registers its handlers then, which every later call of its commands runs.
import { COMMANDS, type CommandId } from '../command-ids';
import type * as Areas from './areas';
import { createKit, type Ext, type Kit } from './kit';
import { registerRequestFileCommands } from './request-files';

export type { Ext } from './kit';

type Handler = (...args: unknown[]) => unknown;
type AreaName = Exclude<keyof typeof Areas, '__esModule'>;

/** The areas, in registration order, with the ids each registers. */
export const AREAS: ReadonlyArray<{ area: AreaName; ids: readonly CommandId[] }> = [
  { area: 'registerBrowseCommands', ids: [COMMANDS.refresh, COMMANDS.openResource, COMMANDS.filter, COMMANDS.clearFilter, COMMANDS.loadMore, COMMANDS.openProblem] },
  { area: 'registerMembershipCommands', ids: [COMMANDS.addMembers, COMMANDS.removeMembers] },
  { area: 'registerTraceCommands', ids: [COMMANDS.showTrace, COMMANDS.exportHar, COMMANDS.copyCurl, COMMANDS.revealSecret] },
  { area: 'registerProbeCommands', ids: [COMMANDS.probeGateway] },
  { area: 'registerProfileCommands', ids: [COMMANDS.selectProfile, COMMANDS.setSecret, COMMANDS.createProfilesFile] },
  { area: 'registerSandboxCommands', ids: [COMMANDS.startSandbox] },
  { area: 'registerCreateDeleteCommands', ids: [COMMANDS.newResource, COMMANDS.newUser, COMMANDS.newGroup, COMMANDS.createResource, COMMANDS.deleteResource] },
  { area: 'registerCompatCommands', ids: [COMMANDS.checkCompatibility] },
];

/** Runs an area's `register…Commands` with a kit that keeps its handlers instead of registering them. */
export function areaHandlers(kit: Kit, area: AreaName): Map<CommandId, Handler> {
  const handlers = new Map<CommandId, Handler>();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const register = (require('./areas') as typeof Areas)[area];
  register({ ...kit, register: (id, fn) => { handlers.set(id, fn); } });
  return handlers;
}

export function registerCommands(x: Ext): void {
  const kit = createKit(x);
  for (const { area, ids } of AREAS) {
    let handlers: Map<CommandId, Handler> | undefined;
    for (const id of ids) {
      kit.register(id, (...args: unknown[]) => {
        handlers ??= areaHandlers(kit, area);
        const fn = handlers.get(id);
        if (!fn) throw new Error(`${id} is listed for ${area} in AREAS (commands/index.ts) but ${area} does not register it`);
        return fn(...args);
      });
    }
  }
  registerRequestFileCommands(kit);
}
