// What the SCIM client offers to the code it is composed of (membership changes, the gateway probe): they
// depend on this port, which the ScimClient implements, and never import the client back (no import cycle).
import type { Pipeline } from '../http/pipeline';
import type { HttpResponse, RequestSpec, WaitNotice } from '../http/types';
import type { MembershipJournal } from '../journal';
import type { Profile } from '../profile';
import type { Operation, Trace } from '../trace';
import type { ProviderQuirks } from './quirks';
import type { Discovery, ListOptions, ListPage, ScimResource } from './types';

export interface CallContext {
  /** Run inside this operation; without one, the call starts and ends its own. */
  operation?: Operation;
  signal?: AbortSignal;
  /** Title of the operation the call starts, when it starts one. */
  title?: string;
}

/** Bytes and requests of one call, summed over the requests it made. */
export interface Meter {
  requests: number;
  bytesSent: number;
  bytesReceived: number;
}

/** What an operation body gets: the operation, the signal, and the client's request helpers. */
export interface Call {
  operation: Operation;
  signal?: AbortSignal;
  meter: Meter;
}

/** How one resource is read: a projection, or (`members`) a group with its member list. */
export interface ReadOptions {
  attributes?: string[];
  excludedAttributes?: string[];
  members?: boolean;
}

/** The client as its parts use it: membership changes, the probe, the member listing. */
export interface ScimPort {
  readonly profile: Profile;
  readonly trace: Trace;
  readonly pipeline: Pipeline;
  readonly options: { readonly journal?: MembershipJournal; readonly onWait?: (notice: WaitNotice) => void };
  /** What the client learnt about its provider (per profile). */
  readonly quirks: ProviderQuirks;
  discover(ctx?: CallContext): Promise<Discovery>;
  filtersUsable(ctx?: CallContext): Promise<boolean>;
  groupsEndpoint(ctx?: CallContext): Promise<string>;
  usersEndpoint(ctx?: CallContext): Promise<string>;
  request(call: Call, spec: RequestSpec, accept?: (status: number) => boolean): Promise<HttpResponse>;
  getIn(call: Call, endpoint: string, id: string, opts?: ReadOptions): Promise<{ resource: ScimResource; etag?: string }>;
  listPageIn(call: Call, endpoint: string, opts: ListOptions, send?: Pick<RequestSpec, 'retry'>): Promise<ListPage>;
  pages(call: Call, endpoint: string, opts: ListOptions): AsyncGenerator<ListPage>;
  knownMembersOf(groupId: string): string[];
  /** `size`: the ids are the group's whole member list, read a moment ago, and it had that many. */
  rememberMembers(groupId: string, ids: Iterable<string>, size?: number): void;
  /** How many members the group had at its last whole read, if it was read whole lately. */
  knownSizeOf(groupId: string): number | undefined;
}
