// Parsing and validation of `scim-profiles.yaml` into resolved Profiles (./profile.ts).
//
// The file is read with the `yaml` package's Document API (positions from a LineCounter), so every problem
// names the file, line, column, dotted key and what was expected. Problems are collected, not thrown: a broken
// profile is reported (in `problems` and `broken`) and the other profiles of the file stay usable. Only a
// problem outside every profile (YAML syntax error at the top, no `profiles:` map, file too large) leaves
// `profiles` empty.
//
// Substitution, anywhere inside a string value: `${env:NAME}` (environment variable) and `${secret:NAME}`
// (the VS Code side's SecretStorage via `opts.secrets`). `$${` writes a literal `${`. A header whose value
// came from a substitution is masked in traces automatically, as are headers listed in `secretHeaders:`.
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import type { Document, Node as YamlNode, Pair } from 'yaml';
import { ConfigError, type ConfigProblem } from './errors';
import {
  DEFAULTS, DEFAULT_KEY_HEADER, DEFAULT_KEY_QUERY,
  type AuthConfig, type GatewayConfig, type KeyPlacement, type LocationPolicy, type Profile, type ProviderKind,
  type SecretResolver, type TlsConfig, type WriteMode,
} from './profile';
import { RESERVED_HEADERS } from './profiles/rules';

export const MAX_PROFILES_FILE_BYTES = 1024 * 1024;
/** Most entries merge keys (`<<`) may bring in, in one file: far beyond any real file, and small enough that
 * a file of nested merges fails at once instead of hanging (issue 10). */
export const MAX_MERGED_ENTRIES = 10_000;
export const DEFAULT_PROFILES_FILE = 'scim-profiles.yaml';

export interface ProfilesFileOptions {
  /** Environment for `${env:NAME}`; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Resolves `${secret:NAME}`; without one, `${secret:}` is an error that says what to do. */
  secrets?: SecretResolver;
}

export interface BrokenProfile {
  name: string;
  /** 1-based line of the profile's key. */
  line: number;
  column: number;
  problems: ConfigProblem[];
}

export interface ProfilesFile {
  file: string;
  /** Every valid profile, in file order. */
  profiles: Profile[];
  /** Every problem of the file (file-level and per profile), in file order. Empty when all is well. */
  problems: ConfigProblem[];
  /** Profiles that are declared but invalid, with their own problems (for a tree node's error). */
  broken: BrokenProfile[];
}

const PROFILE_KEYS = [
  'baseUrl', 'auth', 'gateway', 'headers', 'secretHeaders', 'writes', 'locations', 'provider', 'timeoutMs',
  'pageSize', 'concurrency', 'maxOperationsPerPatch', 'maxResponseMB', 'tls', 'proxy', 'groupReads', 'excludeMembersOnWrite',
] as const;
const AUTH_TYPES = ['none', 'basic', 'bearer', 'oauth2'] as const;
const AUTH_KEYS: Record<(typeof AUTH_TYPES)[number], string[]> = {
  none: ['type'],
  basic: ['type', 'username', 'password'],
  bearer: ['type', 'token'],
  oauth2: ['type', 'tokenUrl', 'clientId', 'clientSecret', 'scope', 'audience'],
};
const ALL_AUTH_KEYS = ['type', 'username', 'password', 'token', 'tokenUrl', 'clientId', 'clientSecret', 'scope', 'audience'];
const GATEWAY_KEYS = ['subscriptionKey', 'header', 'query', 'sendAs'];
const TLS_KEYS = ['insecure', 'caFile', 'certFile', 'keyFile', 'passphrase'];
const SEND_AS: readonly KeyPlacement[] = ['header', 'query', 'both'];
const WRITES: readonly WriteMode[] = ['auto', 'patch', 'put'];
const GROUP_READS = ['verify', 'complete'] as const;
const LOCATIONS: readonly LocationPolicy[] = ['rewrite', 'follow', 'strict'];
const PROVIDERS: readonly ProviderKind[] = ['generic', 'entra', 'sap', 'aws', 'google'];
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const BAD_HEADER_VALUE = /[\r\n\0]/;
const SUBSTITUTION = /\$\$\{|\$\{([^}]*)\}/g;

// ---------------------------------------------------------------------------------------------------------------
// Public API

/** Reads and parses a profiles file. Never throws for bad content: problems are in the result. */
export async function loadProfilesFile(path: string, opts: ProfilesFileOptions = {}): Promise<ProfilesFile> {
  const file = resolvePath(path);
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) return fileProblem(file, `${path} is not a file`);
    size = st.size;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return fileProblem(file, code === 'ENOENT' ? `profiles file not found: ${path}` : `cannot read ${path}: ${(e as Error).message}`);
  }
  if (size > MAX_PROFILES_FILE_BYTES) return fileProblem(file, tooLarge(size));
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    return fileProblem(file, `cannot read ${path}: ${(e as Error).message}`);
  }
  return parseProfiles(text, file, opts);
}

