// A typed view of one map level of a profile: strings (after substitution), one-of values, integers in a
// range, booleans and nested maps, each reporting its own problems with its dotted key.
import { isMap, isScalar } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { clip } from './messages';
import { describe, isNullScalar, join, type Ctx, type Entry } from './reader';
import { suggest } from './suggest';

/** A typed view of one map level, reporting problems with its path. */
export class Level {
  readonly byKey = new Map<string, Entry>();
  constructor(readonly ctx: Ctx, readonly node: YamlNode, readonly path: string, entries: Entry[]) {
    for (const e of entries) this.byKey.set(e.key, e);
  }
  has(key: string): boolean { return this.byKey.has(key); }
  at(key: string): YamlNode | null { return this.byKey.get(key)?.value ?? null; }

  /** A string (after substitution). Missing → undefined (+ problem when required). */
  async str(key: string, opts: { required?: string; secret?: boolean; optional?: boolean } = {}): Promise<{ value: string; substituted: boolean } | undefined> {
    const e = this.byKey.get(key);
    const path = join(this.path, key);
    if (opts.optional && !e) return undefined;
    if (!e || e.value === null || (isScalar(e.value) && e.value.value === null)) {
      if (opts.required !== undefined) {
        this.ctx.problem(e?.keyNode ?? this.node, path, e ? `\`${key}\` is empty; expected ${opts.required}` : `missing required key \`${key}\` (${opts.required})`);
      }
      return undefined;
    }
    const v = e.value;
    if (!isScalar(v) || typeof v.value !== 'string') {
      const hint = isScalar(v) && (typeof v.value === 'number' || typeof v.value === 'boolean') ? ' (quote it to make it a string)' : '';
      this.ctx.problem(v, path, `expected a string, found ${describe(v)}${hint}`);
      return undefined;
    }
    if (v.value.trim() === '' && opts.required !== undefined) {
      this.ctx.problem(v, path, `\`${key}\` is empty; expected ${opts.required}`);
      return undefined;
    }
    return this.ctx.substitute(v.value, v, path);
  }

  async oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): Promise<T | undefined> {
    const s = await this.str(key);
    if (s === undefined) return this.has(key) && this.at(key) !== null && !isNullScalar(this.at(key)) ? undefined : fallback;
    if ((allowed as readonly string[]).includes(s.value)) return s.value as T;
    const guess = suggest(s.value, allowed);
    this.ctx.problem(this.at(key), join(this.path, key),
      `"${clip(s.value)}" is not allowed${guess ? ` (did you mean "${guess}"?)` : ''}; expected one of: ${allowed.join(', ')}`);
    return undefined;
  }

  async int(key: string, fallback: number, min: number, max: number): Promise<number | undefined> {
    const node = this.at(key);
    if (!this.has(key) || node === null || isNullScalar(node)) return fallback;
    const path = join(this.path, key);
    let n: number | undefined;
    if (isScalar(node) && typeof node.value === 'number') n = node.value;
    else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
      const s = await this.ctx.substitute(node.value, node, path);
      if (!s) return undefined;
      n = /^\s*\d+\s*$/.test(s.value) ? Number(s.value) : NaN;
    } else {
      this.ctx.problem(node, path, `expected an integer from ${min} to ${max}, found ${describe(node)}`);
      return undefined;
    }
    if (!Number.isInteger(n) || n < min || n > max) {
      this.ctx.problem(node, path, `expected an integer from ${min} to ${max}, found ${Number.isNaN(n) ? 'a non-number' : n}`);
      return undefined;
    }
    return n;
  }

  async bool(key: string, fallback: boolean): Promise<boolean | undefined> {
    const node = this.at(key);
    if (!this.has(key) || node === null || isNullScalar(node)) return fallback;
    const path = join(this.path, key);
    if (isScalar(node) && typeof node.value === 'boolean') return node.value;
    if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
      const s = await this.ctx.substitute(node.value, node, path);
      if (!s) return undefined;
      if (s.value === 'true') return true;
      if (s.value === 'false') return false;
    }
    this.ctx.problem(node, path, `expected true or false, found ${describe(node)}`);
    return undefined;
  }

  /** A nested map level; undefined when absent (or wrong type, with a problem). */
  sub(key: string, allowed: readonly string[], explain?: (k: string) => string | undefined): Level | undefined {
    const node = this.at(key);
    if (!this.has(key) || node === null || isNullScalar(node)) return undefined;
    const path = join(this.path, key);
    if (!isMap(node)) {
      this.ctx.problem(node, path, `expected a map (keys: ${allowed.join(', ') || 'header names'}), found ${describe(node)}`);
      return undefined;
    }
    const entries = this.ctx.entries(node, path);
    if (allowed.length) this.ctx.checkKeys(entries, allowed, path, explain);
    return new Level(this.ctx, node, path, entries);
  }
}
