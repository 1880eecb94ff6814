// STUB: being written by the lead. The public surface below is the contract.
import type { Profile } from '../profile';
import type { Operation, Trace } from '../trace';
import type { WaitNotice } from '../http/types';
import { Pipeline } from '../http/pipeline';
import type {
  Discovery, ListOptions, ListPage, Member, MembershipChange, MembershipMode, MembershipProgress,
  MembershipReport, ProbeRow, ScimResource,
} from './types';

export interface CallContext {
  /** Run inside this operation; without one, the call starts and ends its own. */
  operation?: Operation;
  signal?: AbortSignal;
  /** Title of the operation the call starts, when it starts one. */
  title?: string;
}

export interface ScimClientOptions {
  trace: Trace;
  onWait?: (notice: WaitNotice) => void;
  userAgent?: string;
}

export interface MembershipOptions {
  mode?: MembershipMode;
  onProgress?: (p: MembershipProgress) => void;
  /** Asked before a PUT-based change with the membership diff; false cancels. */
  confirmPut?: (diff: { groupId: string; add: string[]; remove: string[]; memberCount: number }) => Promise<boolean>;
}

export class ScimClient {
  readonly pipeline: Pipeline;
  constructor(readonly profile: Profile, readonly options: ScimClientOptions) {
    this.pipeline = new Pipeline(profile, { trace: options.trace, onWait: options.onWait, userAgent: options.userAgent });
  }
  get trace(): Trace { return this.options.trace; }
  discover(_ctx?: CallContext & { refresh?: boolean }): Promise<Discovery> { throw new Error('not implemented'); }
  listPage(_endpoint: string, _opts: ListOptions, _ctx?: CallContext): Promise<ListPage> { throw new Error('not implemented'); }
  listAll(_endpoint: string, _opts: ListOptions & { limit?: number; onPage?: (page: ListPage, fetched: number) => void }, _ctx?: CallContext): Promise<ScimResource[]> { throw new Error('not implemented'); }
  get(_endpoint: string, _id: string, _opts?: { attributes?: string[]; excludedAttributes?: string[] }, _ctx?: CallContext): Promise<ScimResource> { throw new Error('not implemented'); }
  create(_endpoint: string, _body: Record<string, unknown>, _ctx?: CallContext): Promise<ScimResource> { throw new Error('not implemented'); }
  replace(_endpoint: string, _id: string, _body: Record<string, unknown>, _opts?: { ifMatch?: string }, _ctx?: CallContext): Promise<ScimResource> { throw new Error('not implemented'); }
  delete(_endpoint: string, _id: string, _ctx?: CallContext): Promise<void> { throw new Error('not implemented'); }
  membersPage(_groupId: string, _opts: { startIndex?: number; count?: number; cursor?: string }, _ctx?: CallContext): Promise<ListPage<Member>> { throw new Error('not implemented'); }
  changeMembers(_groupId: string, _change: MembershipChange, _opts?: MembershipOptions, _ctx?: CallContext): Promise<MembershipReport> { throw new Error('not implemented'); }
  searchUsers(_text: string, _opts?: { count?: number }, _ctx?: CallContext): Promise<ScimResource[]> { throw new Error('not implemented'); }
  probe(_ctx?: CallContext): Promise<ProbeRow[]> { throw new Error('not implemented'); }
  async close(): Promise<void> { await this.pipeline.close(); }
}
