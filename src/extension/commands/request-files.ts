// Request files (`*.scim`): "Send" (a lens's, or the request under the cursor) and "Send All Requests in File".
// What they call, and the lenses, completion and answers, are in ../request-files/index.ts.
import { COMMANDS } from '../command-ids';
import type { Kit } from './kit';

export function registerRequestFileCommands(kit: Kit): void {
  kit.register(COMMANDS.sendRequest, (uri?: unknown, index?: unknown) => kit.x.requestFiles.send(uri, index));
  kit.register(COMMANDS.sendAllRequests, (uri?: unknown) => kit.x.requestFiles.sendAll(uri));
}
