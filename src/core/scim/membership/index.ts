// Group membership changes that never lose a member.
//
// PATCH path: `add` on `members` with a value array, `remove` with `members[value eq "id"]` — never a
// bare `remove` of `members` nor a `replace` of `members`. Changes are split to the provider's limits.
// PUT path (no PATCH, or PATCH refused in `auto`): read-modify-write of the whole group that keeps every
// other member and attribute, with If-Match when the provider gives ETags; 412 → re-read, re-apply. Without
// ETags, meta.lastModified is re-read right before the PUT (a change since our read → re-read, re-apply), the
// verification compares the whole member list with what was written, and the report says that a change in the
// last moment before an unconditional PUT cannot be ruled out.
// PATCH parts (independent adds and removes) go out `profile.concurrency` at a time, except with If-Match
// (each write changes the version) and for Google (one member a request, kept sequential).
// Both paths check the state before (to report "already present") and verify after, with filtered reads
// that do not download the member list where the provider allows it.
// A write whose outcome is unknown (reset, timeout, 5xx, 429) is never re-sent blindly: the state is
// re-read first and only what is still missing is sent again. A 409 Conflict to a membership PATCH ("member
// already exists", or a concurrent modification, often with several parts in flight) is handled the same way.
//
// The modules, by job (each works on one target object, see target.ts):
//   change.ts          one change start to end (the PATCH-or-PUT choice, the report, the journal)
//   input.ts           the ids asked, checked
//   bodies.ts          PatchOp bodies split to the provider's limits, members a PUT writes back
//   before.ts          the check before: which changed ids are members, a snapshot of the others
//   after.ts           the checks after: changes in effect, members the change did not name still there
//   reads.ts           the reads those checks are made of (whole list, first user members, a user's groups)
//   presence.ts        "which of these ids are members", as cheaply as the provider allows
//   group-filter.ts    the split-in-halves test on a group's own filter, and the one batch size (40)
//   patch.ts           the PATCH path
//   put.ts             the PUT path, and its guard against a capped read
//   reapply.ts         re-applying after an unknown outcome: rounds, Retry-After, waits
//   failure.ts         members lost (the error that stops everything), any other failure with the group's state
//   outcome.ts         the report: empty, what is in effect, what it cost
//   journal-record.ts  the journal entry of one change
//   concurrency.ts     bounded concurrency for reads and PATCH parts
export { changeMembers } from './change';
export { chunks, patchBodies, patchLimits, type PatchLimits } from './bodies';
export { membershipFailureReport, type MembershipFailure } from './failure';
export { memberIds } from './input';
export { patchConcurrency } from './patch';
export { DOCUMENTED_READ_CAP } from './put';
