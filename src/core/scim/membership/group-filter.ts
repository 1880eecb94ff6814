// Group testing on a group's own filter: which of a set are members of the group, in about N / 40 small reads
// instead of N. Shared by the membership checks (changed ids, sampled members) and the client's member listing
// (which groups are members of a group whose read does not hold every member).
import { ScimxError } from '../../errors';
import { and, eq, or, toFilterString } from '../filter';
import type { ProviderQuirks } from '../quirks';

/** Ids (or groups) asked about in one filtered membership request: keeps the URL well under 8 KB. */
export const MEMBER_BATCH = 40;

/** A group-filter all-present test failed on a set whose every id is a member: the provider's `and` over a
 * multi-valued attribute is not RFC 7644's; the check falls back to reading the group. */
export class AndTestsBroken extends ScimxError {
  constructor() {
    super('unsupported', 'the provider does not answer an all-present membership filter as RFC 7644 reads it');
  }
}

/** What a split test works on: the group, how to ask it, and where the members found go. */
export interface SplitTest<T> {
  groupId: string;
  quirks: ProviderQuirks;
  /** The id an item is tested by (`members.value eq "<id>"`). */
  idOf(item: T): string;
  /** Whether the group matches the filter: one small read of the Groups endpoint. */
  matches(filter: string): Promise<boolean>;
  /** An item found a member (once per item, in the order found). */
  found(item: T): void;
  /** Whether an item was found a member already. */
  isFound(item: T): boolean;
}

/**
 * `id eq "G" and members.value eq "a" and members.value eq "b" …` matches only when ALL are members (each
 * comparison is tested against the multi-valued attribute on its own), and `id eq "G" and (members.value eq "a"
 * or …)` matches when ANY is. A set we expect present is tested with the first, others with the second; a set
 * that does not answer as expected is split in halves, down to single items. A provider whose all-present test
 * fails while every item is a member is remembered (quirks.andTestsBroken) and AndTestsBroken thrown.
 */
export async function splitTest<T>(t: SplitTest<T>, set: T[], expectPresent: boolean): Promise<void> {
  const { groupId } = t;
  const one = (item: T): string => toFilterString(and(eq('id', groupId), eq('members.value', t.idOf(item))));
  if (set.length === 1) {
    if (await t.matches(one(set[0]!))) t.found(set[0]!);
    return;
  }
  const each = set.map((item) => eq('members.value', t.idOf(item)));
  const filter = toFilterString(expectPresent ? and(eq('id', groupId), ...each) : and(eq('id', groupId), or(...each)));
  const hit = await t.matches(filter);
  if (expectPresent && hit) {
    for (const item of set) t.found(item);
    return;
  }
  if (!expectPresent && !hit) return;
  if (expectPresent && t.quirks.andTestsBroken) {
    // the provider cannot answer an all-present test: ask each id in one any-present test instead
    for (const item of set) if (await t.matches(one(item))) t.found(item);
    return;
  }
  const half = Math.ceil(set.length / 2);
  const [a, b] = [set.slice(0, half), set.slice(half)];
  await splitTest(t, a, expectPresent);
  await splitTest(t, b, expectPresent);
  // every id of a failed all-present test was a member after all: the provider's AND is not RFC 7644's
  if (expectPresent && set.every((item) => t.isFound(item))) {
    t.quirks.andTestsBroken = true;
    throw new AndTestsBroken();
  }
}
