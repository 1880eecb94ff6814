// The membership journal entry of one change (restore and undo read the journal).
import { newEntryId, profileKey, type JournalEntry, type JournalKind } from '../../journal';
import type { Call, ScimPort } from '../port';
import type { MembershipChange, MembershipOptions, MembershipReport } from '../types';
import type { ChangeJournal, GroupState, Snapshot } from './target';

/** The journal entry of one change, filled as the change goes (before, after, outcome) and appended once at the
 * end, whatever the end. No journal kept (tests, a client without one): nothing written. */
export class JournalRecord implements ChangeJournal {
  private readonly entry: JournalEntry;
  private readonly since: number;
  constructor(private readonly client: ScimPort, private readonly call: Call, groupId: string, asked: MembershipChange, opts: MembershipOptions) {
    const kind: JournalKind = opts.journal?.kind ?? 'change';
    this.since = call.operation.exchanges.length;
    this.entry = {
      v: 1, id: newEntryId(), at: new Date().toISOString(), kind, ...(opts.journal?.of ? { of: opts.journal.of } : {}),
      ...profileKey(client.profile), groupId, asked: { add: [...asked.add], remove: [...asked.remove] }, mode: 'patch', outcome: 'failed',
      added: [], removed: [], alreadyPresent: [], alreadyAbsent: [], missing: [], lost: [], before: {}, after: {}, requests: [],
    };
  }

  before(snap: Snapshot): void {
    const b = this.entry.before;
    if (snap.full) b.members = [...snap.full];
    else if (snap.users) b.members = [...snap.users];
    if (snap.sample.length && !b.members) b.sample = [...snap.sample];
    if (snap.userCount !== undefined) b.count = snap.userCount;
  }

  after(state: GroupState): void {
    this.entry.after = { ...state };
  }

  /** Appends the entry; returns the report with the entry's id (failures to write the journal are warnings). */
  done(report: MembershipReport, failure?: string): MembershipReport {
    const journal = this.client.options.journal;
    if (!journal) return report;
    const e = this.entry;
    e.mode = report.mode;
    e.added = [...report.added];
    e.removed = [...report.removed];
    e.alreadyPresent = [...report.alreadyPresent];
    e.alreadyAbsent = [...report.alreadyAbsent];
    e.missing = [...report.missing];
    e.lost = [...report.lost];
    e.outcome = report.lost.length ? 'lost' : failure ? 'failed' : report.verified ? 'verified' : 'unverified';
    if (failure) e.message = failure;
    e.requests = this.call.operation.exchanges.slice(this.since).map((x) => ({ method: x.request.method, url: x.request.url, status: x.response?.status ?? null }));
    try {
      journal.append(e);
      report.journalId = e.id;
    } catch (err) {
      report.warnings.push(`the membership journal could not be written (${(err as Error).message}): restore and undo will not know this change`);
    }
    return report;
  }
}
