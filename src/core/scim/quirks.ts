// What the client learns about its provider while it works: which filters it answers as RFC 7644 reads them,
// which it refuses or fails on, how much it returns in one page. One object per client, so per profile; it only
// ever narrows what is tried (a refusal is never asked again), never widens it. Read and written here only.
//
// To add a quirk: a named field (undefined or false until learnt), a doc comment saying what shows it, and the
// checks that read it; a provider whose quirk is documented rather than learnt goes in `profile.provider`.

export type MemberPaging = 'users-filter' | 'group-read';

export class ProviderQuirks {
  /** How this provider lets us list a group's members: users filtered on `groups.value` (RFC 7643 §4.1.2), or
   * the group's own member list once that filter was refused, failed, ignored or found nobody while the group has
   * members (the provider keeps no `User.groups`). Undefined until first used. */
  memberPaging: MemberPaging | undefined;

  /** Whether groups can be filtered on `members.type` (`works`), or the provider refuses that filter or answers it
   * without knowing member types (`unsupported`). Undefined until first used. */
  memberTypeFilter: 'works' | 'unsupported' | undefined;

  /** The provider refused, failed on (5xx) or ignored a filter on a group's members (`id eq "G" and
   * members.value eq "a"`): membership checks read the group's member list instead, without asking again. */
  groupFilterRefused = false;

  /** The provider does not answer `id eq "G" and members.value eq "a" and members.value eq "b"` as RFC 7644
   * reads it (each comparison against any member): an all-present test failed while every id was a member.
   * Checks then ask ids one by one, or read the group (SCIMMY: 80+ requests otherwise). */
  andTestsBroken = false;

  /** The most resources the provider returned in one answer while more matched: a page cap it does not state.
   * Later checks ask no more ids at once. Undefined until seen. */
  pageCap: number | undefined;

  /** Filter shapes that failed as pre-checks or verifications, by shape (e.g. `Users?filter=groups.value and
   * id`), with why (e.g. `500 from the SCIM service`): the first reason is kept. */
  private readonly failedFilters = new Map<string, string>();

  /** A page that held `got` resources while more matched: the cap is at most that. */
  learnPageCap(got: number): void {
    this.pageCap = Math.min(got, this.pageCap ?? got);
  }

  rememberFailedFilter(shape: string, why: string): void {
    if (!this.failedFilters.has(shape)) this.failedFilters.set(shape, why);
  }

  failedFilter(shape: string): string | undefined {
    return this.failedFilters.get(shape);
  }
}
