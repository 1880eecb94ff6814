// The minimal RFC 7644 §3.5.2 PatchOp from the version of a resource that was read to the edited one.
//
// - Simple attributes: `add` (had no value), `replace`, `remove` (no value now: absent, null or [] are the same
//   state, RFC 7643 §2.5). Sub-attributes of a complex attribute one by one (`name.givenName`): a `replace` of a
//   complex attribute keeps the sub-attributes it does not name (RFC 7644 §3.5.2.3), so a removed one is removed.
// - Multi-valued complex attributes element by element, each element named by a value filter on a sub-attribute
//   that tells the elements apart in both versions (`emails[type eq "work"].value`; `type`, else `value`, else
//   `display`), with sub-attributes compared one by one. Where none does (missing, or repeated, without case, since
//   a server may compare without case), the whole attribute is replaced, and a note says so.
// - Order of a multi-valued attribute is not a change (RFC 7643 §2.4: multi-valued attributes are unordered).
// - Extension attributes by their URN path (`urn:…:enterprise:2.0:User:manager.value`, RFC 7644 §3.10).
// - Attribute names without case (RFC 7643 §2.1): `DisplayName` edits `displayName`; paths keep the server's
//   own spelling.
// - A Group's `members` are never part of the PatchOp: the ids added and removed are returned apart, for the
//   membership safety path (src/core/scim/membership.ts), never a `replace` of the whole list.
// - readOnly attributes, and immutable ones that have a value, are refused (RFC 7644 §3.5.2: a client MUST NOT
//   modify them), each named, so that nothing is sent. Left out of the edited version, such an attribute is
//   not given (a desired-state file need not carry `id`, `meta` or `groups`), not removed; so is `members`.
import { stringify, type Filter } from 'scim2-parse-filter';
import { ScimxError } from '../errors';
import { SCHEMA } from '../scim/types';
import { findAttr, findExtension, isUrnKey, type AttrDef, type ResourceSchema } from './schema';

type Json = Record<string, unknown>;

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path?: string;
  value?: unknown;
}

export interface PatchOpBody {
  schemas: string[];
  Operations: PatchOperation[];
}

/** An attribute (or a sub-attribute) of a resource: `name.givenName`, `emails`, `urn:…:User:manager.value`. */
export interface AttrRef {
  urn?: string;
  attr: string;
  sub?: string;
}

export interface Refusal {
  path: string;
  mutability: 'readOnly' | 'immutable';
}

export interface ResourceDiff {
  /** The PatchOp's operations, members aside. Empty: nothing but members (or nothing) changes. */
  operations: PatchOperation[];
  /** Members of a Group added and removed, by value: sent through the membership safety path. */
  members?: { add: string[]; remove: string[] };
  /** What the reader should know: a whole attribute replaced for want of a key, a member change not sent. */
  notes: string[];
  /** Attributes the edit changes that the service does not let a client change: nothing may be sent. */
  refused: Refusal[];
  /** What the operations change, to be checked after the write. */
  touched: AttrRef[];
}

export const KEY_CANDIDATES = ['type', 'value', 'display'] as const;

export function refPath(r: AttrRef, filter?: string): string {
  return `${r.urn ? `${r.urn}:` : ''}${r.attr}${filter ? `[${filter}]` : ''}${r.sub ? `.${r.sub}` : ''}`;
}

export function patchBody(operations: PatchOperation[]): PatchOpBody {
  return { schemas: [SCHEMA.patchOp], Operations: operations };
}

// --------------------------------------------------------------------------------------------- values

