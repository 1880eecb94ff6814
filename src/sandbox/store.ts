// In-memory data of one sandbox: users, groups and the indexes that keep the common SCIM queries fast at
// 100,000 users / 50,000-member groups (userName, displayName, membership in both directions).
// No SCIM parsing here: the backend (backend.ts) turns SCIM requests into calls on this store with SCIMMY.

export type Json = Record<string, unknown>;

export interface UserRec {
  id: string;
  userName: string;
  displayName: string | undefined;
  /** every other SCIM attribute as last written (name, emails, active, externalId, ...): no id/meta/groups */
  data: Json;
  created: Date;
  lastModified: Date;
  version: number;
}

export interface GroupRec {
  id: string;
  displayName: string;
  /** other attributes as last written (externalId, ...): no id/meta/members */
  data: Json;
  /** member ids in insertion order (users or groups) */
  members: Set<string>;
  created: Date;
  lastModified: Date;
  version: number;
}

const hex12 = (n: number): string => n.toString(16).padStart(12, '0');
const pad = (n: number, width: number): string => String(n).padStart(width, '0');

export class Store {
  readonly users = new Map<string, UserRec>();
  readonly groups = new Map<string, GroupRec>();
  /** lower-cased userName -> id */
  readonly userByName = new Map<string, string>();
  /** lower-cased displayName -> group id */
  readonly groupByName = new Map<string, string>();
  /** user (or group) id -> ids of the groups it is a direct member of */
  readonly groupsOf = new Map<string, Set<string>>();
  private userOrder: string[] = [];
  private userOrderDirty = false;
  private groupOrder: string[] = [];
  private groupOrderDirty = false;
  private nextUser = 1;
  private nextGroup = 1;
  /** bumps on every change, used as the ETag source so versions never repeat */
  private clock = 0;

  newUserId(): string {
    return `5c1e0000-0000-4000-8000-${hex12(this.nextUser++)}`;
  }
  newGroupId(): string {
    return `6e000000-0000-4000-9000-${hex12(this.nextGroup++)}`;
  }
  tick(): number {
    return ++this.clock;
  }

  seed(users: number, groups: number, bigGroupMembers: number): void {
    const now = new Date();
    const width = Math.max(4, String(users).length);
    for (let i = 1; i <= users; i++) {
      const n = pad(i, width);
      const id = this.newUserId();
      const rec: UserRec = {
        id,
        userName: `user${n}`,
        displayName: `User ${n}`,
        data: {
          name: { givenName: 'User', familyName: n, formatted: `User ${n}` },
          emails: [{ value: `user${n}@example.test`, type: 'work', primary: true }],
          active: true,
        },
        created: now,
        lastModified: now,
        version: 1,
      };
      this.users.set(id, rec);
      this.userByName.set(rec.userName, id);
      this.userOrder.push(id);
    }
    const userIds = this.userOrder;
    const gwidth = Math.max(2, String(groups).length);
    for (let g = 1; g <= groups; g++) {
      const members: string[] = [];
      if (userIds.length > 0) {
        const want = Math.min(5, userIds.length);
        for (let k = 0; members.length < want && k < want * 4; k++) {
          const id = userIds[((g - 1) * 7 + k * 13) % userIds.length]!;
          if (!members.includes(id)) members.push(id);
        }
      }
      this.createGroup(`group-${pad(g, gwidth)}`, members, {}, now);
    }
    if (bigGroupMembers > 0) {
      const count = Math.min(bigGroupMembers, userIds.length);
      this.createGroup('big-group', userIds.slice(0, count), {}, now);
    }
  }

  createGroup(displayName: string, members: Iterable<string>, data: Json, now = new Date()): GroupRec {
    const id = this.newGroupId();
    const rec: GroupRec = { id, displayName, data, members: new Set(), created: now, lastModified: now, version: this.tick() };
    this.groups.set(id, rec);
    this.groupByName.set(displayName.toLowerCase(), id);
    this.groupOrder.push(id);
    for (const m of members) this.addMember(rec, m);
    return rec;
  }