/** Parses the text of a profiles file. `file` is used in messages and to resolve relative TLS file paths. */
export async function parseProfiles(text: string, file: string, opts: ProfilesFileOptions = {}): Promise<ProfilesFile> {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_PROFILES_FILE_BYTES) return fileProblem(file, tooLarge(bytes));
  const ctx = new Ctx(text, file, opts);
  const out: ProfilesFile = { file, profiles: [], problems: ctx.problems, broken: [] };
  const doc = ctx.doc;

  // Profile entries (for attributing syntax errors), found even when the document has errors.
  const top = doc.contents;
  if (top === null || (isScalar(top) && (top.value === null || top.value === ''))) {
    if (doc.errors.length === 0) {
      ctx.problem(0, 'profiles', 'the file is empty; expected a `profiles:` map with at least one profile');
      return out;
    }
  }
  const profileEntries: Entry[] = [];
  let profilesNode: YamlNode | null = null;
  const topEntries = isMap(top) ? ctx.entries(top, '') : [];
  if (isMap(top)) {
    for (const e of topEntries) {
      if (e.key === 'profiles') profilesNode = e.value;
    }
    if (isMap(profilesNode)) profileEntries.push(...ctx.entries(profilesNode, 'profiles'));
  }

  // YAML syntax errors: inside a profile they break that profile only; elsewhere the whole file.
  let fatal = false;
  const brokenBySyntax = new Set<string>();
  let shown: { line: number; owner: string | undefined } | undefined;
  for (const err of doc.errors) {
    const owner = profileEntries.find((e) => err.pos[0] >= e.start && err.pos[0] <= e.end);
    if (owner) brokenBySyntax.add(owner.key);
    else fatal = true;
    // One syntax error leaves the parser lost for the rest of its line (and, outside every profile, the rest of
    // the file): those follow-on "unexpected token" errors are noise, so only the first one is shown.
    const line = ctx.lc.linePos(err.pos[0]).line;
    if (shown && (shown.line === line || (err.code === 'UNEXPECTED_TOKEN' && (!owner || shown.owner === owner.key)))) continue;
    const { offset, message } = syntaxMessage(err.code, err.message, text, err.pos[0]);
    ctx.problem(offset, ctx.pathAt(offset), message);
    shown = { line, owner: owner?.key };
  }
  if (fatal) return finish(out, ctx, []);

  if (!isMap(top)) {
    ctx.problem(top ?? 0, '', `expected a map with a \`profiles:\` key, found ${describe(top)}`);
    return finish(out, ctx, []);
  }
  ctx.checkKeys(topEntries, ['profiles'], '');
  if (!topEntries.some((e) => e.key === 'profiles')) {
    ctx.problem(top, 'profiles', 'missing required key `profiles` (a map of profile name to profile)');
    return finish(out, ctx, []);
  }
  if (!isMap(profilesNode)) {
    ctx.problem(profilesNode ?? top, 'profiles', `expected a map of profile name to profile, found ${describe(profilesNode)}`);
    return finish(out, ctx, []);
  }
  if (profileEntries.length === 0) {
    ctx.problem(profilesNode, 'profiles', 'no profiles: add at least one, e.g. `dev:` with a `baseUrl:`');
    return finish(out, ctx, []);
  }

  const names: string[] = [];
  for (const entry of profileEntries) {
    const path = `profiles.${entry.key}`;
    names.push(entry.key);
    if (brokenBySyntax.has(entry.key)) continue;
    if (!entry.key.trim() || /[\x00-\x1f]/.test(entry.key)) {
      ctx.problem(entry.keyNode, path, 'a profile name must be a non-empty single-line string');
      continue;
    }
    const before = ctx.problems.length;
    ctx.secretsUsed = new Set();
    ctx.substitutions = [];
    const profile = await buildProfile(ctx, entry, path);
    if (profile && ctx.secretsUsed.size) profile.secretRefs = [...ctx.secretsUsed];
    if (profile) learnSubstitutions(profile, ctx.substitutions);
    if (profile && ctx.problems.length === before) out.profiles.push(profile);
  }
  return finish(out, ctx, profileEntries);
}

