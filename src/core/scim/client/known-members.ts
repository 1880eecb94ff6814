// The members the client saw lately (the tree's pages, a change's checks), the candidates a change's collateral
// check asks about first; kept in the provider cache across runs.

/** Members remembered per group, and groups remembered, for collateral checks. */
const KNOWN_MEMBERS_KEPT = 60;
const KNOWN_GROUPS_KEPT = 200;

/** A group's members seen: its id, member ids newest first, and its size at its last whole read if known. */
export type KnownGroup = [groupId: string, ids: string[], size?: number];

/** Members of a group seen by an earlier read (the tree's pages, a change's checks): the candidates a change's
 * collateral check asks about in its first request. A few per group, for the groups touched last. */
export class KnownMembers {
  private readonly known = new Map<string, string[]>();
  /** Member count of the group at its last whole read (how a check chooses between reading it whole and filters). */
  private readonly sizes = new Map<string, number>();

  /** Members of the group seen lately (newest first); may be stale (they are checked). */
  of(groupId: string): string[] {
    return this.known.get(groupId) ?? [];
  }

  sizeOf(groupId: string): number | undefined {
    return this.sizes.get(groupId);
  }

  /** `size`: `ids` are the whole member list, of that many members. */
  remember(groupId: string, ids: Iterable<string>, size?: number): void {
    if (size !== undefined) touch(this.sizes, groupId, size);
    const fresh = [...new Set(ids)].slice(0, KNOWN_MEMBERS_KEPT);
    if (!fresh.length) return;
    const old = (this.known.get(groupId) ?? []).filter((id) => !fresh.includes(id));
    touch(this.known, groupId, [...fresh, ...old].slice(0, KNOWN_MEMBERS_KEPT));
  }

  forget(groupId: string, ids: Iterable<string>): void {
    const gone = new Set(ids);
    const known = this.known.get(groupId);
    if (known) this.known.set(groupId, known.filter((id) => !gone.has(id)));
  }

  /** The newest `perGroup` ids of the last `groups` groups touched, oldest group first, with the size at the
   * group's last whole read when `sizes` (for the provider cache). */
  snapshot(perGroup: number, groups: number, sizes = true): KnownGroup[] {
    const out = new Map<string, KnownGroup>();
    if (sizes) for (const [g, n] of this.sizes) out.set(g, [g, [], n]);
    for (const [g, ids] of this.known) {
      if (!ids.length && !out.has(g)) continue;
      const n = out.get(g)?.[2];
      out.delete(g);
      out.set(g, n === undefined ? [g, ids.slice(0, perGroup)] : [g, ids.slice(0, perGroup), n]);
    }
    return [...out.values()].slice(-groups);
  }

  /** Takes a snapshot from an earlier run: its groups count as touched before anything this client saw. */
  restore(entries: KnownGroup[]): void {
    const mine = [...this.known];
    const mySizes = [...this.sizes];
    this.known.clear();
    this.sizes.clear();
    for (const [g, ids, n] of entries) {
      if (ids.length) touch(this.known, g, ids.slice(0, KNOWN_MEMBERS_KEPT));
      if (n !== undefined) touch(this.sizes, g, n);
    }
    for (const [g, ids] of mine) touch(this.known, g, ids);
    for (const [g, n] of mySizes) touch(this.sizes, g, n);
  }
}

/** Sets `key` as the newest entry of `map`, dropping the oldest past KNOWN_GROUPS_KEPT. */
function touch<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > KNOWN_GROUPS_KEPT) map.delete(map.keys().next().value as string);
}
