// What the client learns about its provider while it works: which filters it answers as RFC 7644 reads them,
// which it refuses or fails on, how much it returns in one page. One object per client, so per profile; it only
// ever narrows what is tried (a refusal is never asked again), never widens it. Read and written here only.
//
// To add a quirk: a named field (undefined or false until learnt), a doc comment saying what shows it, the
// checks that read it, and its line in toJSON() and restore() (what is learnt is kept across runs, ../scim/cache.ts);
// a provider whose quirk is documented rather than learnt goes in `profile.provider`.

export type MemberPaging = 'users-filter' | 'group-read';

/** What ProviderQuirks learnt, as plain JSON: kept in the provider cache between runs (cache.ts). */
export interface QuirksSnapshot {
  memberPaging?: MemberPaging;
  memberTypeFilter?: 'works' | 'unsupported';
  groupFilterRefused?: boolean;
  andTestsBroken?: boolean;
  pageCap?: number;
  /** Filter shape → why it failed. */
  failedFilters?: Record<string, string>;
}

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

  /** Whether anything was learnt yet. */
  get empty(): boolean {
    return Object.keys(this.toJSON()).length === 0;
  }

  /** What was learnt, as plain JSON (fields not learnt yet are left out). */
  toJSON(): QuirksSnapshot {
    const out: QuirksSnapshot = {};
    if (this.memberPaging) out.memberPaging = this.memberPaging;
    if (this.memberTypeFilter) out.memberTypeFilter = this.memberTypeFilter;
    if (this.groupFilterRefused) out.groupFilterRefused = true;
    if (this.andTestsBroken) out.andTestsBroken = true;
    if (this.pageCap !== undefined) out.pageCap = this.pageCap;
    if (this.failedFilters.size) out.failedFilters = Object.fromEntries(this.failedFilters);
    return out;
  }

  /** Takes what a snapshot says, in place (the object is shared by the client's parts); anything a snapshot does
   * not say, or says in a shape this version does not know, is back to "not learnt": `restore({})` forgets it all. */
  restore(s: unknown): void {
    const o = (s && typeof s === 'object' ? s : {}) as Record<string, unknown>;
    this.memberPaging = o.memberPaging === 'users-filter' || o.memberPaging === 'group-read' ? o.memberPaging : undefined;
    this.memberTypeFilter = o.memberTypeFilter === 'works' || o.memberTypeFilter === 'unsupported' ? o.memberTypeFilter : undefined;
    this.groupFilterRefused = o.groupFilterRefused === true;
    this.andTestsBroken = o.andTestsBroken === true;
    this.pageCap = typeof o.pageCap === 'number' && Number.isInteger(o.pageCap) && o.pageCap > 0 ? o.pageCap : undefined;
    this.failedFilters.clear();
    const f = o.failedFilters;
    if (f && typeof f === 'object' && !Array.isArray(f)) {
      for (const [shape, why] of Object.entries(f as Record<string, unknown>)) if (typeof why === 'string') this.failedFilters.set(shape, why);
    }
  }
}