/** Picks the profile to use: by name, or the only one in the file. Throws ConfigError otherwise. */
export function selectProfile(pf: ProfilesFile, name?: string): Profile {
  if (name !== undefined) {
    const found = pf.profiles.find((p) => p.name === name);
    if (found) return found;
    const broken = pf.broken.find((b) => b.name === name);
    if (broken) throw new ConfigError(`profile "${name}" in ${pf.file} is invalid`, broken.problems);
    if (pf.problems.length && !pf.profiles.length) throw problemsError(pf);
    const all = [...pf.profiles.map((p) => p.name), ...pf.broken.map((b) => b.name)];
    throw new ConfigError(`no profile "${name}" in ${pf.file}${all.length ? ` (profiles: ${all.join(', ')})` : ''}`);
  }
  const total = pf.profiles.length + pf.broken.length;
  if (total === 1 && pf.profiles.length === 1) return pf.profiles[0] as Profile;
  if (pf.problems.length && (total <= 1 || !pf.profiles.length)) throw problemsError(pf);
  const all = [...pf.profiles.map((p) => p.name), ...pf.broken.map((b) => b.name)];
  throw new ConfigError(`${pf.file} has ${total} profiles; choose one with --profile NAME (${all.join(', ')})`);
}

/** One ConfigError for every problem of a file, or undefined when there is none. */
export function problemsError(pf: ProfilesFile): ConfigError {
  const first = pf.problems[0];
  const head = first ? formatProblem(first) : `invalid profiles file ${pf.file}`;
  const n = pf.problems.length - 1;
  const more = n > 0 ? ` (and ${n} more problem${n === 1 ? '' : 's'})` : '';
  return new ConfigError(`${head}${more}`, pf.problems);
}

