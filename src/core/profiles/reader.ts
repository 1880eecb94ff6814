// The YAML reader: the document with positions (a LineCounter), problems collected with file, line, column
// and dotted key, aliases resolved and merge keys (`<<`) applied within a budget.
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { ConfigProblem } from '../errors';
import { clip } from './messages';
import { substitute, type Substitution } from './substitutions';
import { suggest } from './suggest';
import type { ProfilesFileOptions } from './types';

/** Most entries merge keys (`<<`) may bring in, in one file: far beyond any real file, and small enough that
 * a file of nested merges fails at once instead of hanging (issue 10). */
export const MAX_MERGED_ENTRIES = 10_000;

export interface Entry {
  key: string;
  keyNode: YamlNode | null;
  value: YamlNode | null;
  /** Source range of the whole pair, for attributing syntax errors. */
  start: number;
  end: number;
}

export class Ctx {
  readonly lc = new LineCounter();
  readonly doc: Document.Parsed;
  readonly problems: ConfigProblem[] = [];
  /** `${secret:NAME}` names resolved while building the current profile. */
  secretsUsed = new Set<string>();
  /** Every `${env:}` / `${secret:}` value substituted while building the current profile, with its key. */
  substitutions: Substitution[] = [];
  /** Entries brought in by merge keys (`<<`) so far, in the whole file, counted as a naive expansion would. */
  mergedEntries = 0;
  /** Maps met through a merge key, expanded once. */
  private readonly mergeCache = new Map<YamlNode, { entries: Entry[]; logical: number }>();
  /** Paths where merges were skipped for the budget (each reported once: every profile concerned is broken). */
  private readonly mergeBombAt = new Set<string>();
  constructor(readonly text: string, readonly file: string, readonly opts: ProfilesFileOptions) {
    this.doc = parseDocument(text, { lineCounter: this.lc, keepSourceTokens: true, prettyErrors: false, uniqueKeys: true });
  }

  offsetOf(at: YamlNode | number | null | undefined): number {
    if (typeof at === 'number') return at;
    return at?.range?.[0] ?? 0;
  }

  problem(at: YamlNode | number | null | undefined, key: string, message: string): void {
    const pos = this.lc.linePos(this.offsetOf(at));
    this.problems.push({ file: this.file, line: pos.line, column: pos.col, key, message });
  }

  /** Alias -> its node: `Alias.resolve` walks the whole document each time, and merges resolve often. */
  private readonly aliases = new Map<unknown, YamlNode | undefined>();

  resolve(node: unknown): YamlNode | null {
    let n = node as YamlNode | null | undefined;
    for (let i = 0; i < 16 && n && isAlias(n); i++) {
      const alias = n;
      if (!this.aliases.has(alias)) this.aliases.set(alias, alias.resolve(this.doc));
      n = this.aliases.get(alias);
    }
    return n ?? null;
  }

  /** The entries of a map, aliases resolved, `<<` merge keys applied (explicit keys win). */
  entries(map: YamlNode, path: string): Entry[] {
    return this.expand(map, path, 0).entries;
  }

  /**
   * A map's entries with its merges applied, and `logical`: how many entries a naive expansion would bring in
   * (every merge of every level counted each time: 8 levels merging 8 aliases each is 8^8). Maps met through
   * a merge are expanded once and remembered, so the work is linear in the file; a merge written in a map
   * that is read (depth 0) whose logical size takes the file past MAX_MERGED_ENTRIES is refused with a
   * problem at its `<<` (a 560-byte file of nested merges hung the parser before, issue 10).
   */
  private expand(map: YamlNode, path: string, depth: number): { entries: Entry[]; logical: number } {
    if (!isMap(map)) return { entries: [], logical: 0 };
    const cached = depth > 0 ? this.mergeCache.get(map) : undefined;
    if (cached) return cached;
    const own: Entry[] = [];
    const merged: Entry[] = [];
    const mergedKeys = new Set<string>();
    let logical = 0;
    for (const pair of map.items) {
      const keyNode = this.resolve(pair.key);
      const valueNode = this.resolve(pair.value);
      const kn = pair.key as YamlNode | null;
      const start = kn?.range?.[0] ?? 0;
      const vn = pair.value as YamlNode | null;
      const end = vn?.range?.[2] ?? kn?.range?.[2] ?? start;
      if (!isScalar(keyNode) || (typeof keyNode.value !== 'string' && typeof keyNode.value !== 'number')) {
        this.problem(kn, path, `keys must be plain strings, found ${describe(keyNode)}`);
        continue;
      }
      const key = String(keyNode.value);
      if (key === '<<' && keyNode.type === 'PLAIN' && depth < 8) {
        const sources = isSeq(valueNode) ? valueNode.items.map((i) => this.resolve(i)) : [valueNode];
        const subs: Array<{ entries: Entry[]; logical: number }> = [];
        for (const src of sources) {
          if (!isMap(src)) { this.problem(vn, path, `a merge key (<<) needs an alias to a map, found ${describe(src)}`); continue; }
          subs.push(this.expand(src, path, depth + 1));
        }
        const size = subs.reduce((n, x) => n + x.logical, 0);
        logical += size;
        if (depth === 0) {
          this.mergedEntries += size;
          if (this.mergedEntries > MAX_MERGED_ENTRIES) { this.mergeBomb(kn, path, size); continue; }
        }
        for (const sub of subs) {
          for (const e of sub.entries) {
            if (!mergedKeys.has(e.key)) { mergedKeys.add(e.key); merged.push({ ...e, start, end }); }
          }
        }
        continue;
      }
      own.push({ key, keyNode: kn, value: valueNode, start, end });
    }
    const ownKeys = new Set(own.map((o) => o.key));
    const result = { entries: [...own, ...merged.filter((m) => !ownKeys.has(m.key))], logical: logical + own.length };
    if (depth > 0) this.mergeCache.set(map, result);
    return result;
  }

