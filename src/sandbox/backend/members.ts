// A group's members under a write: which members a PATCH names (so it touches only those, however large the
// group), and making the stored list match what the write asked.
import SCIMMY from 'scimmy';
import type { GroupRec, Json } from '../store';
import { scimErr, type Ctx } from './context';
import { eqValueRaw, keyOf, type Filter, type FilterBranch } from './filters';

export interface MemberPlan {
  refs: Set<string>;
  adds: number;
  removes: number;
}

/**
 * When every operation only adds members or removes members by `value eq` (or by value list), return the
 * member ids they name: the patch is then applied by SCIMMY to a group holding just those members, which
 * makes a PATCH O(change) however large the group. Operations on other attributes need no member at all.
 * Anything else (remove all members, replace members, member sub-attributes) returns undefined and the
 * patch is applied to the whole group.
 */
export function memberPlan(ops: SCIMMY.Messages.PatchOp['Operations']): MemberPlan | undefined {
  const plan: MemberPlan = { refs: new Set(), adds: 0, removes: 0 };
  const values = (v: unknown): string[] | undefined => {
    const list = Array.isArray(v) ? v : [v];
    const out: string[] = [];
    for (const item of list) {
      if (!item || typeof item !== 'object') return undefined;
      const entry = item as Json;
      const k = Object.keys(entry).find((x) => x.toLowerCase() === 'value');
      if (k === undefined || typeof entry[k] !== 'string') return undefined;
      out.push(entry[k]);
    }
    return out;
  };
  const isMembers = (path: string): boolean => /^members(\b|$)/i.test(path) || /^urn:ietf:params:scim:schemas:core:2\.0:group:members/i.test(path);
  for (const operation of ops) {
    const op = String(operation.op).toLowerCase();
    const path = operation.path?.trim();
    if (path !== undefined && !isMembers(path)) continue; // another attribute: needs no member
    if (op === 'add') {
      let v: unknown = operation.value;
      if (path === undefined) {
        const obj = v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
        if (!obj) return undefined;
        const k = Object.keys(obj).find((x) => isMembers(x));
        if (k === undefined) continue;
        if (k.toLowerCase() !== 'members') return undefined;
        v = obj[k];
      } else if (path.toLowerCase() !== 'members') return undefined;
      const ids = values(v);
      if (!ids) return undefined;
      ids.forEach((id) => plan.refs.add(id));
      plan.adds += ids.length;
    } else if (op === 'remove') {
      if (path === undefined) return undefined;
      if (path.toLowerCase() === 'members') {
        if (operation.value === undefined) return undefined; // removes every member
        const ids = values(operation.value);
        if (!ids) return undefined;
        ids.forEach((id) => plan.refs.add(id));
        plan.removes += ids.length;
        continue;
      }
      const open = path.indexOf('[');
      if (open < 0 || path.slice(0, open).toLowerCase() !== 'members' || !path.endsWith(']')) return undefined;
      let filter: Filter;
      try {
        filter = new SCIMMY.Types.Filter(path.slice(open + 1, -1));
      } catch {
        return undefined; // SCIMMY will report the bad path itself
      }
      for (const branch of filter as unknown as FilterBranch[]) {
        const k = keyOf(branch, 'value');
        const v = k !== undefined && Object.keys(branch).length === 1 ? eqValueRaw(branch[k]) : undefined;
        if (v === undefined) return undefined;
        plan.refs.add(v);
        plan.removes += 1;
      }
    } else if (op === 'replace' && path === undefined) {
      const obj = operation.value && typeof operation.value === 'object' && !Array.isArray(operation.value) ? (operation.value as Json) : undefined;
      if (!obj || Object.keys(obj).some((x) => isMembers(x))) return undefined;
    } else return undefined; // replace of members: needs them all
  }
  return plan;
}

export function memberValues(x: unknown): string[] {
  if (!Array.isArray(x)) return [];
  return x.flatMap((m) => (m && typeof m === 'object' && typeof (m as Json)['value'] === 'string' ? [(m as Json)['value'] as string] : []));
}

/** make `rec` hold exactly `after` among `scope` (the members the write could see) */
export function applyMembers(c: Ctx, rec: GroupRec, scope: Iterable<string>, after: Set<string>): boolean {
  const store = c.state.store;
  for (const id of after) {
    if (!rec.members.has(id) && !store.users.has(id) && !store.groups.has(id))
      throw scimErr(400, 'invalidValue', `member "${id}" does not exist`);
  }
  let changed = false;
  for (const id of scope) if (!after.has(id) && store.removeMember(rec, id)) changed = true;
  for (const id of after) if (store.addMember(rec, id)) changed = true;
  return changed;
}
