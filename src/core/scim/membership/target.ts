// What a membership change works on, as one object instead of positional parameters: the group (client, call,
// endpoint, id) for the checks, and the change around it (options, report, journal, progress) for the paths.
import type { Call, ScimPort } from '../port';
import type { MembershipOptions, MembershipReport } from '../types';

/** The group a check reads: through this client, in this call. */
export interface GroupTarget {
  readonly client: ScimPort;
  readonly call: Call;
  /** The Groups endpoint (`Groups` until discovery says otherwise). */
  groups: string;
  readonly groupId: string;
  /** The group's whole member list, when the change's first read had to read it (the users filter found nobody
   * while the group has members): it answers the changed ids and is the snapshot, so it is not read twice. */
  wholeRead?: Set<string>;
}

/** One membership change in progress. */
export interface Change extends GroupTarget {
  readonly opts: MembershipOptions;
  readonly report: MembershipReport;
  readonly journal: ChangeJournal;
  /** Ids of the group's members that are not users (nested groups), seen by the first check. */
  readonly nested: Set<string>;
  /** The provider gives ETags (ServiceProviderConfig): every PATCH carries If-Match, one at a time. */
  etags: boolean;
  /** Tells the caller how far the change is (MembershipOptions.onProgress). */
  readonly progress: (done: number, message: string) => void;
}

/** The group before a change, as far as it was read: what the collateral check compares with. */
export interface Snapshot {
  /** Every member (users and groups): the whole member list was read. */
  full?: Set<string>;
  /** Every user member: the users filter returned them all (checked: each listed the group). */
  users?: Set<string>;
  /** Members present before that the change does not name: each must still be there after. */
  sample: string[];
  /** User members before, as the service counted them. */
  userCount?: number;
  /** Why there is nothing to compare, when there is nothing. */
  why?: string;
  /** The group's own filter works here: the check after asks the changed ids and a sample with it (one request)
   * instead of reading the whole list again. */
  groupFilter?: boolean;
  /** The whole read missed a member (its user lists the group): the provider caps group reads. */
  capped?: boolean;
}

/** What the group looked like after a write, as the journal keeps it. */
export interface GroupState {
  members?: string[];
  present?: string[];
  count?: number;
}

/** What the check after a write found. */
export interface After {
  /** Which of the changed ids (and checked members) are members now. */
  present: Set<string>;
  /** Members the change did not name that are gone. */
  lost: string[];
  state: GroupState;
}

/** Where a change is recorded as it goes (see JournalRecord). */
export interface ChangeJournal {
  before(snap: Snapshot): void;
  after(state: GroupState): void;
  /** Records the outcome; returns the report (with the entry's id when one was written). */
  done(report: MembershipReport, failure?: string): MembershipReport;
}
