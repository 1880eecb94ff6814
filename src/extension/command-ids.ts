// Every command id of the extension, in one place. The registrations (commands/<area>.ts), every
// `executeCommand`, and the commands the tree items and the status bar carry use these constants, never a
// string of their own; test/unit/command-ids.test.ts checks them against package.json (`contributes.commands`
// and `menus`) and against what registerCommands really registers. This module imports nothing: the tree
// model and the unit tests use it without `vscode`.

/** The extension's own commands (package.json `contributes.commands`), by the name the code uses. */
export const COMMANDS = {
  // browse (commands/browse.ts)
  refresh: 'scim.refresh',
  openResource: 'scim.openResource',
  filter: 'scim.filter',
  clearFilter: 'scim.clearFilter',
  loadMore: 'scim.loadMore',
  /** internal: a profileError node opens its file at the problem */
  openProblem: 'scim.openProblem',
  // membership (commands/membership.ts)
  addMembers: 'scim.addMembers',
  removeMembers: 'scim.removeMembers',
  // trace and export (commands/trace.ts)
  showTrace: 'scim.showTrace',
  exportHar: 'scim.exportHar',
  copyCurl: 'scim.copyCurl',
  /** internal: the trace panel asks for a masked header's raw value after an explicit click */
  revealSecret: 'scim.revealSecret',
  // profiles and secrets (commands/profiles.ts)
  selectProfile: 'scim.selectProfile',
  setSecret: 'scim.setSecret',
  createProfilesFile: 'scim.createProfilesFile',
  probeGateway: 'scim.probeGateway',
  // sandbox (commands/sandbox.ts)
  startSandbox: 'scim.startSandbox',
  // create and delete (commands/create-delete.ts)
  newResource: 'scim.newResource',
  newUser: 'scim.newUser',
  newGroup: 'scim.newGroup',
  /** the "Create … in PROFILE" code lens above a new resource's template (also in the palette) */
  createResource: 'scim.createResource',
  deleteResource: 'scim.deleteResource',
  // connector check (commands/compat.ts)
  checkCompatibility: 'scim.checkCompatibility',
  // request files, *.scim (commands/request-files.ts; lenses and answers in request-files/index.ts)
  sendRequest: 'scim.sendRequest',
  sendAllRequests: 'scim.sendAllRequests',
} as const;

export type CommandId = (typeof COMMANDS)[keyof typeof COMMANDS];

/** VS Code's own commands that the extension runs. */
export const VSCODE_COMMANDS = {
  /** shows the SCIM view container (package.json `viewsContainers.activitybar` id "scim") */
  showScimView: 'workbench.view.extension.scim',
  openFolder: 'vscode.openFolder',
  openSettings: 'workbench.action.openSettings',
  setContext: 'setContext',
  diff: 'vscode.diff',
  /** the Problems panel: where a request file's broken request says what is wrong */
  showProblems: 'workbench.actions.view.problems',
} as const;