/** `file:line:column: key: message`, the shape editors and terminals link. */
export function formatProblem(p: ConfigProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.key ? `${p.key}: ` : ''}${p.message}`;
}

/** Command-line flags that build a profile without a file (`scimx --base-url ...`). */
export interface ProfileFlags {
  baseUrl?: string;
  user?: string;
  /** Name of the environment variable holding the password. */
  passwordEnv?: string;
  /** Name of the environment variable holding a bearer token. */
  bearerEnv?: string;
  /** Name of the environment variable holding the gateway subscription key. */
  subscriptionKeyEnv?: string;
  keyHeader?: string;
  keyQuery?: string;
  sendKeyAs?: string;
  /** `Name: value`, repeatable. */
  header?: string[];
  insecure?: boolean;
  timeoutMs?: string | number;
  /** Profile name shown in traces; default `flags`. */
  name?: string;
}

/** Builds a profile from command-line flags. Secrets come only from environment variables named by flags.
 * Throws ConfigError (a usage/config error) naming the flag. Headers whose name looks like a credential
 * (authorization, cookie, *key*, *token*, *secret*, *password*) are masked in traces. */
export function profileFromFlags(flags: ProfileFlags, env: NodeJS.ProcessEnv = process.env): Profile {
  const fail = (m: string): never => { throw new ConfigError(m); };
  if (!flags.baseUrl) fail('--base-url is required without a profiles file');
  const url = checkUrl(flags.baseUrl as string);
  if (typeof url !== 'object') fail(`--base-url ${flags.baseUrl}: ${url}`);
  const fromEnv = (flag: string, variable: string | undefined): string | undefined => {
    if (variable === undefined) return undefined;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) fail(`${flag} takes the NAME of an environment variable, not "${clip(variable)}"`);
    const v = env[variable];
    if (v === undefined) fail(`${flag}: environment variable ${variable} is not set`);
    if (v === '') fail(`${flag}: environment variable ${variable} is empty`);
    return v;
  };
  let auth: AuthConfig = { type: 'none' };
  if (flags.bearerEnv !== undefined && (flags.user !== undefined || flags.passwordEnv !== undefined)) {
    fail('--bearer-env cannot be combined with --user/--password-env: choose basic or bearer auth');
  }
  if (flags.user !== undefined) {
    if (flags.passwordEnv === undefined) fail('--user needs --password-env VAR (the password is read from that variable)');
    auth = { type: 'basic', username: flags.user, password: fromEnv('--password-env', flags.passwordEnv) as string };
  } else if (flags.passwordEnv !== undefined) {
    fail('--password-env needs --user NAME');
  } else if (flags.bearerEnv !== undefined) {
    auth = { type: 'bearer', token: fromEnv('--bearer-env', flags.bearerEnv) as string };
  }
  const header = flags.keyHeader ?? DEFAULT_KEY_HEADER;
  if (!HEADER_NAME.test(header)) fail(`--key-header "${clip(header)}" is not a valid header name`);
  const query = flags.keyQuery ?? DEFAULT_KEY_QUERY;
  if (!query || /[&=#?\s]/.test(query)) fail(`--key-query "${clip(query)}" is not a valid query parameter name`);
  const sendAs = flags.sendKeyAs ?? 'header';
  if (!(SEND_AS as readonly string[]).includes(sendAs)) fail(`--send-key-as must be one of ${SEND_AS.join(', ')}, not "${clip(sendAs)}"`);
  const gateway: GatewayConfig = { header, query, sendAs: sendAs as KeyPlacement };
  const key = fromEnv('--subscription-key-env', flags.subscriptionKeyEnv);
  if (key !== undefined) gateway.subscriptionKey = key;
  else if (flags.sendKeyAs !== undefined || flags.keyHeader !== undefined || flags.keyQuery !== undefined) {
    fail('--send-key-as/--key-header/--key-query need --subscription-key-env VAR');
  }
  const headers: Record<string, string> = {};
  const secretHeaders: string[] = [];
  for (const h of flags.header ?? []) {
    const i = h.indexOf(':');
    if (i <= 0) fail(`--header "${clip(h)}": expected "Name: value"`);
    const name = h.slice(0, i).trim();
    const value = h.slice(i + 1).trim();
    if (!HEADER_NAME.test(name)) fail(`--header "${clip(name)}" is not a valid header name`);
    if (BAD_HEADER_VALUE.test(value)) fail(`--header ${name}: the value must be on one line`);
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.includes(lower)) fail(`--header ${name}: this header is set by the HTTP client and cannot be overridden`);
    if (lower === header.toLowerCase()) fail(`--header ${name}: pass the subscription key with --subscription-key-env VAR`);
    headers[name] = value;
    if (/authorization|cookie|key|token|secret|password/i.test(name)) secretHeaders.push(lower);
  }
  let timeoutMs = DEFAULTS.timeoutMs;
  if (flags.timeoutMs !== undefined) {
    const n = typeof flags.timeoutMs === 'number' ? flags.timeoutMs : /^\d+$/.test(flags.timeoutMs) ? Number(flags.timeoutMs) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > 3_600_000) fail(`--timeout-ms must be an integer from 1 to 3600000, not "${flags.timeoutMs}"`);
    timeoutMs = n;
  }
  return {
    name: flags.name ?? 'flags',
    baseUrl: (url as { url: string }).url,
    auth,
    gateway,
    headers,
    secretHeaders,
    writes: DEFAULTS.writes,
    locations: DEFAULTS.locations,
    provider: DEFAULTS.provider,
    timeoutMs,
    pageSize: DEFAULTS.pageSize,
    concurrency: DEFAULTS.concurrency,
    maxOperationsPerPatch: DEFAULTS.maxOperationsPerPatch,
    tls: { insecure: flags.insecure === true },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Internals

interface Substitution {
  /** Dotted key of the field, e.g. `profiles.dev.baseUrl`. */
  key: string;
  kind: 'env' | 'secret';
  name: string;
  value: string;
}

/** Fields whose substituted values are configuration, not data sent anywhere: never masked. */
const CONFIG_FIELDS = /\.(timeoutMs|pageSize|concurrency|maxOperationsPerPatch|maxResponseMB|writes|locations|provider|auth\.type|gateway\.(header|query|sendAs)|tls\.(insecure|caFile|certFile|keyFile))$/;
/** URL fields: a substituted scheme, host or port is an origin and stays readable; anything else is masked. */
const URL_FIELDS = /\.(baseUrl|auth\.tokenUrl|proxy)$/;

/**
 * What the profile learns from its `${env:}` / `${secret:}` substitutions: the values used in fields that
 * are not secrets by nature (a baseUrl path or query, a user name, a scope...) are masked like secrets
 * (`maskedValues`), and the environment variables whose values are sent to a host (`envRefs`).
 */
function learnSubstitutions(profile: Profile, subs: Substitution[]): void {
  const masked: string[] = [];
  const env: string[] = [];
  for (const s of subs) {
    if (CONFIG_FIELDS.test(s.key)) continue;
    if (s.kind === 'env' && !env.includes(s.name) && !/\.tls\./.test(s.key)) env.push(s.name);
    if (URL_FIELDS.test(s.key)) {
      const url = s.key.endsWith('.baseUrl') ? profile.baseUrl : s.key.endsWith('.proxy') ? profile.proxy
        : profile.auth.type === 'oauth2' ? profile.auth.tokenUrl : undefined;
      let origin = '';
      try { origin = url ? new URL(url).origin : ''; } catch { /* reported by the parser */ }
      if (origin && origin.includes(s.value)) continue;
    }
    if (!masked.includes(s.value)) masked.push(s.value);
  }
  if (masked.length) profile.maskedValues = masked;
  if (env.length) profile.envRefs = env;
}

interface Entry {
  key: string;
  keyNode: YamlNode | null;
  value: YamlNode | null;
  /** Source range of the whole pair, for attributing syntax errors. */
  start: number;
  end: number;
}

class Ctx {
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
      if (!this.aliases.has(alias)) this.aliases.set(alias, alias.resolve(this.doc) as YamlNode | undefined);
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
    for (const pair of map.items as Array<Pair<unknown, unknown>>) {
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
    let node: YamlNode | null = this.doc.contents as YamlNode | null;
    for (let depth = 0; depth < 32 && node; depth++) {
      if (isMap(node)) {
        const hit = (node.items as Array<Pair<unknown, unknown>>).find((p) => {
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
  async substitute(raw: string, node: YamlNode | null, key: string): Promise<{ value: string; substituted: boolean } | undefined> {
    if (!raw.includes('${')) return { value: raw, substituted: false };
    const env = this.opts.env ?? process.env;
    const source = node?.range ? this.text.slice(node.range[0], node.range[1]) : '';
    let ok = true;
    let substituted = false;
    let out = '';
    let last = 0;
    for (const m of raw.matchAll(SUBSTITUTION)) {
      const at = m.index ?? 0;
      out += raw.slice(last, at);
      last = at + m[0].length;
      if (m[0] === '$${') { out += '${'; continue; }
      const inner = m[1] ?? '';
      const within = source.indexOf(m[0]);
      const where = within >= 0 && node?.range ? node.range[0] + within : node;
      const ref = /^(env|secret):([A-Za-z_][A-Za-z0-9_.\-]*)$/.exec(inner.trim());
      if (!ref) {
        this.problem(where, key, `unknown substitution "${m[0]}": expected \${env:NAME} or \${secret:NAME} (write $\${ for a literal \${)`);
        ok = false;
        continue;
      }
      const kind = ref[1] as 'env' | 'secret';
      const name = ref[2] as string;
      substituted = true;
      if (kind === 'env') {
        const v = env[name];
        if (v === undefined || v === '') {
          this.problem(where, key, `environment variable ${name} is ${v === undefined ? 'not set' : 'empty'} (used as \${env:${name}})`);
          ok = false;
          continue;
        }
        out += v;
      } else {
        if (!this.opts.secrets) {
          this.problem(where, key, `\${secret:${name}} is resolved by the VS Code extension's secret storage; outside VS Code use \${env:NAME} instead`);
          ok = false;
          continue;
        }
        let v: string | undefined;
        try {
          v = await this.opts.secrets.get(name);
        } catch (e) {
          this.problem(where, key, `secret ${name} could not be read: ${(e as Error).message}`);
          ok = false;
          continue;
        }
        if (v === undefined || v === '') {
          this.problem(where, key, `secret ${name} is not stored; store it with the command "SCIM: Set Secret…"`);
          ok = false;
          continue;
        }
        this.secretsUsed.add(name);
        this.substitutions.push({ key, kind, name, value: v });
        out += v;
        continue;
      }
      this.substitutions.push({ key, kind, name, value: env[name] as string });
    }
    out += raw.slice(last);
    return ok ? { value: out, substituted } : undefined;
  }
}