  createUser(userName: string, displayName: string | undefined, data: Json): UserRec {
    const now = new Date();
    const rec: UserRec = { id: this.newUserId(), userName, displayName, data, created: now, lastModified: now, version: this.tick() };
    this.users.set(rec.id, rec);
    this.userByName.set(userName.toLowerCase(), rec.id);
    this.userOrder.push(rec.id);
    return rec;
  }

  renameUser(rec: UserRec, userName: string): void {
    if (rec.userName.toLowerCase() !== userName.toLowerCase()) {
      this.userByName.delete(rec.userName.toLowerCase());
      this.userByName.set(userName.toLowerCase(), rec.id);
    }
    rec.userName = userName;
  }

  renameGroup(rec: GroupRec, displayName: string): void {
    if (rec.displayName.toLowerCase() !== displayName.toLowerCase()) {
      if (this.groupByName.get(rec.displayName.toLowerCase()) === rec.id) this.groupByName.delete(rec.displayName.toLowerCase());
      this.groupByName.set(displayName.toLowerCase(), rec.id);
    }
    rec.displayName = displayName;
  }

  touch(rec: UserRec | GroupRec): void {
    // every write moves meta.lastModified on, by 1 ms at least: two writes within one millisecond (a test's other
    // writer acting right after our PUT) still give two versions, as `version` does. A real server's coarser clock
    // may not; the client's report says so ("within the same lastModified tick").
    rec.lastModified = new Date(Math.max(Date.now(), rec.lastModified.getTime() + 1));
    rec.version = this.tick();
  }

  addMember(group: GroupRec, memberId: string): boolean {
    if (group.members.has(memberId)) return false;
    group.members.add(memberId);
    let set = this.groupsOf.get(memberId);
    if (!set) this.groupsOf.set(memberId, (set = new Set()));
    set.add(group.id);
    return true;
  }

  removeMember(group: GroupRec, memberId: string): boolean {
    if (!group.members.delete(memberId)) return false;
    this.groupsOf.get(memberId)?.delete(group.id);
    return true;
  }

  deleteUser(id: string): boolean {
    const rec = this.users.get(id);
    if (!rec) return false;
    this.dropMemberships(id);
    this.users.delete(id);
    if (this.userByName.get(rec.userName.toLowerCase()) === id) this.userByName.delete(rec.userName.toLowerCase());
    this.userOrderDirty = true;
    return true;
  }

  deleteGroup(id: string): boolean {
    const rec = this.groups.get(id);
    if (!rec) return false;
    for (const m of rec.members) this.groupsOf.get(m)?.delete(id);
    this.dropMemberships(id);
    this.groups.delete(id);
    if (this.groupByName.get(rec.displayName.toLowerCase()) === id) this.groupByName.delete(rec.displayName.toLowerCase());
    this.groupOrderDirty = true;
    return true;
  }

  private dropMemberships(memberId: string): void {
    const of = this.groupsOf.get(memberId);
    if (!of) return;
    for (const gid of of) {
      const g = this.groups.get(gid);
      if (g && g.members.delete(memberId)) this.touch(g);
    }
    this.groupsOf.delete(memberId);
  }

  /** all user ids in creation order (cheap: cached array, rebuilt only after a delete) */
  userIds(): readonly string[] {
    if (this.userOrderDirty) {
      this.userOrder = this.userOrder.filter((id) => this.users.has(id));
      this.userOrderDirty = false;
    }
    return this.userOrder;
  }

  groupIds(): readonly string[] {
    if (this.groupOrderDirty) {
      this.groupOrder = this.groupOrder.filter((id) => this.groups.has(id));
      this.groupOrderDirty = false;
    }
    return this.groupOrder;
  }

  /** ids of the groups `memberId` belongs to, in group creation order */
  groupIdsOf(memberId: string): string[] {
    const of = this.groupsOf.get(memberId);
    if (!of || of.size === 0) return [];
    return [...of];
  }
}
