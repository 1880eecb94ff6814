// The shape every third-party SCIM server of the interop matrix has for the tests and the bench: where it
// listens, how it authenticates, and a way to read (and reset) its state straight from its storage, never
// through the client under test.

export type ServerAuth = { type: 'bearer'; token: string } | { type: 'basic'; username: string; password: string } | { type: 'none' };

export interface SeedOptions {
  /** seeded users, default 30 */
  users?: number;
  /** seeded ordinary groups "group-01".., default 3, each with `groupSize` members */
  groups?: number;
  /** members of each ordinary group, default 6 */
  groupSize?: number;
  /** when > 0, a group "big-group" with this many members (the first users) */
  bigGroupMembers?: number;
}

export interface ThirdPartyServer {
  /** npm package(s) and exact version(s) serving SCIM, e.g. "scimmy 1.3.5 + scimmy-routers 1.3.2" */
  implementation: string;
  /** the SCIM base URL on the server's own origin */
  baseUrl: string;
  auth: ServerAuth;
  /** the seeded users' ids, in seed order (user0001 first) */
  userIds: string[];
  /** seeded group ids by displayName */
  groups: Record<string, string>;
  /** What the server cannot hold, said plainly (e.g. "at most 1,000 members per group"). */
  limits: string[];
  /** member ids of a group, read from the server's storage */
  members(groupId: string): Promise<string[]>;
  /** sets a group's members in the server's storage (test set-up and clean-up, not through SCIM) */
  setMembers(groupId: string, memberIds: string[]): Promise<void>;
  stop(): Promise<void>;
}

export type ServerName = 'scimmy' | 'better-auth';
export const SERVER_NAMES: readonly ServerName[] = ['scimmy', 'better-auth'];

export const pad = (n: number, width: number): string => String(n).padStart(width, '0');
