// What a raw PUT or PATCH of a group asks of its members, read from its body: the same question every membership
// change answers before it writes, so a request sent from a request file gets the same collateral check and the
// same journal entry as `scimx members` (./send.ts, guardMembershipWrite in ../scim/membership.ts).
//
// Two kinds of answer. `delta`: the ids added and removed are known from the body alone (add with a value list;
// remove by `members[value eq "…"]`, an `or` of those, or Entra's older `remove` of `members` with a value
// list): the check is as cheap as `members add|remove`. `list`: the result depends on the members there are
// (a PUT's `members`, `replace` of `members`, a `remove` of every member, a filter on `display` or `type`…): the
// group is read whole first and the body is applied to that list to know what it should become.
import { filter as compileFilter, parse as parseFilter, type Filter } from 'scim2-parse-filter';
import type { Member } from '../scim/types';

export type MembersIntent =
  | { kind: 'delta'; add: string[]; remove: string[]; notes: string[] }
  | { kind: 'list'; desired: (before: Member[]) => string[]; notes: string[] };

const GROUP_URN = 'urn:ietf:params:scim:schemas:core:2.0:group:';

type Step =
  | { t: 'add'; ids: string[] }
  | { t: 'remove'; ids: string[] }
  | { t: 'set'; ids: string[] }
  | { t: 'removeWhere'; test: (m: Member) => boolean; then?: string[] };

/**
 * The membership change a raw write asks for; undefined when a PATCH does not touch `members` (a PUT always
 * does: it replaces the group, and a PUT without `members` is checked as "members unchanged", since RFC 7644
 * §3.5.1 lets a server clear what the client does not assert).
 */
export function membersIntent(method: string, body: unknown): MembersIntent | undefined {
  const notes: string[] = [];
  if (method === 'PUT') {
    const obj = isObject(body) ? body : {};
    const key = Object.keys(obj).find((k) => k.toLowerCase() === 'members');
    if (key === undefined) {
      notes.push('a PUT without "members": RFC 7644 lets the server clear them; checked as "members unchanged"');
      return { kind: 'delta', add: [], remove: [], notes };
    }
    const ids = valueIds(obj[key], notes);
    return { kind: 'list', desired: () => ids, notes };
  }
  if (method !== 'PATCH' || !isObject(body)) return undefined;
  const opsKey = Object.keys(body).find((k) => k.toLowerCase() === 'operations');
  const ops = opsKey === undefined ? undefined : body[opsKey];
  if (!Array.isArray(ops)) return undefined;
  const steps: Step[] = [];
  for (const raw of ops) {
    if (!isObject(raw)) continue;
    const op = typeof raw.op === 'string' ? raw.op.toLowerCase() : '';
    const path = typeof raw.path === 'string' ? raw.path.trim() : undefined;
    const value = raw.value;
    if (path === undefined || path === '') {
      // no path: the value is an object of attributes (RFC 7644 §3.5.2.1/3)
      if (!isObject(value) || (op !== 'add' && op !== 'replace')) continue;
      const key = Object.keys(value).find((k) => k.toLowerCase() === 'members' || k.toLowerCase() === `${GROUP_URN}members`);
      if (key === undefined) continue;
      const ids = valueIds(value[key], notes);
      steps.push(op === 'add' ? { t: 'add', ids } : { t: 'set', ids });
      continue;
    }
    const target = membersPath(path);
    if (!target) continue;
    if (target.sub !== undefined && target.sub !== 'value') continue; // members[…].display: no membership change
    if (target.sub === 'value') notes.push(`"${path}" rewrites member values: checked against the whole member list`);
    if (target.filter === undefined) {
      if (op === 'add') steps.push({ t: 'add', ids: valueIds(value, notes) });
      else if (op === 'replace') steps.push({ t: 'set', ids: valueIds(value, notes) });
      else if (op === 'remove') {
        if (value === undefined || value === null) steps.push({ t: 'set', ids: [] });
        else {
          // Entra's older form (remove, path members, a value list); some servers wipe the group on it
          notes.push('"remove" of "members" with a value list (not RFC 7644; some servers remove every member)');
          steps.push({ t: 'remove', ids: valueIds(value, notes) });
        }
      }
      continue;
    }
    const f = target.filter;
    const ids = valueEqualities(f);
    if (op === 'remove') {
      if (ids) steps.push({ t: 'remove', ids });
      else steps.push({ t: 'removeWhere', test: predicate(f) });
    } else if (op === 'replace' || op === 'add') {
      // replaces the matching members with the value (or their sub-attribute: see above)
      const then = target.sub === 'value' ? (typeof value === 'string' ? [value] : []) : valueIds(value, notes);
      steps.push({ t: 'removeWhere', test: predicate(f), then });
    }
  }
  if (!steps.length) return undefined;
  if (steps.every((s) => s.t === 'add' || s.t === 'remove')) {
    const add = new Set<string>();
    const remove = new Set<string>();
    for (const s of steps) {
      for (const id of s.ids) {
        if (s.t === 'add') { add.add(id); remove.delete(id); } else { remove.add(id); add.delete(id); }
      }
    }
    return { kind: 'delta', add: [...add], remove: [...remove], notes };
  }
  return {
    kind: 'list',
    notes,
    desired: (before) => {
      let list: Member[] = before.map((m) => ({ ...m }));
      for (const s of steps) {
        if (s.t === 'set') list = s.ids.map((value) => ({ value }));
        else if (s.t === 'add') list = [...list, ...s.ids.filter((id) => !list.some((m) => m.value === id)).map((value) => ({ value }))];
        else if (s.t === 'remove') list = list.filter((m) => !s.ids.includes(m.value));
        else {
          const matched = list.some(s.test);
          list = list.filter((m) => !s.test(m));
          if (matched || s.then) for (const id of s.then ?? []) if (!list.some((m) => m.value === id)) list.push({ value: id });
        }
      }
      return [...new Set(list.map((m) => m.value))];
    },
  };
}