/** A typed view of one map level, reporting problems with its path. */
class Level {
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

async function buildProfile(ctx: Ctx, entry: Entry, path: string): Promise<Profile | undefined> {
  const node = entry.value;
  if (!isMap(node)) {
    ctx.problem(node ?? entry.keyNode, path, `expected a profile map (at least \`baseUrl:\`), found ${describe(node)}`);
    return undefined;
  }
  const entries = ctx.entries(node, path);
  ctx.checkKeys(entries, PROFILE_KEYS, path, (k) => {
    if (k === 'name') return 'unknown key "name": the profile\'s name is its key under `profiles:`';
    if (k === 'subscriptionKey') return 'unknown key "subscriptionKey": put it under `gateway:` (gateway.subscriptionKey)';
    if (ALL_AUTH_KEYS.includes(k)) return `unknown key "${k}": put it under \`auth:\` (auth.${k})`;
    return undefined;
  });
  const p = new Level(ctx, node, path, entries);

  // baseUrl
  let baseUrl: string | undefined;
  const rawBase = await p.str('baseUrl', { required: 'the SCIM base URL, e.g. https://gw.example.com/scim/v2' });
  if (rawBase) {
    const u = checkUrl(rawBase.value);
    if (typeof u === 'object') baseUrl = u.url;
    else ctx.problem(p.at('baseUrl'), join(path, 'baseUrl'), u);
  }

  // auth
  let auth: AuthConfig | undefined = { type: 'none' };
  const a = p.sub('auth', ALL_AUTH_KEYS);
  if (a) {
    auth = undefined;
    const type = await a.oneOf('type', AUTH_TYPES, 'none');
    if (type !== undefined && !a.has('type')) {
      ctx.problem(a.node, join(a.path, 'type'), `missing required key \`type\` (one of: ${AUTH_TYPES.join(', ')})`);
    } else if (type !== undefined) {
      const allowed = AUTH_KEYS[type];
      for (const k of a.byKey.keys()) {
        if (ALL_AUTH_KEYS.includes(k) && !allowed.includes(k)) {
          ctx.problem(a.byKey.get(k)?.keyNode ?? a.node, join(a.path, k),
            `\`${k}\` does not apply to auth type ${type}${allowed.length > 1 ? ` (keys: ${allowed.join(', ')})` : ''}`);
        }
      }
      if (type === 'none') auth = { type };
      else if (type === 'basic') {
        const username = await a.str('username', { required: 'the user name' });
        const password = await a.str('password', { required: 'the password, e.g. ${env:SCIM_PASSWORD}', secret: true });
        if (username && password) auth = { type, username: username.value, password: password.value };
      } else if (type === 'bearer') {
        const token = await a.str('token', { required: 'the token, e.g. ${env:SCIM_TOKEN}', secret: true });
        if (token) auth = { type, token: token.value };
      } else {
        const tokenUrl = await a.str('tokenUrl', { required: 'the OAuth 2.0 token endpoint URL' });
        const clientId = await a.str('clientId', { required: 'the OAuth client id' });
        const clientSecret = await a.str('clientSecret', { required: 'the client secret, e.g. ${secret:CLIENT_SECRET}', secret: true });
        const scope = await a.str('scope');
        const audience = await a.str('audience');
        let tu: string | undefined;
        if (tokenUrl) {
          const u = checkUrl(tokenUrl.value, false);
          if (typeof u === 'object') tu = u.url;
          else ctx.problem(a.at('tokenUrl'), join(a.path, 'tokenUrl'), u);
        }
        if (tu && clientId && clientSecret) {
          auth = { type, tokenUrl: tu, clientId: clientId.value, clientSecret: clientSecret.value };
          if (scope) auth.scope = scope.value;
          if (audience) auth.audience = audience.value;
        }
      }
    }
  }

  // gateway
  const gateway: GatewayConfig = { header: DEFAULT_KEY_HEADER, query: DEFAULT_KEY_QUERY, sendAs: 'header' };
  const g = p.sub('gateway', GATEWAY_KEYS);
  if (g) {
    const key = await g.str('subscriptionKey', { secret: true });
    if (key) gateway.subscriptionKey = key.value;
    const header = await g.str('header', { required: 'a header name', optional: true });
    if (header) {
      if (HEADER_NAME.test(header.value)) gateway.header = header.value;
      else ctx.problem(g.at('header'), join(g.path, 'header'), `"${clip(header.value)}" is not a valid header name`);
    }
    const query = await g.str('query', { required: 'a query parameter name', optional: true });
    if (query) {
      if (!/[&=#?\s]/.test(query.value)) gateway.query = query.value;
      else ctx.problem(g.at('query'), join(g.path, 'query'), `"${clip(query.value)}" is not a valid query parameter name`);
    }
    const sendAs = await g.oneOf('sendAs', SEND_AS, 'header');
    if (sendAs) gateway.sendAs = sendAs;
  }

  // headers
  const headers: Record<string, string> = {};
  const secretHeaders: string[] = [];
  const h = p.sub('headers', []);
  if (h) {
    for (const [name, e] of h.byKey) {
      const hp = join(h.path, name);
      const lower = name.toLowerCase();
      if (!HEADER_NAME.test(name)) { ctx.problem(e.keyNode, hp, `"${clip(name)}" is not a valid header name`); continue; }
      if (RESERVED_HEADERS.includes(lower)) { ctx.problem(e.keyNode, hp, `${name} is set by the HTTP client and cannot be set in a profile`); continue; }
      if (lower === gateway.header.toLowerCase()) {
        ctx.problem(e.keyNode, hp, `${name} is the gateway key header: set the key as gateway.subscriptionKey instead`);
        continue;
      }
      if (Object.keys(headers).some((k) => k.toLowerCase() === lower)) { ctx.problem(e.keyNode, hp, `header ${name} is given twice`); continue; }
      const v = await h.str(name, { required: 'the header value', secret: true });
      if (!v) continue;
      if (BAD_HEADER_VALUE.test(v.value)) { ctx.problem(e.value, hp, 'a header value must be on one line (no CR, LF or NUL)'); continue; }
      headers[name] = v.value;
      if (v.substituted && !secretHeaders.includes(lower)) secretHeaders.push(lower);
    }
  }
  const shNode = p.at('secretHeaders');
  if (p.has('secretHeaders') && shNode !== null && !isNullScalar(shNode)) {
    const sp = join(path, 'secretHeaders');
    if (!isSeq(shNode)) ctx.problem(shNode, sp, `expected a list of header names, found ${describe(shNode)}`);
    else {
      shNode.items.forEach((item, i) => {
        const n = ctx.resolve(item);
        if (!isScalar(n) || typeof n.value !== 'string') { ctx.problem(n, `${sp}[${i}]`, `expected a header name, found ${describe(n)}`); return; }
        const lower = n.value.toLowerCase();
        if (!Object.keys(headers).some((k) => k.toLowerCase() === lower) && !(h?.byKey.has(n.value))) {
          const names = Object.keys(headers);
          ctx.problem(n, `${sp}[${i}]`, `"${clip(n.value)}" is not one of this profile's headers${names.length ? ` (${names.join(', ')})` : ''}`);
          return;
        }
        if (!secretHeaders.includes(lower)) secretHeaders.push(lower);
      });
    }
  }

  const writes = await p.oneOf('writes', WRITES, DEFAULTS.writes);
  const locations = await p.oneOf('locations', LOCATIONS, DEFAULTS.locations);
  const provider = await p.oneOf('provider', PROVIDERS, DEFAULTS.provider);
  const timeoutMs = await p.int('timeoutMs', DEFAULTS.timeoutMs, 1, 3_600_000);
  const pageSize = await p.int('pageSize', DEFAULTS.pageSize, 1, 100_000);
  const concurrency = await p.int('concurrency', DEFAULTS.concurrency, 1, 64);
  const maxOperationsPerPatch = await p.int('maxOperationsPerPatch', DEFAULTS.maxOperationsPerPatch, 1, 10_000);
  const maxResponseMB = await p.int('maxResponseMB', DEFAULTS.maxResponseMB, 1, 4096);
  const groupReads = await p.oneOf('groupReads', GROUP_READS, 'verify');
  const excludeMembersOnWrite = await p.bool('excludeMembersOnWrite', false);

  // tls
  const tls: TlsConfig = { insecure: false };
  const t = p.sub('tls', TLS_KEYS);
  if (t) {
    const insecure = await t.bool('insecure', false);
    if (insecure !== undefined) tls.insecure = insecure;
    for (const k of ['caFile', 'certFile', 'keyFile'] as const) {
      const f = await t.str(k, { required: 'a file path', optional: true });
      if (!f) continue;
      const abs = isAbsolute(f.value) ? f.value : resolvePath(dirname(resolvePath(ctx.file)), f.value);
      if (!existsSync(abs)) { ctx.problem(t.at(k), join(t.path, k), `file not found: ${abs}`); continue; }
      tls[k] = abs;
    }
    if ((t.has('certFile') || t.has('keyFile')) && !(t.has('certFile') && t.has('keyFile'))) {
      ctx.problem(t.node, t.path, 'certFile and keyFile go together (a client certificate needs both)');
    }
    const pass = await t.str('passphrase', { secret: true });
    if (pass) tls.passphrase = pass.value;
  }

  // proxy
  let proxy: string | undefined;
  const pr = await p.str('proxy');
  if (pr) {
    const u = checkUrl(pr.value, false);
    if (typeof u === 'object') proxy = u.url;
    else ctx.problem(p.at('proxy'), join(path, 'proxy'), u);
  }

  if (baseUrl === undefined || auth === undefined || writes === undefined || locations === undefined || provider === undefined
    || timeoutMs === undefined || pageSize === undefined || concurrency === undefined || maxOperationsPerPatch === undefined
    || maxResponseMB === undefined) {
    return undefined;
  }
  const keyPos = ctx.lc.linePos(ctx.offsetOf(entry.keyNode));
  const profile: Profile = {
    name: entry.key, baseUrl, auth, gateway, headers, secretHeaders, writes, locations, provider, timeoutMs, pageSize,
    concurrency, maxOperationsPerPatch, maxResponseMB, tls, source: { file: ctx.file, line: keyPos.line },
  };
  if (proxy) profile.proxy = proxy;
  if (groupReads === 'complete') profile.groupReads = groupReads;
  if (excludeMembersOnWrite) profile.excludeMembersOnWrite = true;
  return profile;
}

function finish(out: ProfilesFile, ctx: Ctx, entries: Entry[]): ProfilesFile {
  out.problems.sort((x, y) => x.line - y.line || x.column - y.column);
  for (const e of entries) {
    const prefix = `profiles.${e.key}`;
    const mine = out.problems.filter((p) => p.key === prefix || p.key.startsWith(`${prefix}.`) || p.key.startsWith(`${prefix}[`));
    if (!mine.length || out.profiles.some((p) => p.name === e.key)) continue;
    const pos = ctx.lc.linePos(ctx.offsetOf(e.keyNode));
    out.broken.push({ name: e.key, line: pos.line, column: pos.col, problems: mine });
  }
  return out;
}

function fileProblem(file: string, message: string): ProfilesFile {
  return { file, profiles: [], broken: [], problems: [{ file, line: 1, column: 1, key: '', message }] };
}

function tooLarge(bytes: number): string {
  return `the profiles file is ${(bytes / 1024 / 1024).toFixed(1)} MiB; at most 1 MiB is read (is it the right file?)`;
}

/** Absolute http(s) URL without credentials, query or fragment (base URLs); trailing slashes removed. */
function checkUrl(raw: string, isBase = true): { url: string } | string {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    return `"${clip(raw)}" is not an absolute URL; expected e.g. https://gw.example.com/scim/v2`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `"${clip(raw)}" must be an http:// or https:// URL, not ${u.protocol}`;
  if (u.username || u.password) return 'the URL must not contain credentials; use auth: (and ${env:NAME} for secrets)';
  if (isBase && u.search) return 'the base URL must not have a query string; put a gateway key under gateway: (sendAs: query)';
  if (u.hash) return 'the URL must not have a #fragment';
  let s = u.toString();
  if (isBase) s = s.replace(/\/+$/, '');
  return { url: s };
}

function isNullScalar(n: YamlNode | null): boolean {
  return isScalar(n) && n.value === null;
}

function describe(n: unknown): string {
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

/** A YAML syntax error in plain words (the parser's code names are for parser authors), at the place to fix. */
function syntaxMessage(code: string, message: string, source: string, offset: number): { offset: number; message: string } {
  const say = (text: string, at = offset) => ({ offset: at, message: `YAML syntax error: ${text}` });
  // `key: ${env:X}` reads fine, but inside { } or [ ] the `{` of `${` opens a map: the value must be quoted.
  const sub = source.startsWith('${', offset) ? offset : source[offset] === '{' && source[offset - 1] === '$' ? offset - 1 : -1;
  if (sub >= 0) return say('quote a value that starts with `${` (write "${env:NAME}" with the quotes: inside { } or [ ] an unquoted `{` starts a map)', sub);
  const first = (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
  const token = /in YAML stream: "(.*)"$/.exec(first)?.[1];
  switch (code) {
    case 'TAB_AS_INDENT': return say('indent with spaces, not tabs');
    case 'BAD_INDENT': return say('this line is not indented like the keys around it (the keys of one map start at the same column)');
    case 'DUPLICATE_KEY': {
      const key = /^[^:\n]*/.exec(source.slice(offset))?.[0]?.trim().replace(/^["']|["']$/g, '');
      return say(`${key ? `"${key}"` : 'a key'} is given twice in the same map (keys must be unique)`);
    }
    case 'MISSING_CHAR':
      if (/quote/i.test(first)) return say('a quoted value is not closed: add the closing quote on the same line');
      return say(`${first.replace(/^Missing /, 'missing ')} (a value with , [ ] { } or : in it needs quotes)`);
    case 'MULTILINE_IMPLICIT_KEY':
    case 'BLOCK_AS_IMPLICIT_KEY':
      return say('a key must fit on one line: is a `:` missing at the end of the line above, or a value that needs quotes?');
    case 'BAD_SCALAR_START':
      return say('a plain value cannot start with this character: put the value in quotes');
    case 'UNEXPECTED_TOKEN':
      return say(token !== undefined ? `unexpected \`${token}\` here: check the indentation, or put the value in quotes` : `${first.toLowerCase()}: check the indentation, or put the value in quotes`);
    default:
      return say(first.charAt(0).toLowerCase() + first.slice(1));
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function suggest(word: string, options: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const o of options) {
    const d = o.toLowerCase() === w ? 0 : levenshtein(w, o.toLowerCase());
    if (d < bestD) { bestD = d; best = o; }
  }
  return bestD <= Math.max(1, Math.floor(word.length / 4)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] as number;
      prev[j] = Math.min((prev[j] as number) + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length] as number;
}