function isObj(v: unknown): v is Json {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** null, [], {} and absent are one state (RFC 7643 §2.5): all become undefined, at every depth. */
export function normalize(v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) {
    const items = v.map(normalize).filter((x) => x !== undefined);
    return items.length ? items : undefined;
  }
  if (isObj(v)) {
    const out: Json = {};
    for (const [k, x] of Object.entries(v)) {
      const n = normalize(x);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v;
}

/** A text that is the same for equivalent values: names without case, arrays without order, empties dropped. */
export function canonical(v: unknown): string {
  const n = normalize(v);
  const walk = (x: unknown): string => {
    if (x === undefined) return 'undefined';
    if (Array.isArray(x)) return `[${x.map(walk).sort().join(',')}]`;
    if (isObj(x)) {
      return `{${Object.entries(x).map(([k, y]) => `${JSON.stringify(k.toLowerCase())}:${walk(y)}`).sort().join(',')}}`;
    }
    return JSON.stringify(x);
  };
  return walk(n);
}

export function equivalent(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

interface Entry { key: string; value: unknown }

/** The keys of an object by lower-case name; a name given twice in different case is an error. */
function keyMap(o: unknown, where: string): Map<string, Entry> {
  const m = new Map<string, Entry>();
  if (!isObj(o)) return m;
  for (const [k, v] of Object.entries(o)) {
    const lk = k.toLowerCase();
    const seen = m.get(lk);
    if (seen) throw new ScimxError('usage', `${where}"${k}" is given twice (as "${seen.key}" and "${k}"): attribute names are case-insensitive (RFC 7643 §2.1)`);
    m.set(lk, { key: k, value: v });
  }
  return m;
}

function unionKeys(a: Map<string, Entry>, b: Map<string, Entry>): string[] {
  return [...new Set([...a.keys(), ...b.keys()])];
}

function filterText(attr: string, value: string | number | boolean): string {
  return stringify({ op: 'eq', attrPath: attr, compValue: value } as Filter);
}

function keyValue(el: unknown, key: string): string | number | boolean | undefined {
  if (!isObj(el)) return undefined;
  const hit = Object.entries(el).find(([k]) => k.toLowerCase() === key);
  const v = hit?.[1];
  return typeof v === 'string' ? (v ? v : undefined) : typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
}

function sameKeyValue(a: string | number | boolean, b: string | number | boolean): boolean {
  return typeof a === 'string' && typeof b === 'string' ? a.toLowerCase() === b.toLowerCase() : a === b;
}

/** The sub-attribute that names each element in both lists (present, unique without case), if one does. */
function elementKey(a: unknown[], b: unknown[]): string | undefined {
  for (const key of KEY_CANDIDATES) {
    const unique = (list: unknown[]): boolean => {
      const seen: Array<string | number | boolean> = [];
      for (const el of list) {
        const v = keyValue(el, key);
        if (v === undefined || seen.some((x) => sameKeyValue(x, v))) return false;
        seen.push(v);
      }
      return true;
    };
    if (unique(a) && unique(b)) return key;
  }
  return undefined;
}

// --------------------------------------------------------------------------------------------- the diff

class Builder {
  readonly operations: PatchOperation[] = [];
  readonly notes: string[] = [];
  readonly refused: Refusal[] = [];
  readonly touched: AttrRef[] = [];
  members?: { add: string[]; remove: string[] };

  constructor(private readonly schema: ResourceSchema, private readonly kind: 'user' | 'group' | 'other') {}

  /** False (and the attribute refused) when the client may not make this change. */
  private allowed(path: string, def: AttrDef | undefined, before: unknown): boolean {
    if (def?.mutability === 'readOnly' || (def?.mutability === 'immutable' && before !== undefined)) {
      this.refused.push({ path, mutability: def.mutability });
      return false;
    }
    return true;
  }

  /** Sub-attributes of a value about to be added whole that the client may not set. */
  private allowedSubs(r: AttrRef, def: AttrDef | undefined, value: unknown, filter?: string): boolean {
    let ok = true;
    for (const el of Array.isArray(value) ? value : [value]) {
      if (!isObj(el)) continue;
      for (const k of Object.keys(el)) {
        const sdef = findAttr(def?.subAttributes, k);
        if (sdef?.mutability === 'readOnly') {
          const path = refPath({ ...r, sub: sdef.name }, filter);
          if (!this.refused.some((x) => x.path === path)) this.refused.push({ path, mutability: 'readOnly' });
          ok = false;
        }
      }
    }
    return ok;
  }

  private op(op: PatchOperation['op'], path: string, value?: unknown): void {
    this.operations.push(value === undefined ? { op, path } : { op, path, value });
  }

  /** One attribute: `raw*` as in the documents, `given`: the edited document names it. */
  attribute(r: AttrRef, def: AttrDef | undefined, rawBefore: unknown, rawAfter: unknown, given: boolean): void {
    const a = normalize(rawBefore);
    const b = normalize(rawAfter);
    const path = refPath(r);
    const serverOwned = def?.mutability === 'readOnly' || def?.mutability === 'immutable';
    if (!given && (serverOwned || (this.kind === 'group' && !r.urn && r.attr.toLowerCase() === 'members'))) return;
    if (equivalent(a, b)) return;
    if (this.kind === 'group' && !r.urn && r.attr.toLowerCase() === 'members') return this.membersOf(a, b);
    if (!this.allowed(path, def, a)) return;
    const multi = def ? def.multiValued : Array.isArray(a) || Array.isArray(b);
    if (multi) return this.multiValued(r, def, a, b);
    const complex = def ? def.type === 'complex' : isObj(a) || isObj(b);
    if (complex && isObj(a) && isObj(b)) return this.complexSingle(r, def, a, b);
    if (b === undefined) this.op('remove', path);
    else {
      if (complex && !this.allowedSubs(r, def, b)) return;
      this.op(a === undefined ? 'add' : 'replace', path, b);
    }
    this.touched.push(r);
  }

  private complexSingle(r: AttrRef, def: AttrDef | undefined, a: Json, b: Json): void {
    const am = keyMap(a, `${refPath(r)}: `);
    const bm = keyMap(b, `${refPath(r)}: `);
    for (const lk of unionKeys(am, bm)) {
      const sa = am.get(lk);
      const sb = bm.get(lk);
      const sdef = findAttr(def?.subAttributes, (sa ?? sb)!.key);
      const sub: AttrRef = { ...r, sub: sa?.key ?? sdef?.name ?? sb!.key };
      this.subAttribute(sub, sdef, sa?.value, sb?.value, !!sb);
    }
  }

  /** A sub-attribute at `path` (of a complex attribute, or of one element of a multi-valued one). */
  private subAttribute(r: AttrRef, sdef: AttrDef | undefined, rawBefore: unknown, rawAfter: unknown, given: boolean, filter?: string): boolean {
    const sa = normalize(rawBefore);
    const sb = normalize(rawAfter);
    if (equivalent(sa, sb)) return false;
    if (!given && (sdef?.mutability === 'readOnly' || sdef?.mutability === 'immutable')) return false;
    const path = refPath(r, filter);
    if (!this.allowed(path, sdef, sa)) return false;
    if (sb === undefined) this.op('remove', path);
    else if (sa === undefined) this.op('add', path, sb);
    else if (isObj(sa) && isObj(sb)) {
      // deeper than SCIM's own grammar reaches (attr.sub): a replace would keep what it does not name
      this.op('remove', path);
      this.op('add', path, sb);
    } else this.op('replace', path, sb);
    if (!filter) this.touched.push(r);
    return true;
  }

  private multiValued(r: AttrRef, def: AttrDef | undefined, a: unknown, b: unknown): void {
    const path = refPath(r);
    this.touched.push({ urn: r.urn, attr: r.attr });
    const before = a === undefined ? [] : Array.isArray(a) ? a : [a];
    const after = b === undefined ? [] : Array.isArray(b) ? b : [b];
    if (!after.length) return this.op('remove', path);
    if (!before.length) {
      if (this.allowedSubs(r, def, after)) this.op('add', path, after);
      return;
    }
    const complex = before.every(isObj) && after.every(isObj);
    if (!complex) {
      // simple values: only additions can go alone (a remove of one simple value has no filter to name it by)
      const left = before.map(canonical);
      const added: unknown[] = [];
      let onlyAdded = new Set(after.map(canonical)).size === after.length;
      for (const v of after) {
        const i = left.indexOf(canonical(v));
        if (i >= 0) left.splice(i, 1);
        else added.push(v);
      }
      if (left.length) onlyAdded = false;
      if (onlyAdded) return this.op('add', path, added);
      this.notes.push(`${path}: values removed from a list of simple values have no filter to name them by, so the whole attribute is replaced`);
      return this.op('replace', path, after);
    }
    const key = elementKey(before, after);
    if (!key) {
      this.notes.push(`${path}: no sub-attribute (${KEY_CANDIDATES.join(', ')}) tells its elements apart in both versions (missing or repeated), so the whole attribute is replaced`);
      if (this.allowedSubs(r, def, after)) this.op('replace', path, after);
      return;
    }
    const keyDef = findAttr(def?.subAttributes, key);
    const keyName = (before.concat(after) as Json[]).map((el) => Object.keys(el).find((k) => k.toLowerCase() === key)).find(Boolean) ?? keyDef?.name ?? key;
    const find = (list: unknown[], v: string | number | boolean) => list.find((el) => sameKeyValue(keyValue(el, key)!, v)) as Json | undefined;
    const removes: PatchOperation[] = [];
    const added: Json[] = [];
    for (const el of before) {
      const v = keyValue(el, key)!;
      if (!find(after, v)) removes.push({ op: 'remove', path: refPath(r, filterText(keyName, v)) });
    }
    this.operations.push(...removes);
    for (const el of after as Json[]) {
      const old = find(before, keyValue(el, key)!);
      if (!old) {
        if (this.allowedSubs(r, def, el, filterText(keyName, keyValue(el, key)!))) added.push(el);
        continue;
      }
      // the element as the server has it: its own key value (the edit may change its case), and the key itself
      // changed last, so that every operation before it still finds the element
      const filter = filterText(keyName, keyValue(old, key)!);
      const am = keyMap(old, `${path}: `);
      const bm = keyMap(el, `${path}: `);
      const subs = unionKeys(am, bm).sort((x, y) => Number(x === key) - Number(y === key));
      for (const lk of subs) {
        const sa = am.get(lk);
        const sb = bm.get(lk);
        const sdef = findAttr(def?.subAttributes, (sa ?? sb)!.key);
        this.subAttribute({ ...r, sub: sa?.key ?? sdef?.name ?? sb!.key }, sdef, sa?.value, sb?.value, !!sb, filter);
      }
    }
    if (added.length) this.op('add', path, added);
  }

  /** A Group's members: the ids added and removed, for the membership path. */
  private membersOf(a: unknown, b: unknown): void {
    const ids = (list: unknown, side: string): string[] => {
      const out: string[] = [];
      for (const m of Array.isArray(list) ? list : list === undefined ? [] : [list]) {
        const v = isObj(m) ? keyValue(m, 'value') : undefined;
        if (typeof v !== 'string') throw new ScimxError('usage', `members: every member ${side} needs a "value" (the member's id), got ${JSON.stringify(m).slice(0, 60)}`);
        out.push(v);
      }
      return out;
    };
    const before = ids(a, 'as read');
    const after = ids(b, 'in the edited version');
    const add = [...new Set(after.filter((id) => !before.includes(id)))];
    const remove = [...new Set(before.filter((id) => !after.includes(id)))];
    if (add.length || remove.length) this.members = { add, remove };
    // a kept member whose other sub-attributes were edited: not sent (members are added and removed by value)
    const kept = (Array.isArray(b) ? b : []).filter((m) => isObj(m) && before.includes(keyValue(m, 'value') as string)) as Json[];
    for (const m of kept) {
      const old = (Array.isArray(a) ? a : [a]).find((x) => keyValue(x, 'value') === keyValue(m, 'value'));
      if (old && !equivalent(old, m)) {
        this.notes.push(`members[value eq ${JSON.stringify(keyValue(m, 'value'))}]: members are added and removed by value; the change to its other sub-attributes is not sent`);
      }
    }
  }
}

/**
 * The minimal change from `base` (as read) to `edited`. `kind` says whether `members` is a Group's (sent
 * through the membership path). Throws a usage ScimxError when the edited version names an attribute twice.
 */
export function diffResource(base: Json, edited: Json, schema: ResourceSchema, kind: 'user' | 'group' | 'other' = 'other'): ResourceDiff {
  const d = new Builder(schema, kind);
  const bm = keyMap(base, '');
  const em = keyMap(edited, '');
  for (const lk of unionKeys(bm, em)) {
    if (lk === 'schemas') continue; // the server's to keep: it follows from the attributes and extensions set
    const be = bm.get(lk);
    const ee = em.get(lk);
    const key = be?.key ?? ee!.key;
    if (isUrnKey(key) && (isObj(be?.value) || isObj(ee?.value))) {
      if (ee && ee.value !== null && !isObj(ee.value)) throw new ScimxError('usage', `"${ee.key}" must be an object of the extension's attributes`);
      const ext = findExtension(schema, key);
      const am = keyMap(be?.value, `${key}: `);
      const xm = keyMap(ee?.value, `${key}: `);
      for (const sk of unionKeys(am, xm)) {
        const sa = am.get(sk);
        const sx = xm.get(sk);
        const def = findAttr(ext?.attributes, (sa ?? sx)!.key);
        d.attribute({ urn: key, attr: sa?.key ?? def?.name ?? sx!.key }, def, sa?.value, sx?.value, !!sx);
      }
      continue;
    }
    const def = findAttr(schema.core.attributes, key);
    d.attribute({ attr: be?.key ?? def?.name ?? ee!.key }, def, be?.value, ee?.value, !!ee);
  }
  return { operations: d.operations, ...(d.members ? { members: d.members } : {}), notes: d.notes, refused: d.refused, touched: d.touched };
}

/** `id (readOnly), groups (readOnly)`. */
export function refusalText(refused: Refusal[]): string {
  return refused.map((r) => `${r.path} (${r.mutability})`).join(', ');
}