/** `members`, `members[filter]`, `members[filter].sub`, `members.sub`, with or without the Group URN. */
function membersPath(path: string): { filter?: Filter; sub?: string } | undefined {
  let p = path;
  if (p.toLowerCase().startsWith(GROUP_URN)) p = p.slice(GROUP_URN.length);
  if (!/^members(?=$|[[.])/i.test(p)) return undefined;
  p = p.slice('members'.length);
  let filter: Filter | undefined;
  if (p.startsWith('[')) {
    const close = p.lastIndexOf(']');
    if (close < 0) return { filter: { op: 'pr', attrPath: 'value' } };
    try {
      filter = parseFilter(p.slice(1, close));
    } catch {
      filter = { op: 'pr', attrPath: 'value' }; // unreadable: taken as matching every member (checked whole)
    }
    p = p.slice(close + 1);
  }
  const sub = p.startsWith('.') ? p.slice(1).toLowerCase() : undefined;
  return { filter, sub };
}

/** The ids a filter names when it is only `value eq "…"` comparisons joined by `or`; else undefined. */
function valueEqualities(f: Filter): string[] | undefined {
  if (f.op === 'eq' && 'attrPath' in f && f.attrPath.toLowerCase() === 'value' && typeof f.compValue === 'string') return [f.compValue];
  if (f.op === 'or' && 'filters' in f) {
    const out: string[] = [];
    for (const x of f.filters) {
      const ids = valueEqualities(x);
      if (!ids) return undefined;
      out.push(...ids);
    }
    return out;
  }
  return undefined;
}

function predicate(f: Filter): (m: Member) => boolean {
  try {
    const test = compileFilter(f);
    return (m) => {
      try {
        return test(m) === true;
      } catch {
        return false;
      }
    };
  } catch {
    return () => false;
  }
}

/** Member ids of a value: a list of `{value}` objects (or one object). Items without an id are noted. */
function valueIds(v: unknown, notes: string[]): string[] {
  const items = Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
  const ids: string[] = [];
  let skipped = 0;
  for (const item of items) {
    if (isObject(item) && typeof item.value === 'string' && item.value) ids.push(item.value);
    else skipped += 1;
  }
  if (skipped) notes.push(`${skipped} member value(s) without a "value" id`);
  return [...new Set(ids)];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}
