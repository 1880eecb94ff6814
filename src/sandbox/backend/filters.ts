// Filters and attribute lists, on SCIMMY's parsed Filter objects: which resources a filter selects (through
// the store's indexes for the common queries, else SCIMMY's own matching) and which attributes a list keeps.
import SCIMMY from 'scimmy';
import type { Json, Store } from '../store';

export type Filter = SCIMMY.Types.Filter;
export type FilterBranch = Record<string, unknown>;

const identity = (id: string): string => id;

export const keyOf = (branch: FilterBranch, name: string): string | undefined =>
  Object.keys(branch).find((k) => k.toLowerCase() === name);

/** does the attributes/excludedAttributes filter SCIMMY built keep `name`? */
export function keeps(attributes: Filter | undefined, name: string): boolean {
  if (!attributes || attributes.length === 0) return true;
  const branch = attributes[0] as FilterBranch;
  const k = keyOf(branch, name);
  const isNp = (v: unknown): boolean => Array.isArray(v) && String(v[0]).toLowerCase() === 'np';
  if (k !== undefined) return !isNp(branch[k]);
  // not named: kept if the filter only excludes things
  return Object.values(branch).every(isNp);
}

type Pred = (value: string | undefined) => boolean;

/** [op, "value"] with op eq|sw|co -> case-insensitive predicate (userName and displayName are caseExact=false) */
function stringPred(expr: unknown): Pred | undefined {
  if (!Array.isArray(expr) || expr.length !== 2 || typeof expr[1] !== 'string') return undefined;
  const op = String(expr[0]).toLowerCase();
  const want = expr[1].toLowerCase();
  if (op === 'eq') return (v) => v !== undefined && v.toLowerCase() === want;
  if (op === 'sw') return (v) => v !== undefined && v.toLowerCase().startsWith(want);
  if (op === 'co') return (v) => v !== undefined && v.toLowerCase().includes(want);
  return undefined;
}

export const eqValueRaw = (expr: unknown): string | undefined =>
  Array.isArray(expr) && expr.length === 2 && String(expr[0]).toLowerCase() === 'eq' && typeof expr[1] === 'string' ? expr[1] : undefined;

interface Plan {
  /** a small candidate list from an index, or undefined for "all" */
  candidates: (() => readonly string[]) | undefined;
  test: (id: string) => boolean;
}

/** Index-backed plan for one AND branch of a Users filter, or undefined when an attribute is not indexed. */
export function userBranchPlan(store: Store, branch: FilterBranch, fold: (id: string) => string = identity): Plan | undefined {
  const eqValue = (e: unknown): string | undefined => { const v = eqValueRaw(e); return v === undefined ? v : fold(v); };
  const tests: Array<(id: string) => boolean> = [];
  let candidates: (() => readonly string[]) | undefined;
  for (const [attr, expr] of Object.entries(branch)) {
    const a = attr.toLowerCase();
    if (a === 'id') {
      const v = eqValue(expr);
      if (v === undefined) return undefined;
      candidates = () => (store.users.has(v) ? [v] : []);
      tests.push((id) => id === v);
    } else if (a === 'username' || a === 'displayname') {
      const p = stringPred(expr);
      if (!p) return undefined;
      const v = eqValue(expr);
      if (a === 'username' && v !== undefined && !candidates) {
        candidates = () => {
          const id = store.userByName.get(v.toLowerCase());
          return id ? [id] : [];
        };
      }
      tests.push(a === 'username' ? (id) => p(store.users.get(id)?.userName) : (id) => p(store.users.get(id)?.displayName));
    } else if (a === 'groups' && expr && typeof expr === 'object' && !Array.isArray(expr)) {
      const sub = expr as FilterBranch;
      const vk = keyOf(sub, 'value');
      const v = vk !== undefined && Object.keys(sub).length === 1 ? eqValue(sub[vk]) : undefined;
      if (v === undefined) return undefined;
      // `id eq` in the same branch is the smaller candidate list: keep it
      if (!candidates) {
        candidates = () => {
          const g = store.groups.get(v);
          return g ? [...g.members].filter((m) => store.users.has(m)) : [];
        };
      }
      tests.push((id) => store.groupsOf.get(id)?.has(v) ?? false);
    } else return undefined;
  }
  return { candidates, test: (id) => tests.every((t) => t(id)) };
}

