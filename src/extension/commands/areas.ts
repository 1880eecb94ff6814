// The areas of commands whose code loads on first use of one of their commands (./index.ts registers their ids at
// activation): a chunk of its own (dist/commands.js, scripts/build.mjs LAZY).
export { registerBrowseCommands } from './browse';
export { registerCompatCommands } from './compat';
export { registerCreateDeleteCommands } from './create-delete';
export { registerMembershipCommands } from './membership';
export { registerProbeCommands } from './probe';
export { registerProfileCommands } from './profiles';
export { registerSandboxCommands } from './sandbox';
export { registerTraceCommands } from './trace';
