// Every "SCIM: …" command, registered by area: one file per area, each with its own `register…Commands(kit)`.
// Commands get their target from the tree (the clicked node, plus the multi-selection for removals), else from
// the tree's selection, else from the active profile (kit.ts). To add a command: its id in ../command-ids.ts,
// its entry in package.json (`contributes.commands`, and `menus` where it shows), its registration in the
// area's file, or in a new area file listed in AREAS below; test/unit/command-ids.test.ts checks all three agree.
import { registerBrowseCommands } from './browse';
import { registerCompatCommands } from './compat';
import { registerCreateDeleteCommands } from './create-delete';
import { createKit, type Ext, type Kit } from './kit';
import { registerMembershipCommands } from './membership';
import { registerProbeCommands } from './probe';
import { registerProfileCommands } from './profiles';
import { registerRequestFileCommands } from './request-files';
import { registerSandboxCommands } from './sandbox';
import { registerTraceCommands } from './trace';

export type { Ext } from './kit';
export { PROFILES_TEMPLATE } from './profiles';

/** The areas, in registration order. */
const AREAS: ReadonlyArray<(k: Kit) => void> = [
  registerBrowseCommands,
  registerMembershipCommands,
  registerTraceCommands,
  registerProbeCommands,
  registerProfileCommands,
  registerSandboxCommands,
  registerCreateDeleteCommands,
  registerCompatCommands,
  registerRequestFileCommands,
];

export function registerCommands(x: Ext): void {
  const kit = createKit(x);
  for (const register of AREAS) register(kit);
}