  private mergeBomb(at: YamlNode | null, path: string, size: number): void {
    if (this.mergeBombAt.has(path) || this.mergeBombAt.size > 100) return;
    this.mergeBombAt.add(path);
    const n = size > 1e15 ? 'more than 10^15' : String(size);
    this.problem(at, path, `this merge key (<<) expands to ${n} entries (nested merges multiply), past the limit of `
      + `${MAX_MERGED_ENTRIES} merged entries in a file: write the keys out, or merge fewer levels`);
  }

  checkKeys(entries: Entry[], allowed: readonly string[], path: string, explain?: (key: string) => string | undefined): void {
    for (const e of entries) {
      if (allowed.includes(e.key)) continue;
      const special = explain?.(e.key);
      const guess = suggest(e.key, allowed);
      this.problem(e.keyNode, join(path, e.key),
        special ?? `unknown key "${e.key}"${guess ? ` (did you mean "${guess}"?)` : ''}; expected one of: ${allowed.join(', ')}`);
    }
  }

  /** Dotted key path of the deepest node containing an offset. */
  pathAt(offset: number): string {
    let path = '';
    let node: YamlNode | null = this.doc.contents;
    for (let depth = 0; depth < 32 && node; depth++) {
      if (isMap(node)) {
        const hit = node.items.find((p) => {
          const k = p.key as YamlNode | null;
          const v = p.value as YamlNode | null;
          const s = k?.range?.[0] ?? v?.range?.[0];
          const e = v?.range?.[2] ?? k?.range?.[2];
          return s !== undefined && e !== undefined && offset >= s && offset <= e;
        });
        if (!hit) break;
        const k = hit.key as YamlNode | null;
        path = join(path, isScalar(k) ? String(k.value) : '?');
        node = hit.value as YamlNode | null;
      } else if (isSeq(node)) {
        const idx = node.items.findIndex((i) => {
          const r = (i as YamlNode | null)?.range;
          return r != null && offset >= r[0] && offset <= r[2];
        });
        if (idx < 0) break;
        path = `${path}[${idx}]`;
        node = node.items[idx] as YamlNode | null;
      } else break;
    }
    return path;
  }

  /** Resolves ${env:} / ${secret:} in a string; undefined (and a problem) when one cannot be resolved. */
  substitute(raw: string, node: YamlNode | null, key: string): Promise<{ value: string; substituted: boolean } | undefined> {
    return substitute(this, raw, node, key);
  }
}

/** `path.key`, or `key` at the top. */
export function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

export function isNullScalar(n: YamlNode | null): boolean {
  return isScalar(n) && n.value === null;
}

/** What a YAML node is, in words: `a map`, `the string "x"`, `nothing`. */
export function describe(n: unknown): string {
  if (n === null || n === undefined) return 'nothing';
  if (isMap(n)) return 'a map';
  if (isSeq(n)) return 'a list';
  if (isScalar(n)) {
    const v = n.value;
    if (v === null) return 'an empty value';
    if (typeof v === 'string') return `the string "${clip(v)}"`;
    if (typeof v === 'number') return `the number ${v}`;
    if (typeof v === 'boolean') return `the boolean ${v}`;
    return `a ${typeof v}`;
  }
  return 'an unsupported value';
}