export function groupBranchPlan(store: Store, branch: FilterBranch, fold: (id: string) => string = identity): Plan | undefined {
  const eqValue = (e: unknown): string | undefined => { const v = eqValueRaw(e); return v === undefined ? v : fold(v); };
  const tests: Array<(id: string) => boolean> = [];
  let candidates: (() => readonly string[]) | undefined;
  for (const [attr, expr] of Object.entries(branch)) {
    const a = attr.toLowerCase();
    if (a === 'id') {
      const v = eqValue(expr);
      if (v === undefined) return undefined;
      candidates = () => (store.groups.has(v) ? [v] : []);
      tests.push((id) => id === v);
    } else if (a === 'displayname') {
      const p = stringPred(expr);
      if (!p) return undefined;
      const v = eqValue(expr);
      if (v !== undefined && !candidates) {
        candidates = () => {
          const id = store.groupByName.get(v.toLowerCase());
          return id ? [id] : [];
        };
      }
      tests.push((id) => p(store.groups.get(id)?.displayName));
    } else if (a === 'members') {
      // members.value eq "U" or members eq "U"; several (`members.value eq "U" and members.value eq "V"`)
      // arrive as a list of comparisons. RFC 7644 §3.4.2.2: a comparison on a multi-valued attribute matches
      // when any value matches, so each must be some member (SCIMMY's own matching wants one member to
      // match them all, hence this plan for the case).
      let values: string[] | undefined;
      const eqList = (e: unknown): string[] | undefined => {
        const one = eqValue(e);
        if (one !== undefined) return [one];
        if (!Array.isArray(e) || !e.length) return undefined;
        const all = e.map(eqValue);
        return all.every((v): v is string => v !== undefined) ? all : undefined;
      };
      if (Array.isArray(expr)) values = eqList(expr);
      else if (expr && typeof expr === 'object') {
        const sub = expr as FilterBranch;
        const vk = keyOf(sub, 'value');
        const tk = keyOf(sub, 'type');
        if (tk !== undefined) {
          // members.type eq "Group" / members[type eq "User"]: some member of that kind
          const kind = eqValue(sub[tk])?.toLowerCase();
          if (Object.keys(sub).length !== 1 || (kind !== 'user' && kind !== 'group')) return undefined;
          const ofKind = kind === 'group' ? (m: string) => store.groups.has(m) : (m: string) => store.users.has(m);
          tests.push((id) => {
            for (const m of store.groups.get(id)?.members ?? []) if (ofKind(m)) return true;
            return false;
          });
          continue;
        }
        values = vk !== undefined && Object.keys(sub).length === 1 ? eqList(sub[vk]) : undefined;
      }
      if (!values) return undefined;
      const wanted = values;
      if (!candidates) candidates = () => store.groupIdsOf(wanted[0]!);
      tests.push((id) => {
        const members = store.groups.get(id)?.members;
        return !!members && wanted.every((m) => members.has(m));
      });
    } else return undefined;
  }
  return { candidates, test: (id) => tests.every((t) => t(id)) };
}

/** ids matching `filter`, in creation order: through the indexes when possible, else SCIMMY Filter matching */
export function select(
  filter: Filter | undefined,
  all: () => readonly string[],
  branchPlan: (branch: FilterBranch) => Plan | undefined,
  raw: (id: string) => Json,
): readonly string[] {
  if (!filter || filter.length === 0) return all();
  const plans = (filter as unknown as FilterBranch[]).map(branchPlan);
  if (plans.every((p): p is Plan => p !== undefined)) {
    if (plans.length === 1 && plans[0]!.candidates) {
      const p = plans[0]!;
      return p.candidates!().filter(p.test);
    }
    if (plans.every((p) => p.candidates)) {
      // OR of indexed branches (`groups.value eq "G" and (id eq "a" or id eq "b" …)`): the union of their
      // candidates, in creation order, instead of testing every branch on every resource
      const hits = new Set<string>();
      for (const p of plans) for (const id of p.candidates!()) if (!hits.has(id) && p.test(id)) hits.add(id);
      return hits.size ? all().filter((id) => hits.has(id)) : [];
    }
    return all().filter((id) => plans.some((p) => p.test(id)));
  }
  // anything else: let SCIMMY's Filter decide, on the stored representation
  return all().filter((id) => filter.match([raw(id)]).length > 0);
}

/** A Groups filter on members.type, which an 'untyped-members' provider cannot answer. */
export function filtersOnMemberType(filter: Filter | undefined): boolean {
  return !!filter && (filter as unknown as FilterBranch[]).some((branch) => {
    const k = keyOf(branch, 'members');
    const sub = k !== undefined ? branch[k] : undefined;
    return !!sub && typeof sub === 'object' && !Array.isArray(sub) && keyOf(sub as FilterBranch, 'type') !== undefined;
  });
}
